//! The language reads through a `World`: a configuration and the modules it calls load
//! from memory exactly as from disk, and a missing module is reported, not read from the
//! machine.

use std::path::Path;

use aic_lang::config::load_tree_in;
use aic_lang::source::SourceMap;
use aic_lang::world::MemoryWorld;

#[test]
fn a_module_tree_loads_from_an_in_memory_world() {
    let world = MemoryWorld::new()
        .with_file(
            "/project/main.aic",
            "module site {\n  source = \"./modules/site\"\n}\n",
        )
        .with_file("/project/outputs.aic", "output answer = 42\n")
        .with_file("/project/notes.txt", "not a source file")
        .with_file(
            "/project/modules/site/main.aic",
            "resource null_resource page {}\n",
        );
    let mut sources = SourceMap::new();
    let mut diags = Vec::new();
    let tree = load_tree_in(
        &world,
        Path::new("/project"),
        None,
        &mut sources,
        &mut diags,
    )
    .expect("the tree loads");
    assert!(diags.is_empty(), "{diags:?}");
    let files: Vec<String> = sources
        .files()
        .map(|(_, f)| f.path.display().to_string())
        .collect();
    assert_eq!(
        files,
        [
            "/project/main.aic",
            "/project/outputs.aic",
            // The module's path as written in `source`, as on disk.
            "/project/./modules/site/main.aic"
        ]
    );
    assert_eq!(tree.children.len(), 1);
    assert_eq!(tree.module.outputs.len(), 1);
}

#[test]
fn a_module_missing_from_the_world_is_reported() {
    let world = MemoryWorld::new().with_file(
        "/project/main.aic",
        "module site {\n  source = \"./modules/site\"\n}\n",
    );
    let mut sources = SourceMap::new();
    let mut diags = Vec::new();
    load_tree_in(
        &world,
        Path::new("/project"),
        None,
        &mut sources,
        &mut diags,
    )
    .expect("the root loads");
    let codes: Vec<&str> = diags.iter().map(|d| d.code).collect();
    assert_eq!(codes, ["E0212"]);
}
