//! Planner fixtures as data: every directory under `fixtures/plans` is one case, planned
//! through the engine's API (`ops::plan`) with the built-in providers and compared with a
//! snapshot of the plan, as text and as JSON.
//!
//! A case holds:
//! - `main.aic`: the configuration planned (other files are copied along);
//! - `before.aic` (optional): a configuration applied first, whose state the plan starts
//!   from (a state written by aic itself, so it is always in the current format);
//! - `flags` (optional): one flag a line, as on the command line — `--target=ADDR`,
//!   `--exclude=ADDR`, `--replace=ADDR`, `--destroy`, `--env=NAME`, `--var=NAME=VALUE`,
//!   `--no-refresh` (`--env` and `--var` apply to `before.aic` too).
//!
//! Random ids, lineages, timestamps and the temporary directory are replaced in snapshots. To add a
//! case, add a directory, run `INSTA_UPDATE=always cargo test -p aic-engine --test plans`
//! once and read the new snapshot.

use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicBool;
use std::sync::Arc;
use std::time::Duration;

use aic_engine::load::VariableArgs;
use aic_engine::ops::{ApplyRequest, Observer, PlanRequest, PreparedApply, Project, Quiet};
use aic_engine::render::{render_json, render_text, TextOptions};

fn fixtures() -> PathBuf {
    Path::new(&*std::env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/plans")
}

/// The plan request a case's `flags` file asks for.
fn request(dir: &Path) -> PlanRequest {
    let mut request = PlanRequest::default();
    let flags = std::fs::read_to_string(dir.join("flags")).unwrap_or_default();
    let mut vars = Vec::new();
    for flag in flags.lines().map(str::trim).filter(|l| !l.is_empty()) {
        let (name, value) = flag.split_once('=').unwrap_or((flag, ""));
        match name {
            "--target" => request.targets.push(value.to_owned()),
            "--exclude" => request.excludes.push(value.to_owned()),
            "--replace" => request.replace.push(value.to_owned()),
            "--destroy" => request.destroy = true,
            "--env" => request.environment = Some(value.to_owned()),
            "--var" => vars.push(value.to_owned()),
            "--no-refresh" => request.refresh = false,
            _ => panic!("{}: unknown flag {flag:?}", dir.display()),
        }
    }
    request.variables = VariableArgs {
        vars,
        ..VariableArgs::default()
    };
    request
}

/// Replaces what differs between runs: the temporary directory, random ids, times.
fn stable(text: &str, work: &Path) -> String {
    let text = text.replace(&work.display().to_string(), "[dir]");
    // The digest of the configuration covers its absolute paths.
    let text: String = text
        .lines()
        .map(|l| match l.find("\"config_digest\": \"") {
            Some(at) => format!("{}\"config_digest\": \"[digest]\"", &l[..at]),
            None => l.to_owned(),
        })
        .collect::<Vec<_>>()
        .join("\n");
    let mut out = String::with_capacity(text.len());
    let bytes: Vec<char> = text.chars().collect();
    let mut i = 0;
    while i < bytes.len() {
        // A run of 12 or more digits is a random id.
        let digits = bytes[i..].iter().take_while(|c| c.is_ascii_digit()).count();
        let boundary = i == 0 || !bytes[i - 1].is_ascii_alphanumeric();
        if digits >= 12 && boundary {
            out.push_str("[id]");
            i += digits;
            continue;
        }
        // A UUID (a state's lineage): 8-4-4-4-12 hexadecimal digits.
        let u: String = bytes[i..bytes.len().min(i + 36)].iter().collect();
        if u.len() == 36
            && boundary
            && u.chars().enumerate().all(|(k, c)| match k {
                8 | 13 | 18 | 23 => c == '-',
                _ => c.is_ascii_hexdigit(),
            })
        {
            out.push_str("[uuid]");
            i += 36;
            continue;
        }
        // An RFC 3339 timestamp: 2026-01-02T03:04:05Z (with optional fraction).
        let s: String = bytes[i..bytes.len().min(i + 20)].iter().collect();
        if s.len() == 20
            && s.chars().enumerate().all(|(k, c)| match k {
                4 | 7 => c == '-',
                10 => c == 'T',
                13 | 16 => c == ':',
                19 => c == 'Z' || c == '.',
                _ => c.is_ascii_digit(),
            })
        {
            out.push_str("[time]");
            i += 19;
            while i < bytes.len() && (bytes[i].is_ascii_digit() || bytes[i] == '.') {
                i += 1;
            }
            if bytes.get(i) == Some(&'Z') {
                i += 1;
            }
            continue;
        }
        out.push(bytes[i]);
        i += 1;
    }
    out
}

fn copy_case(from: &Path, to: &Path) {
    for entry in std::fs::read_dir(from).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap();
        if path.is_dir() {
            std::fs::create_dir_all(to.join(name)).unwrap();
            copy_case(&path, &to.join(name));
        } else if name != "before.aic" && name != "flags" {
            std::fs::copy(&path, to.join(name)).unwrap();
        }
    }
}

/// The plan of one case, as its snapshot shows it.
fn plan_case(dir: &Path, rt: &tokio::runtime::Runtime) -> String {
    let work = tempfile::tempdir().unwrap();
    let work_path = work.path().canonicalize().unwrap();
    let request = request(dir);
    let project = Project::new(&work_path, aic_provider_builtin::registry());
    let observer: Arc<dyn Observer> = Arc::new(Quiet);
    if let Ok(before) = std::fs::read_to_string(dir.join("before.aic")) {
        std::fs::write(work_path.join("main.aic"), before).unwrap();
        let apply = ApplyRequest {
            plan: PlanRequest {
                environment: request.environment.clone(),
                variables: request.variables.clone(),
                ..PlanRequest::default()
            },
            saved_plan: None,
            lock_timeout: Duration::ZERO,
        };
        let outcome = rt.block_on(async {
            let prepared = PreparedApply::prepare(&project, &apply, &*observer).await?;
            prepared
                .apply(4, &observer, &Arc::new(AtomicBool::new(false)))
                .await
        });
        let outcome = outcome.unwrap_or_else(|e| panic!("{}: before.aic: {e}", dir.display()));
        assert!(
            outcome.report.failed.is_empty(),
            "{}: before.aic: {:?}",
            dir.display(),
            outcome.report.failed
        );
    }
    copy_case(dir, &work_path);
    let outcome = rt.block_on(aic_engine::ops::plan(&project, &request, &*observer));
    let text = match outcome {
        Ok(outcome) => {
            let plan = &outcome.planned.plan;
            format!(
                "{}\n--- JSON ---\n{}\n",
                render_text(plan, &TextOptions::default()).trim_end(),
                render_json(plan).trim_end()
            )
        }
        Err(e) => format!("--- refused ---\n{e}\n"),
    };
    stable(&text, &work_path)
}

#[test]
fn plans_match_their_snapshots() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(fixtures())
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_dir())
        .collect();
    dirs.sort();
    assert!(
        dirs.len() >= 30,
        "expected at least 30 plan fixtures, found {}",
        dirs.len()
    );
    let mut settings = insta::Settings::clone_current();
    settings.set_prepend_module_to_snapshot(false);
    settings.set_snapshot_path(fixtures().join("../../snapshots/plans"));
    let _guard = settings.bind_to_scope();
    for dir in &dirs {
        let name = dir.file_name().unwrap().to_string_lossy().to_string();
        let shown = plan_case(dir, &rt);
        insta::assert_snapshot!(name, shown);
    }
}

#[test]
fn stable_replaces_ids_lineages_times_and_the_directory() {
    let work = Path::new("/tmp/x");
    assert_eq!(
        stable(
            "id = \"4403719470289164923\" at 2026-12-06T09:30:00.123Z in /tmp/x/out, port 8080, lineage 1cfa882e-d897-411b-a4a4-1e67e309473f",
            work
        ),
        "id = \"[id]\" at [time] in [dir]/out, port 8080, lineage [uuid]"
    );
}
