#!/usr/bin/env bash
# A throw-away Prometheus server for the tests of rollout analysis checks (see ../shared/TESTING.md).
#
#   scripts/prometheus.sh install                 install Debian's prometheus package if missing
#   scripts/prometheus.sh start HOST:PORT [...]   start a server on a free 127.0.0.1 port scraping
#                                                 the given targets every second; prints one line:
#                                                 url=http://127.0.0.1:PORT pid=PID dir=DIR
#   scripts/prometheus.sh stop PID DIR            stop it and remove DIR
set -euo pipefail

usage() {
  sed -n '2,9p' "$0" | sed 's/^# \{0,1\}//' >&2
  exit 2
}

binary() {
  command -v prometheus 2>/dev/null || { [[ -x /usr/bin/prometheus ]] && echo /usr/bin/prometheus; }
}

install() {
  if [[ -n $(binary) ]]; then
    return 0
  fi
  if [[ $(id -u) -ne 0 ]]; then
    echo "Prometheus is not installed; run as root: apt-get install -y --no-install-recommends prometheus" >&2
    exit 1
  fi
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends prometheus >/dev/null
  # The package enables a system service; the tests start their own servers instead.
  pkill -x prometheus 2>/dev/null || true
  [[ -n $(binary) ]] || { echo "apt-get installed prometheus but no binary was found" >&2; exit 1; }
  echo "Prometheus installed: $(binary)" >&2
}

free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

start() {
  [[ $# -ge 1 ]] || usage
  local bin dir port pid targets
  bin=$(binary) || true
  [[ -n $bin ]] || { echo "Prometheus is not installed; run: scripts/prometheus.sh install" >&2; exit 1; }
  dir=$(mktemp -d "${TMPDIR:-/tmp}/aic-prometheus.XXXXXX")
  targets=$(printf '"%s",' "$@")
  cat >"$dir/prometheus.yml" <<YML
global:
  scrape_interval: 1s
  evaluation_interval: 1s
scrape_configs:
  - job_name: aic-test
    scrape_interval: 1s
    static_configs:
      - targets: [${targets%,}]
YML
  port=$(free_port)
  setsid "$bin" --config.file="$dir/prometheus.yml" --storage.tsdb.path="$dir/data" \
    --web.listen-address="127.0.0.1:$port" >"$dir/server.log" 2>&1 </dev/null &
  pid=$!
  for _ in $(seq 1 200); do
    if curl -fsS -o /dev/null "http://127.0.0.1:$port/api/v1/query?query=up" 2>/dev/null; then
      echo "url=http://127.0.0.1:$port pid=$pid dir=$dir"
      return 0
    fi
    if ! kill -0 "$pid" 2>/dev/null; then
      echo "prometheus exited; its log:" >&2
      cat "$dir/server.log" >&2
      exit 1
    fi
    sleep 0.1
  done
  kill "$pid" 2>/dev/null || true
  echo "prometheus did not answer within 20 s; see $dir/server.log" >&2
  exit 1
}

stop() {
  local pid=${1:?usage: scripts/prometheus.sh stop PID DIR} dir=${2:-}
  kill "$pid" 2>/dev/null || true
  for _ in $(seq 1 50); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  kill -9 "$pid" 2>/dev/null || true
  [[ -n $dir && -d $dir ]] && rm -rf "$dir"
  return 0
}

case "${1:-}" in
  install) install ;;
  start) shift; start "$@" ;;
  stop) stop "${2:-}" "${3:-}" ;;
  *) usage ;;
esac
