"""Constants, the plain-HTTP helper, the test credential and the request builders that the
fixtures (conftest.py) and the tests share."""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.parse
import urllib.request
from typing import Any

from azure.core.credentials import AccessToken
from azure.mgmt.core.policies import ARMChallengeAuthenticationPolicy

SUBSCRIPTION = "11111111-2222-3333-4444-555555555555"
TENANT = "72f988bf-0000-0000-0000-00000000aaaa"
CLIENT_ID = "aic-test-client"
CLIENT_SECRET = "not-a-real-secret"
LOCATION = "westeurope"
SCOPE = "https://management.azure.com/.default"
SETUP_HINT = "run `scripts/emulator.sh install azure` first (it creates the emulator's venv)"
SSH_KEY = ("ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQC0g+ZTxC7weoIJLUafOgrm+h6H5oBjmSZeZaTmTWq8lZJm6C1Qb5bXT4CpT"
           "P7x5W0l0Vf3Z9uYc0l8cG5oF8E6Yk3eQ7oQe1w2d8Qb0h1H5x5s4Xq8c6fX0k9Zl3F8k9Qp7c1e2d3f4g5h6i7j8k9l0m1n2o3p4q5r"
           "6s7t8u9v0w1x2y3z4A5B6C7D8E9F0G1H2I3J4K5L6M7N8O9P0Q1R2S3T4U5V6W7X8Y9Z0a1b2c3d4e5f6g7h8i9j0k1l2m3n4o5p6q7r8"
           "s9t0u1v2w3x4y5z6 aic@test")


def rg_path(rg: str) -> str:
    return f"/subscriptions/{SUBSCRIPTION}/resourceGroups/{rg}"


class Raw:
    """Plain HTTP against the emulator, for the contract the clients hide."""

    def __init__(self, endpoint: str):
        self.endpoint = endpoint
        self._token: str | None = None

    def token(self) -> str:
        if self._token is None:
            status, _, body = self.call("POST", f"/{TENANT}/oauth2/v2.0/token", form={
                "grant_type": "client_credentials", "client_id": CLIENT_ID, "client_secret": CLIENT_SECRET, "scope": SCOPE})
            assert status == 200, body
            self._token = body["access_token"]
        return self._token

    def call(self, method: str, path: str, body: Any = None, *, form: dict[str, str] | None = None,
             auth: bool | str = False, headers: dict[str, str] | None = None) -> tuple[int, dict[str, str], Any]:
        url = path if path.startswith("http") else self.endpoint + path
        data = None
        hdrs = dict(headers or {})
        if form is not None:
            data = urllib.parse.urlencode(form).encode()
            hdrs["Content-Type"] = "application/x-www-form-urlencoded"
        elif body is not None:
            data = json.dumps(body).encode()
            hdrs["Content-Type"] = "application/json"
        if auth:
            hdrs["Authorization"] = "Bearer " + (auth if isinstance(auth, str) else self.token())
        req = urllib.request.Request(url, data=data, method=method, headers=hdrs)
        try:
            with urllib.request.urlopen(req, timeout=30) as resp:
                status, rheaders, raw = resp.status, dict(resp.headers), resp.read()
        except urllib.error.HTTPError as err:
            status, rheaders, raw = err.code, dict(err.headers), err.read()
        return status, rheaders, (json.loads(raw) if raw else None)

    def arm(self, method: str, path: str, body: Any = None, api_version: str | None = "2024-07-01", **kw: Any):
        """An authenticated ARM call (the api-version the Rust crate sends for compute by default)."""
        if api_version is not None:
            path += ("&" if "?" in path else "?") + "api-version=" + api_version
        return self.call(method, path, body, auth=True, **kw)

    def control(self, method: str, action: str, body: Any = None) -> Any:
        status, _, out = self.call(method, f"/_emulator/{action}", body)
        assert status < 300, (status, out)
        return out

    def requests(self) -> list[dict[str, Any]]:
        return self.control("GET", "requests")["requests"]


class EmulatorCredential:
    """A TokenCredential doing the client-credentials grant against the emulator's token
    endpoint (azure-identity's own credentials refuse an http authority)."""

    def __init__(self, endpoint: str):
        self.endpoint = endpoint

    def get_token(self, *scopes: str, **kwargs: Any) -> AccessToken:
        form = urllib.parse.urlencode({"grant_type": "client_credentials", "client_id": CLIENT_ID,
                                       "client_secret": CLIENT_SECRET, "scope": " ".join(scopes)}).encode()
        req = urllib.request.Request(f"{self.endpoint}/{TENANT}/oauth2/v2.0/token", data=form, method="POST",
                                     headers={"Content-Type": "application/x-www-form-urlencoded"})
        with urllib.request.urlopen(req, timeout=30) as resp:
            body = json.loads(resp.read())
        return AccessToken(body["access_token"], int(time.time()) + int(body["expires_in"]))

    def close(self) -> None:
        pass


class LoopbackBearerPolicy(ARMChallengeAuthenticationPolicy):
    """azure-mgmt-core's ARM bearer policy, allowed to send its token over http to loopback
    (azure-core refuses bearer tokens on non-https URLs unless told otherwise)."""

    def on_request(self, request: Any) -> None:
        request.context.options["enforce_https"] = False
        super().on_request(request)


def make_client(cls: Any, endpoint: str, credential: Any) -> Any:
    return cls(credential, SUBSCRIPTION, base_url=endpoint,
               authentication_policy=LoopbackBearerPolicy(credential, SCOPE),
               polling_interval=0.05, retry_backoff_factor=0.1)


# ----- request bodies, in ARM's wire shape (the typespec-generated clients send dicts as is) ----
def nic_body(subnet_id: str, **ip: Any) -> dict[str, Any]:
    return {"location": LOCATION, "properties": {"ipConfigurations": [
        {"name": "internal", "properties": {"subnet": {"id": subnet_id}, "privateIPAllocationMethod": "Dynamic", **ip}}]}}


def vm_body(nic_id: str, size: str = "Standard_B1s", **extra: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "location": LOCATION,
        "properties": {
            "hardwareProfile": {"vmSize": size},
            "storageProfile": {
                "imageReference": {"publisher": "Canonical", "offer": "0001-com-ubuntu-server-jammy",
                                   "sku": "22_04-lts", "version": "latest"},
                "osDisk": {"createOption": "FromImage", "caching": "ReadWrite",
                           "managedDisk": {"storageAccountType": "Standard_LRS"}},
            },
            "osProfile": {"computerName": "vm", "adminUsername": "azureuser",
                          "linuxConfiguration": {"disablePasswordAuthentication": True, "ssh": {"publicKeys": [
                              {"path": "/home/azureuser/.ssh/authorized_keys", "keyData": SSH_KEY}]}}},
            "networkProfile": {"networkInterfaces": [{"id": nic_id, "properties": {"primary": True}}]},
        },
    }
    body.update(extra)
    return body
