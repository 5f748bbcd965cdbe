"""Fixtures: a moto server (AWS IoT: things, thing groups) and the Greengrass V2 emulator, both
started through the project's scripts and stopped by PID; boto3 clients pointed at them.

moto comes from the project's moto venv (``scripts/moto.sh``); when it is missing the tests
fail and name ``scripts/moto.sh install``.
"""

from __future__ import annotations

import json
import os
import subprocess
import urllib.request
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.config import Config

ROOT = Path(__file__).resolve().parents[3]
EMULATOR_SCRIPT = os.environ.get("AIC_EMULATOR_SCRIPT") or str(ROOT / "scripts" / "emulator.sh")
MOTO_SCRIPT = str(ROOT / "scripts" / "moto.sh")

# Simulated time runs 60x faster: one simulated minute (one rollout window) per real second.
SETTINGS = {
    "time_scale": 60.0,
    "pickup_seconds": 1.0,
    "install_seconds": 2.0,
    "component_initiated_seconds": 0.5,
    "component_deployable_seconds": 1.0,
    "membership_refresh_seconds": 0.3,
    "unreachable_artifacts": [],
    "failing_artifacts": [],
}
CREDENTIALS = {"region_name": "us-east-1", "aws_access_key_id": "testing", "aws_secret_access_key": "testing"}


def _run(cmd: list[str]) -> str:
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed ({proc.returncode}): {proc.stderr.strip()}")
    return proc.stdout.strip()


@pytest.fixture(scope="session")
def moto_url() -> Any:
    try:
        port, pid = _run([MOTO_SCRIPT, "start"]).split()
    except RuntimeError as exc:
        pytest.fail(f"these tests need moto for AWS IoT thing groups; set it up with: scripts/moto.sh install ({exc})")
    yield f"http://127.0.0.1:{port}"
    subprocess.run([MOTO_SCRIPT, "stop", pid], check=False)


@pytest.fixture(scope="session")
def endpoint(moto_url: str) -> Any:
    args = [f"{k}={json.dumps(v)}" for k, v in SETTINGS.items()] + [f"iot_endpoint={json.dumps(moto_url)}"]
    try:
        line = _run([EMULATOR_SCRIPT, "start", "greengrass", *args])
    except RuntimeError as exc:
        pytest.fail(f"the Greengrass emulator did not start; set it up with: scripts/emulator.sh install greengrass ({exc})")
    fields = dict(part.split("=", 1) for part in line.split())
    yield fields["endpoint"]
    subprocess.run([EMULATOR_SCRIPT, "stop", fields["pid"]], check=False)


class Control:
    """The emulator's control API (``/_emulator/``)."""

    def __init__(self, endpoint: str):
        self.endpoint = endpoint

    def __call__(self, method: str, path: str, body: Any = None) -> Any:
        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request(f"{self.endpoint}/_emulator/{path}", data=data, method=method,
                                     headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(req, timeout=10) as resp:
            raw = resp.read()
        return json.loads(raw) if raw else None


@pytest.fixture(scope="session")
def control(endpoint: str) -> Control:
    return Control(endpoint)


@pytest.fixture(autouse=True)
def clean(control: Control, moto_url: str) -> Any:
    """Each test starts from an empty emulator, an empty moto and the default test settings."""
    control("POST", "settings", SETTINGS)
    control("POST", "reset")
    urllib.request.urlopen(urllib.request.Request(f"{moto_url}/moto-api/reset", method="POST"), timeout=10).read()
    yield


@pytest.fixture
def gg(endpoint: str) -> Any:
    return boto3.client("greengrassv2", endpoint_url=endpoint, **CREDENTIALS)


@pytest.fixture
def gg_no_retry(endpoint: str) -> Any:
    return boto3.client("greengrassv2", endpoint_url=endpoint, config=Config(retries={"total_max_attempts": 1, "mode": "standard"}), **CREDENTIALS)


@pytest.fixture
def iot(moto_url: str) -> Any:
    return boto3.client("iot", endpoint_url=moto_url, **CREDENTIALS)
