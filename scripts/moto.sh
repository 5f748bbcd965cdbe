#!/usr/bin/env bash
# moto, the AWS emulator the AWS provider's tests run against (see ../shared/TESTING.md).
#
#   scripts/moto.sh install      create the venv and install moto[server] (idempotent)
#   scripts/moto.sh start        start a server on a free 127.0.0.1 port; prints "PORT PID"
#   scripts/moto.sh stop PID     stop a server started by `start`
#   scripts/moto.sh server       print the path of the venv's moto_server binary
#
# The venv lives in ${AIC_CACHE:-$HOME/.cache/aic}/moto-venv. The tests of
# providers/aws start their own server from that venv (or from $AIC_MOTO_SERVER) and fail,
# naming `scripts/moto.sh install`, when it is missing.
set -euo pipefail

MOTO_VERSION=5.2.5
venv="${AIC_CACHE:-$HOME/.cache/aic}/moto-venv"
server="$venv/bin/moto_server"
stamp="$venv/.aic-moto-$MOTO_VERSION"

usage() {
  sed -n '2,11p' "$0" | sed 's/^# \{0,1\}//' >&2
  exit 2
}

install() {
  if [[ -x "$server" && -f "$stamp" ]]; then
    return 0
  fi
  mkdir -p "$(dirname "$venv")"
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check "moto[server]==$MOTO_VERSION"
  touch "$stamp"
  echo "moto $MOTO_VERSION installed in $venv" >&2
}

free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

start() {
  if [[ ! -x "$server" ]]; then
    echo "moto is not installed; run: scripts/moto.sh install" >&2
    exit 1
  fi
  local port pid log
  port=$(free_port)
  log="${TMPDIR:-/tmp}/aic-moto-$port.log"
  setsid "$server" -H 127.0.0.1 -p "$port" >"$log" 2>&1 </dev/null &
  pid=$!
  for _ in $(seq 1 100); do
    if curl -fsS -o /dev/null "http://127.0.0.1:$port/moto-api/" 2>/dev/null; then
      echo "$port $pid"
      return 0
    fi
    if ! kill -0 "$pid" 2>/dev/null; then
      echo "moto_server exited; see $log" >&2
      exit 1
    fi
    sleep 0.1
  done
  kill "$pid" 2>/dev/null || true
  echo "moto_server did not answer on port $port within 10 s; see $log" >&2
  exit 1
}

stop() {
  local pid=${1:?usage: scripts/moto.sh stop PID}
  kill "$pid" 2>/dev/null || true
  for _ in $(seq 1 50); do
    kill -0 "$pid" 2>/dev/null || return 0
    sleep 0.1
  done
  kill -9 "$pid" 2>/dev/null || true
}

case "${1:-}" in
  install) install ;;
  start) start ;;
  stop) stop "${2:-}" ;;
  server) echo "$server" ;;
  *) usage ;;
esac
