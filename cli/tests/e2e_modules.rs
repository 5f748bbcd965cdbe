//! End to end: file functions in a child module read relative to that module's
//! directory (spec §5: `file`, `fileexists`, `templatefile` are relative to
//! `path.module`), both for constants (lets) and for resource attributes; templates
//! render with their variables and every function.

mod e2e_common;

use e2e_common::Project;

const ROOT: &str = r#"
module site {
  source = "./modules/site"
  name   = "docs"
}

output page = module.site.page
"#;

const SITE: &str = r#"
variable name: string

let body   = file("index.html")
let banner = "<h1>${var.name}</h1>\n"

resource local_file page {
  filename = "${path.root}/out/${var.name}.html"
  content  = "${banner}${body}"
  file_permission = fileexists("index.html") ? "0644" : "0600"
}

output page = local_file.page.filename
"#;

#[test]
fn file_functions_in_a_child_module_read_from_its_directory() {
    let p = Project::with_main(ROOT);
    p.write("modules/site/main.aic", SITE);
    p.write("modules/site/index.html", "<p>hello</p>\n");
    // A file of the same name at the root must not be the one read.
    p.write("index.html", "WRONG: the root's file\n");

    p.aic(&["validate"]).success();
    p.aic(&["plan", "--format", "json"])
        .success()
        .stdout_has("<p>hello</p>")
        .stdout_lacks("WRONG");
}

#[test]
fn a_missing_file_in_a_child_module_names_the_module_path() {
    let p = Project::with_main(ROOT);
    p.write("modules/site/main.aic", SITE);
    // index.html exists only at the root: the module must not pick it up.
    p.write("index.html", "root\n");

    let run = p.aic(&["validate"]).failure();
    let err = run.err_words();
    assert!(err.contains("index.html"), "{run}");
    assert!(
        err.contains("modules/site"),
        "the error should point into the module:\n{run}"
    );
}

const TEMPLATED: &str = r#"
variable name: string

let motd = templatefile("motd.tpl", { name = var.name, port = 8080 })

resource local_file motd {
  filename = "${path.root}/out/motd.txt"
  content  = motd
}

output page = local_file.motd.filename
"#;

#[test]
fn templatefile_renders_a_template_of_the_module_in_a_constant() {
    let p = Project::with_main(ROOT);
    p.write("modules/site/main.aic", TEMPLATED);
    p.write(
        "modules/site/motd.tpl",
        "Welcome to ${upper(name)}\nport ${port + 1}, ${length([1, 2])} items\n",
    );
    p.write("motd.tpl", "WRONG: the root's template\n");

    p.aic(&["validate"]).success();
    p.aic(&["apply", "--auto-approve"]).success();
    assert_eq!(
        p.read("out/motd.txt"),
        "Welcome to DOCS\nport 8081, 2 items\n"
    );
}

#[test]
fn a_template_naming_an_unknown_variable_is_an_error_at_its_line() {
    let p = Project::with_main(ROOT);
    p.write("modules/site/main.aic", TEMPLATED);
    p.write("modules/site/motd.tpl", "Welcome\nto ${nmae}\n");

    let run = p.aic(&["validate"]).failure();
    let err = run.err_words();
    assert!(err.contains("motd.tpl"), "{run}");
    assert!(err.contains("line 2, column 6"), "{run}");
    assert!(
        err.contains("`nmae` is not one of the template's variables"),
        "{run}"
    );
    assert!(err.contains("name, port"), "{run}");
}
