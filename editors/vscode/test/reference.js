// A reference reader of `.aic` source for the grammar test, written from the product's
// grammar (lang/src/syntax/aic.pest) and lexer (lang/src/syntax/lexer.rs), independently
// of the TextMate grammar it checks.
//
// `lex(text)` classifies every character as the aic lexer sees it: code, comment, string
// (quotes, string text, heredoc markers and text), escape (`\n`, `\u{…}`, `$${`) or
// interpolation punctuation (`${`, `}`); the inside of an interpolation is code again, to
// any depth. It stops at the first lexical error (an unterminated string, comment,
// heredoc or interpolation, a bad escape, a character the language has no token for).
//
// `parse(text, lexed)` reads the tokens as the pest grammar does (items, block heads on
// one line, bodies, types, expressions) and gives each identifier, number and literal its
// role: item keyword, block kind, label, attribute name, object key, function name,
// reference, type name… The AST builder's later checks (separators, label counts,
// interpolation in labels) are not repeated: they do not change how a file looks.
'use strict';

const CODE = 0;
const COMMENT = 1;
const STRING = 2;
const ESCAPE = 3;
const IPUNCT = 4;
const CLASS_NAMES = ['code', 'comment', 'string', 'escape', 'interpolation punctuation'];

const ITEM_BLOCKS = new Set([
  'provider', 'resource', 'data', 'module', 'environment', 'rollout', 'policy',
  'backend', 'import', 'moved', 'removed',
]);

class LexError extends Error {
  constructor(pos, message, lineBound = false) {
    super(message);
    this.pos = pos;
    // The error does not reach past its line (the lexer's recovery goes on after it).
    this.lineBound = lineBound;
  }
}

const isIdentStart = (c) => /[A-Za-z_]/.test(c);
const isIdentChar = (c) => c !== undefined && /[A-Za-z0-9_]/.test(c);
const IDENT = /[A-Za-z_][A-Za-z0-9_]*/y;
const NUMBER = /[0-9][0-9_]*(?:\.[0-9][0-9_]*)?(?:[eE][+-]?[0-9]+)?/y;
const ESCAPE_RE = /\\(?:[nrt"\\]|u\{[0-9A-Fa-f]{1,6}\})/y;
const HEREDOC_OPEN = /<<(-?)([A-Za-z_][A-Za-z0-9_]*)[ \t]*\r?\n/y;
// Longest first.
const PUNCT = ['...', '??', '||', '&&', '==', '!=', '<=', '>=', '=>',
  '{', '}', '[', ']', '(', ')', ',', '.', ':', '?', '=', '!', '+', '-', '*', '/', '%', '<',
  '>', '|'];

function sticky(re, text, pos) {
  re.lastIndex = pos;
  const m = re.exec(text);
  return m;
}

/**
 * Lexes `text`. Returns { cls: Uint8Array (a class per UTF-16 unit), tokens (the
 * top-level token list; strings and heredocs carry their interpolations' token lists),
 * comments: [{start, end}], error: null | {pos, message} }.
 */
function lex(text) {
  const cls = new Uint8Array(text.length); // CODE
  const comments = [];
  const n = text.length;
  const mark = (from, to, c) => cls.fill(c, from, to);

  // Skips whitespace and comments (the grammar's WHITESPACE | COMMENT).
  function skip(pos) {
    for (;;) {
      const c = text[pos];
      if (c === ' ' || c === '\t' || c === '\n' || c === '\r' || c === '\uFEFF') {
        pos++;
      } else if (c === '#' || (c === '/' && text[pos + 1] === '/')) {
        let end = text.indexOf('\n', pos);
        if (end < 0) end = n;
        mark(pos, end, COMMENT);
        comments.push({ start: pos, end });
        pos = end;
      } else if (c === '/' && text[pos + 1] === '*') {
        const close = text.indexOf('*/', pos + 2);
        if (close < 0) throw new LexError(pos, 'unterminated block comment');
        mark(pos, close + 2, COMMENT);
        comments.push({ start: pos, end: close + 2 });
        pos = close + 2;
      } else {
        return pos;
      }
    }
  }

  // `${` … `}`: pos is at `$`. Returns [part, pos after `}`].
  function interpolation(pos) {
    const start = pos;
    mark(pos, pos + 2, IPUNCT);
    const [tokens, end] = tokenList(pos + 2, true);
    mark(end, end + 1, IPUNCT);
    return [{ kind: 'interp', start, end: end + 1, tokens }, end + 1];
  }

  function string(pos) {
    const start = pos;
    const parts = [];
    mark(pos, pos + 1, STRING);
    pos++;
    for (;;) {
      const c = text[pos];
      if (pos >= n || c === '\n') throw new LexError(start, 'unterminated string', true);
      if (c === '"') {
        mark(pos, pos + 1, STRING);
        pos++;
        break;
      }
      if (c === '\\') {
        const m = sticky(ESCAPE_RE, text, pos);
        if (!m) throw new LexError(pos, 'invalid escape', true);
        mark(pos, pos + m[0].length, ESCAPE);
        pos += m[0].length;
      } else if (text.startsWith('$${', pos)) {
        mark(pos, pos + 3, ESCAPE);
        pos += 3;
      } else if (text.startsWith('${', pos)) {
        const [part, next] = interpolation(pos);
        parts.push(part);
        pos = next;
      } else {
        mark(pos, pos + 1, STRING);
        pos++;
      }
    }
    return [{ kind: 'string', start, end: pos, parts }, pos];
  }

  function heredoc(pos) {
    const start = pos;
    const m = sticky(HEREDOC_OPEN, text, pos);
    if (!m) throw new LexError(pos, '`<<` does not open a heredoc');
    const marker = m[2];
    const endRe = new RegExp(`[ \\t]*${marker}(?![A-Za-z0-9_])`, 'y');
    const parts = [];
    mark(pos, pos + m[0].length, STRING);
    pos += m[0].length;
    for (;;) {
      // At the start of a line: the closing marker?
      const e = sticky(endRe, text, pos);
      if (e) {
        mark(pos, pos + e[0].length, STRING);
        pos += e[0].length;
        break;
      }
      // A line of text, which must end with a newline.
      for (;;) {
        if (pos >= n) throw new LexError(start, 'unterminated heredoc');
        const c = text[pos];
        if (c === '\n') {
          mark(pos, pos + 1, STRING);
          pos++;
          break;
        }
        if (text.startsWith('$${', pos)) {
          mark(pos, pos + 3, ESCAPE);
          pos += 3;
        } else if (text.startsWith('${', pos)) {
          const [part, next] = interpolation(pos);
          parts.push(part);
          pos = next;
        } else {
          mark(pos, pos + 1, STRING);
          pos++;
        }
      }
    }
    return [{ kind: 'heredoc', start, end: pos, marker, strip: m[1] === '-', parts }, pos];
  }

  // Tokens from pos to the end of the text, or (inInterp) to the `}` that closes the
  // interpolation; returns [tokens, position of that `}` or of the end].
  function tokenList(pos, inInterp) {
    const tokens = [];
    let depth = 0;
    for (;;) {
      pos = skip(pos);
      if (pos >= n) {
        if (inInterp) throw new LexError(pos, 'unterminated interpolation');
        return [tokens, pos];
      }
      const c = text[pos];
      if (c === '}' && inInterp && depth === 0) return [tokens, pos];
      if (isIdentStart(c)) {
        const m = sticky(IDENT, text, pos);
        tokens.push({ kind: 'ident', start: pos, end: pos + m[0].length, text: m[0] });
        pos += m[0].length;
      } else if (/[0-9]/.test(c)) {
        const m = sticky(NUMBER, text, pos);
        const end = pos + m[0].length;
        if (isIdentChar(text[end])) throw new LexError(pos, 'a number runs into a letter', true);
        tokens.push({ kind: 'number', start: pos, end, text: m[0] });
        pos = end;
      } else if (c === '"') {
        const [tok, next] = string(pos);
        tokens.push(tok);
        pos = next;
      } else if (c === '<' && text[pos + 1] === '<') {
        const [tok, next] = heredoc(pos);
        tokens.push(tok);
        pos = next;
      } else {
        const p = PUNCT.find((s) => text.startsWith(s, pos));
        if (!p) throw new LexError(pos, `unexpected character ${JSON.stringify(c)}`, true);
        if (p === '{') depth++;
        if (p === '}') depth--;
        tokens.push({ kind: 'punct', start: pos, end: pos + p.length, text: p });
        pos += p.length;
      }
    }
  }

  let tokens = [];
  let error = null;
  try {
    [tokens] = tokenList(0, false);
  } catch (e) {
    if (!(e instanceof LexError)) throw e;
    error = { pos: e.pos, message: e.message, lineBound: e.lineBound };
  }
  return { cls, tokens, comments, error };
}

// ---------------------------------------------------------------------------- parser

class ParseError extends Error {
  constructor(tok, message) {
    super(message);
    this.pos = tok ? tok.start : -1;
  }
}

const INFIX = new Set(['??', '||', '&&', '==', '!=', '<=', '>=', '<', '>', '+', '-', '*', '/', '%']);
const PRIMITIVES = new Set(['string', 'number', 'bool', 'any']);

class Parser {
  constructor(text, tokens, roles) {
    this.text = text;
    this.toks = tokens;
    this.i = 0;
    this.roles = roles;
  }

  peek(k = 0) {
    return this.toks[this.i + k];
  }

  at(text, k = 0) {
    const t = this.peek(k);
    return t !== undefined && (t.kind === 'punct' || t.kind === 'ident') && t.text === text;
  }

  atKind(kind, k = 0) {
    const t = this.peek(k);
    return t !== undefined && t.kind === kind;
  }

  next() {
    const t = this.peek();
    if (!t) throw new ParseError(this.toks[this.toks.length - 1], 'unexpected end');
    this.i++;
    return t;
  }

  expect(text) {
    if (!this.at(text)) throw new ParseError(this.peek(), `expected ${text}`);
    return this.next();
  }

  ident(role) {
    if (!this.atKind('ident')) throw new ParseError(this.peek(), 'expected a name');
    const t = this.next();
    if (role) this.role(t, role);
    return t;
  }

  role(tok, role) {
    this.roles.push({ start: tok.start, end: tok.end, text: tok.text, role });
  }

  // Tries `fn`; on failure puts the position and roles back and returns false.
  attempt(fn) {
    const i = this.i;
    const r = this.roles.length;
    try {
      fn();
      return true;
    } catch (e) {
      if (!(e instanceof ParseError)) throw e;
      this.i = i;
      this.roles.length = r;
      return false;
    }
  }

  // Only spaces and tabs between two tokens (a block head stands on one line).
  gap(a, b) {
    return this.text.slice(a.end, b.start);
  }

  // The AST builder's separator rule (E0104): items are separated by a newline; body
  // elements, list elements, object items and type fields by a newline or a comma.
  separated(prevEnd, commaOk) {
    const t = this.peek();
    if (prevEnd < 0 || !t) return;
    const gap = this.text.slice(prevEnd, t.start);
    if (!(gap.includes('\n') || (commaOk && gap.includes(',')))) {
      throw new ParseError(t, 'missing separator');
    }
  }

  lastEnd() {
    return this.toks[this.i - 1].end;
  }

  file() {
    let prev = -1;
    while (this.i < this.toks.length) {
      this.separated(prev, false);
      this.item();
      prev = this.lastEnd();
    }
  }

  item() {
    const t = this.peek();
    const decl = {
      variable: () => this.variableItem(),
      let: () => this.letItem(),
      output: () => this.outputItem(),
      type: () => this.typeItem(),
    }[t.kind === 'ident' ? t.text : ''];
    if (decl && this.attempt(decl)) return;
    this.block(true);
  }

  variableItem() {
    this.ident('itemkw');
    this.ident('itemname');
    if (this.at(':')) {
      this.next();
      this.typeExpr();
    }
    if (this.at('=')) {
      this.next();
      this.expr();
    }
    if (this.at('{')) this.body();
  }

  letItem() {
    this.ident('itemkw');
    this.ident('itemname');
    this.expect('=');
    this.expr();
  }

  outputItem() {
    this.ident('itemkw');
    this.ident('itemname');
    this.expect('=');
    this.expr();
    if (this.at('{')) this.body();
  }

  typeItem() {
    this.ident('itemkw');
    this.ident('itemname');
    this.expect('=');
    this.typeExpr();
  }

  block(top) {
    const kind = this.ident();
    let role = 'blockkind';
    if (top) role = ITEM_BLOCKS.has(kind.text) ? 'itemkw' : 'unknownitem';
    this.role(kind, role);
    let prev = kind;
    let nlabels = 0;
    for (;;) {
      const t = this.peek();
      if (!t || (t.kind !== 'ident' && t.kind !== 'string')) break;
      if (!/^[ \t]+$/.test(this.gap(prev, t))) break;
      this.next();
      if (t.kind === 'ident') {
        const resType = top && nlabels === 0 && (kind.text === 'resource' || kind.text === 'data');
        this.role(t, resType ? 'restype' : 'label');
      } else {
        this.template(t);
      }
      nlabels++;
      prev = t;
    }
    const brace = this.peek();
    if (!this.at('{') || !/^[ \t]*$/.test(this.gap(prev, brace))) {
      throw new ParseError(brace, 'expected `{` at the end of the block head');
    }
    this.body();
  }

  body() {
    this.expect('{');
    let prev = -1;
    while (!this.at('}')) {
      this.separated(prev, true);
      if (!this.attempt(() => this.attribute())) this.block(false);
      prev = this.lastEnd();
      if (this.at(',')) this.next();
    }
    this.expect('}');
  }

  attribute() {
    this.ident('attr');
    this.expect('=');
    this.expr();
  }

  // ------------------------------------------------------------------ types

  typeExpr() {
    this.typeAtom();
    while (this.at('|')) {
      this.next();
      this.typeAtom();
    }
  }

  typeAtom() {
    const t = this.peek();
    if (t && t.kind === 'string') {
      this.next();
      this.template(t);
      return;
    }
    const word = t && t.kind === 'ident' ? t.text : '';
    const forms = {
      object: () => {
        this.ident('typekw');
        this.expect('(');
        this.expect('{');
        let prev = -1;
        while (!this.at('}')) {
          this.separated(prev, true);
          const k = this.peek();
          if (k && k.kind === 'string') {
            this.next();
            this.template(k);
          } else {
            this.ident('fieldkey');
          }
          this.expect(':');
          this.typeExpr();
          prev = this.lastEnd();
          if (this.at(',')) this.next();
        }
        this.expect('}');
        this.expect(')');
      },
      tuple: () => {
        this.ident('typekw');
        this.expect('(');
        this.expect('[');
        while (!this.at(']')) {
          this.typeExpr();
          if (this.at(',')) this.next();
        }
        this.expect(']');
        this.expect(')');
      },
      optional: () => {
        this.ident('typekw');
        this.expect('(');
        this.typeExpr();
        if (this.at(',')) {
          this.next();
          this.expr();
        }
        this.expect(')');
      },
    };
    const coll = () => {
      this.ident('typekw');
      this.expect('(');
      this.typeExpr();
      this.expect(')');
    };
    forms.list = coll;
    forms.set = coll;
    forms.map = coll;
    if (forms[word] && this.attempt(forms[word])) return;
    this.ident('typename');
  }

  // ------------------------------------------------------------------ expressions

  expr() {
    this.unary();
    while (this.peek() && this.peek().kind === 'punct' && INFIX.has(this.peek().text)) {
      this.next();
      this.unary();
    }
    if (this.at('?')) {
      this.next();
      this.expr();
      this.expect(':');
      this.expr();
    }
  }

  unary() {
    while (this.at('!') || this.at('-')) this.next();
    this.primary();
    for (;;) {
      if (this.at('.')) {
        this.next();
        this.ident('member');
      } else if (this.at('[') && this.at('*', 1) && this.at(']', 2)) {
        this.i += 3;
      } else if (this.at('[')) {
        this.next();
        this.expr();
        this.expect(']');
      } else {
        return;
      }
    }
  }

  // `[for x …` / `{for k …`
  forAhead() {
    return this.at('for', 1) && this.atKind('ident', 1) && this.atKind('ident', 2);
  }

  primary() {
    const t = this.peek();
    if (!t) throw new ParseError(t, 'expected an expression');
    if (t.kind === 'ident') {
      this.next();
      if (t.text === 'true' || t.text === 'false') return this.role(t, 'bool');
      if (t.text === 'null') return this.role(t, 'null');
      const paren = this.peek();
      if (paren && paren.kind === 'punct' && paren.text === '(' && paren.start === t.end) {
        this.role(t, 'call');
        this.call();
      } else {
        this.role(t, 'name');
      }
      return;
    }
    if (t.kind === 'number') return this.role(this.next(), 'number');
    if (t.kind === 'string' || t.kind === 'heredoc') return this.template(this.next());
    if (this.at('[')) return this.forAhead() ? this.forList() : this.list();
    if (this.at('{')) return this.forAhead() ? this.forObject() : this.object();
    if (this.at('(')) {
      this.next();
      this.expr();
      this.expect(')');
      return;
    }
    throw new ParseError(t, 'expected an expression');
  }

  call() {
    this.expect('(');
    if (!this.at(')')) {
      this.expr();
      while (this.at(',') && !this.at(')', 1) && !this.at('...', 1)) {
        this.next();
        this.expr();
      }
      if (this.at('...')) this.next();
      if (this.at(',')) this.next();
    }
    this.expect(')');
  }

  list() {
    this.expect('[');
    let prev = -1;
    while (!this.at(']')) {
      this.separated(prev, true);
      this.expr();
      prev = this.lastEnd();
      if (this.at(',')) this.next();
    }
    this.expect(']');
  }

  object() {
    this.expect('{');
    let prev = -1;
    while (!this.at('}')) {
      this.separated(prev, true);
      const k = this.peek();
      if (k && k.kind === 'ident') {
        this.ident('key');
      } else if (k && k.kind === 'string') {
        this.template(this.next());
      } else {
        this.expect('(');
        this.expr();
        this.expect(')');
      }
      if (this.at('=') || this.at(':')) this.next();
      else throw new ParseError(this.peek(), 'expected `=`');
      this.expr();
      prev = this.lastEnd();
      if (this.at(',')) this.next();
    }
    this.expect('}');
  }

  forHead() {
    this.ident('forkw');
    this.ident('name');
    if (this.at(',')) {
      this.next();
      this.ident('name');
    }
    if (!this.at('in')) throw new ParseError(this.peek(), 'expected `in`');
    this.ident('forkw');
    this.expr();
    this.expect(':');
  }

  forCond() {
    if (this.at('if')) {
      this.ident('forkw');
      this.expr();
    }
  }

  forList() {
    this.expect('[');
    this.forHead();
    this.expr();
    this.forCond();
    this.expect(']');
  }

  forObject() {
    this.expect('{');
    this.forHead();
    this.expr();
    this.expect('=>');
    this.expr();
    if (this.at('...')) this.next();
    this.forCond();
    this.expect('}');
  }

  // The interpolations of a string or heredoc: each holds exactly one expression.
  template(tok) {
    for (const part of tok.parts) {
      const sub = new Parser(this.text, part.tokens, this.roles);
      sub.expr();
      if (sub.i !== part.tokens.length) {
        throw new ParseError(part.tokens[sub.i], 'expected `}` after the interpolated expression');
      }
    }
  }
}

/** Parses lexed text; returns { roles, error: null | {pos, message} }. */
function parse(text, lexed) {
  const roles = [];
  if (lexed.error) return { roles, error: lexed.error };
  const p = new Parser(text, lexed.tokens, roles);
  try {
    p.file();
  } catch (e) {
    if (!(e instanceof ParseError)) throw e;
    return { roles, error: { pos: e.pos, message: e.message } };
  }
  return { roles, error: null };
}

module.exports = { lex, parse, CODE, COMMENT, STRING, ESCAPE, IPUNCT, CLASS_NAMES, PRIMITIVES };
