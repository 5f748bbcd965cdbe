#!/usr/bin/env bash
# The main job: build aic, then validate, plan and apply examples/quickstart offline on the
# embedded local state backend (.aic/state/ in the example directory), and show that a
# second plan has nothing left to do.
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$HOME/.cache/aic-target}
cargo build --quiet --release -p aic-cli
aic=$CARGO_TARGET_DIR/release/aic
env=${AIC_ENV:-development}
cd examples/quickstart
run() { printf '\n$ aic %s\n' "$*"; "$aic" "$@"; }
run validate --env "$env"
run plan --env "$env"
run apply --env "$env" --auto-approve
run plan --env "$env" --detailed-exitcode
run state list --env "$env"
printf '\nFiles written:\n'
ls -1 out/
