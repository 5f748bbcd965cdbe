// The language client of extension.js, run outside VS Code: `vscode` is replaced by a
// small stand-in (test/support/vscode-stub.js) and `aic` by a fake server
// (test/support/fake-aic.js) that answers the LSP handshake over stdio and logs what it
// was run with. The real vscode-languageclient spawns it, so this checks what a user
// relies on: the `aic.path` binary is started as `aic lsp` with `aic.server.args`, the
// handshake completes over stdio, the restart command and setting changes restart it,
// `aic.server.enabled = false` stops it, and a missing binary is reported.
'use strict';

const test = require('node:test');
const assert = require('node:assert');
const fs = require('fs');
const os = require('os');
const path = require('path');
const Module = require('module');

const EXT = path.resolve(__dirname, '..');
const FAKE = path.join(__dirname, 'support/fake-aic.js');

const stub = require('./support/vscode-stub').create({ workspace: EXT });
const resolve = Module._resolveFilename;
Module._resolveFilename = function (request, ...rest) {
  return request === 'vscode' ? 'vscode' : resolve.call(this, request, ...rest);
};
require.cache.vscode = { id: 'vscode', filename: 'vscode', loaded: true, exports: stub.vscode };

let extension;
try {
  extension = require('../extension.js');
} catch (e) {
  throw new Error(
    `extension.js did not load (${e.message}); run \`npm ci --ignore-scripts\` in editors/vscode`,
  );
}

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'aic-client-test-'));
const LOG = path.join(dir, 'events.jsonl');
process.env.AIC_FAKE_LOG = LOG;

function events() {
  if (!fs.existsSync(LOG)) return [];
  return fs.readFileSync(LOG, 'utf8').trim().split('\n').filter(Boolean).map((l) => JSON.parse(l));
}

async function until(what, cond, ms = 10000) {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    const v = cond();
    if (v) return v;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`timed out waiting for ${what}; events: ${JSON.stringify(events())}`);
}

const starts = () => events().filter((e) => e.argv);
const methodsOf = (pid) => events().filter((e) => e.pid === pid && e.method).map((e) => e.method);
const alive = (pid) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

// The LSP way to stop: a `shutdown` request, then the `exit` notification.
function assertShutDown(pid) {
  const m = methodsOf(pid);
  assert.ok(m.includes('shutdown'), `no shutdown request: ${m}`);
  assert.strictEqual(m[m.length - 1], 'exit', `exit is not the last message: ${m}`);
}

const context = { subscriptions: [] };

test('aic.path is started as `aic lsp` with aic.server.args, over stdio', async () => {
  stub.state.settings['aic.path'] = FAKE;
  stub.state.settings['aic.server.args'] = ['--log-level', 'debug'];
  await extension.activate(context);
  const [first] = await until('the server to start', () => starts());
  assert.deepStrictEqual(first.argv, ['lsp', '--log-level', 'debug']);
  await until('initialize and initialized', () => methodsOf(first.pid).includes('initialized'));
  assert.deepStrictEqual(methodsOf(first.pid).slice(0, 2), ['initialize', 'initialized']);
  assert.ok(extension._client().isRunning(), 'the client should be running');
});

test('changing aic.path restarts the server; a relative path is taken from the workspace', async () => {
  const [old] = starts();
  stub.state.change({ 'aic.path': path.relative(EXT, FAKE), 'aic.server.args': [] });
  const second = await until('a second server', () => starts()[1]);
  assert.deepStrictEqual(second.argv, ['lsp']);
  await until('the old server to shut down', () => !alive(old.pid));
  assertShutDown(old.pid);
  await until('the new handshake', () => methodsOf(second.pid).includes('initialized'));
});

test('the aic.restartServer command restarts the server', async () => {
  assert.ok(stub.state.commands.has('aic.restartServer'), 'the command is registered');
  const before = starts().length;
  await stub.state.commands.get('aic.restartServer')();
  const next = await until('a restarted server', () => starts()[before]);
  await until('its handshake', () => methodsOf(next.pid).includes('initialized'));
  const previous = starts()[before - 1];
  await until('the previous server to exit', () => !alive(previous.pid));
});

test('aic.server.enabled = false stops the server and starts none', async () => {
  const before = starts();
  const last = before[before.length - 1];
  stub.state.change({ 'aic.server.enabled': false });
  await until('the server to stop', () => !alive(last.pid));
  await new Promise((r) => setTimeout(r, 300));
  assert.strictEqual(starts().length, before.length, 'no server may start while disabled');
  assert.strictEqual(extension._client(), null);
  assert.match(stub.state.output.join(''), /aic\.server\.enabled is off/);
});

test('a missing aic binary is reported, naming the setting', async () => {
  stub.state.change({ 'aic.server.enabled': true, 'aic.path': path.join(dir, 'no-such-aic') });
  const msg = await until('an error message', () => stub.state.errors.find((e) => e.startsWith('aic:')));
  assert.match(msg, /no-such-aic lsp` was not found/);
  assert.match(msg, /aic\.path/);
});

test('deactivate stops a running server', async () => {
  stub.state.change({ 'aic.path': FAKE });
  const count = starts().length;
  const s = await until('a server', () => starts()[count]);
  await until('its handshake', () => methodsOf(s.pid).includes('initialized'));
  await extension.deactivate();
  await until('it to exit', () => !alive(s.pid));
  assertShutDown(s.pid);
  for (const d of context.subscriptions) d.dispose();
  fs.rmSync(dir, { recursive: true, force: true });
});

test('serverCommand expands ~ and relative paths, and keeps bare names for PATH', () => {
  const cfg = (s) => ({ get: (k) => s[k] });
  assert.deepStrictEqual(extension.serverCommand(cfg({}), '/ws'), { command: 'aic', args: ['lsp'] });
  assert.strictEqual(extension.serverCommand(cfg({ path: 'aic-dev' }), '/ws').command, 'aic-dev');
  assert.strictEqual(
    extension.serverCommand(cfg({ path: './target/debug/aic' }), '/ws').command,
    '/ws/target/debug/aic',
  );
  assert.strictEqual(
    extension.serverCommand(cfg({ path: '~/bin/aic' }), '/ws').command,
    path.join(os.homedir(), 'bin/aic'),
  );
  assert.strictEqual(
    extension.serverCommand(cfg({ path: '${workspaceFolder}/bin/aic' }), '/ws').command,
    '/ws/bin/aic',
  );
  assert.deepStrictEqual(extension.serverCommand(cfg({ 'server.args': ['-v'] }), '/ws').args, ['lsp', '-v']);
});
