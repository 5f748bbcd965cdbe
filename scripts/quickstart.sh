#!/usr/bin/env bash
# The main job: build aic and run it on examples/quickstart, offline.
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$HOME/.cache/aic-target}
cargo build --quiet -p aic-cli
aic=$CARGO_TARGET_DIR/debug/aic
example=examples/quickstart
for env in development staging; do
  echo "==> aic validate --env $env"
  "$aic" validate --dir "$example" --env "$env"
done
echo "==> aic fmt --check"
"$aic" fmt --check "$example"
