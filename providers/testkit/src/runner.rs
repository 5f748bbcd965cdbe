//! The one helper that runs the `aic` binary in a temporary project, for every crate's
//! end-to-end tests: a configuration directory of one test ([`Project`]), `aic` run in it
//! the way a user runs it ([`Run`]) or in the background ([`Background`]).
//!
//! The binary is the one cargo built for the test crate, named by `CARGO_BIN_EXE_aic`
//! through the [`aic!`](crate::aic) macro: never a path guessed from the target directory
//! (which may hold a stale binary), never a second build (decision record
//! `docs/decisions/0003-aic-binary-in-tests.md`). Tests that run the binary therefore live in
//! the CLI package, where cargo defines that variable.
//!
//! Every project owns its directory, so tests are independent and may run in parallel.
//! Waits poll for something a user would see (a file, a line of progress) with a generous
//! deadline that only guards against hangs; no test asserts on durations.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::thread;
use std::time::{Duration, Instant};

/// The `aic` binary cargo built for this test crate: `Aic::new(env!("CARGO_BIN_EXE_aic"))`,
/// expanded in the calling crate. Outside the package that builds `aic` the variable is
/// not defined and the test does not compile: run such tests from the CLI package.
#[macro_export]
macro_rules! aic {
    () => {
        $crate::runner::Aic::new(env!("CARGO_BIN_EXE_aic"))
    };
}

/// How long a wait may take before the test gives up: a guard against hangs, far above
/// anything expected even on a loaded machine.
pub const HANG_GUARD: Duration = Duration::from_secs(180);

/// The `aic` binary, with environment variables every run gets.
#[derive(Debug, Clone)]
pub struct Aic {
    binary: PathBuf,
    env: Vec<(String, String)>,
}

impl Aic {
    /// The binary at `binary` (use [`aic!`](crate::aic)).
    pub fn new(binary: impl Into<PathBuf>) -> Aic {
        Aic {
            binary: binary.into(),
            env: Vec::new(),
        }
    }

    /// This binary, run with `name=value` in its environment.
    #[must_use]
    pub fn env(mut self, name: &str, value: &str) -> Aic {
        self.env.push((name.to_owned(), value.to_owned()));
        self
    }

    pub fn path(&self) -> &Path {
        &self.binary
    }
}

/// A configuration directory of one test, where `aic` runs.
pub struct Project {
    dir: tempfile::TempDir,
    aic: Aic,
}

impl Project {
    /// An empty directory.
    pub fn empty(aic: &Aic) -> Project {
        let dir = tempfile::Builder::new()
            .prefix("aic-e2e-")
            .tempdir()
            .unwrap_or_else(|e| panic!("cannot create a temporary directory: {e}"));
        Project {
            dir,
            aic: aic.clone(),
        }
    }

    /// A copy of directory `from` (a fixture, an example).
    pub fn copy_of(aic: &Aic, from: &Path) -> Project {
        let p = Project::empty(aic);
        copy_dir(from, p.path());
        p
    }

    /// A directory holding `main.aic` with `text`.
    pub fn with_main(aic: &Aic, text: &str) -> Project {
        let p = Project::empty(aic);
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
            fs::create_dir_all(parent)
                .unwrap_or_else(|e| panic!("cannot create the directory of {rel}: {e}"));
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

    fn state_dir_file(&self, env: &str, extension: &str) -> PathBuf {
        self.path()
            .join(".aic")
            .join("state")
            .join(format!("{env}.{extension}"))
    }

    /// `.aic/state/<env>.json`
    pub fn state_file(&self, env: &str) -> PathBuf {
        self.state_dir_file(env, "json")
    }

    /// `.aic/state/<env>.lock`
    pub fn lock_file(&self, env: &str) -> PathBuf {
        self.state_dir_file(env, "lock")
    }

    /// `.aic/state/<env>.journal`
    pub fn journal_file(&self, env: &str) -> PathBuf {
        self.state_dir_file(env, "journal")
    }

    /// `aic ARGS` in this directory, with a clean environment: no `AIC_*` variables of
    /// the caller, no colour, a wide terminal, a known user name, no stdin, and the
    /// variables the [`Aic`] carries.
    pub fn command(&self, args: &[&str]) -> Command {
        let mut cmd = Command::new(self.aic.path());
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
        for (name, value) in &self.aic.env {
            cmd.env(name, value);
        }
        cmd
    }

    /// Runs `aic ARGS` to completion.
    pub fn aic(&self, args: &[&str]) -> Run {
        self.run(self.command(args), args)
    }

    /// Runs a prepared command to completion.
    pub fn run(&self, mut cmd: Command, args: &[&str]) -> Run {
        let out = cmd
            .output()
            .unwrap_or_else(|e| panic!("cannot run {}: {e}", self.aic.path().display()));
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
        let logs = tempfile::tempdir().unwrap_or_else(|e| panic!("no log directory: {e}"));
        let out = logs.path().join("stdout");
        let err = logs.path().join("stderr");
        let file = |path: &Path| {
            fs::File::create(path).unwrap_or_else(|e| panic!("cannot create a log: {e}"))
        };
        cmd.stdout(file(&out)).stderr(file(&err));
        let child = cmd
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {}: {e}", self.aic.path().display()));
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

/// Copies directory `from` into `to`, recursively.
pub fn copy_dir(from: &Path, to: &Path) {
    let entries =
        fs::read_dir(from).unwrap_or_else(|e| panic!("cannot read {}: {e}", from.display()));
    for entry in entries {
        let entry = entry.unwrap_or_else(|e| panic!("cannot read {}: {e}", from.display()));
        let target = to.join(entry.file_name());
        let is_dir = entry.file_type().is_ok_and(|t| t.is_dir());
        if is_dir {
            fs::create_dir_all(&target)
                .unwrap_or_else(|e| panic!("cannot create {}: {e}", target.display()));
            copy_dir(&entry.path(), &target);
        } else {
            fs::copy(entry.path(), &target)
                .unwrap_or_else(|e| panic!("cannot copy to {}: {e}", target.display()));
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
    #[track_caller]
    pub fn code(self, code: i32) -> Self {
        assert_eq!(self.code, Some(code), "unexpected exit code:\n{self}");
        self
    }

    /// Asserts exit code 0.
    #[track_caller]
    pub fn success(self) -> Self {
        self.code(0)
    }

    /// Asserts exit code 1 (an error).
    #[track_caller]
    pub fn failure(self) -> Self {
        self.code(1)
    }

    /// Stderr with every run of white space made one space, so that assertions do not
    /// depend on where diagnostics wrap.
    pub fn err_words(&self) -> String {
        words(&self.stderr)
    }

    /// Asserts stdout contains `needle`.
    #[track_caller]
    pub fn stdout_has(self, needle: &str) -> Self {
        assert!(
            self.stdout.contains(needle),
            "stdout lacks {needle:?}:\n{self}"
        );
        self
    }

    /// Asserts stdout does not contain `needle`.
    #[track_caller]
    pub fn stdout_lacks(self, needle: &str) -> Self {
        assert!(
            !self.stdout.contains(needle),
            "stdout has {needle:?}:\n{self}"
        );
        self
    }

    /// Asserts stderr contains `needle`, white space normalised on both sides.
    #[track_caller]
    pub fn stderr_has(self, needle: &str) -> Self {
        assert!(
            self.err_words().contains(&words(needle)),
            "stderr lacks {needle:?}:\n{self}"
        );
        self
    }

    /// Asserts stderr does not contain `needle`, white space normalised on both sides.
    #[track_caller]
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
        let pid = libc::pid_t::try_from(self.pid())
            .unwrap_or_else(|_| panic!("pid {} does not fit pid_t", self.pid()));
        // SAFETY: kill(2) on the pid of a child this test started and has not reaped.
        let rc = unsafe { libc::kill(pid, signal) };
        assert_eq!(rc, 0, "kill({pid}, {signal}) failed");
    }

    /// Waits for it to exit and returns what it did.
    pub fn wait(mut self) -> Run {
        let Some(mut child) = self.child.take() else {
            panic!("`aic {}` was already waited for", self.args);
        };
        let status = child
            .wait()
            .unwrap_or_else(|e| panic!("cannot wait for `aic {}`: {e}", self.args));
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
