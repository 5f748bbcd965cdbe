#!/usr/bin/env bash
# The editor support's tests (run by scripts/test.sh): installs the locked npm
# dependencies, runs the Node tests (the TextMate grammar against every .aic file of the
# repository, the language configuration, the language client against a fake `aic lsp`),
# then packages the .vsix, checks what is in it and runs the packaged extension against the
# real `aic lsp` named by AIC_BIN (scripts/test.sh sets it to the binary its tests built).
set -euo pipefail
cd "$(dirname "$0")"

if [[ -z ${AIC_BIN:-} || ! -x ${AIC_BIN} ]]; then
  echo "editors/vscode/test.sh: set AIC_BIN to an aic binary for the packaged extension to run (cargo build -p aic-cli; AIC_BIN=\$CARGO_TARGET_DIR/debug/aic) — scripts/test.sh does both" >&2
  exit 1
fi
export AIC_BIN=$(cd "$(dirname "$AIC_BIN")" && pwd)/$(basename "$AIC_BIN")

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
