// The manifest and the language configuration: what VS Code reads before any grammar or
// server runs (file association, comment toggling, brackets, indentation on Enter).
'use strict';

const test = require('node:test');
const assert = require('node:assert');
const fs = require('fs');
const path = require('path');

const ref = require('./reference');
const { REPO, corpus } = require('./support/corpus');

const EXT = path.resolve(__dirname, '..');
const manifest = require('../package.json');
const config = JSON.parse(fs.readFileSync(path.join(EXT, 'language-configuration.json'), 'utf8'));

test('package.json contributes the aic language, its grammar, settings and commands', () => {
  const [lang] = manifest.contributes.languages;
  assert.strictEqual(lang.id, 'aic');
  assert.deepStrictEqual(lang.extensions, ['.aic']);
  assert.ok(fs.existsSync(path.join(EXT, lang.configuration)), lang.configuration);
  const [grammar] = manifest.contributes.grammars;
  assert.strictEqual(grammar.scopeName, 'source.aic');
  assert.strictEqual(JSON.parse(fs.readFileSync(path.join(EXT, grammar.path), 'utf8')).scopeName, 'source.aic');
  const props = manifest.contributes.configuration.properties;
  assert.strictEqual(props['aic.path'].default, 'aic');
  assert.strictEqual(props['aic.server.enabled'].default, true);
  assert.ok(manifest.contributes.commands.some((c) => c.command === 'aic.restartServer'));
  assert.ok(fs.existsSync(path.join(EXT, manifest.main)), manifest.main);
  // An untrusted folder must not choose which program the editor runs.
  assert.deepStrictEqual(manifest.capabilities.untrustedWorkspaces.restrictedConfigurations, [
    'aic.path',
    'aic.server.args',
  ]);
});

test('comments toggle with the syntax the lexer reads', () => {
  assert.strictEqual(config.comments.lineComment, '#');
  assert.deepStrictEqual(config.comments.blockComment, ['/*', '*/']);
  for (const c of ['# x', '/* x */']) {
    assert.strictEqual(ref.lex(c).comments.length, 1, c);
  }
});

// Enter after a line that leaves a bracket open indents; a line that starts by closing one
// is outdented. Checked on every line of the repository's valid files.
test('indentation rules follow the brackets of every valid .aic file', () => {
  const increase = new RegExp(config.indentationRules.increaseIndentPattern);
  const decrease = new RegExp(config.indentationRules.decreaseIndentPattern);
  let opening = 0;
  let closing = 0;
  const failures = [];
  for (const f of corpus()) {
    const text = fs.readFileSync(path.join(REPO, f), 'utf8').replace(/^\uFEFF/, '').replace(/\r\n/g, '\n');
    const lexed = ref.lex(text);
    if (ref.parse(text, lexed).error) continue;
    let start = 0;
    for (const line of text.split('\n')) {
      // The bracket characters of this line that are code (not in strings or comments).
      const code = [];
      for (let i = 0; i < line.length; i++) {
        if (lexed.cls[start + i] === ref.CODE && '{}[]()'.includes(line[i])) code.push([i, line[i]]);
      }
      let depth = 0;
      let opensAtEnd = false;
      for (const [i, ch] of code) {
        if ('{[('.includes(ch)) depth++;
        else depth--;
        const rest = line.slice(i + 1);
        opensAtEnd = '{[('.includes(ch) && depth > 0 && /^[ \t]*(?:(?:#|\/\/).*)?$/.test(rest);
      }
      if (opensAtEnd) {
        opening++;
        if (!increase.test(line)) failures.push(`${f}: no indent after: ${line}`);
      }
      const first = line.search(/\S/);
      if (first >= 0 && '}])'.includes(line[first]) && lexed.cls[start + first] === ref.CODE) {
        closing++;
        if (!decrease.test(line)) failures.push(`${f}: not outdented: ${line}`);
      }
      start += line.length + 1;
    }
  }
  assert.ok(opening > 50 && closing > 50, `too few lines checked: ${opening} opening, ${closing} closing`);
  assert.deepStrictEqual(failures, []);
});
