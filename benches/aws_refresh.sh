#!/usr/bin/env bash
# Refresh of 500 instances in one region through the `aws` provider against moto:
# read_many (bulk DescribeInstances) vs one read per instance — API calls and wall time.
#
#   benches/aws_refresh.sh [INSTANCES] [ROUNDS]      (defaults: 500 3)
#
# Installs moto on first use (scripts/moto.sh install), builds the measuring program
# (providers/aws/examples/refresh-bench.rs) with the workspace's test build (the same
# artifacts the test suite uses, so no second build of aws-sdk-ec2; the time is spent in
# moto, not in the client), starts a moto server on a free 127.0.0.1 port and stops it on
# exit. Prints a Markdown table on stdout.
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$HOME/.cache/aic-target}

scripts/moto.sh install
cargo build --quiet --locked --workspace --all-targets
read -r port pid < <(scripts/moto.sh start)
trap 'scripts/moto.sh stop "$pid"' EXIT
echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
echo
"$CARGO_TARGET_DIR/debug/examples/refresh-bench" "http://127.0.0.1:$port" "${1:-500}" "${2:-3}"
echo
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
