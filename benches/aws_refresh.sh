#!/usr/bin/env bash
# Refresh of 500 instances in one region through the `aws` provider against moto:
# read_many (bulk DescribeInstances) vs one read per instance — API calls and wall time.
#
#   benches/aws_refresh.sh [INSTANCES] [ROUNDS]      (defaults: 500 3)
#
# Installs moto on first use (scripts/moto.sh install), starts a server on a free port
# and stops it on exit.
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$HOME/.cache/aic-target}

scripts/moto.sh install
cargo build --quiet -p aic-provider-aws --example refresh-bench
read -r port pid < <(scripts/moto.sh start)
trap 'scripts/moto.sh stop "$pid"' EXIT
"$CARGO_TARGET_DIR/debug/examples/refresh-bench" "http://127.0.0.1:$port" "${1:-500}" "${2:-3}"
