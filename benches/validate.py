#!/usr/bin/env python3
"""Validation benchmark (docs/performance.md, section "Validation"). Run through
benches/run.sh.

  `aic validate` of 10,000 resources in 100 module instances, against `terraform
  validate` of the same configuration, in two layouts:
    for_each   one local module of 100 resources (each reading the module's variable
               and the previous resource), instantiated 100 times with `for_each`;
               a module is checked once, whatever its instance count;
    distinct   100 local modules of 100 resources each, one instance of each: all
               10,000 resource blocks are parsed and checked.

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


def module_aic(tag=""):
    out = ["variable name: string\n"]
    for i in range(PER_MODULE):
        prev = f", prev = null_resource.r{i - 1}.id" if i else ""
        out.append(
            f"resource null_resource r{i} {{\n"
            f'  triggers = {{ name = var.name, index = "{tag}{i}"{prev} }}\n}}\n'
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


def module_tf(tag=""):
    out = ['variable "name" {\n  type = string\n}\n']
    for i in range(PER_MODULE):
        prev = f", prev = null_resource.r{i - 1}.id" if i else ""
        out.append(
            f'resource "null_resource" "r{i}" {{\n'
            f'  triggers = {{ name = var.name, index = "{tag}{i}"{prev} }}\n}}\n'
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


def distinct_root_aic():
    out = []
    for k in keys():
        out.append(f'module {k} {{\n  source = "./modules/{k}"\n  name   = "{k}"\n}}\n')
    lasts = ", ".join(f"{k} = module.{k}.last" for k in keys())
    out.append(f"output lasts = {{ {lasts} }}\n")
    return "\n".join(out)


def distinct_root_tf():
    out = [tf_required_providers()]
    for k in keys():
        out.append(f'module "{k}" {{\n  source = "./modules/{k}"\n  name   = "{k}"\n}}\n')
    lasts = ", ".join(f"{k} = module.{k}.last" for k in keys())
    out.append(f'output "lasts" {{\n  value = {{ {lasts} }}\n}}\n')
    return "\n".join(out)


def layout(work, name, tool):
    """Writes layout `name` for `tool` ("aic" or "tf"); returns its directory."""
    d = fresh_dir(work, f"validate-{name}-{tool}")
    ext, root, module = ("aic", root_aic, module_aic) if tool == "aic" else ("tf", root_tf,
                                                                              module_tf)
    if name == "for_each":
        write(os.path.join(d, f"main.{ext}"), root())
        write(os.path.join(d, "modules", "group", f"main.{ext}"), module())
    else:
        write(os.path.join(d, f"main.{ext}"),
              distinct_root_aic() if tool == "aic" else distinct_root_tf())
        for k in keys():
            write(os.path.join(d, "modules", k, f"main.{ext}"), module(f"{k}-"))
    return d


def measure(name, work):
    d = layout(work, name, "aic")
    s = Samples("aic")
    for r in range(RUNS):
        # Exit code 0 means valid (the message goes to stderr).
        w, m, c, _, _ = run([AIC, "--no-color", "validate"], d)
        s.add(w, m, c)
        log(f"validate {name} run {r + 1}/{RUNS}: {w * 1000:.0f} ms, {m / 1024:.0f} MB")
    t = Samples("terraform")
    if TF:
        td = layout(work, name, "tf")
        run([TF, "init", "-input=false", "-no-color"], td)
        for r in range(RUNS):
            w, m, c, _, out = run([TF, "validate", "-no-color"], td)
            if "valid" not in out:
                raise SystemExit(f"terraform validate: unexpected output:\n{out[-1500:]}")
            t.add(w, m, c)
            log(f"terraform validate {name} run {r + 1}/{RUNS}: {w * 1000:.0f} ms, "
                f"{m / 1024:.0f} MB")
    return s, t


def bench_modules10000(work):
    rows = []
    for name, what in [("for_each", "1 module × 100 instances (`for_each`)"),
                       ("distinct", "100 modules × 1 instance")]:
        s, t = measure(name, work)
        rows.append([what, "wall time", s.spread(), t.spread() if TF else "not run",
                     "≤ 0.3 s", yes_no(s.median <= 0.3)])
        rows.append([what, "CPU time (user + system)", s.cpu_spread(),
                     t.cpu_spread() if TF else "not run", "—", "—"])
        rows.append([what, "peak RSS", f"{s.peak_mb():.0f} MB",
                     f"{t.peak_mb():.0f} MB" if TF else "not run", "≤ 150 MB",
                     yes_no(s.peak_mb() <= 150)])
    print(f"### `validate`: 10,000 resources in {INSTANCES} module instances\n")
    print(f"Median of {RUNS} runs (min–max). Terraform figures are for comparison only.\n")
    print(table(["layout", "measure", "aic", "Terraform 1.0.3", "target", "met"], rows))
    print()


if __name__ == "__main__":
    if not AIC:
        raise SystemExit("set AIC_BIN (benches/run.sh does)")
    bench_modules10000(sys.argv[1])
