#!/usr/bin/env python3
"""Applying 1,000 `null_resource`s with the state on each backend: local files, PostgreSQL
(a throw-away server from scripts/postgres.sh) and S3 (moto from scripts/moto.sh), and
the ratio of each to local (docs/performance.md, "State backends").

Usage: AIC_BIN=PATH benches/state_backends.py [WORK_DIR]     (RUNS=3 by default), or
       benches/run.sh state

Every operation is durable on every backend (local: fsync; PostgreSQL: a commit with the
server's default synchronous_commit; S3: the object written before the call returns).
Each run applies into an empty state (a fresh schema, bucket key or directory) and then
destroys, both timed. Standard library only.
"""

import os
import statistics
import subprocess
import sys
import uuid

sys.path.insert(0, os.path.dirname(__file__))
from common import AIC, RUNS, Samples, fmt_s, fresh_dir, log, run, table, write  # noqa: E402

ROOT = os.path.normpath(os.path.join(os.path.dirname(__file__), ".."))
N = 1000


def start(script):
    out = subprocess.run(
        [os.path.join(ROOT, "scripts", script), "start"], capture_output=True, text=True
    )
    if out.returncode != 0:
        raise SystemExit(f"cannot start a back end; run `scripts/{script} install`.\n{out.stderr}")
    return out.stdout


def stop(script, arg):
    subprocess.run([os.path.join(ROOT, "scripts", script), "stop", arg], capture_output=True)


def create_bucket(endpoint, name):
    import http.client

    host = endpoint.replace("http://", "")
    c = http.client.HTTPConnection(host)
    c.request("PUT", f"/{name}")
    r = c.getresponse()
    if r.status != 200:
        raise SystemExit(f"moto did not create bucket {name}: {r.status}")


def config(backend):
    return f"{backend}\n\nresource null_resource n {{\n  count = {N}\n}}\n"


def measure(name, work, backend_for_run, env):
    applies, destroys = Samples("apply"), Samples("destroy")
    for i in range(RUNS):
        d = fresh_dir(work, f"{name}-{i}")
        write(os.path.join(d, "main.aic"), config(backend_for_run()))
        wall, rss, cpu, _, out = run([AIC, "--no-color", "apply", "--auto-approve"], d, env=env)
        if f"{N} added" not in out:
            raise SystemExit(f"{name}: apply did not add {N}:\n{out[-1500:]}")
        applies.add(wall, rss, cpu)
        wall, rss, cpu, _, _ = run([AIC, "--no-color", "destroy", "--auto-approve"], d, env=env)
        destroys.add(wall, rss, cpu)
        log(f"{name} run {i + 1}: apply {fmt_s(applies.walls[-1])}, destroy {fmt_s(wall)}")
    return applies, destroys


def main():
    if not AIC:
        raise SystemExit("set AIC_BIN to the aic binary to measure")
    base = sys.argv[1] if len(sys.argv) > 1 else os.environ.get("BENCH_DIR", "/tmp")
    work = fresh_dir(base, "aic-bench-state")
    results = {}
    results["local"] = measure("local", work, lambda: "", {})

    pg = start("postgres.sh")
    fields = dict(w.split("=", 1) for w in pg.split() if "=" in w)
    try:
        results["postgres"] = measure(
            "postgres",
            work,
            lambda: 'backend postgres {\n  url = env_var("AIC_PG_URL")\n'
            f'  schema = "b{uuid.uuid4().hex[:12]}"\n}}',
            {"AIC_PG_URL": fields["url"]},
        )
    finally:
        stop("postgres.sh", fields["dir"])

    port, pid = start("moto.sh").split()[:2]
    endpoint = f"http://127.0.0.1:{port}"
    try:
        bucket = f"bench-{uuid.uuid4().hex[:12]}"
        create_bucket(endpoint, bucket)
        results["s3"] = measure(
            "s3",
            work,
            lambda: f'backend s3 {{\n  bucket = "{bucket}"\n  key = "b{uuid.uuid4().hex[:12]}.json"\n'
            f'  region = "us-east-1"\n  endpoint = "{endpoint}"\n}}',
            {
                "AWS_ACCESS_KEY_ID": "testing",
                "AWS_SECRET_ACCESS_KEY": "testing",
                "AWS_EC2_METADATA_DISABLED": "true",
            },
        )
    finally:
        stop("moto.sh", pid)

    local_apply = results["local"][0].median
    local_destroy = results["local"][1].median
    rows = []
    for name, (a, d) in results.items():
        rows.append(
            [
                name,
                a.spread(),
                f"{a.median / local_apply:.2f}×",
                d.spread(),
                f"{d.median / local_destroy:.2f}×",
                f"{a.peak_mb():.0f} MB",
            ]
        )
    print(f"\n{N} `null_resource`s, {RUNS} runs, median (min–max):\n")
    print(
        table(
            ["backend", "apply", "apply / local", "destroy", "destroy / local", "peak RSS"],
            rows,
        )
    )
    print("\nCPU of apply (median): " + ", ".join(
        f"{n} {fmt_s(statistics.median(a.cpus))}" for n, (a, _) in results.items()
    ))


if __name__ == "__main__":
    main()
