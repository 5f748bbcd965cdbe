#!/usr/bin/env node
// A stand-in for `aic` in the client test: `fake-aic.js lsp …` answers the LSP handshake
// and shutdown over stdio and records what it was run with and what it received
// (one JSON line per event) in the file named by AIC_FAKE_LOG.
'use strict';
const fs = require('fs');
const log = (event) => fs.appendFileSync(process.env.AIC_FAKE_LOG, JSON.stringify(event) + '\n');
log({ argv: process.argv.slice(2), pid: process.pid });
if (process.argv[2] !== 'lsp') {
  process.stderr.write('usage: aic lsp\n');
  process.exit(2);
}
const send = (msg) => {
  const body = Buffer.from(JSON.stringify({ jsonrpc: '2.0', ...msg }), 'utf8');
  process.stdout.write(`Content-Length: ${body.length}\r\n\r\n`);
  process.stdout.write(body);
};
let buf = Buffer.alloc(0);
process.stdin.on('data', (chunk) => {
  buf = Buffer.concat([buf, chunk]);
  for (;;) {
    const head = buf.indexOf('\r\n\r\n');
    if (head < 0) return;
    const len = Number(/Content-Length: (\d+)/i.exec(buf.slice(0, head).toString())[1]);
    if (buf.length < head + 4 + len) return;
    const msg = JSON.parse(buf.slice(head + 4, head + 4 + len).toString('utf8'));
    buf = buf.slice(head + 4 + len);
    log({ method: msg.method, pid: process.pid });
    if (msg.method === 'initialize') {
      send({ id: msg.id, result: { capabilities: { textDocumentSync: 1 }, serverInfo: { name: 'fake-aic' } } });
    } else if (msg.method === 'shutdown') {
      send({ id: msg.id, result: null });
    } else if (msg.method === 'exit') {
      process.exit(0);
    } else if (msg.id !== undefined && msg.method) {
      send({ id: msg.id, result: null });
    }
  }
});
