#!/usr/bin/env python3
"""Rollout delivery-time benchmark (docs/performance.md, section "Rollout delivery time").
Run through benches/run.sh.

  rollout   a four-phase rollout over 20 regions on the built-in providers: beta (staging,
            all 20 regions at once), initial (production's first region, canary
            10/50/100), enterprise (production's second region, blue-green) and global
            (production's 20 regions in waves of 5). Every phase has an HTTP health check
            answered at once by a loopback server and an assertion; `--no-pause`, no
            retries: the wall time is aic's own overhead (planning, applying, state
            writes, checks, progress records), nothing waited for. Measured for a first
            rollout (everything created) and a new release (everything changed, the
            canary region replaced three times, blue-green holding its marker).

Usage: rollout.py WORKDIR
"""

import http.server
import os
import sys
import threading

from common import AIC, RUNS, Samples, fresh_dir, log, run, table, write, yes_no

REGIONS = [f"r{i:02d}" for i in range(1, 21)]
TARGET_S = 2.0

MODULE = """
variable region: string
variable release: string
variable weight: number = 100

resource local_file config {
  filename = "out/${env.name}/${var.region}/config.json"
  content  = jsonencode({ region = var.region, release = var.release, weight = var.weight })
}

resource local_file marker {
  filename = "out/${env.name}/${var.region}/release-${var.release}.txt"
  content  = "${var.release}\\n"
}

output release_file = local_file.marker.filename
"""


def main_aic(port):
    regions = ", ".join(f'"{r}"' for r in REGIONS)
    health = f"http://127.0.0.1:{port}/healthz"
    check = (
        '    check health {\n'
        f'      http = "{health}?phase=${{rollout.phase}}"\n'
        "    }\n"
    )
    return f"""
variable release: string = "1"

environment staging {{
  regions = [{regions}]
}}

environment production {{
  regions = [{regions}]
}}

module region {{
  source   = "./modules/region"
  for_each = toset(env.regions)
  region   = each.key
  release  = var.release
  weight   = rollout.weight
}}

rollout release {{
  phase beta {{
    environment = staging
{check}    check markers {{
      assert  = length([for r in env.regions : module.region[r].release_file]) == 20
      message = "a region has no marker"
    }}
  }}
  phase initial {{
    environment = production
    targets     = [module.region["{REGIONS[0]}"]]
    strategy canary {{
      steps = [10, 50, 100]
      pause = "5m"
    }}
{check}  }}
  phase enterprise {{
    environment = production
    targets     = [module.region["{REGIONS[1]}"]]
    strategy blue_green {{}}
{check}    check marker {{
      assert  = module.region["{REGIONS[1]}"].release_file != ""
      message = "no marker"
    }}
  }}
  phase global {{
    environment = production
    targets     = [for r in env.regions : module.region[r]]
    strategy waves {{
      size  = 5
      pause = "10m"
    }}
{check}  }}
}}
"""


class Health(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        self.send_response(200)
        self.send_header("content-length", "0")
        self.end_headers()

    def log_message(self, *args):
        pass


def main():
    work = sys.argv[1]
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Health)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    port = server.server_address[1]
    first, second = Samples("first"), Samples("release")
    cmd = [AIC, "rollout", "release", "--auto-approve", "--no-pause", "--allow-destroy"]
    for i in range(RUNS):
        d = fresh_dir(work, f"rollout-{i}")
        write(os.path.join(d, "main.aic"), main_aic(port))
        write(os.path.join(d, "modules/region/main.aic"), MODULE)
        log(f"rollout: round {i + 1}/{RUNS}, first rollout")
        wall, rss, cpu, _, _ = run(cmd, d)
        first.add(wall, rss, cpu)
        log(f"rollout: round {i + 1}/{RUNS}, new release")
        wall, rss, cpu, _, _ = run(cmd + ["--var", "release=2"], d)
        second.add(wall, rss, cpu)
    server.shutdown()
    rows = []
    for label, s in [("first rollout (80 objects created)", first),
                     ("new release (every object changed)", second)]:
        rows.append([label, s.spread(), s.cpu_spread(), f"{s.peak_mb():.0f} MB",
                     f"< {TARGET_S:.0f} s", yes_no(s.median < TARGET_S)])
    print("### Rollout delivery time: four phases over 20 regions\n")
    print(table(["rollout", "wall", "CPU", "peak RSS", "target", "met"], rows))
    print()


if __name__ == "__main__":
    main()
