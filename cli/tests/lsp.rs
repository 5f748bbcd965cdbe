//! `aic lsp` driven as an editor drives it: a JSON-RPC client spawns the real binary,
//! opens and edits files of a configuration directory, and asks for what an editor user
//! sees — diagnostics as they type, hover, definition, references, completion, rename,
//! quick fixes, formatting and the outline — then shuts it down.

use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc::{channel, Receiver, RecvTimeoutError};
use std::time::{Duration, Instant};

use serde_json::{json, Value};

const MAIN: &str = r#"variable prefix: string = "app" {
  description = "Name prefix of every file"
}

environment staging {
  region = "eu-west-1"
}

environment production {
  region    = "us-east-1"
  protected = true
}

let name = "${var.prefix}-${env.region}"

resource local_file config {
  filename = "out/${name}.txt"
  content  = upper(name)
}

module naming {
  source = "./modules/naming"
  base   = var.prefix
}

output path  = local_file.config.filename
output label = module.naming.full
"#;

const NAMING: &str = r#"variable base: string

output full = "${var.base}-named"
"#;

struct Server {
    child: Child,
    stdin: ChildStdin,
    incoming: Receiver<Value>,
    next_id: i64,
    /// Notifications received while waiting for something else.
    pending: Vec<Value>,
}

fn read_message(reader: &mut impl BufRead) -> Option<Value> {
    let mut length = None;
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).ok()? == 0 {
            return None;
        }
        let line = line.trim_end();
        if line.is_empty() {
            break;
        }
        if let Some(v) = line.strip_prefix("Content-Length: ") {
            length = v.parse::<usize>().ok();
        }
    }
    let mut body = vec![0; length?];
    reader.read_exact(&mut body).ok()?;
    serde_json::from_slice(&body).ok()
}

impl Server {
    fn start(dir: &Path) -> Server {
        let mut child = Command::new(env!("CARGO_BIN_EXE_aic"))
            .arg("lsp")
            .current_dir(dir)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("aic lsp starts");
        let stdin = child.stdin.take().unwrap();
        let stdout = child.stdout.take().unwrap();
        let (tx, incoming) = channel();
        std::thread::spawn(move || {
            let mut reader = BufReader::new(stdout);
            while let Some(msg) = read_message(&mut reader) {
                if tx.send(msg).is_err() {
                    break;
                }
            }
        });
        Server {
            child,
            stdin,
            incoming,
            next_id: 1,
            pending: Vec::new(),
        }
    }

    fn send(&mut self, msg: Value) {
        let body = msg.to_string();
        write!(self.stdin, "Content-Length: {}\r\n\r\n{body}", body.len()).unwrap();
        self.stdin.flush().unwrap();
    }

    fn notify(&mut self, method: &str, params: Value) {
        self.send(json!({"jsonrpc": "2.0", "method": method, "params": params}));
    }

    fn next(&mut self, deadline: Instant) -> Value {
        match self
            .incoming
            .recv_timeout(deadline.saturating_duration_since(Instant::now()))
        {
            Ok(v) => v,
            Err(RecvTimeoutError::Timeout) => panic!("no message from aic lsp in time"),
            Err(RecvTimeoutError::Disconnected) => panic!("aic lsp closed its output"),
        }
    }

    /// Sends a request and returns its response (`result` or `error`).
    fn call(&mut self, method: &str, params: Value) -> Value {
        let id = self.next_id;
        self.next_id += 1;
        self.send(json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params}));
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            let msg = self.next(deadline);
            if msg.get("id") == Some(&json!(id)) {
                return msg;
            }
            self.pending.push(msg);
        }
    }

    fn result(&mut self, method: &str, params: Value) -> Value {
        let r = self.call(method, params);
        assert!(r.get("error").is_none(), "{method} failed: {r}");
        r["result"].clone()
    }

    /// The next diagnostics published for `uri` that satisfy `want`.
    fn diagnostics(&mut self, uri: &str, want: impl Fn(&[Value]) -> bool) -> Vec<Value> {
        let deadline = Instant::now() + Duration::from_secs(60);
        let mut seen = Vec::new();
        loop {
            let msg = if self.pending.is_empty() {
                self.next(deadline)
            } else {
                self.pending.remove(0)
            };
            if msg["method"] == "textDocument/publishDiagnostics" && msg["params"]["uri"] == uri {
                let diags = msg["params"]["diagnostics"]
                    .as_array()
                    .cloned()
                    .unwrap_or_default();
                if want(&diags) {
                    return diags;
                }
                seen.push(diags);
            }
            assert!(
                Instant::now() < deadline,
                "the wanted diagnostics never came; got {seen:?}"
            );
        }
    }
}

fn uri(path: &Path) -> String {
    format!("file://{}", path.canonicalize().unwrap().display())
}

fn pos(text: &str, needle: &str, within: usize) -> Value {
    let at = text
        .find(needle)
        .unwrap_or_else(|| panic!("{needle:?} not in text"))
        + within;
    let line = text[..at].matches('\n').count();
    let col = at - text[..at].rfind('\n').map_or(0, |i| i + 1);
    json!({"line": line, "character": col})
}

fn at(uri: &str, text: &str, needle: &str, within: usize) -> Value {
    json!({"textDocument": {"uri": uri}, "position": pos(text, needle, within)})
}

fn hover_text(server: &mut Server, uri: &str, text: &str, needle: &str, within: usize) -> String {
    let r = server.result("textDocument/hover", at(uri, text, needle, within));
    r["contents"]["value"].as_str().unwrap_or("").to_string()
}

/// Applies the edits of a workspace edit for `uri` to `text`.
fn apply(text: &str, edit: &Value, uri: &str) -> String {
    let mut edits: Vec<(usize, usize, String)> = edit["changes"][uri]
        .as_array()
        .unwrap_or(&Vec::new())
        .iter()
        .map(|e| {
            let off = |p: &Value| {
                let line = p["line"].as_u64().unwrap() as usize;
                let ch = p["character"].as_u64().unwrap() as usize;
                let start: usize = text.split_inclusive('\n').take(line).map(str::len).sum();
                start + ch
            };
            (
                off(&e["range"]["start"]),
                off(&e["range"]["end"]),
                e["newText"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    edits.sort_by_key(|e| std::cmp::Reverse(e.0));
    let mut out = text.to_string();
    for (s, e, t) in edits {
        out.replace_range(s..e, &t);
    }
    out
}

fn workspace() -> (tempfile::TempDir, PathBuf) {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("config");
    std::fs::create_dir_all(dir.join("modules/naming")).unwrap();
    std::fs::write(dir.join("main.aic"), MAIN).unwrap();
    std::fs::write(dir.join("modules/naming/main.aic"), NAMING).unwrap();
    (tmp, dir)
}

#[test]
fn an_editor_session_with_aic_lsp() {
    let (_tmp, dir) = workspace();
    let main = uri(&dir.join("main.aic"));
    let naming = uri(&dir.join("modules/naming/main.aic"));
    let mut s = Server::start(&dir);

    let init = s.result(
        "initialize",
        json!({"processId": null, "rootUri": uri(&dir), "capabilities": {}}),
    );
    let caps = &init["capabilities"];
    for cap in [
        "hoverProvider",
        "definitionProvider",
        "referencesProvider",
        "completionProvider",
        "renameProvider",
        "codeActionProvider",
        "documentFormattingProvider",
        "documentSymbolProvider",
    ] {
        assert!(!caps[cap].is_null(), "{cap} not announced: {caps}");
    }
    s.notify("initialized", json!({}));

    // Open: a valid configuration has no diagnostics.
    s.notify(
        "textDocument/didOpen",
        json!({"textDocument": {"uri": main, "languageId": "aic", "version": 1, "text": MAIN}}),
    );
    s.diagnostics(&main, |d| d.is_empty());

    // A misspelled attribute: the same code and place as `aic validate`, and a quick fix.
    let typo = MAIN.replace("content  = upper(name)", "contnet  = upper(name)");
    s.notify(
        "textDocument/didChange",
        json!({"textDocument": {"uri": main, "version": 2}, "contentChanges": [{"text": typo}]}),
    );
    let diags = s.diagnostics(&main, |d| !d.is_empty());
    let validate = Command::new(env!("CARGO_BIN_EXE_aic"))
        .args(["validate", "--json"])
        .current_dir({
            std::fs::write(dir.join("main.aic"), &typo).unwrap();
            &dir
        })
        .output()
        .unwrap();
    std::fs::write(dir.join("main.aic"), MAIN).unwrap();
    let cli: Value = serde_json::from_slice(&validate.stdout).unwrap();
    let cli_codes: Vec<&str> = cli
        .as_array()
        .or_else(|| cli["diagnostics"].as_array())
        .unwrap()
        .iter()
        .map(|d| d["code"].as_str().unwrap())
        .collect();
    let lsp_codes: Vec<&str> = diags.iter().map(|d| d["code"].as_str().unwrap()).collect();
    assert_eq!(lsp_codes, cli_codes, "{diags:?}");
    let d = &diags[0];
    assert_eq!(d["range"]["start"], pos(&typo, "contnet", 0));
    assert_eq!(d["range"]["end"], pos(&typo, "contnet", 7));
    assert!(
        d["message"]
            .as_str()
            .unwrap()
            .contains("Did you mean `content`?"),
        "{d}"
    );
    let actions = s.result(
        "textDocument/codeAction",
        json!({"textDocument": {"uri": main}, "range": d["range"], "context": {"diagnostics": [d]}}),
    );
    let fix = actions
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["kind"] == "quickfix")
        .unwrap_or_else(|| panic!("no quick fix in {actions}"));
    assert_eq!(fix["title"], "Replace with `content`");
    let fixed = apply(&typo, &fix["edit"], &main);
    assert_eq!(fixed, MAIN);
    s.notify(
        "textDocument/didChange",
        json!({"textDocument": {"uri": main, "version": 3}, "contentChanges": [{"text": fixed}]}),
    );
    s.diagnostics(&main, |d| d.is_empty());

    // Hover: a variable (type, default, description), a function, a resource type and
    // attribute from the provider schema, `env.*` per environment, a module output.
    let h = hover_text(&mut s, &main, MAIN, "var.prefix}", 5);
    assert!(h.contains("variable prefix: string = \"app\""), "{h}");
    assert!(h.contains("Name prefix of every file"), "{h}");
    let h = hover_text(&mut s, &main, MAIN, "upper(", 1);
    assert!(h.contains("upper(") && h.contains("-> string"), "{h}");
    let h = hover_text(&mut s, &main, MAIN, "local_file config", 2);
    assert!(
        h.contains("resource `local_file`") && h.contains("`filename`"),
        "{h}"
    );
    let h = hover_text(&mut s, &main, MAIN, "filename = ", 1);
    assert!(h.contains("`filename`: `string` (required"), "{h}");
    let h = hover_text(&mut s, &main, MAIN, "env.region", 5);
    assert!(h.contains("`staging`: `\"eu-west-1\"`"), "{h}");
    assert!(h.contains("`production`: `\"us-east-1\"`"), "{h}");

    // Definition: a let, a module output into the module's file, the module's source.
    let d = s.result("textDocument/definition", at(&main, MAIN, "upper(name)", 7));
    assert_eq!(d[0]["uri"], main.as_str());
    assert_eq!(d[0]["range"]["start"], pos(MAIN, "let name", 4));
    let d = s.result("textDocument/definition", at(&main, MAIN, "naming.full", 8));
    assert_eq!(d[0]["uri"], naming.as_str());
    assert_eq!(d[0]["range"]["start"], pos(NAMING, "output full", 7));
    let d = s.result(
        "textDocument/definition",
        at(&main, MAIN, "local_file.config.filename", 12),
    );
    assert_eq!(d[0]["range"]["start"], pos(MAIN, "config {", 0));
    let d = s.result("textDocument/definition", at(&main, MAIN, "env.region", 5));
    assert_eq!(d.as_array().unwrap().len(), 2, "both environments: {d}");

    // References of a variable: its declaration and its two uses.
    let r = s.result(
        "textDocument/references",
        json!({"textDocument": {"uri": main}, "position": pos(MAIN, "variable prefix", 9),
               "context": {"includeDeclaration": true}}),
    );
    let lines: Vec<u64> = r
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["range"]["start"]["line"].as_u64().unwrap())
        .collect();
    assert_eq!(lines, vec![0, 13, 22], "{r}");

    // Completion: attribute names of the resource's schema, required first with types;
    // `var.`, `env.` and module outputs.
    let editing = MAIN.replace(
        "  content  = upper(name)\n",
        "  content  = upper(name)\n  \n",
    );
    s.notify(
        "textDocument/didChange",
        json!({"textDocument": {"uri": main, "version": 4}, "contentChanges": [{"text": editing}]}),
    );
    let c = s.result(
        "textDocument/completion",
        json!({"textDocument": {"uri": main}, "position": pos(&editing, "upper(name)\n  \n", 14)}),
    );
    let mut items = c.as_array().unwrap().clone();
    items.sort_by_key(|i| i["sortText"].as_str().unwrap_or("").to_string());
    assert_eq!(items[0]["label"], "filename", "{items:?}");
    assert!(items[0]["detail"]
        .as_str()
        .unwrap()
        .contains("string (required)"));
    assert!(
        items.iter().any(|i| i["label"] == "file_permission"),
        "{items:?}"
    );
    assert!(
        !items.iter().any(|i| i["label"] == "id"),
        "computed `id` offered: {items:?}"
    );
    let complete = |s: &mut Server, text: &str, needle: &str| -> Vec<String> {
        s.notify(
            "textDocument/didChange",
            json!({"textDocument": {"uri": main, "version": 5}, "contentChanges": [{"text": text}]}),
        );
        let c = s.result(
            "textDocument/completion",
            json!({"textDocument": {"uri": main}, "position": pos(text, needle, needle.len())}),
        );
        c.as_array()
            .unwrap()
            .iter()
            .map(|i| i["label"].as_str().unwrap().to_string())
            .collect()
    };
    let t = format!("{MAIN}output x = var.");
    assert_eq!(complete(&mut s, &t, "output x = var."), vec!["prefix"]);
    let t = format!("{MAIN}output x = env.");
    assert_eq!(
        complete(&mut s, &t, "output x = env."),
        vec!["name", "region", "protected"]
    );
    let t = format!("{MAIN}output x = module.naming.");
    assert_eq!(
        complete(&mut s, &t, "output x = module.naming."),
        vec!["full"]
    );
    let t = format!("{MAIN}output x = jsonen");
    assert!(complete(&mut s, &t, "output x = jsonen").contains(&"jsonencode".to_string()));

    // While a file is mid-edit (a syntax error), the error shows and navigation keeps
    // working from the last good analysis.
    let broken = format!("{MAIN}output oops = (\n");
    s.notify(
        "textDocument/didChange",
        json!({"textDocument": {"uri": main, "version": 9}, "contentChanges": [{"text": broken}]}),
    );
    let diags = s.diagnostics(&main, |d| !d.is_empty());
    assert!(
        diags[0]["code"].as_str().unwrap().starts_with("E01"),
        "{diags:?}"
    );
    let h = hover_text(&mut s, &main, &broken, "var.prefix}", 5);
    assert!(h.contains("variable prefix"), "{h}");

    // Back to the saved text.
    s.notify(
        "textDocument/didChange",
        json!({"textDocument": {"uri": main, "version": 10}, "contentChanges": [{"text": MAIN}]}),
    );
    s.diagnostics(&main, |d| d.is_empty());

    // Rename a let: its declaration and every use.
    let edit = s.result(
        "textDocument/rename",
        json!({"textDocument": {"uri": main}, "position": pos(MAIN, "let name", 4), "newName": "stem"}),
    );
    let renamed = apply(MAIN, &edit, &main);
    assert!(
        renamed.contains("let stem = ")
            && renamed.contains("out/${stem}.txt")
            && renamed.contains("upper(stem)")
    );
    assert!(
        !renamed.contains("name}") && !renamed.contains("(name)"),
        "{renamed}"
    );
    // A variable of a called module: the argument in the caller follows.
    s.notify(
        "textDocument/didOpen",
        json!({"textDocument": {"uri": naming, "languageId": "aic", "version": 1, "text": NAMING}}),
    );
    let edit = s.result(
        "textDocument/rename",
        json!({"textDocument": {"uri": naming}, "position": pos(NAMING, "var.base", 5), "newName": "root"}),
    );
    assert_eq!(
        apply(NAMING, &edit, &naming),
        NAMING.replace("base", "root")
    );
    assert!(apply(MAIN, &edit, &main).contains("  root   = var.prefix"));
    // A resource: the references follow and a `moved` block keeps its state.
    let edit = s.result(
        "textDocument/rename",
        json!({"textDocument": {"uri": main}, "position": pos(MAIN, "config {", 1), "newName": "settings"}),
    );
    let renamed = apply(MAIN, &edit, &main);
    assert!(renamed.contains("resource local_file settings {"));
    assert!(renamed.contains("output path  = local_file.settings.filename"));
    assert!(
        renamed.contains("moved {\n  from = local_file.config\n  to   = local_file.settings\n}\n"),
        "{renamed}"
    );
    // Renamed by hand: a code action records the rename in a `moved` block.
    let by_hand = MAIN.replace("local_file config {", "local_file conf {");
    s.notify(
        "textDocument/didChange",
        json!({"textDocument": {"uri": main, "version": 11}, "contentChanges": [{"text": by_hand}]}),
    );
    let actions = s.result(
        "textDocument/codeAction",
        json!({"textDocument": {"uri": main}, "range": {"start": pos(&by_hand, "conf {", 1), "end": pos(&by_hand, "conf {", 1)}, "context": {"diagnostics": []}}),
    );
    let moved = actions
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["title"].as_str().unwrap_or("").contains("moved"))
        .unwrap_or_else(|| panic!("no moved action in {actions}"));
    let recorded = apply(&by_hand, &moved["edit"], &main);
    assert!(recorded.contains("local_file.conf.filename"), "{recorded}");
    assert!(recorded.contains("from = local_file.config\n  to   = local_file.conf"));

    // Formatting: what `aic fmt` writes.
    let messy = MAIN
        .replace("  filename = ", "  filename=")
        .replace("output path  = ", "output path = ");
    s.notify(
        "textDocument/didChange",
        json!({"textDocument": {"uri": main, "version": 12}, "contentChanges": [{"text": messy}]}),
    );
    let edits = s.result(
        "textDocument/formatting",
        json!({"textDocument": {"uri": main}, "options": {"tabSize": 2, "insertSpaces": true}}),
    );
    let formatted = apply(&messy, &json!({"changes": {main.clone(): edits}}), &main);
    let scratch = dir.join("scratch");
    std::fs::create_dir_all(&scratch).unwrap();
    std::fs::write(scratch.join("x.aic"), &messy).unwrap();
    let fmt = Command::new(env!("CARGO_BIN_EXE_aic"))
        .args(["fmt", "x.aic"])
        .current_dir(&scratch)
        .output()
        .unwrap();
    assert!(fmt.status.success());
    assert_eq!(
        formatted,
        std::fs::read_to_string(scratch.join("x.aic")).unwrap()
    );
    assert_ne!(formatted, messy);

    // The outline.
    let symbols = s.result(
        "textDocument/documentSymbol",
        json!({"textDocument": {"uri": main}}),
    );
    let names: Vec<&str> = symbols
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        vec![
            "prefix",
            "staging",
            "production",
            "name",
            "local_file.config",
            "module.naming",
            "path",
            "label"
        ]
    );

    // Shutdown and exit: the process ends cleanly.
    s.result("shutdown", Value::Null);
    s.notify("exit", Value::Null);
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        if let Some(status) = s.child.try_wait().unwrap() {
            assert!(status.success(), "aic lsp exited with {status}");
            break;
        }
        assert!(Instant::now() < deadline, "aic lsp did not exit");
        std::thread::sleep(Duration::from_millis(20));
    }
}
