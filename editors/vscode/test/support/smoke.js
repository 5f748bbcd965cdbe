#!/usr/bin/env node
// Runs an unpacked extension (the `extension/` folder of a .vsix) outside VS Code with
// the stand-in `vscode` module: activates it with `aic.path` set to the fake server,
// waits for the LSP handshake, deactivates it and waits for the server's shutdown and
// exit. Proves that the packaged client loads with the dependencies packaged with it.
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

async function until(what, cond) {
  const end = Date.now() + 10000;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}: ${methods()}`);
    await new Promise((r) => setTimeout(r, 25));
  }
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
  fs.rmSync(tmp, { recursive: true, force: true });
})().catch((e) => {
  console.error(`packaged extension: ${e.stack || e}`);
  process.exit(1);
});
