#!/usr/bin/env python3
"""Validation benchmark (docs/performance.md, section "Validation"). Run through
benches/run.sh.

  modules10000  `aic validate` of 10,000 resources in 100 instances of a local module
                (`for_each` over 100 keys, 100 resources each, each reading the module's
                variable and the previous resource), against `terraform validate` of the
                same configuration.

Usage: validate.py WORKDIR
"""

import os
import sys

from common import (AIC, RUNS, TF, Samples, fresh_dir, log, run, table, tf_required_providers,
                    write, yes_no)

INSTANCES = 100
PER_MODULE = 100


def keys():
    return [f"k{i:03d}" for i in range(INSTANCES)]


def module_aic():
    out = ["variable name: string\n"]
    for i in range(PER_MODULE):
        prev = f", prev = null_resource.r{i - 1}.id" if i else ""
        out.append(
            f"resource null_resource r{i} {{\n"
            f'  triggers = {{ name = var.name, index = "{i}"{prev} }}\n}}\n'
        )
    out.append(f"output last = null_resource.r{PER_MODULE - 1}.id\n")
    return "\n".join(out)


def root_aic():
    ks = ", ".join(f'"{k}"' for k in keys())
    return (
        'module group {\n  source   = "./modules/group"\n'
        f"  for_each = toset([{ks}])\n  name     = each.key\n}}\n\n"
        "output lasts = { for k, m in module.group : k => m.last }\n"
    )


def module_tf():
    out = ['variable "name" {\n  type = string\n}\n']
    for i in range(PER_MODULE):
        prev = f", prev = null_resource.r{i - 1}.id" if i else ""
        out.append(
            f'resource "null_resource" "r{i}" {{\n'
            f'  triggers = {{ name = var.name, index = "{i}"{prev} }}\n}}\n'
        )
    out.append(f'output "last" {{\n  value = null_resource.r{PER_MODULE - 1}.id\n}}\n')
    return "\n".join(out)


def root_tf():
    ks = ", ".join(f'"{k}"' for k in keys())
    return (
        tf_required_providers()
        + 'module "group" {\n  source   = "./modules/group"\n'
        f"  for_each = toset([{ks}])\n  name     = each.key\n}}\n\n"
        'output "lasts" {\n  value = { for k, m in module.group : k => m.last }\n}\n'
    )


def bench_modules10000(work):
    d = fresh_dir(work, "validate-aic")
    write(os.path.join(d, "main.aic"), root_aic())
    write(os.path.join(d, "modules", "group", "main.aic"), module_aic())
    s = Samples("aic")
    for r in range(RUNS):
        # Exit code 0 means valid (the message goes to stderr).
        w, m, _, _ = run([AIC, "--no-color", "validate"], d)
        s.add(w, m)
        log(f"validate run {r + 1}/{RUNS}: {w * 1000:.0f} ms, {m / 1024:.0f} MB")
    t = Samples("terraform")
    if TF:
        td = fresh_dir(work, "validate-tf")
        write(os.path.join(td, "main.tf"), root_tf())
        write(os.path.join(td, "modules", "group", "main.tf"), module_tf())
        run([TF, "init", "-input=false", "-no-color"], td)
        for r in range(RUNS):
            w, m, _, out = run([TF, "validate", "-no-color"], td)
            if "valid" not in out:
                raise SystemExit(f"terraform validate: unexpected output:\n{out[-1500:]}")
            t.add(w, m)
            log(f"terraform validate run {r + 1}/{RUNS}: {w * 1000:.0f} ms, {m / 1024:.0f} MB")
    print(f"### `validate`: 10,000 resources in {INSTANCES} module instances\n")
    print(f"Median of {RUNS} runs (min–max). Terraform figures are for comparison only.\n")
    rows = [
        ["wall time", s.spread(), t.spread() if TF else "not run", "≤ 0.3 s",
         yes_no(s.median <= 0.3)],
        ["peak RSS", f"{s.peak_mb():.0f} MB", f"{t.peak_mb():.0f} MB" if TF else "not run",
         "≤ 150 MB", yes_no(s.peak_mb() <= 150)],
    ]
    print(table(["measure", "aic", "Terraform 1.0.3", "target", "met"], rows))
    print()


if __name__ == "__main__":
    if not AIC:
        raise SystemExit("set AIC_BIN (benches/run.sh does)")
    bench_modules10000(sys.argv[1])
