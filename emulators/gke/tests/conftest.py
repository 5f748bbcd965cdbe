"""Fixtures: one emulator per test session, started through scripts/emulator.sh, and Google's own
Python client (google-cloud-container, REST transport) pointed at it."""

from __future__ import annotations

import json
import os
import subprocess
import time
import urllib.request
from typing import Any

import pytest

SETUP = "scripts/emulator.sh install gke && scripts/emulator.sh test gke"
PROJECT = "aic-test"


def _script() -> str:
    script = os.environ.get("AIC_EMULATOR_SCRIPT")
    if not script or not os.path.exists(script):
        pytest.fail(f"AIC_EMULATOR_SCRIPT is not set to scripts/emulator.sh; run the tests with: {SETUP}")
    return script


@pytest.fixture(scope="session")
def emulator():
    script = _script()
    started = subprocess.run([script, "start", "gke", "operation_seconds=0.15"], capture_output=True, text=True, timeout=90)
    if started.returncode != 0:
        pytest.fail(f"the GKE emulator did not start ({started.stderr.strip()}); set it up with: {SETUP}")
    fields = dict(part.split("=", 1) for part in started.stdout.split())
    yield Emulator(fields["endpoint"])
    subprocess.run([script, "stop", fields["pid"]], timeout=30)


class Emulator:
    def __init__(self, endpoint: str) -> None:
        self.endpoint = endpoint

    def control(self, method: str, action: str, body: Any = None) -> Any:
        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request(f"{self.endpoint}/_emulator/{action}", data=data, method=method,
                                     headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(req, timeout=10) as resp:
            raw = resp.read()
        return json.loads(raw) if raw else None

    def raw(self, method: str, path: str, body: Any = None, token: str | None = "test-token",
            headers: dict[str, str] | None = None) -> tuple[int, Any]:
        """A request as any HTTP client would send it, to look at the wire format."""
        data = None if body is None else json.dumps(body).encode()
        headers = {"Content-Type": "application/json", **(headers or {})}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        req = urllib.request.Request(f"{self.endpoint}{path}", data=data, method=method, headers=headers)
        try:
            with urllib.request.urlopen(req, timeout=10) as resp:
                return resp.status, json.loads(resp.read() or b"null")
        except urllib.error.HTTPError as err:
            return err.code, json.loads(err.read() or b"null")


@pytest.fixture
def gke(emulator):
    emulator.control("POST", "reset")
    emulator.control("POST", "settings", {"operation_seconds": 0.15, "tokens": None, "missing_zones": []})
    return emulator


class StaticToken:
    """Credentials that send a fixed bearer token (or none) and never refresh: the REST session
    retries a 401 after refreshing its credentials, which these decline quietly."""

    def __new__(cls, token: str | None):
        from google.auth import credentials

        class _Static(credentials.Credentials):
            def __init__(self) -> None:
                super().__init__()
                self.token = token or "unused"

            def refresh(self, request) -> None:
                pass

            def apply(self, headers, token=None) -> None:
                if token or self.token != "unused":
                    headers["authorization"] = f"Bearer {token or self.token}"

        return _Static()


def make_client(endpoint: str, credentials=None):
    from google.cloud import container_v1
    from google.oauth2.credentials import Credentials

    # An http:// api_endpoint keeps its scheme (the REST transport only adds https:// to a bare
    # host); OAuth2 credentials with a fixed token send "Authorization: Bearer test-token".
    return container_v1.ClusterManagerClient(
        transport="rest",
        client_options={"api_endpoint": endpoint},
        credentials=credentials if credentials is not None else Credentials(token="test-token"),
    )


@pytest.fixture
def client(gke):
    return make_client(gke.endpoint)


def wait(client, location: str, operation, timeout: float = 10.0):
    """Poll an Operation until DONE, as a provider does; returns the final Operation."""
    from google.cloud import container_v1

    name = f"projects/{PROJECT}/locations/{location}/operations/{operation.name}"
    deadline = time.monotonic() + timeout
    while True:
        op = client.get_operation(name=name)
        if op.status == container_v1.Operation.Status.DONE:
            return op
        assert time.monotonic() < deadline, f"operation {operation.name} still {op.status.name} after {timeout}s"
        time.sleep(0.05)
