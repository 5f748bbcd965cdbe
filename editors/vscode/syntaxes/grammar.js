#!/usr/bin/env node
// The TextMate grammar of the `.aic` language, written as a program so that the regular
// expressions can share their pieces (identifiers, labels, word boundaries).
// `node syntaxes/grammar.js` writes `aic.tmLanguage.json` beside this file; the grammar
// test checks that the JSON is up to date with this file.
//
// Sources: lang/src/syntax/aic.pest (the grammar the product parses with) and
// docs/language.md. The structure mirrors the parser's:
//   file  = item*               items: `variable`, `let`, `output`, `type` declarations,
//                               and blocks `KIND LABEL* { body }` (kind and labels on the
//                               `{` line)
//   body  = (attribute | block)* attributes `name = expr`, nested blocks
//   expr  = strings (escapes, `${…}` nested to any depth, `$${`), heredocs, numbers,
//           literals, calls, references, operators, lists, objects, for expressions
// An item keyword is only scoped as a keyword where an item starts (top level of a file);
// inside a body `output = …` is an attribute, and in an expression `data.x` a reference.
'use strict';

const fs = require('fs');
const path = require('path');

const ID = String.raw`[A-Za-z_][A-Za-z0-9_]*`;
// Not in the middle of an identifier, and not a member after `.`.
const W = String.raw`(?<![A-Za-z0-9_.])`;
// Not followed by an identifier character (the grammar's `!ident_char`).
const E = String.raw`(?![A-Za-z0-9_])`;
// A quoted block label or object key on one line (its parts are scoped by #strings).
const STR = String.raw`"(?:[^"\\]|\\.)*"`;
const LABELS = String.raw`((?:[ \t]+(?:${ID}|${STR}))*)`;
// The characters that can end an operand: a `{` right after one (or after a comment that
// follows one) starts a body, not an object (`variable replicas: number = 2 { … }`).
const AFTER_OPERAND = String.raw`(?<=[A-Za-z0-9_)\]}"]|\*/)`;

const ITEM_BLOCKS = [
  'provider', 'resource', 'data', 'module', 'environment', 'rollout', 'policy',
  'backend', 'import', 'moved', 'removed',
];

const labelCaptures = {
  patterns: [
    { include: '#strings' },
    { match: ID, name: 'entity.name.label.aic' },
  ],
};

const grammar = {
  $schema: 'https://raw.githubusercontent.com/martinring/tmlanguage/master/tmlanguage.json',
  name: 'aic',
  scopeName: 'source.aic',
  fileTypes: ['aic'],
  patterns: [
    { include: '#comments' },
    { include: '#variable-item' },
    { include: '#output-item' },
    { include: '#let-item' },
    { include: '#type-item' },
    { include: '#item-block' },
    // Anything else at the top level (a continuation line, a mistake): still highlighted.
    { include: '#expression' },
  ],
  repository: {
    // ------------------------------------------------------------------ comments
    comments: {
      patterns: [
        {
          name: 'comment.block.aic',
          begin: String.raw`/\*`,
          end: String.raw`\*/`,
          captures: { 0: { name: 'punctuation.definition.comment.aic' } },
        },
        {
          name: 'comment.line.number-sign.aic',
          match: String.raw`(#).*$`,
          captures: { 1: { name: 'punctuation.definition.comment.aic' } },
        },
        {
          name: 'comment.line.double-slash.aic',
          match: String.raw`(//).*$`,
          captures: { 1: { name: 'punctuation.definition.comment.aic' } },
        },
      ],
    },

    // ------------------------------------------------------------------ items
    'variable-item': {
      name: 'meta.item.variable.aic',
      begin: String.raw`${W}(variable)${E}(?:[ \t]+(${ID}))?`,
      beginCaptures: {
        1: { name: 'keyword.other.item.aic' },
        2: { name: 'entity.name.variable.aic' },
      },
      end: '$',
      patterns: [
        { include: '#comments' },
        { include: '#type-annotation' },
        { include: '#declaration-value' },
        { include: '#body' },
      ],
    },
    'output-item': {
      name: 'meta.item.output.aic',
      begin: String.raw`${W}(output)${E}(?:[ \t]+(${ID}))?`,
      beginCaptures: {
        1: { name: 'keyword.other.item.aic' },
        2: { name: 'entity.name.variable.output.aic' },
      },
      end: '$',
      patterns: [
        { include: '#comments' },
        { include: '#declaration-value' },
        { include: '#body' },
      ],
    },
    'let-item': {
      name: 'meta.item.let.aic',
      begin: String.raw`${W}(let)${E}(?:[ \t]+(${ID}))?`,
      beginCaptures: {
        1: { name: 'keyword.other.item.aic' },
        2: { name: 'entity.name.variable.aic' },
      },
      end: '$',
      patterns: [
        { include: '#comments' },
        { match: String.raw`=(?![=>])`, name: 'keyword.operator.assignment.aic' },
        { include: '#expression' },
      ],
    },
    'type-item': {
      name: 'meta.item.type.aic',
      begin: String.raw`${W}(type)${E}(?:[ \t]+(${ID}))?`,
      beginCaptures: {
        1: { name: 'keyword.other.item.aic' },
        2: { name: 'entity.name.type.aic' },
      },
      end: '$',
      patterns: [
        { include: '#comments' },
        { match: String.raw`=(?![=>])`, name: 'keyword.operator.assignment.aic' },
        { include: '#type' },
      ],
    },
    // `: TYPE` of a variable, up to its `=` or body.
    'type-annotation': {
      name: 'meta.type.annotation.aic',
      begin: ':',
      beginCaptures: { 0: { name: 'punctuation.separator.type.aic' } },
      end: String.raw`(?=[={])|$`,
      patterns: [{ include: '#type' }],
    },
    // `= EXPR` of a variable or output, up to the end of the line or a body's `{`.
    'declaration-value': {
      begin: String.raw`=(?![=>])`,
      beginCaptures: { 0: { name: 'keyword.operator.assignment.aic' } },
      end: String.raw`${AFTER_OPERAND}(?=[ \t]*\{)|$`,
      patterns: [{ include: '#expression' }],
    },
    // A top-level block: `resource TYPE NAME {`, `provider aws eu {`, `import {`, …
    'item-block': {
      patterns: [
        {
          name: 'meta.item.block.aic',
          begin: String.raw`${W}(resource|data)[ \t]+(${ID}|${STR})${LABELS}[ \t]*(\{)`,
          beginCaptures: {
            1: { name: 'keyword.other.item.aic' },
            2: {
              patterns: [
                { include: '#strings' },
                { match: ID, name: 'entity.name.type.resource.aic' },
              ],
            },
            3: labelCaptures,
            4: { name: 'punctuation.section.block.begin.aic' },
          },
          end: String.raw`\}`,
          endCaptures: { 0: { name: 'punctuation.section.block.end.aic' } },
          patterns: [{ include: '#body-content' }],
        },
        {
          name: 'meta.item.block.aic',
          begin: String.raw`${W}(?:(${ITEM_BLOCKS.join('|')})|(${ID}))${E}${LABELS}[ \t]*(\{)`,
          beginCaptures: {
            1: { name: 'keyword.other.item.aic' },
            // Not an item kind: E0105 (`locals {`, `resouce x y {`).
            2: { name: 'invalid.illegal.unknown-item.aic' },
            3: labelCaptures,
            4: { name: 'punctuation.section.block.begin.aic' },
          },
          end: String.raw`\}`,
          endCaptures: { 0: { name: 'punctuation.section.block.end.aic' } },
          patterns: [{ include: '#body-content' }],
        },
      ],
    },

    // ------------------------------------------------------------------ bodies
    body: {
      name: 'meta.block.aic',
      begin: String.raw`\{`,
      beginCaptures: { 0: { name: 'punctuation.section.block.begin.aic' } },
      end: String.raw`\}`,
      endCaptures: { 0: { name: 'punctuation.section.block.end.aic' } },
      patterns: [{ include: '#body-content' }],
    },
    'body-content': {
      patterns: [
        { include: '#comments' },
        { include: '#attribute' },
        { include: '#nested-block' },
        { match: ',', name: 'punctuation.separator.aic' },
        // A line that continues the previous attribute's expression.
        { include: '#expression' },
      ],
    },
    attribute: {
      name: 'meta.attribute.aic',
      begin: String.raw`${W}(${ID})[ \t]*(=)(?![=>])`,
      beginCaptures: {
        1: { name: 'variable.other.property.aic' },
        2: { name: 'keyword.operator.assignment.aic' },
      },
      // An attribute ends at the end of its line (brackets, strings and heredocs that
      // are still open carry it on), or at the `,` or `}` of a one-line block.
      end: String.raw`(?=[,}])|$`,
      patterns: [{ include: '#expression' }],
    },
    'nested-block': {
      name: 'meta.block.aic',
      begin: String.raw`${W}(${ID})${LABELS}[ \t]*(\{)`,
      beginCaptures: {
        1: { name: 'keyword.other.block.aic' },
        2: labelCaptures,
        3: { name: 'punctuation.section.block.begin.aic' },
      },
      end: String.raw`\}`,
      endCaptures: { 0: { name: 'punctuation.section.block.end.aic' } },
      patterns: [{ include: '#body-content' }],
    },

    // ------------------------------------------------------------------ types
    type: {
      patterns: [
        { include: '#comments' },
        {
          match: String.raw`${W}(list|set|map|object|tuple|optional)(?=[ \t]*\()`,
          name: 'support.type.aic',
        },
        { match: String.raw`${W}(string|number|bool|any)${E}`, name: 'support.type.primitive.aic' },
        { match: String.raw`${W}${ID}`, name: 'entity.name.type.aic' },
        { include: '#strings' },
        { match: String.raw`\|`, name: 'keyword.operator.type.union.aic' },
        {
          begin: String.raw`\(`,
          beginCaptures: { 0: { name: 'punctuation.section.parens.begin.aic' } },
          end: String.raw`\)`,
          endCaptures: { 0: { name: 'punctuation.section.parens.end.aic' } },
          patterns: [
            // `optional(T, DEFAULT)`: the default is an expression.
            {
              begin: ',',
              beginCaptures: { 0: { name: 'punctuation.separator.aic' } },
              end: String.raw`(?=\))`,
              patterns: [{ include: '#expression' }],
            },
            { include: '#type' },
          ],
        },
        {
          name: 'meta.type.object.aic',
          begin: String.raw`\{`,
          beginCaptures: { 0: { name: 'punctuation.section.braces.begin.aic' } },
          end: String.raw`\}`,
          endCaptures: { 0: { name: 'punctuation.section.braces.end.aic' } },
          patterns: [
            { include: '#comments' },
            {
              match: String.raw`(?:${W}(${ID})|(${STR}))[ \t]*(:)`,
              captures: {
                1: { name: 'variable.other.property.aic' },
                2: { patterns: [{ include: '#strings' }] },
                3: { name: 'punctuation.separator.type.aic' },
              },
            },
            { match: ',', name: 'punctuation.separator.aic' },
            { include: '#type' },
          ],
        },
        {
          begin: String.raw`\[`,
          beginCaptures: { 0: { name: 'punctuation.section.brackets.begin.aic' } },
          end: String.raw`\]`,
          endCaptures: { 0: { name: 'punctuation.section.brackets.end.aic' } },
          patterns: [{ match: ',', name: 'punctuation.separator.aic' }, { include: '#type' }],
        },
      ],
    },

    // ------------------------------------------------------------------ expressions
    expression: {
      patterns: [
        { include: '#comments' },
        { include: '#heredoc' },
        { include: '#strings' },
        { include: '#numbers' },
        { match: String.raw`${W}(for|in|if)${E}`, name: 'keyword.control.aic' },
        { match: String.raw`${W}(true|false)${E}`, name: 'constant.language.boolean.aic' },
        { match: String.raw`${W}null${E}`, name: 'constant.language.null.aic' },
        { match: String.raw`${W}(${ID})(?=\()`, captures: { 1: { name: 'support.function.aic' } } },
        {
          match: String.raw`${W}(var|env|each|count|data|module|rollout|path)(?=[ \t]*\.[A-Za-z_])`,
          name: 'variable.language.aic',
        },
        { match: String.raw`${W}self${E}`, name: 'variable.language.self.aic' },
        { match: String.raw`\.\.\.`, name: 'keyword.operator.spread.aic' },
        {
          match: String.raw`(\.)[ \t]*(${ID})`,
          captures: {
            1: { name: 'punctuation.accessor.aic' },
            2: { name: 'variable.other.member.aic' },
          },
        },
        { match: String.raw`${W}${ID}`, name: 'variable.other.readwrite.aic' },
        {
          name: 'meta.brackets.aic',
          begin: String.raw`\[`,
          beginCaptures: { 0: { name: 'punctuation.section.brackets.begin.aic' } },
          end: String.raw`\]`,
          endCaptures: { 0: { name: 'punctuation.section.brackets.end.aic' } },
          patterns: [
            { match: String.raw`(?<=\[)[ \t]*\*(?=[ \t]*\])`, name: 'keyword.operator.splat.aic' },
            { include: '#expression' },
          ],
        },
        {
          name: 'meta.parens.aic',
          begin: String.raw`\(`,
          beginCaptures: { 0: { name: 'punctuation.section.parens.begin.aic' } },
          end: String.raw`\)`,
          endCaptures: { 0: { name: 'punctuation.section.parens.end.aic' } },
          patterns: [{ include: '#expression' }],
        },
        { include: '#object' },
        { include: '#operators' },
      ],
    },
    object: {
      name: 'meta.braces.aic',
      begin: String.raw`\{`,
      beginCaptures: { 0: { name: 'punctuation.section.braces.begin.aic' } },
      end: String.raw`\}`,
      endCaptures: { 0: { name: 'punctuation.section.braces.end.aic' } },
      patterns: [
        { include: '#comments' },
        // A key starts an element: after `{`, `,` or at the start of a line.
        {
          match: String.raw`(?:^|(?<=[{,]))[ \t]*(?:(${ID})|(${STR}))[ \t]*(=(?![=>])|:)`,
          captures: {
            1: { name: 'variable.other.property.aic' },
            2: { patterns: [{ include: '#strings' }] },
            3: { name: 'keyword.operator.assignment.aic' },
          },
        },
        { include: '#expression' },
      ],
    },
    operators: {
      patterns: [
        { match: '=>', name: 'keyword.operator.arrow.aic' },
        { match: String.raw`\?\?`, name: 'keyword.operator.coalesce.aic' },
        { match: String.raw`\|\||&&|!(?!=)`, name: 'keyword.operator.logical.aic' },
        { match: String.raw`==|!=|<=|>=|<|>`, name: 'keyword.operator.comparison.aic' },
        { match: String.raw`[-+*%]|/(?![/*])`, name: 'keyword.operator.arithmetic.aic' },
        { match: String.raw`\?|:`, name: 'keyword.operator.ternary.aic' },
        { match: '=', name: 'keyword.operator.assignment.aic' },
        { match: ',', name: 'punctuation.separator.aic' },
      ],
    },
    numbers: {
      patterns: [
        {
          match: String.raw`${W}[0-9][0-9_]*(?:\.[0-9][0-9_]*)?(?:[eE][+-]?[0-9]+)?${E}`,
          name: 'constant.numeric.aic',
        },
        // `10m`, `1e`: a number may not run into a letter (write "10m").
        { match: String.raw`${W}[0-9][A-Za-z0-9_]*`, name: 'invalid.illegal.number.aic' },
      ],
    },

    // ------------------------------------------------------------------ strings
    strings: {
      name: 'string.quoted.double.aic',
      begin: '"',
      beginCaptures: { 0: { name: 'punctuation.definition.string.begin.aic' } },
      // A quoted string stays on one line: an unclosed one ends there (E0102) instead of
      // swallowing the rest of the file.
      end: String.raw`(")|$`,
      endCaptures: { 1: { name: 'punctuation.definition.string.end.aic' } },
      patterns: [
        {
          match: String.raw`\\(?:[nrt"\\]|u\{[0-9A-Fa-f]{1,6}\})`,
          name: 'constant.character.escape.aic',
        },
        { match: String.raw`\\.?`, name: 'invalid.illegal.escape.aic' },
        { include: '#template' },
      ],
    },
    heredoc: {
      // `<<EOT` or `<<-EOT` ends its line; the text runs to the line whose first word,
      // after any indentation, is the marker (which may be followed by `)` or `,`).
      name: 'string.unquoted.heredoc.aic',
      begin: String.raw`(<<-?)(${ID})(?=[ \t]*$)`,
      beginCaptures: {
        1: { name: 'punctuation.definition.string.begin.aic' },
        2: { name: 'keyword.control.heredoc-token.aic' },
      },
      end: String.raw`^[ \t]*(\2)${E}`,
      endCaptures: { 1: { name: 'keyword.control.heredoc-token.aic' } },
      patterns: [{ include: '#template' }],
    },
    // What strings and heredocs share: `$${` (a literal `${`) and `${ expr }`.
    template: {
      patterns: [
        { match: String.raw`\$\$\{`, name: 'constant.character.escape.aic' },
        {
          name: 'meta.interpolation.aic',
          begin: String.raw`\$\{`,
          beginCaptures: { 0: { name: 'punctuation.section.interpolation.begin.aic' } },
          end: String.raw`\}`,
          endCaptures: { 0: { name: 'punctuation.section.interpolation.end.aic' } },
          contentName: 'meta.embedded.line.aic',
          patterns: [{ include: '#expression' }],
        },
      ],
    },
  },
};

module.exports = grammar;

if (require.main === module) {
  const out = path.join(__dirname, 'aic.tmLanguage.json');
  fs.writeFileSync(out, JSON.stringify(grammar, null, 2) + '\n');
  console.log(`wrote ${path.relative(process.cwd(), out)}`);
}
