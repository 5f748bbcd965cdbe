// The repository's `.aic` files: tracked ones, and new ones not yet committed.
'use strict';

const fs = require('fs');
const path = require('path');
const { execFileSync } = require('child_process');

const REPO = path.resolve(__dirname, '../../../..');

function corpus() {
  const out = execFileSync(
    'git',
    ['ls-files', '--cached', '--others', '--exclude-standard', '-z', '--', '*.aic'],
    { cwd: REPO, encoding: 'utf8' },
  );
  return [...new Set(out.split('\0').filter(Boolean))]
    .filter((f) => fs.existsSync(path.join(REPO, f)))
    .sort();
}

module.exports = { REPO, corpus };
