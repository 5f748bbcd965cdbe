#!/usr/bin/env bash
# A throw-away PostgreSQL server for the tests of the `postgres` state backend
# (see ../shared/TESTING.md).
#
#   scripts/postgres.sh install      install Debian's postgresql package if initdb is missing
#   scripts/postgres.sh start        initdb in a temp dir and start a server on a free 127.0.0.1
#                                    port; prints one line: url=postgres://aic@127.0.0.1:PORT/postgres pid=PID dir=DIR
#   scripts/postgres.sh stop DIR     stop the server whose data lives in DIR and remove DIR
#
# PostgreSQL refuses to run as root, so when run as root the server runs as the `postgres`
# user. Authentication is `trust` on loopback only: these servers hold nothing but test state.
set -euo pipefail

usage() {
  sed -n '2,12p' "$0" | sed 's/^# \{0,1\}//' >&2
  exit 2
}

bindir() {
  local d
  for d in /usr/lib/postgresql/*/bin; do
    if [[ -x "$d/initdb" && -x "$d/pg_ctl" ]]; then
      echo "$d"
      return 0
    fi
  done
  return 1
}

install() {
  if bindir >/dev/null; then
    return 0
  fi
  if [[ $(id -u) -ne 0 ]]; then
    echo "PostgreSQL is not installed; run as root: apt-get install -y postgresql" >&2
    exit 1
  fi
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q postgresql >/dev/null
  bindir >/dev/null || { echo "apt-get installed postgresql but no initdb was found" >&2; exit 1; }
  echo "PostgreSQL installed: $(bindir)" >&2
}

as_owner() {
  if [[ $(id -u) -eq 0 ]]; then
    runuser -u postgres -- "$@"
  else
    "$@"
  fi
}

free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

start() {
  local bin dir port
  bin=$(bindir) || { echo "PostgreSQL is not installed; run: scripts/postgres.sh install" >&2; exit 1; }
  dir=$(mktemp -d "${TMPDIR:-/tmp}/aic-postgres.XXXXXX")
  chmod 755 "$dir"
  [[ $(id -u) -eq 0 ]] && chown postgres "$dir"
  as_owner "$bin/initdb" -D "$dir/data" -A trust -U aic --no-sync >"$dir/initdb.log" 2>&1 || {
    cat "$dir/initdb.log" >&2
    exit 1
  }
  port=$(free_port)
  if ! as_owner "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 30 \
    -o "-p $port -k $dir -c listen_addresses=127.0.0.1 -c fsync=on" start >/dev/null; then
    echo "PostgreSQL did not start; its log:" >&2
    cat "$dir/server.log" >&2
    exit 1
  fi
  echo "url=postgres://aic@127.0.0.1:$port/postgres pid=$(head -1 "$dir/data/postmaster.pid") dir=$dir"
}

stop() {
  local dir=${1:?usage: scripts/postgres.sh stop DIR}
  local bin
  bin=$(bindir) || exit 0
  if [[ -f "$dir/data/postmaster.pid" ]]; then
    as_owner "$bin/pg_ctl" -D "$dir/data" -m immediate -w stop >/dev/null 2>&1 || true
  fi
  rm -rf "$dir"
}

case "${1:-}" in
  install) install ;;
  start) start ;;
  stop) stop "${2:-}" ;;
  *) usage ;;
esac
