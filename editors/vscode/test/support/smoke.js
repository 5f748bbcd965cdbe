#!/usr/bin/env node
// Runs an unpacked extension (the `extension/` folder of a .vsix) outside VS Code with
// the stand-in `vscode` module: activates it with `aic.path` set to the fake server,
// waits for the LSP handshake, deactivates it and waits for the server's shutdown and
// exit. Proves that the packaged client loads with the dependencies packaged with it.
// With AIC_BIN set to an `aic` binary, the packaged extension then runs the real
// `aic lsp` on a copy of examples/platform as a newcomer would: main.aic opens clean, hover
// on a variable shows its description, a resource typed in with a misspelt attribute puts
// E0230 on that line in the Problems view (the client's diagnostic collection), and hover
// on its type shows the type's documentation.
//   node test/support/smoke.js DIR
'use strict';

const fs = require('fs');
const os = require('os');
const path = require('path');
const Module = require('module');

const dir = path.resolve(process.argv[2]);
const stub = require('./vscode-stub').create({
  workspace: dir,
  settings: { 'aic.path': path.join(__dirname, 'fake-aic.js') },
});
const resolve = Module._resolveFilename;
Module._resolveFilename = function (request, ...rest) {
  return request === 'vscode' ? 'vscode' : resolve.call(this, request, ...rest);
};
require.cache.vscode = { id: 'vscode', filename: 'vscode', loaded: true, exports: stub.vscode };

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'aic-smoke-'));
const log = path.join(tmp, 'events.jsonl');
process.env.AIC_FAKE_LOG = log;
const methods = () =>
  fs.existsSync(log)
    ? fs.readFileSync(log, 'utf8').trim().split('\n').map((l) => JSON.parse(l)).map((e) => e.method || `argv:${e.argv}`)
    : [];

async function until(what, cond, ms = 10000) {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}: ${methods()}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

function check(ok, what) {
  if (!ok) throw new Error(what);
}

async function realServer(ext, aic) {
  const repo = path.resolve(__dirname, '../../../..');
  const work = path.join(tmp, 'platform');
  fs.cpSync(path.join(repo, 'examples/platform'), work, { recursive: true });
  stub.state.settings['aic.path'] = path.resolve(aic);
  await ext.activate({ subscriptions: [] });
  const client = ext._client();
  check(client && client.isRunning(), `the real server did not start: ${stub.state.output.join('')}`);

  const file = path.join(work, 'main.aic');
  const uri = `file://${file}`;
  const lines = fs.readFileSync(file, 'utf8').split('\n');
  const variable = lines.findIndex((l) => l.startsWith('variable release'));
  check(variable >= 0, `${file} no longer declares \`variable release\``);
  const seen = () => stub.state.diagnostics.get(uri);
  const show = () => JSON.stringify(seen());
  const hoverAt = async (line, character) => {
    const hover = await client.sendRequest('textDocument/hover', { textDocument: { uri }, position: { line, character } });
    return JSON.stringify(hover && hover.contents);
  };
  await client.sendNotification('textDocument/didOpen', {
    textDocument: { uri, languageId: 'aic', version: 1, text: lines.join('\n') },
  });
  await until('diagnostics for the opened file', () => seen() !== undefined, 30000);
  check(seen().length === 0, `examples/platform/main.aic should open clean, got ${show()}`);
  const described = await hoverAt(variable, 'variable re'.length);
  check(/the platform release being rolled out/.test(described), `hover on var release showed ${described}`);

  // The newcomer adds a resource and misspells an attribute.
  const at = lines.length;
  const edited = [...lines, 'resource local_file note {', '  filename = "note.txt"', '  contnet  = "x"', '}', ''];
  await client.sendNotification('textDocument/didChange', {
    textDocument: { uri, version: 2 },
    contentChanges: [{ text: edited.join('\n') }],
  });
  await until('E0230 for the misspelt attribute', () => (seen() || []).some((d) => d.code === 'E0230'), 30000);
  const typo = seen().find((d) => d.code === 'E0230');
  check(typo.range.start.line === at + 2, `E0230 points at line ${typo.range.start.line}, not ${at + 2}: ${show()}`);
  check(typo.severity === stub.vscode.DiagnosticSeverity.Error, `E0230 is not an error: ${show()}`);
  const docs = await hoverAt(at, 'resource loc'.length);
  check(/resource `local_file`/.test(docs) && /filename/.test(docs), `hover on local_file showed ${docs}`);
  await ext.deactivate();
  console.log(
    `packaged extension with ${aic}: examples/platform opened clean, hover showed var.release and local_file, ` +
      `the typo showed as E0230 on line ${at + 3}: ${typo.message.split('\\n')[0]}`,
  );
}

(async () => {
  const ext = require(path.join(dir, 'extension.js'));
  const resolved = require.resolve('vscode-languageclient/node', { paths: [dir] });
  if (!resolved.startsWith(dir)) throw new Error(`the client was loaded from ${resolved}, not the package`);
  await ext.activate({ subscriptions: [] });
  await until('the handshake', () => methods().includes('initialized'));
  await ext.deactivate();
  await until('exit', () => methods().includes('exit'));
  console.log(`packaged extension: started \`aic lsp\`, handshake and shutdown done (${methods().join(', ')})`);
  if (process.env.AIC_BIN) await realServer(ext, process.env.AIC_BIN);
  else console.log('packaged extension: AIC_BIN is not set, so it was not run against a real `aic lsp`');
  fs.rmSync(tmp, { recursive: true, force: true });
})().catch((e) => {
  console.error(`packaged extension: ${e.stack || e}`);
  process.exit(1);
});
