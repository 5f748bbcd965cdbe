#!/usr/bin/env bash
# The whole test suite, from a fresh machine: formatting, lints, and every test.
# Installs what the tests need on first run; reruns are incremental because the cargo
# target directory lives outside the clone (override with CARGO_TARGET_DIR).
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$HOME/.cache/aic-target}
export CARGO_TERM_COLOR=${CARGO_TERM_COLOR:-never}
export INSTA_UPDATE=no   # snapshots are checked, never rewritten, here
# Cargo reuses a test binary compiled in another clone of the same sources (the target
# directory is shared), and compile-time paths would point into that clone: insta finds
# this checkout's snapshots through this variable, the tests their files through the
# CARGO_MANIFEST_DIR that cargo sets when it runs them.
export INSTA_WORKSPACE_ROOT="$PWD"

step() { printf '\n==> %s\n' "$*"; }

step "test back ends: moto (AWS emulator)"
scripts/moto.sh install

step "test back ends: PostgreSQL (the postgres state backend; each test starts a throw-away server)"
scripts/postgres.sh install

step "test back ends: Prometheus (the rollout analysis tests start throw-away servers)"
scripts/prometheus.sh install

step "test back ends: the project's emulators (Azure, GKE, Greengrass V2, IBM Quantum)"
scripts/emulator.sh install

step "test back ends: headless Chromium and mermaid.js for the picture tests"
scripts/browser.sh install >/dev/null

step "test back ends: Terraform 1.0.3, the peer of the differential tests"
peer=../shared/tools/terraform-peer.sh
if [[ ! -f $peer ]]; then
  echo "missing $peer: it installs Terraform 1.0.3, which stdlib's differential test needs" >&2
  exit 1
fi
bash "$peer" >/dev/null

step "cargo fmt --check"
cargo fmt --all -- --check

step "cargo clippy (warnings are errors)"
cargo clippy --workspace --all-targets --locked -- -D warnings

step "tests"
if command -v cargo-nextest >/dev/null 2>&1; then
  cargo nextest run --workspace --locked --no-fail-fast
  # nextest does not run doctests
  cargo test --workspace --locked --doc
else
  cargo test --workspace --locked --no-fail-fast
fi

step "emulator fidelity: each emulator driven by the cloud's own client"
scripts/emulator.sh test

step "editors/vscode: the grammar against every .aic file, the language client, the .vsix run against this aic lsp (npm; ~40 s)"
AIC_BIN="$CARGO_TARGET_DIR/debug/aic" editors/vscode/test.sh

step "all tests passed"
