"""Fixtures: one emulator for the session, started through scripts/emulator.sh as users and the
Rust tests start it, reset before every test; Microsoft's own Python clients pointed at it.

How the clients reach a plain-http loopback server (README.md, "Fidelity tests", says why):
the credential is support.EmulatorCredential (azure-identity refuses an http authority;
test_identity.py drives azure-identity's ClientSecretCredential separately), and the ARM clients
get base_url=http://127.0.0.1:PORT with support.LoopbackBearerPolicy, which is azure-mgmt-core's
own bearer policy with its https-only check off.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path
from typing import Any, Iterator

import pytest
from azure.mgmt.compute import ComputeManagementClient
from azure.mgmt.network import NetworkManagementClient
from azure.mgmt.resource.resources import ResourceManagementClient

from support import LOCATION, SETUP_HINT, EmulatorCredential, Raw, make_client


def _script() -> str:
    script = os.environ.get("AIC_EMULATOR_SCRIPT") or str(Path(__file__).resolve().parents[3] / "scripts" / "emulator.sh")
    if not Path(script).exists():
        pytest.fail(f"scripts/emulator.sh not found at {script}; {SETUP_HINT}")
    return script


@pytest.fixture(scope="session")
def endpoint() -> Iterator[str]:
    script = _script()
    proc = subprocess.run([script, "start", "azure"], capture_output=True, text=True, timeout=120)
    if proc.returncode != 0 or "endpoint=" not in proc.stdout:
        pytest.fail(f"could not start the Azure emulator ({proc.stderr.strip() or proc.stdout.strip()}); {SETUP_HINT}")
    fields = dict(part.split("=", 1) for part in proc.stdout.split())
    try:
        yield fields["endpoint"]
    finally:
        subprocess.run([script, "stop", fields["pid"]], capture_output=True, timeout=30)


@pytest.fixture(scope="session")
def raw(endpoint: str) -> Raw:
    return Raw(endpoint)


@pytest.fixture(autouse=True)
def fresh(raw: Raw) -> None:
    raw.control("POST", "reset")
    raw.control("DELETE", "azure/fail")
    # Retry-After 0 lets the clients poll at their own short interval (real ARM says 10-15 s).
    raw.control("POST", "settings", {"retry_after": 0, "delays": {"default": 0.05}, "delete_delays": {},
                                     "page_size": 100, "accept_any_token": False, "clients": {}})


@pytest.fixture(scope="session")
def credential(endpoint: str) -> EmulatorCredential:
    return EmulatorCredential(endpoint)


@pytest.fixture(scope="session")
def resources(endpoint: str, credential: EmulatorCredential) -> ResourceManagementClient:
    return make_client(ResourceManagementClient, endpoint, credential)


@pytest.fixture(scope="session")
def network(endpoint: str, credential: EmulatorCredential) -> NetworkManagementClient:
    return make_client(NetworkManagementClient, endpoint, credential)


@pytest.fixture(scope="session")
def compute(endpoint: str, credential: EmulatorCredential) -> ComputeManagementClient:
    return make_client(ComputeManagementClient, endpoint, credential)


@pytest.fixture
def subnet(resources: ResourceManagementClient, network: NetworkManagementClient) -> Any:
    """A resource group "rg" with virtual network "vnet" and subnet "internal" (10.0.1.0/24)."""
    resources.resource_groups.create_or_update("rg", {"location": LOCATION})
    network.virtual_networks.begin_create_or_update("rg", "vnet", {
        "location": LOCATION, "properties": {"addressSpace": {"addressPrefixes": ["10.0.0.0/16"]}}}).result()
    return network.subnets.begin_create_or_update("rg", "vnet", "internal", {"properties": {"addressPrefix": "10.0.1.0/24"}}).result()
