#!/usr/bin/env python3
"""Azure benchmark: the `azurerm` provider against the project's ARM emulator
(emulators/azure, started with `scripts/emulator.sh start azure KEY=JSON...`), aic alone.
Run through benches/run.sh (`benches/run.sh azure`), or alone:
`AIC_BIN=PATH azure.py WORKDIR`.

  create   50 `azurerm_linux_virtual_machine`s (with one resource group, a virtual network,
           a subnet and 50 network interfaces) whose creation takes 2 s each in the
           emulator (the `delays` setting for `Microsoft.Compute/virtualMachines`; every
           other type takes 0 s), applied with `--parallelism 10`. Ideal: 50 / 10 x 2 s =
           10 s; target: the whole `aic apply` within 1.3 x that, 13 s. The VM span (first
           VM "Creating..." to the last VM "Creation complete" on aic's stderr) is shown too.
  refresh  300 VMs (and 300 interfaces) applied with no delay, then a no-change
           `aic plan --detailed-exitcode`: the emulator's request log (GET
           /_emulator/requests, cleared before each plan) counts the GETs of the VM
           collection (one per page: `nextLink` pages of the emulator's `page_size`,
           default 100) and of single VMs (none expected), with the plan's wall time.

Terraform's azurerm provider cannot be pointed at the emulator (it needs an https
Resource Manager with Azure's metadata endpoints), so this measures aic alone; TF_BIN is
ignored. The emulator answers `Retry-After: 1` on running operations (its default
`retry_after`, set explicitly; Azure says 10-15 s) and aic honours it, so a 2 s VM is seen
done on the poll about 2 s after its PUT. (`retry_after=0` is not used: aic takes
`Retry-After: 0` as "poll again at once", ~500 polls per VM-second, not its own
`AIC_AZURE_POLL_MS` interval.) Needs the emulator's venv (`scripts/emulator.sh install azure`; this
script runs it, which does nothing when it is installed).

Usage: azure.py WORKDIR
"""

import json
import math
import os
import re
import shutil
import statistics
import subprocess
import sys
import urllib.request

sys.path.insert(0, os.path.dirname(__file__))
from common import AIC, RUNS, Samples, fmt_s, fresh_dir, log, run, table, write, yes_no  # noqa: E402

ROOT = os.path.normpath(os.path.join(os.path.dirname(__file__), ".."))
EMULATOR = os.path.join(ROOT, "scripts", "emulator.sh")
SUBSCRIPTION = "11111111-2222-3333-4444-555555555555"
VM_TYPE = "Microsoft.Compute/virtualMachines"

CREATE_VMS = 50
PARALLELISM = 10
VM_DELAY_S = 2.0
IDEAL_S = math.ceil(CREATE_VMS / PARALLELISM) * VM_DELAY_S
TARGET_S = 1.3 * IDEAL_S
REFRESH_VMS = 300
RETRY_AFTER = 1

# The provider's credential: a client secret from these; the token comes from the
# emulator (the provider's `authority_host` is the emulator too).
AIC_ENV = {
    "AZURE_CLIENT_ID": "bench-client",
    "AZURE_CLIENT_SECRET": "bench-secret",
    "AZURE_TENANT_ID": "bench-tenant",
    "AIC_AZURE_POLL_MS": "100",
}


def config(n):
    """One group, one network, one /22 subnet (1,019 addresses), `n` interfaces and `n`
    Linux VMs, each on its own interface."""
    return f"""variable endpoint: string

provider azurerm {{
  subscription_id = "{SUBSCRIPTION}"
  location        = "westeurope"
  endpoint        = var.endpoint
  authority_host  = var.endpoint
}}

resource azurerm_resource_group bench {{
  name = "rg-bench"
}}

resource azurerm_virtual_network bench {{
  name                = "vnet-bench"
  resource_group_name = azurerm_resource_group.bench.name
  address_space       = ["10.0.0.0/16"]
}}

resource azurerm_subnet vms {{
  name                 = "vms"
  resource_group_name  = azurerm_resource_group.bench.name
  virtual_network_name = azurerm_virtual_network.bench.name
  address_prefixes     = ["10.0.0.0/22"]
}}

resource azurerm_network_interface vm {{
  count               = {n}
  name                = "nic-${{count.index}}"
  resource_group_name = azurerm_resource_group.bench.name
  ip_configuration {{
    name                          = "internal"
    subnet_id                     = azurerm_subnet.vms.id
    private_ip_address_allocation = "Dynamic"
  }}
}}

resource azurerm_linux_virtual_machine vm {{
  count                 = {n}
  name                  = "vm-${{count.index}}"
  resource_group_name   = azurerm_resource_group.bench.name
  size                  = "Standard_B1s"
  admin_username        = "azureuser"
  network_interface_ids = [azurerm_network_interface.vm[count.index].id]
  admin_ssh_key {{
    username   = "azureuser"
    public_key = "ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQC7 bench"
  }}
  os_disk {{
    caching              = "ReadWrite"
    storage_account_type = "Standard_LRS"
  }}
  source_image_reference {{
    publisher = "Canonical"
    offer     = "ubuntu-24_04-lts"
    sku       = "server"
    version   = "latest"
  }}
}}
"""


class Emulator:
    """The ARM emulator on a free 127.0.0.1 port, stopped by its PID."""

    def __init__(self, settings):
        self.args = [f"{k}={json.dumps(v, separators=(',', ':'))}" for k, v in settings.items()]
        self.command = " ".join(["scripts/emulator.sh", "start", "azure"] + [f"'{a}'" for a in self.args])
        out = subprocess.run([EMULATOR, "start", "azure", *self.args], capture_output=True, text=True)
        if out.returncode != 0:
            raise SystemExit(f"cannot start the Azure emulator; run `scripts/emulator.sh install azure`.\n{out.stderr}")
        fields = dict(kv.split("=", 1) for kv in out.stdout.split())
        self.endpoint = fields["endpoint"]
        self.pid = fields["pid"]

    def stop(self):
        subprocess.run([EMULATOR, "stop", self.pid], capture_output=True)

    def control(self, method, action, body=None):
        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request(f"{self.endpoint}/_emulator/{action}", data=data, method=method,
                                     headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(req, timeout=30) as resp:
            text = resp.read()
        return json.loads(text) if text else None

    def requests(self):
        return self.control("GET", "requests")["requests"]


def aic(*args):
    return [AIC, "--no-color", *args]


def apply(d, endpoint, on_line=None, parallelism=PARALLELISM):
    cmd = aic("apply", "--auto-approve", "--parallelism", str(parallelism), "--var", f"endpoint={endpoint}")
    wall, _, cpu, code, out = run(cmd, d, check=False, env=AIC_ENV, on_line=on_line)
    if code != 0 or "Apply complete!" not in out:
        raise SystemExit(f"`{' '.join(cmd)}` exited {code} in {d}:\n{out[-3000:]}")
    return wall, cpu


def bench_create(work):
    settings = {
        "delays": {"default": 0, VM_TYPE: VM_DELAY_S},
        "retry_after": RETRY_AFTER,
        "page_size": 100,
    }
    d = fresh_dir(work, "azure-create")
    write(os.path.join(d, "main.aic"), config(CREATE_VMS))
    walls, spans, cpus, peaks = Samples("apply"), [], [], []
    command = None
    for r in range(RUNS):
        emu = Emulator(settings)
        command = emu.command
        try:
            shutil.rmtree(os.path.join(d, ".aic"), ignore_errors=True)
            marks = {"first": None, "last": None, "done": 0, "running": 0, "peak": 0}

            def on_line(t, line):
                if not line.startswith("azurerm_linux_virtual_machine.vm["):
                    return
                if line.rstrip().endswith("Creating..."):
                    marks["first"] = marks["first"] or t
                    marks["running"] += 1
                    marks["peak"] = max(marks["peak"], marks["running"])
                elif "Creation complete" in line:
                    marks["last"] = t
                    marks["done"] += 1
                    marks["running"] -= 1

            wall, cpu = apply(d, emu.endpoint, on_line=on_line)
            vm_puts = [q for q in emu.requests() if q["method"] == "PUT"
                       and re.search(r"/virtualmachines/[^/]+$", q["path"], re.IGNORECASE)]
        finally:
            emu.stop()
        if marks["done"] != CREATE_VMS or marks["first"] is None:
            raise SystemExit(f"azure create: saw {marks['done']} VM completions, expected {CREATE_VMS}")
        walls.add(wall, 0, cpu)
        spans.append(marks["last"] - marks["first"])
        cpus.append(cpu)
        peaks.append(marks["peak"])
        log(f"azure create run {r + 1}/{RUNS}: apply {fmt_s(wall)}, VM span {fmt_s(spans[-1])}, "
            f"{len(vm_puts)} VM PUTs, at most {marks['peak']} VMs creating at once")
    ok = walls.median <= TARGET_S
    print(f"### Azure: {CREATE_VMS} Linux VMs created at `--parallelism {PARALLELISM}`, "
          f"{VM_DELAY_S:g} s each in the emulator\n")
    print(f"- emulator: `{command}` (only VM creation is delayed; the group, network, subnet "
          f"and {CREATE_VMS} interfaces take 0 s)")
    print(f"- aic: `{' '.join(k + '=' + v for k, v in AIC_ENV.items())} aic apply --auto-approve "
          f"--parallelism {PARALLELISM} --var endpoint=URL` on the configuration below, a fresh "
          "emulator and an empty state each run")
    print(f"- the emulator answers `Retry-After: {RETRY_AFTER:g}` while an operation runs; aic honours it")
    print(f"- ideal: {CREATE_VMS} VMs / {PARALLELISM} at once x {VM_DELAY_S:g} s = {IDEAL_S:g} s\n")
    print(table(["measure", "aic (median (min–max))", "target", "met"], [
        [f"`aic apply` wall time ({CREATE_VMS + 3 + CREATE_VMS} resources)", walls.spread(),
         f"≤ 1.3 × {IDEAL_S:g} s = {TARGET_S:g} s", yes_no(ok)],
        ["VM span: first VM `Creating...` → last VM `Creation complete`",
         spread(spans), f"≥ {IDEAL_S:g} s (ideal)", "—"],
        ["most VMs creating at once (from aic's progress lines)", ", ".join(map(str, peaks)),
         f"{PARALLELISM}", yes_no(all(p == PARALLELISM for p in peaks))],
        ["CPU time of aic (user + system)", walls.cpu_spread(), "—", "—"],
    ]))
    print()
    return ok


def classify(q):
    """(collection or item, resource type) of an ARM GET, or None for anything else."""
    path = q["path"].rstrip("/")
    m = re.search(r"/providers/microsoft\.(?:compute|network)/([a-z]+)(?:/([^/]+))?(?:/([a-z]+)(?:/([^/]+))?)?$",
                  path, re.IGNORECASE)
    if not m:
        if re.search(r"/subscriptions/[^/]+/resourcegroups$", path, re.IGNORECASE):
            return ("list", "resourceGroups")
        if re.search(r"/subscriptions/[^/]+/resourcegroups/[^/]+$", path, re.IGNORECASE):
            return ("item", "resourceGroups")
        return None
    kind, name, sub, sub_name = m.groups()
    if kind.lower() == "locations":
        return ("poll", "operations")
    if sub:
        return ("item" if sub_name else "list", f"{kind}/{sub}")
    return ("item" if name else "list", kind)


def bench_refresh(work):
    page_size = 100
    settings = {"delays": {"default": 0}, "retry_after": RETRY_AFTER, "page_size": page_size}
    d = fresh_dir(work, "azure-refresh")
    write(os.path.join(d, "main.aic"), config(REFRESH_VMS))
    emu = Emulator(settings)
    plans, counts = Samples("plan"), []
    try:
        log(f"azure refresh: applying {REFRESH_VMS} VMs")
        apply_wall, _ = apply(d, emu.endpoint)
        log(f"azure refresh: apply {fmt_s(apply_wall)}")
        cmd = aic("plan", "--detailed-exitcode", "--var", f"endpoint={emu.endpoint}")
        for r in range(RUNS):
            emu.control("DELETE", "requests")
            wall, rss, cpu, code, out = run(cmd, d, check=False, env=AIC_ENV)
            if code != 0:
                raise SystemExit(f"the no-change plan exited {code} (0 expected):\n{out[-3000:]}")
            log_ = [q for q in emu.requests() if not q["path"].startswith("/_emulator")]
            by = {}
            for q in log_:
                c = classify(q) if q["method"] == "GET" else None
                key = (q["method"],) + (c or ("other", q["path"]))
                by[key] = by.get(key, 0) + 1
            plans.add(wall, rss, cpu)
            counts.append((len(log_), by))
            vm_lists = by.get(("GET", "list", "virtualMachines"), 0)
            log(f"azure refresh plan {r + 1}/{RUNS}: {fmt_s(wall)}, {len(log_)} requests, "
                f"{vm_lists} VM list calls")
    finally:
        emu.stop()
    pages = math.ceil(REFRESH_VMS / page_size)
    total, by = counts[-1]
    vm_lists = [c[1].get(("GET", "list", "virtualMachines"), 0) for c in counts]
    vm_items = [c[1].get(("GET", "item", "virtualMachines"), 0) for c in counts]
    nic_lists = [c[1].get(("GET", "list", "networkInterfaces"), 0) for c in counts]
    ok = all(v == pages for v in vm_lists) and not any(vm_items)
    print(f"### Azure: refreshing {REFRESH_VMS} VMs (a no-change `aic plan`)\n")
    print(f"- emulator: `{emu.command}`; `page_size` {page_size}, so the VM list of the group "
          f"is {pages} pages (`nextLink`)")
    print(f"- applied first with no delay ({REFRESH_VMS} VMs, {REFRESH_VMS} interfaces, "
          f"group, network, subnet): {fmt_s(apply_wall)}")
    print("- measured: `aic plan --detailed-exitcode --var endpoint=URL` (exit 0), the request log "
          "(`GET /_emulator/requests`) cleared before each plan\n")
    print(table(["measure", "aic", "target", "met"], [
        ["GET list calls of `virtualMachines` per plan", ", ".join(map(str, vm_lists)),
         f"= {pages} pages ({REFRESH_VMS} / {page_size})", yes_no(ok)],
        ["GETs of single VMs per plan", ", ".join(map(str, vm_items)), "0", yes_no(not any(vm_items))],
        [f"GET list calls of `networkInterfaces` per plan ({REFRESH_VMS} interfaces, {pages} pages)",
         ", ".join(map(str, nic_lists)), "—", "—"],
        ["no-change plan wall time", plans.spread(), "—", "—"],
        ["CPU time of aic (user + system)", plans.cpu_spread(), "—", "—"],
        ["peak RSS", f"{plans.peak_mb():.0f} MB", "—", "—"],
    ]))
    print()
    if nic_lists and all(n == 2 * pages for n in nic_lists):
        print(f"The interfaces' {pages} pages are listed twice per plan: once to refresh the "
              "interfaces, once for the VMs' private addresses.\n")
    print(f"Every request of the last plan ({total}), by method, kind and resource type:\n")
    print(table(["method", "kind", "type", "requests"],
                [[k[0], k[1], f"`{k[2]}`", v] for k, v in sorted(by.items())]))
    print()
    return ok


def spread(values):
    if not values:
        return "n/a"
    return f"{fmt_s(statistics.median(values))} ({fmt_s(min(values))}–{fmt_s(max(values))})"


def main():
    if not AIC:
        raise SystemExit("set AIC_BIN to the aic binary (benches/run.sh does)")
    work = sys.argv[1]
    inst = subprocess.run([EMULATOR, "install", "azure"], capture_output=True, text=True)
    if inst.returncode != 0:
        raise SystemExit(f"`scripts/emulator.sh install azure` failed:\n{inst.stderr}")
    print("aic alone: Terraform's azurerm provider cannot reach the emulator.\n")
    bench_create(work)
    bench_refresh(work)
    print("<details><summary>The configuration (N = "
          f"{CREATE_VMS} for the creation, {REFRESH_VMS} for the refresh)</summary>\n")
    print("```aic\n" + config("N").rstrip() + "\n```\n\n</details>\n")


if __name__ == "__main__":
    main()
