#!/usr/bin/env bash
# A real headless browser for the picture tests (cli/tests/e2e_graph.rs): Debian's
# Chromium, and mermaid.js from the npm registry (what code hosts use to draw the
# Mermaid diagrams of Markdown plans).
#
#   scripts/browser.sh install   apt-get install chromium if missing; npm install mermaid into
#                                ~/.cache/aic-browser (AIC_BROWSER_CACHE overrides)
#   scripts/browser.sh paths     prints chromium=PATH mermaid=PATH, failing when one is missing
set -euo pipefail

MERMAID_VERSION=12.4.0
cache=${AIC_BROWSER_CACHE:-$HOME/.cache/aic-browser}
mermaid=$cache/node_modules/mermaid/dist/mermaid.min.js

usage() {
  sed -n '2,9p' "$0" | sed 's/^# \{0,1\}//' >&2
  exit 2
}

install() {
  if ! command -v chromium >/dev/null 2>&1; then
    if [[ $(id -u) -ne 0 ]]; then
      echo "Chromium is not installed; run as root: apt-get install -y chromium" >&2
      exit 1
    fi
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends chromium >/dev/null
  fi
  if [[ ! -f $mermaid ]]; then
    mkdir -p "$cache"
    (cd "$cache" && npm install --no-audit --no-fund --silent "mermaid@$MERMAID_VERSION" >/dev/null)
  fi
  paths
}

paths() {
  local chromium
  chromium=$(command -v chromium) || { echo "no chromium: run scripts/browser.sh install" >&2; exit 1; }
  [[ -f $mermaid ]] || { echo "no $mermaid: run scripts/browser.sh install" >&2; exit 1; }
  echo "chromium=$chromium mermaid=$mermaid"
}

case ${1:-} in
  install) install ;;
  paths) paths ;;
  *) usage ;;
esac
