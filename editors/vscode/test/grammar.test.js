// The TextMate grammar checked against every `.aic` file of the repository.
//
// Each file is tokenized line by line with vscode-textmate and vscode-oniguruma (the
// libraries VS Code itself uses), and compared with a reference reader written from the
// product's grammar (test/reference.js):
//   - every character is in the class the aic lexer puts it in: comment, string text,
//     escape, interpolation punctuation, or code (which includes the inside of `${…}`, to
//     any depth). So no string, heredoc or comment runs past its end or stops short, and
//     every interpolation is highlighted as code.
//   - identifiers, numbers and literals carry the scope of their role: item keywords are
//     keywords only where an item starts; attribute names (`output = …`, `provider = …`)
//     and references (`data.x`, `module.y`) are not keywords.
//   - after each file that parses, the grammar's rule stack is back at the top level.
// A file with a syntax error (lang/tests/fixtures/syntax-errors/) is compared up to the
// line of its first lexical error; the role checks need a file that parses.
'use strict';

const test = require('node:test');
const assert = require('node:assert');
const fs = require('fs');
const path = require('path');

const ref = require('./reference');
const { REPO, corpus } = require('./support/corpus');

const EXT = path.resolve(__dirname, '..');
const GRAMMAR_JSON = path.join(EXT, 'syntaxes/aic.tmLanguage.json');

function loadLibraries() {
  try {
    return { tm: require('vscode-textmate'), onig: require('vscode-oniguruma') };
  } catch (e) {
    throw new Error(
      `vscode-textmate / vscode-oniguruma are not installed (${e.message}); ` +
        'run `npm ci --ignore-scripts` in editors/vscode (or editors/vscode/test.sh)',
    );
  }
}

async function loadGrammar() {
  const { tm, onig } = loadLibraries();
  const wasm = fs.readFileSync(require.resolve('vscode-oniguruma/release/onig.wasm'));
  await onig.loadWASM(wasm.buffer.slice(wasm.byteOffset, wasm.byteOffset + wasm.byteLength));
  const registry = new tm.Registry({
    onigLib: Promise.resolve({
      createOnigScanner: (sources) => new onig.OnigScanner(sources),
      createOnigString: (s) => new onig.OnigString(s),
    }),
    loadGrammar: async (scopeName) =>
      scopeName === 'source.aic'
        ? tm.parseRawGrammar(fs.readFileSync(GRAMMAR_JSON, 'utf8'), GRAMMAR_JSON)
        : null,
  });
  const grammar = await registry.loadGrammar('source.aic');
  assert.ok(grammar, 'the grammar did not load');
  return { grammar, INITIAL: tm.INITIAL };
}

// Tokenizes `text` as VS Code does (lines split at CRLF or LF, without the line break).
// Returns the scopes of every UTF-16 unit of `text` (null for line breaks), the number
// of tokens, and the rule stack after the last line.
function tokenize(grammar, INITIAL, text) {
  const scopes = new Array(text.length).fill(null);
  let stack = INITIAL;
  let count = 0;
  let lineStart = 0;
  for (const raw of text.split('\n')) {
    const line = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
    const r = grammar.tokenizeLine(line, stack);
    assert.ok(!r.stoppedEarly, 'tokenization stopped early');
    for (const tok of r.tokens) {
      for (let c = tok.startIndex; c < Math.min(tok.endIndex, line.length); c++) {
        scopes[lineStart + c] = tok.scopes;
      }
      count++;
    }
    stack = r.ruleStack;
    lineStart += raw.length + 1;
  }
  return { scopes, count, stack };
}

// The class a theme shows a character in, from its scopes (innermost first).
function classOf(scopes) {
  for (let k = scopes.length - 1; k >= 0; k--) {
    const s = scopes[k];
    if (s.startsWith('comment.')) return ref.COMMENT;
    if (s.startsWith('constant.character.escape.')) return ref.ESCAPE;
    if (s.startsWith('punctuation.section.interpolation.')) return ref.IPUNCT;
    if (s.startsWith('meta.embedded.') || s.startsWith('meta.interpolation.')) return ref.CODE;
    if (s.startsWith('string.')) return ref.STRING;
  }
  return ref.CODE;
}

const has = (scopes, prefix) => scopes.some((s) => s.startsWith(prefix));
const ROLE_CHECKS = {
  itemkw: ['an item keyword', (s) => has(s, 'keyword.other.item.')],
  unknownitem: ['an unknown item kind', (s) => has(s, 'invalid.illegal.') && !has(s, 'keyword.')],
  blockkind: ['a nested block kind', (s) => has(s, 'keyword.other.block.')],
  itemname: ['a declared name', (s) => has(s, 'entity.name.') && !has(s, 'keyword.')],
  label: ['a block label', (s) => has(s, 'entity.name.') && !has(s, 'keyword.')],
  restype: ['a resource type label', (s) => has(s, 'entity.name.type.') && !has(s, 'keyword.')],
  attr: ['an attribute name', (s) => has(s, 'variable.other.property.') && !has(s, 'keyword.')],
  key: ['an object key', (s) => has(s, 'variable.other.property.') && !has(s, 'keyword.')],
  fieldkey: ['an object type field', (s) => has(s, 'variable.other.property.') && !has(s, 'keyword.')],
  call: ['a function name', (s) => has(s, 'support.function.') && !has(s, 'keyword.')],
  name: ['a name in an expression', (s) => has(s, 'variable.') && !has(s, 'keyword.')],
  member: ['an attribute access', (s) => has(s, 'variable.other.member.') && !has(s, 'keyword.')],
  forkw: ['for/in/if of a for expression', (s) => has(s, 'keyword.control.')],
  bool: ['true/false', (s) => has(s, 'constant.language.boolean.')],
  null: ['null', (s) => has(s, 'constant.language.null.')],
  number: ['a number', (s) => has(s, 'constant.numeric.')],
  typekw: ['a type constructor', (s) => has(s, 'support.type.')],
};
function typenameCheck(text) {
  return ref.PRIMITIVES.has(text)
    ? ['a primitive type', (s) => has(s, 'support.type.primitive.')]
    : ['a named type', (s) => has(s, 'entity.name.type.')];
}

function position(text, pos) {
  const before = text.slice(0, pos);
  const line = before.split('\n').length;
  return `${line}:${pos - before.lastIndexOf('\n')}`;
}

const show = (scopes) => (scopes ? scopes.slice(1).join(' ') || '(none)' : '(line break)');

// Compares one file; returns { failures, tokens, classified, roles, parsed, lexError }.
function checkFile(grammar, INITIAL, name, source) {
  // VS Code drops a byte order mark when it opens a file.
  const text = source.startsWith('\uFEFF') ? source.slice(1) : source;
  const lexed = ref.lex(text);
  const parsed = ref.parse(text, lexed);
  const { scopes, count, stack } = tokenize(grammar, INITIAL, text);
  const failures = [];
  const fail = (msg) => failures.length < 12 && failures.push(`${name}:${msg}`);

  // Characters: up to the start of the line of the first lexical error. An error that
  // stays on its line (an unclosed quoted string, a bad escape, a stray character) must
  // not spill over: the comparison resumes on the next line, lexed afresh. An unclosed
  // comment, heredoc or interpolation runs to the end of the file for both.
  let classified = 0;
  let base = 0;
  let lexedPart = lexed;
  for (;;) {
    let limit = text.length;
    const err = lexedPart.error;
    if (err) limit = text.lastIndexOf('\n', base + err.pos - 1) + 1;
    for (let i = base; i < limit; i++) {
      if (text[i] === '\n' || (text[i] === '\r' && text[i + 1] === '\n')) continue;
      const want = lexedPart.cls[i - base];
      const got = classOf(scopes[i] || []);
      classified++;
      if (want !== got) {
        // Report a run once, at its start.
        const prevWant = i > base ? lexedPart.cls[i - base - 1] : -1;
        if (prevWant === want && classOf(scopes[i - 1] || []) === got) continue;
        fail(
          `${position(text, i)}: ${JSON.stringify(text.slice(i, i + 12))} should be ` +
            `${ref.CLASS_NAMES[want]}, is ${ref.CLASS_NAMES[got]} (${show(scopes[i])})`,
        );
      }
    }
    if (!err || !err.lineBound) break;
    const next = text.indexOf('\n', base + err.pos);
    if (next < 0) break;
    base = next + 1;
    lexedPart = ref.lex(text.slice(base));
  }

  let roles = 0;
  if (!parsed.error) {
    if (stack.depth !== 1) {
      fail(`end: the rule stack is ${stack.depth} deep after the last line, not back at the top level`);
    }
    for (const r of parsed.roles) {
      const [what, ok] = r.role === 'typename' ? typenameCheck(r.text) : ROLE_CHECKS[r.role];
      roles++;
      for (let i = r.start; i < r.end; i++) {
        if (!scopes[i] || !ok(scopes[i])) {
          fail(`${position(text, r.start)}: \`${r.text}\` is ${what}, scoped ${show(scopes[i])}`);
          break;
        }
      }
    }
  }
  return { failures, tokens: count, classified, roles, parsed: !parsed.error, lexError: lexed.error };
}

test('the JSON grammar is generated from syntaxes/grammar.js', () => {
  const fromSource = JSON.stringify(require('../syntaxes/grammar.js'), null, 2) + '\n';
  assert.strictEqual(
    fs.readFileSync(GRAMMAR_JSON, 'utf8'),
    fromSource,
    'syntaxes/aic.tmLanguage.json is out of date: run `npm run grammar` in editors/vscode',
  );
});

test('the grammar scopes every .aic file of the repository as the aic lexer reads it', async (t) => {
  const { grammar, INITIAL } = await loadGrammar();
  const files = corpus();
  assert.ok(files.length > 0, `no .aic files found under ${REPO}`);
  const failures = [];
  const totals = { files: 0, parsed: 0, lexErrors: 0, tokens: 0, chars: 0, roles: 0, lines: 0 };
  const started = Date.now();
  for (const f of files) {
    const source = fs.readFileSync(path.join(REPO, f), 'utf8');
    const r = checkFile(grammar, INITIAL, f, source);
    failures.push(...r.failures);
    totals.files++;
    totals.parsed += r.parsed ? 1 : 0;
    totals.lexErrors += r.lexError ? 1 : 0;
    totals.tokens += r.tokens;
    totals.chars += r.classified;
    totals.roles += r.roles;
    totals.lines += source.split('\n').length;
  }
  const summary =
    `checked ${totals.files} .aic files (${totals.lines} lines, ${totals.tokens} grammar tokens, ` +
    `${totals.chars} characters classified, ${totals.roles} names/literals by role); ` +
    `${totals.parsed} parse, ${totals.files - totals.parsed} have syntax errors ` +
    `(${totals.lexErrors} lexical, compared up to the error) in ${Date.now() - started} ms`;
  t.diagnostic(summary);
  // The repository holds valid examples and the editor fixtures: a reader that refuses
  // them all would make the role checks vacuous.
  assert.ok(totals.parsed >= 10, `only ${totals.parsed} files parse: is the reference reader broken?`);
  assert.deepStrictEqual(failures, [], `${failures.length} mismatches:\n${failures.join('\n')}`);
});
