"""Fixtures: one emulator for the run, started and stopped through ``scripts/emulator.sh``."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

import devices  # noqa: E402

CRN = devices.DEFAULT_CRN
API_VERSION = "2026-04-15"
APIKEY_GRANT = "urn:ibm:params:oauth:grant-type:apikey"
SETUP = "run: scripts/emulator.sh install ibm-quantum (then scripts/emulator.sh test ibm-quantum)"


@pytest.fixture(scope="session")
def endpoint():
    script = os.environ.get("AIC_EMULATOR_SCRIPT")
    if not script or not Path(script).exists():
        pytest.fail(f"AIC_EMULATOR_SCRIPT is not set to scripts/emulator.sh; {SETUP}")
    out = subprocess.run([script, "start", "ibm-quantum"], capture_output=True, text=True, timeout=120)
    if out.returncode != 0:
        pytest.fail(f"the IBM Quantum emulator did not start ({out.stderr.strip()}); {SETUP}")
    match = re.search(r"endpoint=(\S+) pid=(\d+)", out.stdout)
    assert match, out.stdout
    url, pid = match.group(1), match.group(2)
    yield url
    subprocess.run([script, "stop", pid], check=False, timeout=30)


DEFAULTS = {
    "api_keys": None,
    "token_lifetime_seconds": 3600,
    "instances": [CRN],
    "job_queue_seconds": 0.2,
    "job_run_seconds": 0.2,
    "require_isa": False,
    "seed": None,
    "jobs_per_minute": None,
    "session_interactive_ttl": 60,
    "session_default_max_ttl": 28800,
}


class Emu:
    """Raw HTTP access to the emulator: the REST API as a plain client sees it, and the control
    API."""

    def __init__(self, url: str):
        self.url = url
        self.http = requests.Session()
        self._token = None

    def control(self, method: str, action: str, body=None):
        r = self.http.request(method, f"{self.url}/_emulator/{action}", json=body)
        assert r.status_code < 300, r.text
        return r.json() if r.content else None

    def settings(self, **values):
        return self.control("POST", "settings", values)

    def token(self, apikey: str = "test-key") -> str:
        r = self.http.post(f"{self.url}/identity/token",
                           data={"grant_type": APIKEY_GRANT, "apikey": apikey})
        assert r.status_code == 200, r.text
        return r.json()["access_token"]

    def headers(self, token: str | None = None, crn: str | None = CRN, version: str | None = API_VERSION):
        if token is None:
            if self._token is None:
                self._token = self.token()
            token = self._token
        h = {"Authorization": f"Bearer {token}"}
        if crn:
            h["Service-CRN"] = crn
        if version:
            h["IBM-API-Version"] = version
        return h

    def api(self, method: str, path: str, **kw):
        headers = kw.pop("headers", None) or self.headers()
        return self.http.request(method, f"{self.url}/api/v1{path}", headers=headers, **kw)

    def wait_job(self, job_id: str, timeout: float = 30.0) -> dict:
        deadline = time.time() + timeout
        while time.time() < deadline:
            doc = self.api("GET", f"/jobs/{job_id}").json()
            if doc["state"]["status"] in ("Completed", "Failed", "Cancelled"):
                return doc
            time.sleep(0.05)
        raise AssertionError(f"job {job_id} did not finish in {timeout} s")

    def requests_log(self):
        return self.control("GET", "requests")["requests"]


@pytest.fixture(scope="session")
def emu_session(endpoint):
    return Emu(endpoint)


@pytest.fixture
def emu(emu_session):
    """The emulator, reset (jobs, sessions, faults, request log, backend drift) and with default
    settings, before and after each test."""
    emu_session.control("POST", "reset")
    emu_session.settings(**DEFAULTS)
    yield emu_session
    emu_session.control("POST", "reset")
    emu_session.settings(**DEFAULTS)


@pytest.fixture
def service(emu, monkeypatch):
    """IBM's own client pointed at the emulator: IAM through ``IAM_URL``, the IBM Cloud Global
    Search/Catalog through ibm-cloud-sdk-core's ``GLOBAL_SEARCH_URL``/``GLOBAL_CATALOG_URL``, and
    the Qiskit Runtime API through ``url_resolver`` (the client would otherwise derive
    ``https://quantum.<host>/api/v1`` from ``url``)."""
    monkeypatch.setenv("IAM_URL", emu.url)
    monkeypatch.setenv("GLOBAL_SEARCH_URL", emu.url)
    monkeypatch.setenv("GLOBAL_CATALOG_URL", emu.url + "/global-catalog/api/v1")
    from qiskit_ibm_runtime import QiskitRuntimeService

    return QiskitRuntimeService(
        channel="ibm_quantum_platform",
        token="test-key",
        instance=CRN,
        url=emu.url,
        url_resolver=lambda url, instance, private, channel: f"{url}/api/v1",
    )


BELL_QASM3 = """OPENQASM 3.0;
include "stdgates.inc";
qubit[2] q;
bit[2] c;
h q[0];
cx q[0], q[1];
c = measure q;
"""
