#!/usr/bin/env bash
# The editor support's tests (run by scripts/test.sh): installs the locked npm
# dependencies, runs the Node tests (the TextMate grammar against every .aic file of the
# repository, the language configuration, the language client against a fake `aic lsp`),
# then packages the .vsix and checks what is in it.
set -euo pipefail
cd "$(dirname "$0")"

if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
  echo "editors/vscode/test.sh: node and npm are missing; install Node.js 20 or later (apt-get install nodejs npm)" >&2
  exit 1
fi
major=$(node -p 'process.versions.node.split(".")[0]')
if (( major < 20 )); then
  echo "editors/vscode/test.sh: Node.js $(node --version) is too old; Node.js 20 or later is needed" >&2
  exit 1
fi

t0=$SECONDS
npm ci --ignore-scripts --no-audit --no-fund
t1=$SECONDS
node --test test/*.test.js
t2=$SECONDS
./package.sh --no-install
t3=$SECONDS
echo "editors/vscode: npm ci $((t1 - t0))s, tests $((t2 - t1))s, package and check $((t3 - t2))s"
