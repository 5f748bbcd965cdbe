//! Property tests of the formatter.
//!
//! 1. Random syntax trees (every item kind, random bodies, recursively generated
//!    expressions and types) are printed with default spans and no source; parsing the
//!    text must give the same tree back, and formatting that parse must change nothing.
//!    The generators build only *canonical* trees, the ones the parser can produce:
//!    adjacent literal template parts merged and never empty, parentheses wherever
//!    precedence needs them, no keyword used as a bare name.
//! 2. The printed text of such a tree, with whitespace, line breaks and comments
//!    inserted at random places, is formatted whenever it still parses: the result must
//!    mean the same, keep every comment and be stable.

use aic_lang::source::FileId;
use aic_lang::syntax::ast::*;
use aic_lang::syntax::format::{format_file, format_source};
use aic_lang::syntax::parse_file;
use proptest::prelude::*;

#[path = "common/ast_gen.rs"]
mod ast_gen;
use ast_gen::{file, insertions};

// ---------------------------------------------------------------------- properties

fn json(file: &File) -> serde_json::Value {
    serde_json::to_value(file).unwrap()
}

fn comment_texts(file: &File) -> Vec<String> {
    let mut texts: Vec<String> = file.comments.iter().map(|c| c.text.clone()).collect();
    texts.sort();
    texts
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 384, ..ProptestConfig::default() })]

    #[test]
    fn printed_trees_parse_back_to_themselves(tree in file()) {
        let text = format_file(&tree, "");
        let parsed = parse_file(FileId(0), &text);
        prop_assert!(
            !parsed.has_errors(),
            "the output does not parse: {:#?}\n{}",
            parsed.diagnostics,
            text
        );
        prop_assert_eq!(json(&parsed.file), json(&tree), "text:\n{}", text);
        let again = format_file(&parsed.file, &text);
        prop_assert_eq!(again, text);
    }

    #[test]
    fn formatting_parsed_text_is_stable(tree in file(), edits in insertions()) {
        let mut text = format_file(&tree, "");
        let mut cuts: Vec<(usize, &str)> = edits
            .iter()
            .map(|(at, s)| {
                let boundaries: Vec<usize> =
                    text.char_indices().map(|(i, _)| i).chain([text.len()]).collect();
                (*at.get(&boundaries), *s)
            })
            .collect();
        cuts.sort_by_key(|c| std::cmp::Reverse(c.0));
        for (at, s) in cuts {
            text.insert_str(at, s);
        }
        let parsed = parse_file(FileId(0), &text);
        // A rejected case is counted: proptest fails when too many are rejected, so the
        // test cannot pass having checked nothing.
        prop_assume!(!parsed.has_errors());
        let once = format_source(FileId(0), &text);
        prop_assert!(once.is_ok(), "{:?}\ninput:\n{}", once, text);
        let once = once.unwrap_or_default();
        let reparsed = parse_file(FileId(0), &once);
        prop_assert_eq!(json(&reparsed.file), json(&parsed.file));
        prop_assert_eq!(comment_texts(&reparsed.file), comment_texts(&parsed.file));
        let twice = format_file(&reparsed.file, &once);
        prop_assert_eq!(twice, once, "input:\n{}", text);
    }
}
