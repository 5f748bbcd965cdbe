#!/usr/bin/env bash
# Builds the VS Code extension: installs the locked dependencies (npm ci, from the npm
# registry only; no install scripts run) and packages aic-<version>.vsix here with vsce,
# offline. Prints the file's size and contents.
#   editors/vscode/package.sh            # → editors/vscode/aic-0.1.0.vsix
#   editors/vscode/package.sh --no-install   # reuse node_modules from a previous run
set -euo pipefail
cd "$(dirname "$0")"

if ! command -v npm >/dev/null 2>&1; then
  echo "package.sh: npm is missing; install Node.js 20 or later (apt-get install nodejs npm)" >&2
  exit 1
fi

if [[ "${1:-}" != "--no-install" || ! -d node_modules ]]; then
  npm ci --ignore-scripts --no-audit --no-fund
fi

version=$(node -p 'require("./package.json").version')
out="aic-${version}.vsix"
rm -f "$out"
npx --no-install vsce package --out "$out" --skip-license --allow-missing-repository
node test/support/check-vsix.js "$out"
