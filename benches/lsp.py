#!/usr/bin/env python3
"""Language server benchmark (docs/performance.md, section "Language server"). Run
through benches/run.sh (`benches/run.sh lsp`), or alone: `AIC_BIN=PATH lsp.py WORKDIR`.

  One module of 1,000 resources (`null_resource`, each reading a variable and the
  previous resource) in one file. `aic lsp` is started, the file opened, and then it is
  edited RUNS x 10 times as an editor does (a full-text `didChange` changing one
  attribute, alternately valid and misspelled). Measured: the time from writing each
  `didChange` to reading the `publishDiagnostics` it produced (the server's 20 ms
  debounce included), and whether the diagnostics are right (none for a valid edit; one
  "did you mean" for a misspelled one).

Usage: lsp.py WORKDIR
"""

import json
import os
import statistics
import subprocess
import sys
import time

from common import AIC, RUNS, fresh_dir, log, table, write

RESOURCES = 1000


def module(edit):
    out = ['variable name: string = "bench"\n']
    for i in range(RESOURCES):
        prev = f", prev = null_resource.r{i - 1}.id" if i else ""
        attr = "triggerz" if edit == "typo" and i == RESOURCES // 2 else "triggers"
        out.append(
            f"resource null_resource r{i} {{\n"
            f'  {attr} = {{ name = var.name, index = "{edit}{i}"{prev} }}\n}}\n'
        )
    return "\n".join(out)


class Server:
    def __init__(self, cwd):
        self.p = subprocess.Popen([AIC, "lsp"], cwd=cwd, stdin=subprocess.PIPE,
                                  stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
        self.next_id = 1

    def send(self, msg):
        body = json.dumps(msg).encode()
        self.p.stdin.write(b"Content-Length: %d\r\n\r\n" % len(body) + body)
        self.p.stdin.flush()

    def read(self):
        length = None
        while True:
            line = self.p.stdout.readline()
            if not line:
                raise RuntimeError("aic lsp closed its output")
            line = line.strip()
            if not line:
                break
            if line.startswith(b"Content-Length:"):
                length = int(line.split(b":")[1])
        return json.loads(self.p.stdout.read(length))

    def request(self, method, params):
        rid = self.next_id
        self.next_id += 1
        self.send({"jsonrpc": "2.0", "id": rid, "method": method, "params": params})
        while True:
            msg = self.read()
            if msg.get("id") == rid:
                return msg

    def notify(self, method, params):
        self.send({"jsonrpc": "2.0", "method": method, "params": params})

    def diagnostics(self, uri):
        while True:
            msg = self.read()
            if msg.get("method") == "textDocument/publishDiagnostics" and msg["params"]["uri"] == uri:
                return msg["params"]["diagnostics"]


def main():
    work = sys.argv[1]
    d = fresh_dir(work, "lsp1000")
    path = os.path.join(d, "main.aic")
    write(path, module("v"))
    uri = "file://" + os.path.realpath(path)
    s = Server(d)
    s.request("initialize", {"processId": None, "rootUri": "file://" + os.path.realpath(d),
                             "capabilities": {}})
    s.notify("initialized", {})
    start = time.perf_counter()
    s.notify("textDocument/didOpen", {"textDocument": {
        "uri": uri, "languageId": "aic", "version": 1, "text": module("v")}})
    first = s.diagnostics(uri)
    opened = time.perf_counter() - start
    assert first == [], first
    times = {"valid": [], "typo": []}
    wrong = 0
    for n in range(RUNS * 10):
        kind = "typo" if n % 2 else "valid"
        text = module(kind if kind == "typo" else f"v{n}-")
        start = time.perf_counter()
        s.notify("textDocument/didChange", {"textDocument": {"uri": uri, "version": n + 2},
                                            "contentChanges": [{"text": text}]})
        diags = s.diagnostics(uri)
        times[kind].append(time.perf_counter() - start)
        ok = (diags == []) if kind == "valid" else (
            len(diags) == 1 and "Did you mean `triggers`?" in diags[0]["message"])
        wrong += 0 if ok else 1
    s.request("shutdown", None)
    s.notify("exit", None)
    s.p.wait(timeout=30)
    log(f"lsp: opened in {opened * 1000:.0f} ms; {wrong} wrong diagnostics")

    def ms(xs):
        xs = sorted(xs)
        p95 = xs[min(len(xs) - 1, int(round(0.95 * (len(xs) - 1))))]
        return f"{statistics.median(xs) * 1000:.0f} ms (p95 {p95 * 1000:.0f} ms, max {xs[-1] * 1000:.0f} ms)"

    print("### Language server: diagnostics after an edit, 1,000 resources\n")
    print(table(["edit", "edits", "didChange → publishDiagnostics", "diagnostics right"], [
        ["valid (no diagnostics)", str(len(times["valid"])), ms(times["valid"]), "yes" if wrong == 0 else f"{wrong} wrong"],
        ["misspelled attribute (1 diagnostic)", str(len(times["typo"])), ms(times["typo"]), "yes" if wrong == 0 else f"{wrong} wrong"],
    ]))
    print(f"\nFirst diagnostics after didOpen: {opened * 1000:.0f} ms.\n")
    sys.exit(1 if wrong else 0)


if __name__ == "__main__":
    main()
