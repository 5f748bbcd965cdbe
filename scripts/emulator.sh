#!/usr/bin/env bash
# aic's local emulators of cloud APIs that have no emulator of their own (see emulators/README.md).
#
#   scripts/emulator.sh list                 the emulators this checkout ships
#   scripts/emulator.sh install [NAME...]    create each emulator's venv (idempotent; all by default)
#   scripts/emulator.sh start NAME [KEY=JSON...]
#                                            start NAME on a free 127.0.0.1 port in the background;
#                                            prints one line: endpoint=URL pid=PID
#   scripts/emulator.sh stop PID             stop an emulator started by `start`
#   scripts/emulator.sh test [NAME...]       check each emulator with the cloud's own client
#
# Each emulator lives in emulators/NAME/ (server.py; requirements.txt for the server,
# requirements-test.txt for the cloud's own client its fidelity tests use). Its venv lives in
# ${AIC_CACHE:-$HOME/.cache/aic}/emulator-NAME-venv. KEY=JSON arguments to `start` are initial
# settings (the same knobs as the control API's POST /_emulator/settings).
set -euo pipefail

root="$(cd "$(dirname "$0")/.." && pwd)"
cache="${AIC_CACHE:-$HOME/.cache/aic}"

usage() {
  sed -n '2,15p' "$0" | sed 's/^# \{0,1\}//' >&2
  exit 2
}

names() {
  local d
  for d in "$root"/emulators/*/server.py; do
    [[ -e "$d" ]] || continue
    basename "$(dirname "$d")"
  done
}

check_name() {
  if [[ ! -f "$root/emulators/$1/server.py" ]]; then
    echo "unknown emulator '$1'; known: $(names | tr '\n' ' ')" >&2
    exit 2
  fi
}

venv_of() { echo "$cache/emulator-$1-venv"; }

# A stamp holds the digest of the requirement files, so an edited requirements file reinstalls.
req_digest() {
  cat "$root/emulators/$1"/requirements*.txt 2>/dev/null | sha256sum | cut -c1-16
}

install_one() {
  local name=$1 venv stamp
  check_name "$name"
  venv=$(venv_of "$name")
  stamp="$venv/.aic-$(req_digest "$name")"
  if [[ -x "$venv/bin/python" && -f "$stamp" ]]; then
    return 0
  fi
  mkdir -p "$cache"
  rm -rf "$venv"
  python3 -m venv "$venv"
  local reqs=()
  for f in "$root/emulators/$name"/requirements*.txt; do
    [[ -e "$f" ]] && reqs+=(-r "$f")
  done
  "$venv/bin/pip" install --quiet --disable-pip-version-check pytest "${reqs[@]}"
  touch "$stamp"
  echo "emulator $name: venv ready in $venv" >&2
}

python_of() {
  local venv
  venv=$(venv_of "$1")
  if [[ -x "$venv/bin/python" && -f "$venv/.aic-$(req_digest "$1")" ]]; then
    echo "$venv/bin/python"
  else
    echo "emulator $1 is not installed (or its requirements changed); run: scripts/emulator.sh install $1" >&2
    exit 1
  fi
}

start() {
  local name=${1:?usage: scripts/emulator.sh start NAME [KEY=JSON...]}
  shift
  check_name "$name"
  local py tmp log pid port settings=()
  py=$(python_of "$name")
  tmp=$(mktemp -d "${TMPDIR:-/tmp}/aic-emulator-$name.XXXXXX")
  log="$tmp/server.log"
  for kv in "$@"; do settings+=(--setting "$kv"); done
  PYTHONPATH="$root/emulators${PYTHONPATH:+:$PYTHONPATH}" setsid "$py" "$root/emulators/$name/server.py" \
    --host 127.0.0.1 --port 0 --port-file "$tmp/port" "${settings[@]}" >"$log" 2>&1 </dev/null &
  pid=$!
  for _ in $(seq 1 600); do
    if [[ -s "$tmp/port" ]]; then
      port=$(cat "$tmp/port")
      if curl -fsS -o /dev/null "http://127.0.0.1:$port/_emulator/health" 2>/dev/null; then
        echo "endpoint=http://127.0.0.1:$port pid=$pid"
        return 0
      fi
    fi
    if ! kill -0 "$pid" 2>/dev/null; then
      echo "emulator $name exited before it answered; its log:" >&2
      cat "$log" >&2
      exit 1
    fi
    sleep 0.1
  done
  kill "$pid" 2>/dev/null || true
  echo "emulator $name did not answer within 60 s; see $log" >&2
  exit 1
}

stop() {
  local pid=${1:?usage: scripts/emulator.sh stop PID}
  kill "$pid" 2>/dev/null || true
  for _ in $(seq 1 50); do
    kill -0 "$pid" 2>/dev/null || return 0
    sleep 0.1
  done
  kill -9 "$pid" 2>/dev/null || true
}

run_tests() {
  local name py
  for name in "$@"; do
    check_name "$name"
    [[ -d "$root/emulators/$name/tests" ]] || { echo "emulator $name has no tests/" >&2; exit 1; }
    py=$(python_of "$name")
    echo "==> emulator $name: fidelity tests with the cloud's own client" >&2
    (cd "$root/emulators/$name" && PYTHONPATH="$root/emulators${PYTHONPATH:+:$PYTHONPATH}" \
      AIC_EMULATOR_SCRIPT="$root/scripts/emulator.sh" "$py" -m pytest -q -p no:cacheprovider tests)
  done
}

all_or() {
  if [[ $# -gt 0 ]]; then printf '%s\n' "$@"; else names; fi
}

cmd=${1:-}
shift || true
case "$cmd" in
  list) names ;;
  install) for n in $(all_or "$@"); do install_one "$n"; done ;;
  start) start "$@" ;;
  stop) stop "${1:-}" ;;
  test) mapfile -t ns < <(all_or "$@"); run_tests "${ns[@]}" ;;
  *) usage ;;
esac
