#!/usr/bin/env python3
"""Engine benchmarks (docs/performance.md, section "Engine"). Run through benches/run.sh.

  null1000   1,000 null_resources (a 100-long chain, 890 independent, 10 fanning in):
             fresh plan, apply, no-change plan and destroy, aic against Terraform.
  noop10000  `aic plan` of 10,000 unchanged resources: wall time and peak RSS.
  sleepdag   500 time_sleep of 50 ms (a chain of 20 and 480 independent), parallelism 10:
             apply makespan against its lower bound.

Usage: engine.py WORKDIR [null1000|noop10000|sleepdag]...
"""

import os
import re
import shutil
import sys

from common import (AIC, RUNS, TF, Samples, fmt_s, fresh_dir, log, rm_aic_state, run, table,
                    tf_required_providers, write, yes_no)

PARALLELISM = 10

# --- configurations ---------------------------------------------------------------------


def null1000_aic():
    # A counted chain: instance i reads instance i - 1, which aic evaluates per instance
    # (docs/performance.md, "Counted chains"), 890 independent, and 10 reading all of the
    # independent ones and the end of the chain.
    return (
        "resource null_resource chain {\n  count    = 100\n"
        '  triggers = { prev = count.index == 0 ? "start" : '
        "null_resource.chain[count.index - 1].id }\n}\n\n"
        "resource null_resource indep {\n  count = 890\n}\n\n"
        "resource null_resource fan {\n  count = 10\n"
        '  triggers = { all = join(",", null_resource.indep[*].id), '
        "last = null_resource.chain[99].id }\n}\n"
    )


def null1000_tf():
    # The same graph. Terraform's graph is per resource, so a counted resource reading
    # its own previous instance is a cycle there ("Error: Cycle: null_resource.chain[3],
    # ..."): its chain is 100 separate resources.
    out = [tf_required_providers()]
    out.append('resource "null_resource" "chain_0" {\n  triggers = { prev = "start" }\n}\n')
    for i in range(1, 100):
        out.append(
            f'resource "null_resource" "chain_{i}" {{\n'
            f"  triggers = {{ prev = null_resource.chain_{i - 1}.id }}\n}}\n"
        )
    out.append('resource "null_resource" "indep" {\n  count = 890\n}\n')
    out.append(
        'resource "null_resource" "fan" {\n  count = 10\n'
        '  triggers = { all = join(",", null_resource.indep[*].id), last = null_resource.chain_99.id }\n}\n'
    )
    return "\n".join(out)


def noop10000_aic():
    # 100 counted resources of 100 instances; instance i of r_k reads instance i of
    # r_(k-1): 100 chains of 100, with static indexes.
    out = []
    for k in range(100):
        prev = f", prev = null_resource.r{k - 1}[count.index].id" if k else ""
        out.append(
            f"resource null_resource r{k} {{\n  count    = 100\n"
            f'  triggers = {{ group = "g{k}", index = "${{count.index}}"{prev} }}\n}}\n'
        )
    return "\n".join(out)


def sleepdag_aic(chain, indep, duration):
    out = [f'resource time_sleep chain_0 {{\n  create_duration = "{duration}"\n}}\n']
    for i in range(1, chain):
        out.append(
            f'resource time_sleep chain_{i} {{\n  create_duration = "{duration}"\n'
            f"  triggers        = {{ prev = time_sleep.chain_{i - 1}.id }}\n}}\n"
        )
    out.append(
        f'resource time_sleep indep {{\n  count           = {indep}\n'
        f'  create_duration = "{duration}"\n}}\n'
    )
    return "\n".join(out)


def sleepdag_tf(chain, indep, seconds):
    # The peer has no time provider: a null_resource with a local-exec `sleep` does the
    # same wait (plus a process start).
    prov = f'  provisioner "local-exec" {{\n    command = "sleep {seconds}"\n  }}\n'
    out = [tf_required_providers()]
    out.append(f'resource "null_resource" "chain_0" {{\n{prov}}}\n')
    for i in range(1, chain):
        out.append(
            f'resource "null_resource" "chain_{i}" {{\n'
            f"  triggers = {{ prev = null_resource.chain_{i - 1}.id }}\n{prov}}}\n"
        )
    out.append(f'resource "null_resource" "indep" {{\n  count = {indep}\n{prov}}}\n')
    return "\n".join(out)


# --- helpers ----------------------------------------------------------------------------


def aic(*args):
    return [AIC, "--no-color", *args]


def tf(*args):
    return [TF, *args]


def tf_init(d):
    run(tf("init", "-input=false", "-no-color"), d)


def tf_clean_state(d):
    for f in os.listdir(d):
        if f.startswith("terraform.tfstate"):
            os.remove(os.path.join(d, f))


def expect(text, pattern, what):
    if not re.search(pattern, text):
        raise SystemExit(f"{what}: expected /{pattern}/ in the output, got:\n{text[-1500:]}")


def setup_runner():
    """`eatmydata` (when installed) makes fsync a no-op: used for untimed set-up only."""
    return ["eatmydata"] if shutil.which("eatmydata") else []


# --- benchmarks -------------------------------------------------------------------------


def bench_null1000(work):
    with_tf = bool(TF)
    a_dir = fresh_dir(work, "null1000-aic")
    write(os.path.join(a_dir, "main.aic"), null1000_aic())
    ops = ["plan (fresh)", "apply", "plan (no changes)", "destroy"]
    s_aic = {o: Samples(o) for o in ops}
    s_tf = {o: Samples(o) for o in ops}
    if with_tf:
        t_dir = fresh_dir(work, "null1000-tf")
        write(os.path.join(t_dir, "main.tf"), null1000_tf())
        tf_init(t_dir)
    par = str(PARALLELISM)
    for r in range(RUNS):
        log(f"null1000 round {r + 1}/{RUNS}")
        rm_aic_state(a_dir)
        w, m, c, _, out = run(aic("plan"), a_dir)
        expect(out, r"Plan: 1000 to add, 0 to change, 0 to destroy", "aic plan")
        s_aic["plan (fresh)"].add(w, m, c)
        w, m, c, _, out = run(aic("apply", "--auto-approve", "--parallelism", par), a_dir)
        expect(out, r"1000 added", "aic apply")
        s_aic["apply"].add(w, m, c)
        w, m, c, _, out = run(aic("plan"), a_dir)
        expect(out, r"No changes", "aic no-change plan")
        s_aic["plan (no changes)"].add(w, m, c)
        w, m, c, _, out = run(aic("destroy", "--auto-approve", "--parallelism", par), a_dir)
        expect(out, r"1000 destroyed", "aic destroy")
        s_aic["destroy"].add(w, m, c)
        if not with_tf:
            continue
        tf_clean_state(t_dir)
        p = f"-parallelism={par}"
        w, m, c, _, out = run(tf("plan", "-input=false", "-no-color", p), t_dir)
        expect(out, r"Plan: 1000 to add, 0 to change, 0 to destroy", "terraform plan")
        s_tf["plan (fresh)"].add(w, m, c)
        w, m, c, _, out = run(tf("apply", "-auto-approve", "-input=false", "-no-color", p), t_dir)
        expect(out, r"1000 added", "terraform apply")
        s_tf["apply"].add(w, m, c)
        w, m, c, _, out = run(tf("plan", "-input=false", "-no-color", p), t_dir)
        expect(out, r"No changes", "terraform no-change plan")
        s_tf["plan (no changes)"].add(w, m, c)
        w, m, c, _, out = run(tf("destroy", "-auto-approve", "-input=false", "-no-color", p), t_dir)
        expect(out, r"1000 destroyed", "terraform destroy")
        s_tf["destroy"].add(w, m, c)
    targets = {"plan (fresh)": 20, "apply": 50}
    rows = []
    for o in ops:
        a, t = s_aic[o], s_tf[o]
        ratio = t.median / a.median if with_tf else float("nan")
        cpu_ratio = t.cpu_median / a.cpu_median if with_tf else float("nan")
        target = targets.get(o)
        rows.append([
            f"`{o}`",
            a.spread(),
            a.cpu_spread(),
            f"{a.peak_mb():.0f} MB",
            t.spread() if with_tf else "not run",
            t.cpu_spread() if with_tf else "",
            f"{t.peak_mb():.0f} MB" if with_tf else "",
            f"{ratio:.1f}×" if with_tf else "",
            f"{cpu_ratio:.1f}×" if with_tf else "",
            f"≥ {target}×" if target else "—",
            (yes_no(ratio >= target) if with_tf else "?") if target else "—",
        ])
    print("### 1,000 `null_resource`s: aic against Terraform 1.0.3\n")
    print(f"Median of {RUNS} rounds (min–max); parallelism {PARALLELISM} for both. "
          "CPU is user + system time. \"met\" judges the wall-time speed-up.\n")
    print(table(["operation", "aic wall", "aic CPU", "aic peak RSS", "Terraform wall",
                 "Terraform CPU", "Terraform peak RSS", "speed-up (wall)", "speed-up (CPU)",
                 "target", "met"], rows))
    print()


def bench_noop10000(work):
    d = fresh_dir(work, "noop10000-aic")
    write(os.path.join(d, "main.aic"), noop10000_aic())
    log("noop10000: set-up apply of 10,000 resources (not timed)")
    run(setup_runner() + aic("apply", "--auto-approve", "--parallelism", "10"), d)
    s = Samples("plan")
    for r in range(RUNS):
        w, m, c, _, out = run(aic("plan"), d)
        expect(out, r"No changes", "aic no-change plan of 10,000")
        s.add(w, m, c)
        log(f"noop10000 run {r + 1}/{RUNS}: {fmt_s(w)}, {m / 1024:.0f} MB")
    ok_t = s.median <= 1.0
    ok_m = s.peak_mb() <= 300
    print("### 10,000 unchanged resources: `aic plan`\n")
    print(f"Median of {RUNS} runs (min–max); 100 counted `null_resource`s of 100 instances, "
          "instance i of each reading instance i of the previous one.\n")
    print(table(["measure", "aic", "target", "met"], [
        ["wall time", s.spread(), "≤ 1 s", yes_no(ok_t)],
        ["peak RSS", f"{s.peak_mb():.0f} MB", "≤ 300 MB", yes_no(ok_m)],
        ["CPU time (user + system)", s.cpu_spread(), "—", "—"],
    ]))
    print()


def bench_sleepdag(work):
    chain, indep, ms = 20, 480, 50
    total = chain + indep
    bound = max(chain * ms, total * ms / PARALLELISM) / 1000
    d = fresh_dir(work, "sleepdag-aic")
    write(os.path.join(d, "main.aic"), sleepdag_aic(chain, indep, f"{ms}ms"))
    walls, spans = [], []
    for r in range(RUNS):
        rm_aic_state(d)
        marks = {"first": None, "last": None, "done": 0}

        def on_line(t, line):
            if line.endswith("Creating...\n") and marks["first"] is None:
                marks["first"] = t
            if "Creation complete" in line:
                marks["last"] = t
                marks["done"] += 1

        w, _, _, _, out = run(aic("apply", "--auto-approve", "--parallelism", str(PARALLELISM)), d,
                           on_line=on_line)
        expect(out, rf"{total} added", "aic apply of time_sleep")
        if marks["done"] != total or marks["first"] is None:
            raise SystemExit(f"sleepdag: saw {marks['done']} completions, expected {total}")
        walls.append(w)
        spans.append(marks["last"] - marks["first"])
        log(f"sleepdag run {r + 1}/{RUNS}: makespan {fmt_s(spans[-1])}, process {fmt_s(w)}")
    t_spans = []
    if TF:
        t_dir = fresh_dir(work, "sleepdag-tf")
        write(os.path.join(t_dir, "main.tf"), sleepdag_tf(chain, indep, ms / 1000))
        tf_init(t_dir)
        for r in range(RUNS):
            tf_clean_state(t_dir)
            w, _, _, _, out = run(tf("apply", "-auto-approve", "-input=false", "-no-color",
                                  f"-parallelism={PARALLELISM}"), t_dir)
            expect(out, rf"{total} added", "terraform apply of sleeps")
            t_spans.append(w)
            log(f"sleepdag terraform run {r + 1}/{RUNS}: process {fmt_s(w)}")
    sa = Samples("makespan")
    for s in spans:
        sa.add(s, 0)
    sw = Samples("process")
    for s in walls:
        sw.add(s, 0)
    over = sa.median / bound - 1
    print(f"### {total} `time_sleep`s of {ms} ms, parallelism {PARALLELISM}\n")
    print(f"A chain of {chain} and {indep} independent. Lower bound max(critical path "
          f"{chain}×{ms} ms, work {total}×{ms} ms / {PARALLELISM}) = {fmt_s(bound)}. "
          f"Makespan: first `Creating...` to last `Creation complete` on stderr. "
          f"Median of {RUNS} runs (min–max).\n")
    rows = [
        ["aic apply makespan", sa.spread(), f"{over * 100:+.1f} %", "within 10 %",
         yes_no(over <= 0.10)],
        ["aic apply, whole process", sw.spread(), f"{(sw.median / bound - 1) * 100:+.1f} %", "—",
         "—"],
    ]
    if t_spans:
        st = Samples("tf")
        for s in t_spans:
            st.add(s, 0)
        rows.append(["Terraform apply, whole process (null_resource + local-exec sleep)",
                     st.spread(), f"{(st.median / bound - 1) * 100:+.1f} %", "—", "—"])
    print(table(["measure", "time", "over the bound", "target", "met"], rows))
    print()


BENCHES = {"null1000": bench_null1000, "noop10000": bench_noop10000, "sleepdag": bench_sleepdag}

if __name__ == "__main__":
    if not AIC:
        raise SystemExit("set AIC_BIN (benches/run.sh does)")
    work = sys.argv[1]
    names = sys.argv[2:] or list(BENCHES)
    for n in names:
        BENCHES[n](work)
