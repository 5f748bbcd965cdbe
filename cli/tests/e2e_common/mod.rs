//! Shared by the end-to-end tests (`e2e_*.rs`): a configuration copied into a temporary
//! directory, and the real `aic` binary run in it the way a user runs it.
//!
//! Every test owns its directory, so tests are independent and may run in parallel.
//! Waits poll for something a user would see (a file, a line of progress) with a
//! generous deadline that only guards against hangs; no test asserts on durations.

// Each test crate uses a different subset of these helpers.
#![allow(dead_code)]

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::thread;
use std::time::{Duration, Instant};

/// The binary under test.
pub const AIC: &str = env!("CARGO_BIN_EXE_aic");

/// How long a wait may take before the test gives up: a guard against hangs, far above
/// anything expected even on a loaded machine.
pub const HANG_GUARD: Duration = Duration::from_secs(180);

/// `tests/fixtures/e2e/NAME` of the workspace.
pub fn fixture_dir(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("..")
        .join("tests")
        .join("fixtures")
        .join("e2e")
        .join(name)
}

/// A configuration directory of one test.
pub struct Project {
    dir: tempfile::TempDir,
}

impl Project {
    /// An empty directory.
    pub fn empty() -> Self {
        let dir = tempfile::Builder::new()
            .prefix("aic-e2e-")
            .tempdir()
            .expect("create a temporary directory");
        Project { dir }
    }

    /// A copy of `tests/fixtures/e2e/NAME`.
    pub fn fixture(name: &str) -> Self {
        let p = Project::empty();
        copy_dir(&fixture_dir(name), p.path());
        p
    }

    /// A directory holding `main.aic` with `text`.
    pub fn with_main(text: &str) -> Self {
        let p = Project::empty();
        p.write("main.aic", text);
        p
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    pub fn file(&self, rel: &str) -> PathBuf {
        self.path().join(rel)
    }

    pub fn exists(&self, rel: &str) -> bool {
        self.file(rel).exists()
    }

    pub fn read(&self, rel: &str) -> String {
        fs::read_to_string(self.file(rel))
            .unwrap_or_else(|e| panic!("cannot read {rel} in {}: {e}", self.path().display()))
    }

    pub fn write(&self, rel: &str, text: &str) {
        let path = self.file(rel);
        if let Some(parent) = path.parent() {
            fs::create_dir_all(parent).expect("create parent directory");
        }
        fs::write(&path, text).unwrap_or_else(|e| panic!("cannot write {rel}: {e}"));
    }

    /// Replaces the one occurrence of `from` in `rel` by `to`, as a user editing the file.
    pub fn edit(&self, rel: &str, from: &str, to: &str) {
        let text = self.read(rel);
        assert_eq!(
            text.matches(from).count(),
            1,
            "expected `{from}` exactly once in {rel}:\n{text}"
        );
        self.write(rel, &text.replacen(from, to, 1));
    }

    /// `.aic/state/<env>.json`
    pub fn state_file(&self, env: &str) -> PathBuf {
        self.path()
            .join(".aic")
            .join("state")
            .join(format!("{env}.json"))
    }

    /// `.aic/state/<env>.lock`
    pub fn lock_file(&self, env: &str) -> PathBuf {
        self.path()
            .join(".aic")
            .join("state")
            .join(format!("{env}.lock"))
    }

    /// `.aic/state/<env>.journal`
    pub fn journal_file(&self, env: &str) -> PathBuf {
        self.path()
            .join(".aic")
            .join("state")
            .join(format!("{env}.journal"))
    }

    /// `aic ARGS` in this directory, with a clean environment: no `AIC_*` variables of
    /// the caller, no colour, a wide terminal, a known user name and no stdin.
    pub fn command(&self, args: &[&str]) -> Command {
        let mut cmd = Command::new(AIC);
        cmd.args(args).current_dir(self.path());
        for (k, _) in std::env::vars_os() {
            if k.to_string_lossy().starts_with("AIC_") {
                cmd.env_remove(k);
            }
        }
        cmd.env("NO_COLOR", "1")
            .env("COLUMNS", "200")
            .env("USER", "e2e-user")
            .stdin(Stdio::null());
        cmd
    }

    /// Runs `aic ARGS` to completion.
    pub fn aic(&self, args: &[&str]) -> Run {
        self.run(self.command(args), args)
    }

    /// Runs a prepared command to completion.
    pub fn run(&self, mut cmd: Command, args: &[&str]) -> Run {
        let out = cmd.output().expect("run aic");
        Run {
            args: args.join(" "),
            code: out.status.code(),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        }
    }

    /// Starts `aic ARGS` in the background, its output going to log files.
    pub fn spawn(&self, args: &[&str]) -> Background {
        self.spawn_cmd(self.command(args), args)
    }

    pub fn spawn_cmd(&self, mut cmd: Command, args: &[&str]) -> Background {
        let logs = tempfile::tempdir().expect("log directory");
        let out = logs.path().join("stdout");
        let err = logs.path().join("stderr");
        cmd.stdout(fs::File::create(&out).expect("stdout log"))
            .stderr(fs::File::create(&err).expect("stderr log"));
        let child = cmd.spawn().expect("start aic");
        Background {
            child: Some(child),
            args: args.join(" "),
            out,
            err,
            _logs: logs,
        }
    }

    /// `aic state list [--env ENV]`, which must succeed.
    pub fn state_list(&self, env: Option<&str>) -> Vec<String> {
        let mut args = vec!["state", "list"];
        if let Some(e) = env {
            args.extend(["--env", e]);
        }
        let run = self.aic(&args).success();
        run.stdout.lines().map(str::to_owned).collect()
    }

    /// The attributes of `addr` from `aic state show ADDR`.
    pub fn state_attributes(&self, addr: &str, env: Option<&str>) -> serde_json::Value {
        let mut args = vec!["state", "show", addr];
        if let Some(e) = env {
            args.extend(["--env", e]);
        }
        let run = self.aic(&args).success();
        let v: serde_json::Value = serde_json::from_str(&run.stdout)
            .unwrap_or_else(|e| panic!("`aic state show {addr}` is not JSON ({e}):\n{run}"));
        v.get("attributes").cloned().unwrap_or_default()
    }

    /// The names of the regular files in directory `rel` (not recursive), sorted.
    pub fn files_in(&self, rel: &str) -> Vec<String> {
        let Ok(entries) = fs::read_dir(self.file(rel)) else {
            return Vec::new();
        };
        let mut names: Vec<String> = entries
            .filter_map(Result::ok)
            .filter(|e| e.file_type().is_ok_and(|t| t.is_file()))
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        names
    }
}

fn copy_dir(from: &Path, to: &Path) {
    let entries = fs::read_dir(from)
        .unwrap_or_else(|e| panic!("cannot read fixture {}: {e}", from.display()));
    for entry in entries {
        let entry = entry.expect("fixture entry");
        let target = to.join(entry.file_name());
        if entry.file_type().expect("file type").is_dir() {
            fs::create_dir_all(&target).expect("create directory");
            copy_dir(&entry.path(), &target);
        } else {
            fs::copy(entry.path(), &target).expect("copy fixture file");
        }
    }
}

/// The outcome of one finished `aic` run.
pub struct Run {
    pub args: String,
    /// `None` when the process was ended by a signal.
    pub code: Option<i32>,
    pub stdout: String,
    pub stderr: String,
}

impl std::fmt::Display for Run {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "`aic {}` exited with {:?}\n--- stdout ---\n{}\n--- stderr ---\n{}",
            self.args, self.code, self.stdout, self.stderr
        )
    }
}

impl Run {
    /// Asserts exit code `code`.
    pub fn code(self, code: i32) -> Self {
        assert_eq!(self.code, Some(code), "unexpected exit code:\n{self}");
        self
    }

    /// Asserts exit code 0.
    pub fn success(self) -> Self {
        self.code(0)
    }

    /// Asserts exit code 1 (an error).
    pub fn failure(self) -> Self {
        self.code(1)
    }

    /// Stderr with every run of white space made one space, so that assertions do not
    /// depend on where diagnostics wrap.
    pub fn err_words(&self) -> String {
        words(&self.stderr)
    }

    /// Asserts stdout contains `needle`.
    pub fn stdout_has(self, needle: &str) -> Self {
        assert!(
            self.stdout.contains(needle),
            "stdout lacks {needle:?}:\n{self}"
        );
        self
    }

    /// Asserts stdout does not contain `needle`.
    pub fn stdout_lacks(self, needle: &str) -> Self {
        assert!(
            !self.stdout.contains(needle),
            "stdout has {needle:?}:\n{self}"
        );
        self
    }

    /// Asserts stderr contains `needle`, white space normalised on both sides.
    pub fn stderr_has(self, needle: &str) -> Self {
        assert!(
            self.err_words().contains(&words(needle)),
            "stderr lacks {needle:?}:\n{self}"
        );
        self
    }

    /// Asserts stderr does not contain `needle`, white space normalised on both sides.
    pub fn stderr_lacks(self, needle: &str) -> Self {
        assert!(
            !self.err_words().contains(&words(needle)),
            "stderr has {needle:?}:\n{self}"
        );
        self
    }

    /// The last non-empty line of stdout.
    pub fn last_line(&self) -> &str {
        self.stdout
            .lines()
            .rev()
            .find(|l| !l.trim().is_empty())
            .unwrap_or("")
    }

    /// Stdout parsed as JSON.
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.stdout)
            .unwrap_or_else(|e| panic!("stdout is not one JSON value ({e}):\n{self}"))
    }
}

/// `text` with every run of white space made one space.
pub fn words(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Polls `done` until it holds; panics with `what` after [`HANG_GUARD`].
pub fn wait_until(what: &str, mut done: impl FnMut() -> bool) {
    let start = Instant::now();
    while !done() {
        assert!(
            start.elapsed() < HANG_GUARD,
            "gave up waiting for {what} after {HANG_GUARD:?}"
        );
        thread::sleep(Duration::from_millis(10));
    }
}

/// `aic` running in the background. Killed (by its pid) if the test ends before it.
pub struct Background {
    child: Option<Child>,
    args: String,
    out: PathBuf,
    err: PathBuf,
    _logs: tempfile::TempDir,
}

impl Background {
    pub fn pid(&self) -> u32 {
        self.child.as_ref().map_or(0, Child::id)
    }

    /// What it printed on stderr so far.
    pub fn stderr_so_far(&self) -> String {
        fs::read_to_string(&self.err).unwrap_or_default()
    }

    /// Waits until its stderr contains `needle`; panics if it exits first.
    pub fn wait_for_stderr(&mut self, needle: &str) {
        let what = format!("`aic {}` to print {needle:?}", self.args);
        wait_until(&what, || {
            if self.stderr_so_far().contains(needle) {
                return true;
            }
            self.assert_running(&what);
            false
        });
    }

    /// Panics, with its output, if it has exited.
    pub fn assert_running(&mut self, waiting_for: &str) {
        let exited = self
            .child
            .as_mut()
            .and_then(|c| c.try_wait().ok().flatten());
        if let Some(status) = exited {
            panic!(
                "`aic {}` exited ({status}) while waiting for {waiting_for}\n--- stdout ---\n{}\n--- stderr ---\n{}",
                self.args,
                fs::read_to_string(&self.out).unwrap_or_default(),
                self.stderr_so_far()
            );
        }
    }

    /// Sends `signal` to the process (by its pid).
    pub fn signal(&self, signal: libc::c_int) {
        let pid = libc::pid_t::try_from(self.pid()).expect("pid fits pid_t");
        // SAFETY: kill(2) on the pid of a child this test started and has not reaped.
        let rc = unsafe { libc::kill(pid, signal) };
        assert_eq!(rc, 0, "kill({pid}, {signal}) failed");
    }

    /// Waits for it to exit and returns what it did.
    pub fn wait(mut self) -> Run {
        let status = self
            .child
            .take()
            .expect("still running")
            .wait()
            .expect("wait for aic");
        Run {
            args: self.args.clone(),
            code: status.code(),
            stdout: fs::read_to_string(&self.out).unwrap_or_default(),
            stderr: fs::read_to_string(&self.err).unwrap_or_default(),
        }
    }
}

impl Drop for Background {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// The lock id a "locked" error tells the user to pass to `aic state unlock`.
pub fn unlock_id(run: &Run) -> String {
    let text = run.err_words();
    let at = text
        .find("aic state unlock ")
        .unwrap_or_else(|| panic!("stderr does not name `aic state unlock ID`:\n{run}"));
    text[at + "aic state unlock ".len()..]
        .chars()
        .take_while(|c| c.is_ascii_hexdigit() || *c == '-')
        .collect()
}
