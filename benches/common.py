"""Shared helpers of the whole-process benchmarks: running commands with wall time and
peak RSS, medians, Markdown tables. Standard library only (Python 3.8+)."""

import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

AIC = os.environ.get("AIC_BIN", "")
TF = os.environ.get("TF_BIN", "")
RUNS = int(os.environ.get("RUNS", "3"))


def log(msg):
    print(f"[bench] {msg}", file=sys.stderr, flush=True)


def run(cmd, cwd, check=True, env=None, on_line=None):
    """Runs `cmd` in `cwd`; returns (wall seconds, peak RSS in KiB, CPU seconds, exit code,
    stdout).

    Peak RSS and CPU time (user + system, all threads and waited-for children) are the
    child's own `ru_maxrss`, `ru_utime` and `ru_stime` (from wait4), so each run is
    measured alone. On a loaded machine CPU time is the figure that load distorts least.
    stderr is read line by line and passed to `on_line(time, line)` when given.
    """
    full_env = dict(os.environ)
    full_env.update(env or {})
    full_env.setdefault("NO_COLOR", "1")
    with tempfile.TemporaryFile() as stdout, tempfile.TemporaryFile() as stderr:
        start = time.perf_counter()
        p = subprocess.Popen(
            cmd,
            cwd=cwd,
            env=full_env,
            stdin=subprocess.DEVNULL,
            stdout=stdout,
            stderr=subprocess.PIPE if on_line else stderr,
        )
        if on_line:
            for raw in p.stderr:
                on_line(time.perf_counter(), raw.decode("utf-8", "replace"))
        _, status, usage = os.wait4(p.pid, 0)
        wall = time.perf_counter() - start
        p.returncode = os.waitstatus_to_exitcode(status)
        stdout.seek(0)
        out = stdout.read()
        stderr.seek(0)
        err = stderr.read().decode("utf-8", "replace")
    text = out.decode("utf-8", "replace")
    if check and p.returncode != 0:
        raise SystemExit(
            f"command failed ({p.returncode}) in {cwd}: {' '.join(cmd)}\n{text[-2000:]}{err[-2000:]}"
        )
    return wall, usage.ru_maxrss, usage.ru_utime + usage.ru_stime, p.returncode, text


class Samples:
    """Wall times, peak RSS and CPU times of repeated runs of one operation."""

    def __init__(self, name):
        self.name = name
        self.walls = []
        self.rss = []
        self.cpus = []

    def add(self, wall, rss, cpu=None):
        self.walls.append(wall)
        self.rss.append(rss)
        if cpu is not None:
            self.cpus.append(cpu)

    @property
    def cpu_median(self):
        return statistics.median(self.cpus) if self.cpus else float("nan")

    def cpu_spread(self):
        return spread_of(self.cpus)

    @property
    def median(self):
        return statistics.median(self.walls) if self.walls else float("nan")

    def spread(self):
        return spread_of(self.walls)

    def peak_mb(self):
        return max(self.rss) / 1024 if self.rss else float("nan")


def spread_of(values):
    """"median (min–max)" of seconds."""
    if not values:
        return "n/a"
    return f"{fmt_s(statistics.median(values))} ({fmt_s(min(values))}–{fmt_s(max(values))})"


def fmt_s(s):
    if s != s:  # NaN
        return "n/a"
    if s < 1:
        return f"{s * 1000:.0f} ms"
    return f"{s:.2f} s"


def table(header, rows):
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join(" --- " for _ in header) + "|"]
    for r in rows:
        lines.append("| " + " | ".join(str(c) for c in r) + " |")
    return "\n".join(lines)


def yes_no(ok):
    return "**yes**" if ok else "**no**"


def fresh_dir(base, name):
    d = os.path.join(base, name)
    shutil.rmtree(d, ignore_errors=True)
    os.makedirs(d)
    return d


def write(path, text):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        f.write(text)


def rm_aic_state(d):
    shutil.rmtree(os.path.join(d, ".aic"), ignore_errors=True)


def tf_required_providers():
    return (
        'terraform {\n  required_providers {\n'
        '    null = { source = "hashicorp/null", version = "2.1.2" }\n  }\n}\n'
    )
