//! `docs/diagnostics.md` is generated from the catalogues of diagnostic codes
//! (`lang/src/codes.rs`, `engine/src/codes.rs`, `providers/core/src/codes.rs`). This test
//! fails when the page is out of date, when a code is in no catalogue but used in the
//! sources, when a catalogued code is used nowhere, or when one is undocumented.
//!
//! Update the page after changing a catalogue:
//! `AIC_UPDATE_DOCS=1 cargo test -p aic-engine --test diagnostics_doc`.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use aic_lang::diag::{Code, Severity};

fn workspace() -> PathBuf {
    Path::new(&*std::env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR"))
        .join("..")
}

/// Every catalogue, with where it is.
fn catalogues() -> Vec<(&'static str, &'static [&'static Code])> {
    vec![
        ("lang/src/codes.rs", aic_lang::codes::ALL),
        ("engine/src/codes.rs", aic_engine::codes::ALL),
        ("providers/core/src/codes.rs", aic_provider::codes::ALL),
    ]
}

fn all_codes() -> Vec<&'static Code> {
    let mut all: Vec<&'static Code> = catalogues()
        .into_iter()
        .flat_map(|(_, c)| c.iter().copied())
        .collect();
    // By number; an error before the warning of the same number.
    all.sort_by_key(|c| (&c.id[1..], c.severity == Severity::Warning));
    all
}

/// The ranges of codes, each with its section title and introduction.
const RANGES: &[(&str, &str, &str)] = &[
    (
        "01",
        "E01xx — syntax",
        "Reported while reading a file. Every syntax code below has golden tests: the inputs \
are in `lang/tests/fixtures/syntax-errors/`, each with its rendered output in `snapshots/`.",
    ),
    (
        "02",
        "E02xx — names and resolution",
        "Reported by `aic validate` and before every plan, unless the entry says otherwise. \
Most codes have golden tests: each directory of `engine/tests/fixtures/semantic/` is a \
configuration with the expected code written on the offending line, and its rendered \
output is in `engine/tests/snapshots/`.",
    ),
    (
        "03",
        "E03xx — types",
        "Reported by `aic validate` and before every plan; an expression evaluated while \
planning (with values then known) can report them too.",
    ),
    (
        "04",
        "E04xx — evaluation",
        "Errors in computing a value. Constants (variables, lets, environment attributes) are \
evaluated by `aic validate`; what depends on resources is evaluated when planning, when \
the values are known. On any of these errors (and on the errors of E02xx and E03xx that \
evaluating an expression reports) `try(expr, fallback)` gives its fallback and \
`can(expr)` is `false`.",
    ),
    (
        "06",
        "E06xx — state, backends, saved plans, rollbacks",
        "Reading, writing and locking the state (E0601–E0615, see [state.md](state.md); \
encryption E0616–E0619 and E0624; remote backends, push and migration E0625–E0628), \
editing it (E0620–E0623), refusals to destroy (E0630–E0631), rollbacks (E0640–E0643), \
`backend` blocks (E0650–E0655, [language.md §4.12](language.md#412-backend-where-state-lives)) \
and saved plans (E0660–E0662).",
    ),
    (
        "07",
        "E07xx — providers",
        "Defined by the provider interface ([providers/interface.md](providers/interface.md)). \
A provider call that fails while configuring a provider, refreshing, reading, planning, \
applying or importing an object is reported with the code of its kind, pointing at the \
resource it was about; the help says what aic was doing, the provider's message (with \
the cloud's own error code and message when there is one) and what to do. E0702 and E0703 \
are retryable: apply retries them with backoff before giving up.",
    ),
    (
        "08",
        "E08xx — policies",
        "Policy blocks are checked by `aic validate` (and before every plan); violations are \
reported after a plan. See [policies.md](policies.md). A policy's `resources` naming a \
type no provider offers is E0228 (Unknown resource type), as in a resource block; a \
non-bool `assert` or non-string `message` is E0301 (Type mismatch).",
    ),
    (
        "09",
        "E09xx — rollouts",
        "Reported by `aic validate` and `aic rollout` for `rollout` blocks, and by `aic rollout` \
for its arguments (see [rollouts.md](rollouts.md)).",
    ),
];

const INTRO: &str = "# Diagnostics

<!-- Generated from the catalogues of diagnostic codes: lang/src/codes.rs,
engine/src/codes.rs, providers/core/src/codes.rs. Do not edit by hand; run
`AIC_UPDATE_DOCS=1 cargo test -p aic-engine --test diagnostics_doc`. -->

Every error and warning `aic` reports has a stable code. The code never changes meaning;
a retired code is not reused. Each crate keeps its codes in one catalogue, with the
summary, the default help and the documentation below:

| catalogue | codes |
|-----------|-------|
| `lang/src/codes.rs` | syntax (E01xx), names (E02xx, W0201), types (E03xx), evaluation (E04xx), policy blocks (E0801–E0803) |
| `engine/src/codes.rs` | loading (E0200, E025x, E026x), state, backends, saved plans and rollbacks (E06xx), policies (E0804–E0807, W08xx), rollouts (E09xx) |
| `providers/core/src/codes.rs` | providers (E07xx) |

A diagnostic has a summary (a fixed phrase), a primary label on the exact span (what was
expected and what was found), sometimes secondary labels (another place that matters), and
a `help` line when a fix is likely. `aic validate --json` gives the same data as JSON.
Warnings are reported by `aic validate`, `aic plan` and `aic apply` and never fail them.

Parsing never stops at the first error: a file with a syntax error is split at its items
(lines that start in column 0 with an item keyword, or with any name outside brackets)
and every item is parsed on its own, so independent mistakes in different items are all
reported in one run. Within one item, the first syntax error is reported.
";

/// The documentation of a code as written in its catalogue: one space after `///`
/// removed from every line.
fn doc(code: &Code) -> String {
    code.doc
        .lines()
        .map(|l| l.strip_prefix(' ').unwrap_or(l))
        .collect::<Vec<_>>()
        .join("\n")
        .trim()
        .to_string()
}

fn generate() -> String {
    let mut out = String::from(INTRO);
    let all = all_codes();
    for (range, title, intro) in RANGES {
        out.push_str(&format!("\n## {title}\n\n{intro}\n"));
        for code in all.iter().filter(|c| &c.id[1..3] == *range) {
            out.push_str(&format!(
                "\n### {} — {}\n\n{}\n",
                code.id,
                code.summary,
                doc(code)
            ));
        }
    }
    out
}

#[test]
fn the_diagnostics_page_is_generated_from_the_catalogues() {
    let path = workspace().join("docs/diagnostics.md");
    let want = generate();
    if std::env::var_os("AIC_UPDATE_DOCS").is_some() {
        std::fs::write(&path, &want).unwrap();
    }
    let have = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        have == want,
        "docs/diagnostics.md is not what the catalogues say; run \
         `AIC_UPDATE_DOCS=1 cargo test -p aic-engine --test diagnostics_doc` and commit it"
    );
}

#[test]
fn every_code_is_documented_once_and_in_a_range() {
    let mut seen = BTreeSet::new();
    let all = all_codes();
    assert!(all.len() > 120, "only {} codes catalogued", all.len());
    for c in &all {
        assert!(seen.insert(c.id), "{} is in two catalogues", c.id);
        assert!(!doc(c).is_empty(), "{} has no documentation", c.id);
        assert!(!c.summary.is_empty(), "{} has no summary", c.id);
        let letter = if c.severity == Severity::Error {
            'E'
        } else {
            'W'
        };
        assert!(c.id.starts_with(letter), "{} is not a {letter} code", c.id);
        assert!(
            RANGES.iter().any(|(r, _, _)| &c.id[1..3] == *r),
            "{} is in no range of the page",
            c.id
        );
    }
}

fn source_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for e in entries.flatten() {
        let p = e.path();
        if p.is_dir() {
            source_files(&p, out);
        } else if p.extension().is_some_and(|x| x == "rs") {
            out.push(p);
        }
    }
}

/// Every `E0123` / `W0123` token of the sources outside the catalogues, by file.
fn codes_in_sources() -> BTreeMap<String, BTreeSet<String>> {
    let root = workspace();
    let mut files = Vec::new();
    for dir in [
        "lang/src",
        "stdlib/src",
        "engine/src",
        "state",
        "cli/src",
        "providers",
    ] {
        source_files(&root.join(dir), &mut files);
    }
    let catalogue_files: Vec<PathBuf> = catalogues().iter().map(|(p, _)| root.join(p)).collect();
    let mut found: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for f in files {
        let rel = f.strip_prefix(&root).unwrap_or(&f).display().to_string();
        if catalogue_files.contains(&f) || rel.contains("/tests/") || rel.contains("/examples/") {
            continue;
        }
        let text = std::fs::read_to_string(&f).unwrap_or_default();
        let bytes = text.as_bytes();
        for (i, w) in bytes.windows(5).enumerate() {
            let boundary_before = i == 0 || !bytes[i - 1].is_ascii_alphanumeric();
            let boundary_after = bytes.get(i + 5).is_none_or(|b| !b.is_ascii_alphanumeric());
            if (w[0] == b'E' || w[0] == b'W')
                && w[1] == b'0'
                && w[2..].iter().all(u8::is_ascii_digit)
                && boundary_before
                && boundary_after
            {
                found
                    .entry(String::from_utf8_lossy(w).into_owned())
                    .or_default()
                    .insert(rel.clone());
            }
        }
    }
    found
}

#[test]
fn every_code_in_the_sources_is_catalogued_and_every_catalogued_code_is_used() {
    let used = codes_in_sources();
    let all: BTreeSet<&str> = all_codes().iter().map(|c| c.id).collect();
    let unknown: Vec<String> = used
        .iter()
        .filter(|(c, _)| !all.contains(c.as_str()))
        .map(|(c, files)| {
            format!(
                "{c} (in {})",
                files.iter().cloned().collect::<Vec<_>>().join(", ")
            )
        })
        .collect();
    assert!(
        unknown.is_empty(),
        "codes used in the sources but in no catalogue: {unknown:?}"
    );
    let unused: Vec<&str> = all
        .iter()
        .copied()
        .filter(|c| !used.contains_key(*c))
        .collect();
    assert!(
        unused.is_empty(),
        "catalogued codes no source uses (retire them in the catalogue's documentation instead): {unused:?}"
    );
}

/// A code is written as a catalogue constant (`codes::E0711`), never as a string literal,
/// outside the catalogues and the unit tests (which assert the code a user sees).
#[test]
fn no_source_writes_a_code_as_a_string_literal() {
    let root = workspace();
    let mut files = Vec::new();
    for dir in [
        "lang/src",
        "stdlib/src",
        "engine/src",
        "cli/src",
        "providers",
    ] {
        source_files(&root.join(dir), &mut files);
    }
    let catalogue_files: Vec<PathBuf> = catalogues().iter().map(|(p, _)| root.join(p)).collect();
    let mut checked = 0;
    let mut found = Vec::new();
    for f in files {
        let rel = f.strip_prefix(&root).unwrap_or(&f).display().to_string();
        if catalogue_files.contains(&f) || rel.contains("/tests/") || rel.contains("/examples/") {
            continue;
        }
        let text = std::fs::read_to_string(&f).unwrap_or_default();
        // The unit tests of a module follow its `#[cfg(test)]`.
        let code = text.split("#[cfg(test)]").next().unwrap_or_default();
        for (i, line) in code.lines().enumerate() {
            let bytes = line.as_bytes();
            let literal = bytes.windows(7).any(|w| {
                w[0] == b'"'
                    && (w[1] == b'E' || w[1] == b'W')
                    && w[2..6].iter().all(u8::is_ascii_digit)
                    && w[6] == b'"'
            });
            if literal && !line.trim_start().starts_with("//") {
                found.push(format!("{rel}:{}: {}", i + 1, line.trim()));
            }
        }
        checked += 1;
    }
    assert!(checked > 50, "only {checked} source files read");
    assert!(
        found.is_empty(),
        "codes written as string literals (use the catalogue's constant):\n{}",
        found.join("\n")
    );
}
