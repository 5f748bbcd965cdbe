#!/usr/bin/env bash
# Whole-process benchmarks of aic against Terraform 1.0.3 (see docs/performance.md).
#
# Usage: benches/run.sh [BENCH...]
#   BENCH: null1000 noop10000 sleepdag (engine.py), validate (validate.py), lsp (lsp.py),
#   scale (scale.py: 1k/10k/100k resources, aic alone; SCALE_SIZES="1000 10000" to choose),
#   state (state_backends.py: 1,000 resources with the state on local files, PostgreSQL and
#   S3, aic alone; needs scripts/postgres.sh and scripts/moto.sh installed),
#   rollout (rollout.py: a four-phase rollout over 20 regions, aic's own delivery time),
#   azure (azure.py: 50 Linux VMs created at parallelism 10 and a refresh of 300 VMs through
#   the azurerm provider against the project's ARM emulator, aic alone; needs
#   scripts/emulator.sh install azure, which it runs);
#   default null1000 noop10000 sleepdag validate.
#
# Builds aic in release mode, installs the Terraform peer, generates configurations into a
# temporary directory, runs aic and Terraform in the same run and prints Markdown tables
# on stdout (progress on stderr).
#
# Environment:
#   RUNS=3                  runs (or rounds) per measurement; medians are reported
#   AIC_BIN=PATH            use this aic binary instead of building one
#   TERRAFORM_PEER=PATH     the peer install script
#                           (default: ../shared/tools/terraform-peer.sh next to the repository)
#   NO_TERRAFORM=1          measure aic alone
#   BENCH_DIR=DIR           where configurations are generated (default: a fresh temp dir,
#                           removed at the end)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$HOME/.cache/aic-target}
export RUNS=${RUNS:-3}

benches=("$@")
[[ ${#benches[@]} -eq 0 ]] && benches=(null1000 noop10000 sleepdag validate)

if [[ -z ${AIC_BIN:-} ]]; then
  echo "[bench] building aic (release)" >&2
  (cd "$root" && cargo build --release -q -p aic-cli)
  AIC_BIN=$CARGO_TARGET_DIR/release/aic
fi
export AIC_BIN

TF_BIN=
if [[ -z ${NO_TERRAFORM:-} ]]; then
  peer=${TERRAFORM_PEER:-$root/../shared/tools/terraform-peer.sh}
  if [[ ! -x $peer ]]; then
    echo "error: the Terraform peer install script is missing at $peer." >&2
    echo "Set TERRAFORM_PEER=/path/to/terraform-peer.sh, or NO_TERRAFORM=1 to measure aic alone." >&2
    exit 1
  fi
  TF_BIN=$("$peer")
fi
export TF_BIN

if [[ -n ${BENCH_DIR:-} ]]; then
  work=$BENCH_DIR
  mkdir -p "$work"
else
  work=$(mktemp -d "${TMPDIR:-/tmp}/aic-bench.XXXXXX")
  trap 'rm -rf "$work"' EXIT
fi

cpu=$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//')
mem=$(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo)
echo "## Benchmark run $(date -u +%Y-%m-%dT%H:%MZ)"
echo
echo "- machine: $(nproc) cores ($cpu), $mem; load average before the run: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "- aic: $(cd "$root" && git rev-parse --short HEAD)$(cd "$root" && git diff --quiet HEAD -- . 2>/dev/null || echo ' (with uncommitted changes)'), release build"
if [[ -n $TF_BIN ]]; then
  echo "- peer: $("$TF_BIN" version | head -1), hashicorp/null 2.1.2"
fi
echo "- runs per measurement: $RUNS"
echo

for b in "${benches[@]}"; do
  case $b in
    null1000 | noop10000 | sleepdag) python3 "$root/benches/engine.py" "$work" "$b" ;;
    validate) python3 "$root/benches/validate.py" "$work" ;;
    lsp) python3 "$root/benches/lsp.py" "$work" ;;
    # shellcheck disable=SC2086 # the sizes are words
    scale) python3 "$root/benches/scale.py" "$work" ${SCALE_SIZES:-} ;;
    state) python3 "$root/benches/state_backends.py" "$work" ;;
    rollout) python3 "$root/benches/rollout.py" "$work" ;;
    azure) python3 "$root/benches/azure.py" "$work" ;;
    *)
      echo "error: unknown benchmark \`$b\`; choose from null1000 noop10000 sleepdag validate lsp scale state rollout azure" >&2
      exit 1
      ;;
  esac
done
echo "load average after the run: $(cut -d' ' -f1-3 /proc/loadavg)"
