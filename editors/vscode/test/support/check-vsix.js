#!/usr/bin/env node
// Checks a packaged .vsix (a zip file): it holds the manifest, the client, the grammar
// and the language configuration exactly as in the source tree, and the client's runtime
// dependency, and nothing of the tests or dev tools. Prints its size and contents.
//   node test/support/check-vsix.js aic-0.1.0.vsix
'use strict';

const fs = require('fs');
const path = require('path');
const os = require('os');
const zlib = require('zlib');
const { execFileSync } = require('child_process');

const EXT = path.resolve(__dirname, '../..');

// The entries of a zip file, from its central directory: { name, size, data() }.
function readZip(buf) {
  let eocd = -1;
  for (let i = buf.length - 22; i >= Math.max(0, buf.length - 22 - 65535); i--) {
    if (buf.readUInt32LE(i) === 0x06054b50) {
      eocd = i;
      break;
    }
  }
  if (eocd < 0) throw new Error('not a zip file (no end of central directory)');
  const count = buf.readUInt16LE(eocd + 10);
  let p = buf.readUInt32LE(eocd + 16);
  const entries = [];
  for (let k = 0; k < count; k++) {
    if (buf.readUInt32LE(p) !== 0x02014b50) throw new Error('bad central directory entry');
    const method = buf.readUInt16LE(p + 10);
    const csize = buf.readUInt32LE(p + 20);
    const size = buf.readUInt32LE(p + 24);
    const nlen = buf.readUInt16LE(p + 28);
    const xlen = buf.readUInt16LE(p + 30);
    const clen = buf.readUInt16LE(p + 32);
    const local = buf.readUInt32LE(p + 42);
    const name = buf.toString('utf8', p + 46, p + 46 + nlen);
    p += 46 + nlen + xlen + clen;
    entries.push({
      name,
      size,
      data() {
        const start = local + 30 + buf.readUInt16LE(local + 26) + buf.readUInt16LE(local + 28);
        const raw = buf.subarray(start, start + csize);
        if (method === 0) return raw;
        if (method === 8) return zlib.inflateRawSync(raw);
        throw new Error(`${name}: compression method ${method}`);
      },
    });
  }
  return entries;
}

function main(file) {
  const buf = fs.readFileSync(file);
  const entries = readZip(buf);
  const byName = new Map(entries.map((e) => [e.name, e]));
  const problems = [];

  const must = [
    '[Content_Types].xml',
    'extension.vsixmanifest',
    'extension/package.json',
    'extension/extension.js',
    'extension/language-configuration.json',
    'extension/syntaxes/aic.tmLanguage.json',
    'extension/readme.md',
    'extension/node_modules/vscode-languageclient/node.js',
    'extension/node_modules/vscode-languageclient/package.json',
    'extension/node_modules/vscode-jsonrpc/package.json',
    'extension/node_modules/vscode-languageserver-protocol/package.json',
  ];
  for (const name of must) if (!byName.has(name)) problems.push(`missing: ${name}`);

  // Shipped as in the source tree.
  for (const rel of ['package.json', 'extension.js', 'language-configuration.json', 'syntaxes/aic.tmLanguage.json']) {
    const e = byName.get(`extension/${rel}`);
    if (e && !e.data().equals(fs.readFileSync(path.join(EXT, rel)))) {
      problems.push(`extension/${rel} differs from the source tree`);
    }
  }

  // Never shipped: tests, the grammar generator, build scripts, dev dependencies.
  const forbidden = [
    /^extension\/test\//,
    /^extension\/syntaxes\/grammar\.js$/,
    /^extension\/(package|test)\.sh$/,
    /\.vsix$/,
    /^extension\/node_modules\/(@vscode\/vsce|vscode-textmate|vscode-oniguruma|keytar)\//,
  ];
  for (const e of entries) {
    if (forbidden.some((re) => re.test(e.name))) problems.push(`should not be packaged: ${e.name}`);
  }

  // The manifest VS Code reads on install.
  const manifest = byName.get('extension.vsixmanifest');
  if (manifest) {
    const xml = manifest.data().toString('utf8');
    const version = require(path.join(EXT, 'package.json')).version;
    if (!xml.includes(`Version="${version}"`)) problems.push(`extension.vsixmanifest lacks Version="${version}"`);
    if (!xml.includes('Microsoft.VisualStudio.Code')) problems.push('extension.vsixmanifest does not target VS Code');
  }

  const own = entries.filter((e) => !e.name.startsWith('extension/node_modules/'));
  const deps = new Set(
    entries
      .filter((e) => e.name.startsWith('extension/node_modules/'))
      .map((e) => e.name.split('/').slice(2, e.name.split('/')[2].startsWith('@') ? 4 : 3).join('/')),
  );
  console.log(`${file}: ${buf.length} bytes (${(buf.length / 1024).toFixed(1)} KiB), ${entries.length} files`);
  for (const e of own) console.log(`  ${String(e.size).padStart(8)}  ${e.name}`);
  console.log(`  node_modules (${entries.length - own.length} files): ${[...deps].sort().join(', ')}`);
  if (problems.length) {
    console.error(`${file}: ${problems.length} problem(s):\n  ${problems.join('\n  ')}`);
    process.exit(1);
  }
  console.log(`${file}: contents checked`);

  // Unpack it and run the packaged client against the fake server.
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'aic-vsix-'));
  try {
    for (const e of entries) {
      if (e.name.endsWith('/')) continue;
      const to = path.join(tmp, e.name);
      if (!to.startsWith(tmp + path.sep)) throw new Error(`${e.name}: outside the package`);
      fs.mkdirSync(path.dirname(to), { recursive: true });
      fs.writeFileSync(to, e.data());
    }
    execFileSync(process.execPath, [path.join(__dirname, 'smoke.js'), path.join(tmp, 'extension')], {
      stdio: 'inherit',
    });
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}

main(process.argv[2] || path.join(EXT, `aic-${require(path.join(EXT, 'package.json')).version}.vsix`));
