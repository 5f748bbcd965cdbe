#!/usr/bin/env python3
"""Scale benchmark (docs/performance.md, section "Scale"): does every step stay linear up to
100,000 resources? Run through benches/run.sh (`benches/run.sh scale`), or alone:
`AIC_BIN=PATH scale.py WORKDIR [SIZE...]` (default sizes 1000 10000 100000; SCALE_SIZES
overrides them in run.sh).

  For each size N, one configuration of the peer benchmark's shape (null1000 scaled up):
  a counted chain of 100 (instance i reads instance i - 1), N - 110 independent instances,
  and 10 instances reading all of the independent ones and the end of the chain.
  Measured, once per size (these are long): `aic validate`, a fresh `aic apply`, a
  no-change `aic plan` and `aic destroy` - wall time, CPU time (user + system) and peak RSS.
  The scaling column divides the time per resource at a size by the time per resource at
  the previous size, for wall and CPU time (CPU time is what a loaded machine distorts
  least): 1.0 is linear; above 1.3 the step grows faster than the estate.

Usage: scale.py WORKDIR [SIZE...]
"""

import os
import sys

from common import AIC, fmt_s, fresh_dir, log, run, table, write

CHAIN = 100
FAN = 10


def config(n):
    indep = n - CHAIN - FAN
    return (
        f"resource null_resource chain {{\n  count    = {CHAIN}\n"
        '  triggers = { prev = count.index == 0 ? "start" : '
        "null_resource.chain[count.index - 1].id }\n}\n\n"
        f"resource null_resource indep {{\n  count = {indep}\n}}\n\n"
        f"resource null_resource fan {{\n  count = {FAN}\n"
        '  triggers = { all = join(",", null_resource.indep[*].id), '
        f"last = null_resource.chain[{CHAIN - 1}].id }}\n}}\n"
    )


STEPS = [
    ("validate", ["validate"]),
    ("fresh apply", ["apply", "--auto-approve"]),
    ("no-change plan", ["plan", "--detailed-exitcode"]),
    ("destroy", ["destroy", "--auto-approve"]),
]


def measure(work, n):
    d = fresh_dir(work, f"scale{n}")
    write(os.path.join(d, "main.aic"), config(n))
    out = {}
    for name, args in STEPS:
        log(f"scale {n}: {name}")
        wall, rss, cpu, code, text = run([AIC, "--no-color", *args], d, check=False)
        if code != 0:
            raise SystemExit(f"`aic {' '.join(args)}` at {n} resources exited {code}:\n{text[-2000:]}")
        out[name] = (wall, cpu, rss)
    return out


def main():
    if not AIC:
        raise SystemExit("set AIC_BIN to the aic binary (benches/run.sh does)")
    work = sys.argv[1]
    sizes = [int(s) for s in sys.argv[2:]] or [1000, 10000, 100000]
    results = {n: measure(work, n) for n in sizes}
    print("### Scale: validate, fresh apply, no-change plan and destroy\n")
    rows = []
    for name, _ in STEPS:
        prev = None
        for n in sizes:
            wall, cpu, rss = results[n][name]
            per = (wall / n, cpu / n)
            scaling = (f"{per[0] / prev[0]:.2f} / {per[1] / prev[1]:.2f}"
                       if prev and prev[1] > 0 else "-")
            rows.append([name, f"{n:,}", fmt_s(wall), fmt_s(cpu), f"{rss / 1024:.0f} MB",
                         f"{per[0] * 1e6:.1f} us", scaling])
            prev = per
    print(table(["step", "resources", "wall", "CPU", "peak RSS", "wall per resource",
                 "scaling: per resource vs previous size (wall / CPU)"], rows))
    print()


if __name__ == "__main__":
    main()
