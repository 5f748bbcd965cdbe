"""aic's emulator of Azure Resource Manager (ARM) for compute, and of the Microsoft identity
platform's client-credentials token endpoint.

Run it with ``scripts/emulator.sh start azure``; README.md in this directory is the wire contract
(paths, api-versions, long-running operations, error codes, control endpoints, settings).

Sources, cited beside each behaviour below as ``[src: ...]``:

* [rpc-async]  Azure Resource Manager RPC, "Asynchronous API Reference"
  (github.com/Azure/azure-resource-manager-rpc, v1.0/async-api-reference.md): 201/200 +
  provisioningState for PUT, 202 + Location for DELETE, the Azure-AsyncOperation resource
  ``{id, name, status, startTime, endTime, error}``, terminal states Succeeded/Failed/Canceled.
* [spec-vm]    azure-rest-api-specs, specification/compute/resource-manager/Microsoft.Compute/
  ComputeRP/stable/2024-07-01/{virtualMachine,virtualMachineScaleSet,availabilitySet,
  virtualMachineImage,computeRPCommon}.json and their examples/.
* [spec-disk]  .../Microsoft.Compute/DiskRP/stable/2024-03-02/{DiskRP,disk}.json, examples/diskExamples.
* [spec-net]   specification/network/resource-manager/Microsoft.Network/stable/2024-03-01/
  {virtualNetwork,networkInterface}.json.
* [spec-res]   specification/resources/resource-manager/Microsoft.Resources/stable/2021-04-01/
  resources.json (resource groups; PUT is synchronous, DELETE is a 202 + Location LRO).
* [names]      Microsoft Learn, "Naming rules and restrictions for Azure resources"
  (azure-resource-manager/management/resource-name-rules.md).
* [arm-errors] ARM's own error codes as they appear in Microsoft's docs and in clients' bug
  reports (quoted in README.md, "Error codes", with the ones whose exact text is not confirmed
  marked so).
* [entra]      Microsoft identity platform, "OAuth 2.0 client credentials flow" (v2.0 token
  endpoint, form-encoded, ``scope`` must end in ``/.default``) and MSAL Python's
  authority.py (tenant discovery ``{authority}/v2.0/.well-known/openid-configuration``,
  instance discovery ``/common/discovery/instance``).

Everything lives in memory. Long-running operations complete lazily: every request first
advances the clock (``_tick``), so a resource reads ``Creating`` until its delay has passed and
``Succeeded`` after, without background threads.
"""

from __future__ import annotations

import base64
import copy
import dataclasses
import ipaddress
import json
import os
import re
import secrets
import sys
import time
import uuid
from datetime import datetime, timezone
from typing import Any, Callable
from urllib.parse import parse_qs, quote, unquote, urlencode

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

from common.emulator import Emulator, Fault, HttpError, Request, Response, main  # noqa: E402

# ----------------------------------------------------------------------------------------------
# api-versions
#
# Which versions each family accepts. The first ones are what the clients this project uses
# send (README.md, "api-versions", has how each was found):
#   Rust  azure_mgmt_compute 0.21 (default tag package-2024-07-01): compute 2024-07-01,
#         disks 2024-03-02, resource SKUs 2021-07-01.
#   Rust  azure_mgmt_network 0.21 (package-2024-03): 2024-03-01.
#   Rust  azure_mgmt_resources 0.21 (package-resources-2021-04): 2021-04-01.
#   Python azure-mgmt-compute 39.0.0: compute 2026-04-01, disks 2026-03-02;
#          azure-mgmt-network 33.1.0: 2026-03-01; azure-mgmt-resource 26.0.0: 2025-04-01.
# The rest are published stable versions of the same specs (compute readme tags), so that a
# client pinned a little older works too. The setting ``extra_api_versions`` adds more;
# ``strict_api_versions: false`` accepts any.
# ----------------------------------------------------------------------------------------------
API_VERSIONS: dict[str, list[str]] = {
    "resources": ["2021-04-01", "2025-04-01", "2020-06-01", "2022-09-01"],
    "subscriptions": ["2021-01-01", "2016-06-01", "2020-01-01", "2022-12-01"],
    "compute": ["2024-07-01", "2026-04-01", "2023-03-01", "2023-07-01", "2023-09-01", "2024-03-01",
                "2024-11-01", "2025-04-01"],
    "disks": ["2024-03-02", "2026-03-02", "2023-04-02", "2023-10-02"],
    "network": ["2024-03-01", "2026-03-01", "2023-09-01", "2023-11-01", "2024-01-01", "2024-05-01"],
}
FAMILY_NAMESPACE = {
    "resources": "Microsoft.Resources",
    "subscriptions": "Microsoft.Resources",
    "compute": "Microsoft.Compute",
    "disks": "Microsoft.Compute",
    "network": "Microsoft.Network",
}

KNOWN_NAMESPACES = {"microsoft.compute", "microsoft.network", "microsoft.resources"}

T_RG = "Microsoft.Resources/resourceGroups"
T_VNET = "Microsoft.Network/virtualNetworks"
T_SUBNET = "Microsoft.Network/virtualNetworks/subnets"
T_NIC = "Microsoft.Network/networkInterfaces"
T_VM = "Microsoft.Compute/virtualMachines"
T_DISK = "Microsoft.Compute/disks"
T_AVSET = "Microsoft.Compute/availabilitySets"
T_VMSS = "Microsoft.Compute/virtualMachineScaleSets"
T_VMSS_VM = "Microsoft.Compute/virtualMachineScaleSets/virtualMachines"

# Default regions (ARM location names, lower case without spaces; display names such as
# "West Europe" are normalised to them, as ARM does).
DEFAULT_LOCATIONS = [
    "eastus", "eastus2", "westus", "westus2", "westus3", "centralus", "northcentralus",
    "southcentralus", "westcentralus", "canadacentral", "canadaeast", "brazilsouth", "northeurope",
    "westeurope", "uksouth", "ukwest", "francecentral", "germanywestcentral", "switzerlandnorth",
    "norwayeast", "swedencentral", "polandcentral", "italynorth", "eastasia", "southeastasia",
    "japaneast", "japanwest", "koreacentral", "australiaeast", "australiasoutheast",
    "centralindia", "southindia", "uaenorth", "southafricanorth",
]


def _size(name: str, cores: int, memory_mb: int, resource_disk_mb: int, max_data_disks: int) -> dict[str, Any]:
    # VirtualMachineSize [src: spec-vm computeRPCommon.json#/definitions/VirtualMachineSize];
    # osDiskSizeInMB is 1023 GiB for every current size.
    return {"name": name, "numberOfCores": cores, "osDiskSizeInMB": 1047552,
            "resourceDiskSizeInMB": resource_disk_mb, "memoryInMB": memory_mb,
            "maxDataDiskCount": max_data_disks}


# An illustrative catalogue (figures from Microsoft's size pages); the setting ``vm_sizes``
# replaces it, per location or for every one ("*").
DEFAULT_VM_SIZES = [
    _size("Standard_A1_v2", 1, 2048, 10240, 2),
    _size("Standard_A2_v2", 2, 4096, 20480, 4),
    _size("Standard_B1s", 1, 1024, 4096, 2),
    _size("Standard_B1ms", 1, 2048, 4096, 2),
    _size("Standard_B2s", 2, 4096, 8192, 4),
    _size("Standard_B2ms", 2, 8192, 16384, 4),
    _size("Standard_D1_v2", 1, 3584, 51200, 4),
    _size("Standard_D2_v2", 2, 7168, 102400, 8),
    _size("Standard_DS1_v2", 1, 3584, 7168, 4),
    _size("Standard_DS2_v2", 2, 7168, 14336, 8),
    _size("Standard_D2s_v3", 2, 8192, 16384, 4),
    _size("Standard_D4s_v3", 4, 16384, 32768, 8),
    _size("Standard_D2s_v5", 2, 8192, 0, 4),
    _size("Standard_D4s_v5", 4, 16384, 0, 8),
    _size("Standard_E2s_v3", 2, 16384, 32768, 4),
    _size("Standard_F2s_v2", 2, 4096, 16384, 4),
]

# Platform images: publisher/offer/sku → versions (oldest first). The setting ``images``
# replaces the catalogue.
DEFAULT_IMAGES = [
    {"publisher": "Canonical", "offer": "0001-com-ubuntu-server-jammy", "sku": "22_04-lts",
     "osType": "Linux", "hyperVGeneration": "V1", "versions": ["22.04.202401010", "22.04.202402010"]},
    {"publisher": "Canonical", "offer": "0001-com-ubuntu-server-jammy", "sku": "22_04-lts-gen2",
     "osType": "Linux", "hyperVGeneration": "V2", "versions": ["22.04.202401010", "22.04.202402010"]},
    {"publisher": "Canonical", "offer": "ubuntu-24_04-lts", "sku": "server",
     "osType": "Linux", "hyperVGeneration": "V2", "versions": ["24.04.202404230", "24.04.202405010"]},
    {"publisher": "Debian", "offer": "debian-12", "sku": "12",
     "osType": "Linux", "hyperVGeneration": "V1", "versions": ["0.20240211.1654"]},
    {"publisher": "MicrosoftWindowsServer", "offer": "WindowsServer", "sku": "2022-datacenter-azure-edition",
     "osType": "Windows", "hyperVGeneration": "V2", "versions": ["20348.2227.240104"]},
]

DEFAULT_SETTINGS: dict[str, Any] = {
    # seconds an LRO stays in progress, per resource type ("default" for the rest)
    "delays": {"default": 0.2},
    # the same for DELETE (falls back to "delays")
    "delete_delays": {},
    # items per list page before a nextLink
    "page_size": 100,
    # Retry-After on 201/202 answers and on in-progress operation polls (seconds)
    "retry_after": 1,
    "locations": DEFAULT_LOCATIONS,
    "vm_sizes": {"*": DEFAULT_VM_SIZES},
    "images": DEFAULT_IMAGES,
    # 404 PlatformImageNotFound for an imageReference outside the catalogue
    "validate_images": True,
    "strict_api_versions": True,
    "extra_api_versions": {},
    # only tokens this emulator issued are accepted unless true
    "accept_any_token": False,
    # client_id -> secret; empty accepts any client id and secret
    "clients": {},
    "token_lifetime": 3599,
    # empty: every subscription id exists
    "subscriptions": [],
    "verbose": False,
}

ARM_AUDIENCES = ("https://management.core.windows.net/", "https://management.core.windows.net",
                 "https://management.azure.com/", "https://management.azure.com")

# Compute's resource-name rule, quoted by CRP in its InvalidParameter message
# [src: arm-errors "The entity name '...' is invalid according to its validation rule"].
COMPUTE_NAME_RULE = r"^[^_\W][\w\-._]{0,79}(?<![-.])$"
# [src: names] Microsoft.Network: alphanumerics, underscores, periods, hyphens; start
# alphanumeric, end alphanumeric or underscore.
NETWORK_NAME_RE = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9_.\-]*[A-Za-z0-9_])?$")
# [src: names] Linux host names: no spaces, control characters or ~!@#$%^&*()=+_[]{}\|;:.'",<>/?
# (periods are allowed on Linux but not at the end); 1-64.
LINUX_HOST_BAD = set("~!@#$%^&*()=+_[]{}\\|;:'\",<>/? ")


def now_iso() -> str:
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%f") + "0+00:00"


def norm_location(value: Any) -> str:
    """ARM stores "West Europe" as "westeurope"."""
    return str(value).replace(" ", "").lower()


def b64url(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def merge_patch(target: Any, patch: Any) -> Any:
    """RFC 7386 JSON merge patch."""
    if not isinstance(patch, dict):
        return copy.deepcopy(patch)
    result = dict(target) if isinstance(target, dict) else {}
    for key, value in patch.items():
        if value is None:
            result.pop(key, None)
        else:
            result[key] = merge_patch(result.get(key), value)
    return result


class ArmError(HttpError):
    """An ARM error: ``{"error": {"code", "message", "target"?, "details"?}}``."""

    def __init__(self, status: int, code: str, message: str, target: str | None = None,
                 details: list[dict[str, Any]] | None = None, headers: dict[str, str] | None = None):
        super().__init__(status, code, message, headers)
        self.target = target
        self.details = details

    def body(self) -> dict[str, Any]:
        err: dict[str, Any] = {"code": self.code, "message": self.message}
        if self.target is not None:
            err["target"] = self.target
        if self.details is not None:
            err["details"] = self.details
        return {"error": err}


class OAuthError(Exception):
    """An Entra token-endpoint error (OAuth 2.0 error body, not ARM's)."""

    def __init__(self, status: int, error: str, aadsts: int, description: str):
        super().__init__(description)
        self.status, self.error, self.aadsts, self.description = status, error, aadsts, description


def missing(path: str) -> ArmError:
    # CRP's wording for an absent required property [src: arm-errors].
    return ArmError(400, "InvalidParameter", f"Required parameter '{path}' is missing (null).", target=path)


@dataclasses.dataclass
class Operation:
    id: str
    kind: str  # create | update | delete | action | rg-delete
    resource: str  # lower-case resource id
    namespace: str  # Microsoft.Compute / Microsoft.Network / Microsoft.Resources
    location: str
    sub: str
    family: str
    style: str  # compute | disk | network | rg
    start: str
    due: float
    status: str = "InProgress"
    error: dict[str, Any] | None = None
    end: str | None = None
    fail_status: int = 400
    # what completion does (set by the handler); called under the lock
    on_success: Callable[[], None] | None = None
    on_failure: Callable[[], None] | None = None
    # final answer of the Location URL when done (None → 200 with the resource, "" → 204)
    final_body: Any = None


class AzureEmulator(Emulator):
    name = "azure"

    def __init__(self) -> None:
        super().__init__()
        self.settings = copy.deepcopy(DEFAULT_SETTINGS)
        self._tokens: dict[str, dict[str, Any]] = {}
        self.reset()
        self._register_routes()

    # ==========================================================================================
    # state
    # ==========================================================================================
    def reset(self) -> None:
        # Issued tokens survive a reset: a client's cached token stays valid, as it would
        # against the real service after objects are deleted.
        self._groups: dict[tuple[str, str], dict[str, Any]] = {}
        self._res: dict[str, dict[str, Any]] = {}
        self._ops: dict[str, Operation] = {}
        self._pending: list[str] = []
        self._failures: list[dict[str, Any]] = []
        self._seq = 0

    def _next_seq(self) -> int:
        self._seq += 1
        return self._seq

    def _delay(self, type_: str, delete: bool = False) -> float:
        def lookup(table: dict[str, Any]) -> float | None:
            for key, value in table.items():
                if key.lower() == type_.lower():
                    return float(value)
            return None

        if delete:
            found = lookup(self.settings.get("delete_delays") or {})
            if found is not None:
                return found
        found = lookup(self.settings.get("delays") or {})
        if found is not None:
            return found
        if delete:
            default = (self.settings.get("delete_delays") or {}).get("default")
            if default is not None:
                return float(default)
        return float((self.settings.get("delays") or {}).get("default", 0.2))

    def _retry_after(self) -> str:
        value = self.settings.get("retry_after", 1)
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        return str(value)

    # ----- resource groups ---------------------------------------------------------------
    def _group(self, sub: str, rg: str) -> dict[str, Any] | None:
        return self._groups.get((sub.lower(), rg.lower()))

    def _require_group(self, sub: str, rg: str, write: bool = False) -> dict[str, Any]:
        self._require_subscription(sub)
        group = self._group(sub, rg)
        if group is None:
            # [src: arm-errors] 404 ResourceGroupNotFound
            raise ArmError(404, "ResourceGroupNotFound", f"Resource group '{rg}' could not be found.")
        if write and group["state"] == "Deleting":
            # [src: arm-errors] writes into a group being deleted
            raise ArmError(409, "ResourceGroupBeingDeleted",
                           f"The resource group '{group['name']}' is in deprovisioning state and cannot perform this operation.")
        return group

    def _require_subscription(self, sub: str) -> None:
        allowed = self.settings.get("subscriptions") or []
        if allowed and sub.lower() not in {s.lower() for s in allowed}:
            raise ArmError(404, "SubscriptionNotFound", f"The subscription '{sub}' could not be found.")

    # ----- resources ---------------------------------------------------------------------
    def _get(self, rid: str) -> dict[str, Any] | None:
        return self._res.get(rid.lower())

    def _children(self, parent: str, type_: str | None = None) -> list[dict[str, Any]]:
        parent = parent.lower()
        return sorted((r for r in self._res.values() if r.get("parent") == parent and (type_ is None or r["type"] == type_)),
                      key=lambda r: r["seq"])

    def _of_type(self, type_: str, sub: str, rg: str | None = None, location: str | None = None) -> list[dict[str, Any]]:
        out = [r for r in self._res.values()
               if r["type"] == type_ and r["sub"] == sub.lower() and (rg is None or r["rg"] == rg.lower())
               and (location is None or r.get("location") == location)]
        return sorted(out, key=lambda r: r["seq"])

    def _new_record(self, rid: str, type_: str, sub: str, rg: str, name: str, location: str | None,
                    parent: str | None = None) -> dict[str, Any]:
        return {"id": rid, "type": type_, "sub": sub.lower(), "rg": rg.lower(), "name": name,
                "location": location, "parent": parent.lower() if parent else None, "body": {},
                "state": "Succeeded", "op": None, "seq": self._next_seq(), "etag_n": 0,
                "guid": str(uuid.uuid4()), "created": now_iso()}

    def _not_found(self, type_: str, name: str, rg: str) -> ArmError:
        # [src: arm-errors] ARM's 404 for a tracked resource
        short = type_
        return ArmError(404, "ResourceNotFound",
                        f"The Resource '{short}/{name}' under resource group '{rg}' was not found. "
                        "For more details please go to https://aka.ms/ARMResourceNotFoundFix")

    def _bump_etag(self, rec: dict[str, Any]) -> None:
        rec["etag_n"] += 1
        rec["etag_guid"] = str(uuid.uuid4())

    # ==========================================================================================
    # long-running operations
    # ==========================================================================================
    def _tick(self) -> None:
        now = time.monotonic()
        while True:
            due = [self._ops[o] for o in self._pending if self._ops[o].due <= now]
            if not due:
                return
            op = min(due, key=lambda o: o.due)
            self._pending.remove(op.id)
            self._finish(op)

    def _finish(self, op: Operation) -> None:
        op.end = now_iso()
        if op.status == "InProgress":
            if op.error is not None:
                op.status = "Failed"
                if op.on_failure:
                    op.on_failure()
            else:
                op.status = "Succeeded"
                if op.on_success:
                    op.on_success()
        rec = self._res.get(op.resource)
        if rec is not None and rec.get("op") == op.id:
            rec["op"] = None

    def _start_op(self, kind: str, rid: str, namespace: str, location: str, sub: str, family: str,
                  style: str, delay: float) -> Operation:
        op = Operation(id=str(uuid.uuid4()), kind=kind, resource=rid.lower(), namespace=namespace,
                       location=location or "global", sub=sub, family=family, style=style,
                       start=now_iso(), due=time.monotonic() + max(delay, 0.0))
        rule = self._take_failure(rid, kind)
        if rule is not None:
            op.error = {"code": rule.get("code", "InternalExecutionError"),
                        "message": rule.get("message", "An internal execution error occurred. Please retry later.")}
            if rule.get("details") is not None:
                op.error["details"] = rule["details"]
            op.fail_status = int(rule.get("status", 400))
        self._ops[op.id] = op
        self._pending.append(op.id)
        rec = self._res.get(rid.lower())
        if rec is not None:
            rec["op"] = op.id
        return op

    def _cancel_op(self, op: Operation, code: str, message: str) -> None:
        if op.id in self._pending:
            self._pending.remove(op.id)
        op.status = "Canceled"
        op.error = {"code": code, "message": message}
        op.end = now_iso()

    def _take_failure(self, rid: str, kind: str) -> dict[str, Any] | None:
        for rule in self._failures:
            if rule.get("times", 1) == 0:
                continue
            want = rule.get("operation", "any")
            kind = "delete" if kind == "rg-delete" else kind
            if want != "any" and want != kind and not (want == "put" and kind in ("create", "update")):
                continue
            if "id" in rule and rule["id"].lower() != rid.lower():
                continue
            if "match" in rule and not re.search(rule["match"], rid, re.IGNORECASE):
                continue
            if rule.get("times", 1) > 0:
                rule["times"] = rule.get("times", 1) - 1
            return rule
        return None

    def _op_urls(self, req: Request, op: Operation, api_version: str) -> tuple[str, str]:
        """(Azure-AsyncOperation, Location) for an operation, in the shape each RP uses."""
        base = self._base(req)
        q = urlencode({"api-version": api_version})
        if op.style == "rg":
            # [src: spec-res] ResourceGroups_Delete: Location under /subscriptions/{s}/operationresults
            loc = f"{base}/subscriptions/{op.sub}/operationresults/{op.id}?{q}"
            return loc, loc
        if op.style == "network":
            prefix = f"{base}/subscriptions/{op.sub}/providers/Microsoft.Network/locations/{op.location}"
            return f"{prefix}/operations/{op.id}?{q}", f"{prefix}/operationResults/{op.id}?{q}"
        segment = "DiskOperations" if op.style == "disk" else "operations"
        prefix = f"{base}/subscriptions/{op.sub}/providers/Microsoft.Compute/locations/{op.location}/{segment}/{op.id}"
        return f"{prefix}?{q}", f"{prefix}?monitor=true&{q}"

    def _lro_headers(self, req: Request, op: Operation, api_version: str, location: bool) -> dict[str, str]:
        async_url, loc_url = self._op_urls(req, op, api_version)
        headers = {"Retry-After": self._retry_after()}
        if op.style != "rg":
            headers["Azure-AsyncOperation"] = async_url
        if location:
            headers["Location"] = loc_url
        return headers

    # ==========================================================================================
    # HTTP plumbing: auth, api-version, headers, errors
    # ==========================================================================================
    def http_error(self, err: HttpError) -> Response:
        if isinstance(err, ArmError):
            return Response(err.status, err.body(), dict(err.headers))
        return super().http_error(err)

    def not_found(self, req: Request) -> HttpError:
        # ARM's answers for a path no provider here serves [src: arm-errors].
        m = re.search(r"/providers/([^/]+)(?:/(?:locations/[^/]+/)?([^/]+))?", req.path, re.IGNORECASE)
        if m and self._is_arm(req.path):
            ns, rtype = m.group(1), m.group(2) or ""
            if ns.lower() not in KNOWN_NAMESPACES:
                return ArmError(400, "InvalidResourceNamespace", f"The resource namespace '{ns}' is invalid.")
            return ArmError(404, "InvalidResourceType", f"The resource type '{rtype}' could not be found in the namespace "
                            f"'{ns}' for api version '{req.arg('api-version')}'.")
        return ArmError(404, "NotFound", f"No HTTP resource was found that matches the request URI '{req.path}'.")

    def _base(self, req: Request) -> str:
        """The URL clients reach this emulator at, for links (nextLink, Azure-AsyncOperation,
        Location, the discovery documents): the Host header, or X-Forwarded-Proto /
        X-Forwarded-Host when a proxy (or a test transport) stands in front."""
        proto = req.header("x-forwarded-proto")
        host = req.header("x-forwarded-host") or req.base_url.split("://", 1)[1]
        return f"{proto if proto in ('http', 'https') else req.base_url.split('://', 1)[0]}://{host}"

    def _fault_response(self, fault: Fault) -> Response:
        status = fault.status
        if status not in ("timeout", "drop") and int(status) == 429 and fault.body is None and fault.code is None:
            # ARM's throttling answer [src: arm-errors; Microsoft Learn "Understand how Azure
            # Resource Manager throttles requests"]: 429, Retry-After, SubscriptionRequestsThrottled.
            fault = dataclasses.replace(
                fault, code="SubscriptionRequestsThrottled",
                message=fault.message or "Number of requests for subscription exceeded the limit. Please try again after "
                f"'{_header(fault.headers, 'Retry-After') or 1}' seconds. Refer to https://aka.ms/arm-throttling")
        response = super()._fault_response(fault)
        if response.status == 429 and _header(response.headers, "Retry-After") is None:
            response.headers["Retry-After"] = "1"
        return response

    def dispatch(self, req: Request) -> Response:
        response = super().dispatch(req)
        if req.path.startswith("/_emulator/"):
            return response
        if self._is_arm(req.path):
            # ARM's bookkeeping headers on every answer.
            rid = str(uuid.uuid4())
            response.headers.setdefault("x-ms-request-id", rid)
            response.headers.setdefault("x-ms-correlation-request-id", req.header("x-ms-correlation-request-id") or rid)
            response.headers.setdefault("x-ms-routing-request-id", f"EMULATOR:{datetime.now(timezone.utc):%Y%m%dT%H%M%SZ}:{rid}")
            kind = "reads" if req.method in ("GET", "HEAD") else ("deletes" if req.method == "DELETE" else "writes")
            limit = {"reads": "11999", "writes": "1199", "deletes": "14999"}[kind]
            if _header(response.headers, f"x-ms-ratelimit-remaining-subscription-{kind}") is None:
                response.headers[f"x-ms-ratelimit-remaining-subscription-{kind}"] = "0" if response.status == 429 else limit
            response.headers.setdefault("Cache-Control", "no-cache")
            if response.body is not None and response.content_type == "application/json":
                response.content_type = "application/json; charset=utf-8"
        return response

    @staticmethod
    def _is_arm(path: str) -> bool:
        low = path.lower()
        return low.startswith("/subscriptions") or low.startswith("/providers/")

    def _run_route(self, req: Request) -> Response:
        with self.lock:
            self._tick()
            if self._is_arm(req.path):
                try:
                    self._authenticate(req)
                    self._check_api_version(req)
                except HttpError as err:
                    return self.http_error(err)
            return super()._run_route(req)

    def _authenticate(self, req: Request) -> None:
        tenant = "organizations"
        challenge = (f'Bearer authorization_uri="{self._base(req)}/{tenant}", error="invalid_token", '
                     'error_description="{}"')
        header = req.header("authorization")
        if not header:
            # [src: arm-errors] 401 AuthenticationFailed + WWW-Authenticate
            raise ArmError(401, "AuthenticationFailed", "Authentication failed. The 'Authorization' header is missing.",
                           headers={"WWW-Authenticate": challenge.format(
                               "The authentication failed because of missing 'Authorization' header.")})
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise ArmError(401, "AuthenticationFailed",
                           "Authentication failed. The 'Authorization' header is provided in an invalid format.",
                           headers={"WWW-Authenticate": challenge.format(
                               "The authentication failed because of invalid 'Authorization' header.")})
        token = token.strip()
        if self.settings.get("accept_any_token"):
            return
        info = self._tokens.get(token)
        if info is None:
            raise ArmError(401, "InvalidAuthenticationToken", "The access token is invalid.",
                           headers={"WWW-Authenticate": challenge.format("The access token is invalid.")})
        if info["exp"] <= time.time():
            exp = datetime.fromtimestamp(info["exp"], timezone.utc).strftime("%m/%d/%Y %H:%M:%S")
            cur = datetime.now(timezone.utc).strftime("%m/%d/%Y %H:%M:%S")
            raise ArmError(401, "ExpiredAuthenticationToken",
                           f"The access token expiry UTC time '{exp}' is earlier than current UTC time '{cur}'.",
                           headers={"WWW-Authenticate": challenge.format("The access token has expired.")})
        aud = info["aud"].rstrip("/")
        if aud not in {a.rstrip("/") for a in ARM_AUDIENCES} and aud.lower() != self._base(req).lower().rstrip("/"):
            raise ArmError(401, "InvalidAuthenticationTokenAudience",
                           f"The access token has been obtained for wrong audience or resource '{info['aud']}'. It should "
                           "exactly match with one of the allowed audiences 'https://management.core.windows.net/',"
                           "'https://management.core.windows.net','https://management.azure.com/','https://management.azure.com'.",
                           headers={"WWW-Authenticate": challenge.format("The access token has an invalid audience.")})

    def _family(self, path: str) -> tuple[str, str]:
        """(api-version family, resource type for messages) of an ARM path."""
        low = path.lower()
        if "/providers/microsoft.network/" in low:
            m = re.search(r"/providers/microsoft\.network/([^/]+)", low)
            return "network", (m.group(1) if m else "virtualNetworks")
        if "/providers/microsoft.compute/" in low:
            if "/disks" in low or "/diskoperations/" in low:
                return "disks", "disks"
            m = re.search(r"/providers/microsoft\.compute/(?:locations/[^/]+/)?([^/]+)", low)
            return "compute", (m.group(1) if m else "virtualMachines")
        if re.fullmatch(r"/subscriptions/[^/]+", low):
            return "subscriptions", "subscriptions"
        return "resources", "resourceGroups"

    def accepted_versions(self, family: str) -> list[str]:
        extra = (self.settings.get("extra_api_versions") or {})
        out = list(API_VERSIONS[family])
        for key in (family, FAMILY_NAMESPACE[family]):
            out += [v for v in extra.get(key, []) if v not in out]
        return out

    def _check_api_version(self, req: Request) -> None:
        version = req.arg("api-version")
        if not version:
            # [src: arm-errors] 400 MissingApiVersionParameter
            raise ArmError(400, "MissingApiVersionParameter",
                           "The api-version query parameter (?api-version=) is required for all requests.")
        if not self.settings.get("strict_api_versions", True):
            return
        m = re.search(r"/providers/([^/]+)", req.path, re.IGNORECASE)
        if m and m.group(1).lower() not in KNOWN_NAMESPACES:
            return  # routing answers InvalidResourceNamespace
        family, rtype = self._family(req.path)
        accepted = self.accepted_versions(family)
        if version in accepted:
            return
        listed = ", ".join(sorted(accepted, reverse=True))
        if family in ("resources", "subscriptions"):
            raise ArmError(400, "InvalidApiVersionParameter",
                           f"The api-version '{version}' is invalid. The supported versions are '{listed}'.")
        locations = ",".join(self.settings.get("locations") or [])
        raise ArmError(400, "NoRegisteredProviderFound",
                       f"No registered resource provider found for location '{self._request_location(req)}' and API "
                       f"version '{version}' for type '{rtype}'. The supported api-versions are '{listed}'. "
                       f"The supported locations are '{locations}'.")

    def _request_location(self, req: Request) -> str:
        try:
            body = json.loads(req.body) if req.body else None
        except ValueError:
            body = None
        if isinstance(body, dict) and body.get("location"):
            return norm_location(body["location"])
        m = re.search(r"/locations/([^/]+)", req.path, re.IGNORECASE)
        return m.group(1) if m else ""

    def _json_body(self, req: Request) -> dict[str, Any]:
        try:
            body = req.json()
        except HttpError as err:
            # [src: arm-errors] 400 InvalidRequestContent
            raise ArmError(400, "InvalidRequestContent",
                           f"The request content was invalid and could not be deserialized: '{err.message}'.") from err
        if body is None:
            raise ArmError(400, "InvalidRequestContent", "The request content was invalid and could not be deserialized: "
                           "'Request body is empty.'.")
        if not isinstance(body, dict):
            raise ArmError(400, "InvalidRequestContent", "The request content was invalid and could not be deserialized: "
                           "'Expected a JSON object.'.")
        return body

    def _location_of(self, body: dict[str, Any], type_: str) -> str:
        if not body.get("location"):
            # [src: arm-errors] 400 LocationRequired
            raise ArmError(400, "LocationRequired", "The location property is required for this definition.")
        loc = norm_location(body["location"])
        if loc not in self.settings.get("locations", []):
            raise ArmError(400, "LocationNotAvailableForResourceType",
                           f"The provided location '{body['location']}' is not available for resource type '{type_}'. "
                           f"List of available regions for the resource type is '{','.join(self.settings.get('locations', []))}'.")
        return loc

    # ----- paging -------------------------------------------------------------------------
    def _page(self, req: Request, items: list[dict[str, Any]], render: Callable[[dict[str, Any]], Any],
              top: int | None = None) -> Response:
        """One page of ``items`` (sorted by creation order); ``nextLink`` carries a
        ``$skiptoken`` (the last item's sequence number) and every other query parameter."""
        size = int(self.settings.get("page_size") or 100)
        if top is not None:
            size = min(size, top)
        after = req.arg("$skiptoken")
        if after:
            try:
                last = int(after)
            except ValueError as exc:
                raise ArmError(400, "InvalidSkipToken", f"The skip token '{after}' is invalid.") from exc
            items = [i for i in items if i["seq"] > last]
        page, rest = items[:size], items[size:]
        body: dict[str, Any] = {"value": [render(i) for i in page]}
        if rest and page and top is None:
            query = {k: v[0] for k, v in req.query.items() if k != "$skiptoken"}
            query["$skiptoken"] = str(page[-1]["seq"])
            body["nextLink"] = f"{self._base(req)}{req.path}?{urlencode(query, quote_via=quote)}"
        return Response(200, body)

    # ==========================================================================================
    # routes
    # ==========================================================================================
    def _register_routes(self) -> None:
        S = r"/subscriptions/(?P<sub>[^/]+)"
        RG = S + r"/resourcegroups/(?P<rg>[^/]+)"
        C = RG + r"/providers/microsoft\.compute"
        N = RG + r"/providers/microsoft\.network"
        N_ = r"(?P<name>[^/]+)"

        def r(method: str, pattern: str, handler: Callable[..., Response]) -> None:
            def wrapped(req: Request, **groups: str) -> Response:
                return handler(req, **{k: unquote(v) for k, v in groups.items()})
            self.route(method, "(?i)" + pattern)(wrapped)

        # identity platform [src: entra]
        r("POST", r"/(?P<tenant>[^/]+)/oauth2/v2\.0/token", self.token_v2)
        r("POST", r"/(?P<tenant>[^/]+)/oauth2/token", self.token_v1)
        r("GET", r"/(?P<tenant>[^/]+)/v2\.0/\.well-known/openid-configuration", self.openid_configuration)
        r("GET", r"/(?P<tenant>[^/]+)/\.well-known/openid-configuration", self.openid_configuration_v1)
        r("GET", r"/common/discovery/instance", self.instance_discovery)
        r("GET", r"/(?P<tenant>[^/]+)/discovery/v2\.0/keys", self.jwks)
        r("GET", r"/metadata/endpoints", self.cloud_metadata)

        # Microsoft.Resources [src: spec-res]
        r("GET", S, self.get_subscription)
        r("GET", S + r"/resourcegroups", self.list_groups)
        for method, handler in (("PUT", self.put_group), ("GET", self.get_group), ("PATCH", self.patch_group),
                                ("DELETE", self.delete_group), ("HEAD", self.head_group)):
            r(method, RG, handler)
        r("GET", S + r"/operationresults/(?P<op>[^/]+)", self.rg_operation_result)
        r("GET", RG + r"/resources", self.list_group_resources)
        r("GET", S + r"/resources", self.list_subscription_resources)

        # operation status [src: rpc-async]
        r("GET", S + r"/providers/(?P<ns>microsoft\.compute|microsoft\.network)/locations/(?P<loc>[^/]+)/"
          r"(?P<kind>operations|diskoperations|operationresults)/(?P<op>[^/]+)", self.operation_status)

        # Microsoft.Network [src: spec-net]
        r("GET", N + r"/virtualnetworks", lambda req, sub, rg: self.list_type(req, T_VNET, sub, rg))
        r("GET", S + r"/providers/microsoft\.network/virtualnetworks", lambda req, sub: self.list_type(req, T_VNET, sub))
        r("PUT", N + r"/virtualnetworks/" + N_, self.put_vnet)
        r("GET", N + r"/virtualnetworks/" + N_, lambda req, sub, rg, name: self.get_top(req, T_VNET, sub, rg, name))
        r("PATCH", N + r"/virtualnetworks/" + N_, lambda req, sub, rg, name: self.patch_tags(req, T_VNET, sub, rg, name))
        r("DELETE", N + r"/virtualnetworks/" + N_, self.delete_vnet)
        r("GET", N + r"/virtualnetworks/(?P<vnet>[^/]+)/subnets", self.list_subnets)
        r("PUT", N + r"/virtualnetworks/(?P<vnet>[^/]+)/subnets/" + N_, self.put_subnet)
        r("GET", N + r"/virtualnetworks/(?P<vnet>[^/]+)/subnets/" + N_, self.get_subnet)
        r("DELETE", N + r"/virtualnetworks/(?P<vnet>[^/]+)/subnets/" + N_, self.delete_subnet)
        r("GET", N + r"/networkinterfaces", lambda req, sub, rg: self.list_type(req, T_NIC, sub, rg))
        r("GET", S + r"/providers/microsoft\.network/networkinterfaces", lambda req, sub: self.list_type(req, T_NIC, sub))
        r("PUT", N + r"/networkinterfaces/" + N_, self.put_nic)
        r("GET", N + r"/networkinterfaces/" + N_, lambda req, sub, rg, name: self.get_top(req, T_NIC, sub, rg, name))
        r("PATCH", N + r"/networkinterfaces/" + N_, lambda req, sub, rg, name: self.patch_tags(req, T_NIC, sub, rg, name))
        r("DELETE", N + r"/networkinterfaces/" + N_, self.delete_nic)

        # Microsoft.Compute [src: spec-vm, spec-disk]
        for coll, type_ in (("virtualmachines", T_VM), ("disks", T_DISK), ("availabilitysets", T_AVSET),
                            ("virtualmachinescalesets", T_VMSS)):
            r("GET", C + "/" + coll, lambda req, sub, rg, t=type_: self.list_type(req, t, sub, rg))
            r("GET", S + r"/providers/microsoft\.compute/" + coll, lambda req, sub, t=type_: self.list_type(req, t, sub))
            r("GET", C + "/" + coll + "/" + N_, lambda req, sub, rg, name, t=type_: self.get_top(req, t, sub, rg, name))
        r("GET", S + r"/providers/microsoft\.compute/locations/(?P<loc>[^/]+)/virtualmachines",
          lambda req, sub, loc: self.list_type(req, T_VM, sub, location=norm_location(loc)))
        r("PUT", C + r"/virtualmachines/" + N_, self.put_vm)
        r("PATCH", C + r"/virtualmachines/" + N_, self.patch_vm)
        r("DELETE", C + r"/virtualmachines/" + N_, self.delete_vm)
        r("GET", C + r"/virtualmachines/" + N_ + r"/instanceview", self.vm_instance_view)
        r("POST", C + r"/virtualmachines/" + N_ + r"/(?P<action>start|poweroff|restart|deallocate)", self.vm_power)
        r("PUT", C + r"/disks/" + N_, self.put_disk)
        r("PATCH", C + r"/disks/" + N_, self.patch_disk)
        r("DELETE", C + r"/disks/" + N_, self.delete_disk)
        r("PUT", C + r"/availabilitysets/" + N_, self.put_avset)
        r("PATCH", C + r"/availabilitysets/" + N_, self.patch_avset)
        r("DELETE", C + r"/availabilitysets/" + N_, self.delete_avset)
        r("PUT", C + r"/virtualmachinescalesets/" + N_, self.put_vmss)
        r("PATCH", C + r"/virtualmachinescalesets/" + N_, self.patch_vmss)
        r("DELETE", C + r"/virtualmachinescalesets/" + N_, self.delete_vmss)
        r("GET", C + r"/virtualmachinescalesets/" + N_ + r"/virtualmachines", self.list_vmss_vms)
        r("GET", C + r"/virtualmachinescalesets/" + N_ + r"/virtualmachines/(?P<instance>[^/]+)", self.get_vmss_vm)

        # data sources [src: spec-vm computeRPCommon.json VirtualMachineSizes_List,
        # virtualMachineImage.json VirtualMachineImages_*]
        L = S + r"/providers/microsoft\.compute/locations/(?P<loc>[^/]+)"
        r("GET", L + r"/vmsizes", self.list_vm_sizes)
        r("GET", L + r"/publishers", self.list_publishers)
        r("GET", L + r"/publishers/(?P<pub>[^/]+)/artifacttypes/vmimage/offers", self.list_offers)
        r("GET", L + r"/publishers/(?P<pub>[^/]+)/artifacttypes/vmimage/offers/(?P<offer>[^/]+)/skus", self.list_skus)
        r("GET", L + r"/publishers/(?P<pub>[^/]+)/artifacttypes/vmimage/offers/(?P<offer>[^/]+)/skus/(?P<sku>[^/]+)/versions",
          self.list_image_versions)
        r("GET", L + r"/publishers/(?P<pub>[^/]+)/artifacttypes/vmimage/offers/(?P<offer>[^/]+)/skus/(?P<sku>[^/]+)/versions/(?P<version>[^/]+)",
          self.get_image_version)

    # ==========================================================================================
    # Microsoft identity platform [src: entra]
    # ==========================================================================================
    def _form(self, req: Request) -> dict[str, str]:
        ctype = (req.header("content-type") or "").split(";")[0].strip().lower()
        if ctype != "application/x-www-form-urlencoded":
            raise OAuthError(400, "invalid_request", 900144,
                             "The request body must contain the following parameter: 'grant_type'.")
        return {k: v[0] for k, v in parse_qs(req.body.decode(), keep_blank_values=True).items()}

    def _oauth_error(self, req: Request, err: OAuthError) -> Response:
        trace, corr = str(uuid.uuid4()), req.header("client-request-id") or str(uuid.uuid4())
        stamp = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M:%SZ")
        desc = f"AADSTS{err.aadsts}: {err.description}\r\nTrace ID: {trace}\r\nCorrelation ID: {corr}\r\nTimestamp: {stamp}"
        return Response(err.status, {"error": err.error, "error_description": desc, "error_codes": [err.aadsts],
                                     "timestamp": stamp, "trace_id": trace, "correlation_id": corr,
                                     "error_uri": f"{self._base(req)}/error?code={err.aadsts}"},
                        {"Cache-Control": "no-store, no-cache", "Pragma": "no-cache"})

    def _client_credentials(self, req: Request, tenant: str, form: dict[str, str]) -> str:
        grant = form.get("grant_type")
        if not grant:
            raise OAuthError(400, "invalid_request", 900144, "The request body must contain the following parameter: 'grant_type'.")
        if grant != "client_credentials":
            raise OAuthError(400, "unsupported_grant_type", 70003,
                             f"The app requested an unsupported grant type '{grant}'.")
        client_id = form.get("client_id")
        if not client_id:
            raise OAuthError(400, "invalid_request", 900144, "The request body must contain the following parameter: 'client_id'.")
        secret = form.get("client_secret")
        if not secret and not form.get("client_assertion"):
            raise OAuthError(401, "invalid_client", 7000218,
                             "The request body must contain the following parameter: 'client_assertion' or 'client_secret'.")
        clients = self.settings.get("clients") or {}
        if clients:
            if client_id not in clients:
                raise OAuthError(400, "unauthorized_client", 700016,
                                 f"Application with identifier '{client_id}' was not found in the directory '{tenant}'. "
                                 "This can happen if the application has not been installed by the administrator of the tenant "
                                 "or consented to by any user in the tenant. You may have sent your authentication request "
                                 "to the wrong tenant.")
            if secret is not None and clients[client_id] != secret:
                raise OAuthError(401, "invalid_client", 7000215,
                                 "Invalid client secret provided. Ensure the secret being sent in the request is the client "
                                 f"secret value, not the client secret ID, for a secret added to app '{client_id}'.")
        return client_id

    def _issue(self, tenant: str, client_id: str, audience: str) -> tuple[str, int, int]:
        lifetime = int(self.settings.get("token_lifetime", 3599))
        now = int(time.time())
        oid = str(uuid.uuid5(uuid.NAMESPACE_URL, f"aic-emulator/{tenant}/{client_id}"))
        claims = {"aud": audience, "iss": f"https://sts.windows.net/{tenant}/", "iat": now, "nbf": now,
                  "exp": now + lifetime, "appid": client_id, "appidacr": "1", "idp": f"https://sts.windows.net/{tenant}/",
                  "oid": oid, "sub": oid, "tid": tenant, "ver": "1.0", "uti": secrets.token_urlsafe(16)}
        header = {"typ": "JWT", "alg": "RS256", "kid": "aic-azure-emulator"}
        token = ".".join([b64url(json.dumps(header).encode()), b64url(json.dumps(claims).encode()),
                          b64url(secrets.token_bytes(64))])
        with self.lock:
            self._tokens[token] = {"exp": now + lifetime, "aud": audience, "tenant": tenant, "client_id": client_id}
        return token, lifetime, now

    def token_v2(self, req: Request, tenant: str) -> Response:
        """POST /{tenant}/oauth2/v2.0/token, client-credentials grant."""
        try:
            form = self._form(req)
            client_id = self._client_credentials(req, tenant, form)
            scope = form.get("scope")
            if not scope:
                raise OAuthError(400, "invalid_request", 900144, "The request body must contain the following parameter: 'scope'.")
            scopes = scope.split()
            if len(scopes) != 1 or not scopes[0].endswith("/.default"):
                # Client-credential flows take exactly one "<resource>/.default" scope.
                raise OAuthError(400, "invalid_scope", 1002012,
                                 f"The provided value for scope {scope} is not valid. Client credential flows must have a "
                                 "scope value with /.default suffixed to the resource identifier (application ID URI).")
            audience = scopes[0][: -len("/.default")]
            if audience.rstrip("/") in {a.rstrip("/") for a in ARM_AUDIENCES}:
                audience = "https://management.core.windows.net/"
        except OAuthError as err:
            return self._oauth_error(req, err)
        token, lifetime, _ = self._issue(tenant, client_id, audience)
        return Response(200, {"token_type": "Bearer", "expires_in": lifetime, "ext_expires_in": lifetime,
                              "access_token": token},
                        {"Cache-Control": "no-store, no-cache", "Pragma": "no-cache"})

    def token_v1(self, req: Request, tenant: str) -> Response:
        """POST /{tenant}/oauth2/token (the v1.0 endpoint: ``resource`` instead of ``scope``)."""
        try:
            form = self._form(req)
            client_id = self._client_credentials(req, tenant, form)
            resource = form.get("resource")
            if not resource:
                raise OAuthError(400, "invalid_request", 900144, "The request body must contain the following parameter: 'resource'.")
        except OAuthError as err:
            return self._oauth_error(req, err)
        audience = "https://management.core.windows.net/" if resource.rstrip("/") in {a.rstrip("/") for a in ARM_AUDIENCES} else resource
        token, lifetime, now = self._issue(tenant, client_id, audience)
        return Response(200, {"token_type": "Bearer", "expires_in": str(lifetime), "ext_expires_in": str(lifetime),
                              "expires_on": str(now + lifetime), "not_before": str(now), "resource": resource,
                              "access_token": token},
                        {"Cache-Control": "no-store, no-cache", "Pragma": "no-cache"})

    def openid_configuration(self, req: Request, tenant: str) -> Response:
        """MSAL's tenant discovery: ``{authority}/v2.0/.well-known/openid-configuration``."""
        base = self._base(req)
        return Response(200, {
            "token_endpoint": f"{base}/{tenant}/oauth2/v2.0/token",
            "token_endpoint_auth_methods_supported": ["client_secret_post", "private_key_jwt", "client_secret_basic"],
            "jwks_uri": f"{base}/{tenant}/discovery/v2.0/keys",
            "response_modes_supported": ["query", "fragment", "form_post"],
            "subject_types_supported": ["pairwise"],
            "id_token_signing_alg_values_supported": ["RS256"],
            "response_types_supported": ["code", "id_token", "code id_token", "id_token token"],
            "scopes_supported": ["openid", "profile", "email", "offline_access"],
            "issuer": f"{base}/{tenant}/v2.0",
            "request_uri_parameter_supported": False,
            "userinfo_endpoint": f"{base}/oidc/userinfo",
            "authorization_endpoint": f"{base}/{tenant}/oauth2/v2.0/authorize",
            "device_authorization_endpoint": f"{base}/{tenant}/oauth2/v2.0/devicecode",
            "http_logout_supported": True,
            "frontchannel_logout_supported": True,
            "end_session_endpoint": f"{base}/{tenant}/oauth2/v2.0/logout",
            "claims_supported": ["sub", "iss", "aud", "exp", "iat", "auth_time", "acr", "nonce", "tid", "ver", "oid"],
            "kerberos_endpoint": f"{base}/{tenant}/kerberos",
            "tenant_region_scope": "NA",
            "cloud_instance_name": "microsoftonline.com",
            "cloud_graph_host_name": "graph.windows.net",
            "msgraph_host": "graph.microsoft.com",
            "rbac_url": "https://pas.windows.net",
        })

    def openid_configuration_v1(self, req: Request, tenant: str) -> Response:
        base = self._base(req)
        return Response(200, {
            "token_endpoint": f"{base}/{tenant}/oauth2/token",
            "authorization_endpoint": f"{base}/{tenant}/oauth2/authorize",
            "jwks_uri": f"{base}/common/discovery/keys",
            "issuer": f"https://sts.windows.net/{tenant}/",
            "token_endpoint_auth_methods_supported": ["client_secret_post", "private_key_jwt", "client_secret_basic"],
            "response_types_supported": ["code", "id_token", "code id_token", "token id_token", "token"],
            "subject_types_supported": ["pairwise"],
            "id_token_signing_alg_values_supported": ["RS256"],
        })

    def instance_discovery(self, req: Request) -> Response:
        """MSAL's instance discovery (``/common/discovery/instance?authorization_endpoint=…``)."""
        base = self._base(req)
        host = base.split("://", 1)[1]
        endpoint = req.arg("authorization_endpoint") or f"{base}/common/oauth2/authorize"
        m = re.match(r"https?://[^/]+/([^/]+)/", endpoint + "/")
        tenant = m.group(1) if m else "common"
        return Response(200, {"tenant_discovery_endpoint": f"{base}/{tenant}/v2.0/.well-known/openid-configuration",
                              "api-version": "1.1",
                              "metadata": [{"preferred_network": host, "preferred_cache": host, "aliases": [host]}]})

    def jwks(self, req: Request, tenant: str) -> Response:
        return Response(200, {"keys": []})

    def cloud_metadata(self, req: Request) -> Response:
        """ARM's cloud metadata (``/metadata/endpoints``) describing this emulator as a cloud."""
        base = self._base(req)
        return Response(200, {
            "galleryEndpoint": base, "graphEndpoint": base, "portalEndpoint": base,
            "authentication": {"loginEndpoint": base, "audiences": [ARM_AUDIENCES[0], ARM_AUDIENCES[2]],
                               "tenant": "common", "identityProvider": "AAD"},
            "resourceManager": base, "name": "AicAzureEmulator",
            "suffixes": {"storage": "core.windows.net", "keyVaultDns": "vault.azure.net"},
        })

    # ==========================================================================================
    # Microsoft.Resources: subscriptions, resource groups, generic resource lists [src: spec-res]
    # ==========================================================================================
    def get_subscription(self, req: Request, sub: str) -> Response:
        self._require_subscription(sub)
        return Response(200, {"id": f"/subscriptions/{sub}", "subscriptionId": sub, "displayName": "aic Azure emulator",
                              "state": "Enabled", "tenantId": "00000000-0000-0000-0000-000000000000",
                              "subscriptionPolicies": {"locationPlacementId": "Public_2014-09-01",
                                                       "quotaId": "PayAsYouGo_2014-09-01", "spendingLimit": "Off"},
                              "authorizationSource": "RoleBased"})

    def _check_group_name(self, rg: str) -> None:
        # [src: names] 1-90: letters/digits (Unicode), underscores, hyphens, periods, parentheses;
        # not ending with a period. [src: arm-errors] code InvalidResourceGroup.
        bad = sorted({c for c in rg if not (c.isalnum() or c in "_-.()")}, key=rg.index)
        if bad:
            raise ArmError(400, "InvalidResourceGroup",
                           f"The provided resource group name '{rg}' has these invalid characters: '{''.join(bad)}'. "
                           "The name can only be a letter, digit, '-', '.', '(', ')' or '_'.")
        if not rg or len(rg) > 90 or rg.endswith("."):
            raise ArmError(400, "InvalidResourceGroup",
                           f"The provided resource group name '{rg}' is invalid. Resource group names only allow up to 90 "
                           "characters and cannot end in a period.")

    def _render_group(self, g: dict[str, Any]) -> dict[str, Any]:
        out: dict[str, Any] = {"id": f"/subscriptions/{g['sub_cased']}/resourceGroups/{g['name']}", "name": g["name"],
                               "type": T_RG, "location": g["location"]}
        if g.get("tags") is not None:
            out["tags"] = g["tags"]
        if g.get("managedBy"):
            out["managedBy"] = g["managedBy"]
        out["properties"] = {"provisioningState": g["state"]}
        return out

    def list_groups(self, req: Request, sub: str) -> Response:
        self._require_subscription(sub)
        groups = sorted((g for (s, _), g in self._groups.items() if s == sub.lower()), key=lambda g: g["seq"])
        top = req.arg("$top")
        return self._page(req, groups, self._render_group, top=int(top) if top else None)

    def put_group(self, req: Request, sub: str, rg: str) -> Response:
        """ResourceGroups_CreateOrUpdate: synchronous, 201 new / 200 existing."""
        self._require_subscription(sub)
        self._check_group_name(rg)
        body = self._json_body(req)
        if not body.get("location"):
            raise ArmError(400, "LocationRequired", "The location property is required for this definition.")
        loc = norm_location(body["location"])
        if loc not in self.settings.get("locations", []):
            raise ArmError(400, "LocationNotAvailableForResourceGroup",
                           f"The provided location '{body['location']}' is not available for resource group. List of "
                           f"available regions is '{','.join(self.settings.get('locations', []))}'.")
        group = self._group(sub, rg)
        if group is not None:
            if group["state"] == "Deleting":
                raise ArmError(409, "ResourceGroupBeingDeleted",
                               f"The resource group '{group['name']}' is in deprovisioning state and cannot perform this operation.")
            if group["location"] != loc:
                # [src: arm-errors] 409 InvalidResourceGroupLocation
                raise ArmError(409, "InvalidResourceGroupLocation",
                               f"Invalid resource group location '{loc}'. The Resource group already exists in location "
                               f"'{group['location']}'.")
        rid = f"/subscriptions/{sub}/resourceGroups/{rg}"
        rule = self._take_failure(rid, "create" if group is None else "update")
        if rule is not None:
            raise ArmError(int(rule.get("status", 400)), rule.get("code", "InternalExecutionError"),
                           rule.get("message", "The operation failed."))
        created = group is None
        if created:
            group = {"name": rg, "sub_cased": sub, "location": loc, "seq": self._next_seq(), "state": "Succeeded"}
            self._groups[(sub.lower(), rg.lower())] = group
        group["tags"] = body.get("tags")
        group["managedBy"] = body.get("managedBy")
        return Response(201 if created else 200, self._render_group(group))

    def get_group(self, req: Request, sub: str, rg: str) -> Response:
        return Response(200, self._render_group(self._require_group(sub, rg)))

    def head_group(self, req: Request, sub: str, rg: str) -> Response:
        """ResourceGroups_CheckExistence: 204 or 404, no body."""
        self._require_subscription(sub)
        return Response(204 if self._group(sub, rg) else 404)

    def patch_group(self, req: Request, sub: str, rg: str) -> Response:
        group = self._require_group(sub, rg, write=True)
        body = self._json_body(req)
        if "tags" in body:
            group["tags"] = body["tags"]
        if "managedBy" in body:
            group["managedBy"] = body["managedBy"]
        return Response(200, self._render_group(group))

    def delete_group(self, req: Request, sub: str, rg: str) -> Response:
        """ResourceGroups_Delete: 202 + Location (+ Retry-After); everything inside goes with it
        when the operation completes."""
        group = self._require_group(sub, rg)
        version = req.arg("api-version")
        rid = f"/subscriptions/{sub}/resourceGroups/{group['name']}"
        if group["state"] == "Deleting" and group.get("op") in self._ops:
            op = self._ops[group["op"]]
        else:
            op = self._start_op("rg-delete", rid, "Microsoft.Resources", group["location"], sub, "resources", "rg",
                                self._delay(T_RG, delete=True))
            group["state"] = "Deleting"
            group["op"] = op.id
            key = (sub.lower(), rg.lower())
            op.on_success = lambda: self._cascade_group(key, op)
            op.on_failure = lambda: group.__setitem__("state", "Succeeded")
        _, location = self._op_urls(req, op, version)
        return Response(202, None, {"Location": location, "Retry-After": self._retry_after()})

    def _cascade_group(self, key: tuple[str, str], op: Operation) -> None:
        """Delete a group and everything in it; resources still used from outside the group
        block their own deletion and fail the operation, as ARM does."""
        group = self._groups.get(key)
        if group is None:
            return
        inside = [r for r in self._res.values() if r["sub"] == key[0] and r["rg"] == key[1]]
        inside_ids = {r["id"].lower() for r in inside}
        blocked = []
        for rec in inside:
            for user in self._users_of(rec):
                if user.lower() not in inside_ids:
                    blocked.append(rec["id"])
                    break
        for rec in sorted(inside, key=lambda r: self._delete_rank(r["type"])):
            if rec["id"] in blocked or rec["id"].lower() not in self._res:
                continue
            self._remove(rec)
        for op_id in list(self._pending):
            if self._ops[op_id].resource in inside_ids:
                self._cancel_op(self._ops[op_id], "Canceled", "The resource group was deleted.")
        if blocked:
            op.status = "Failed"
            op.fail_status = 409
            op.error = {"code": "ResourceGroupDeletionBlocked",
                        "message": f"Deletion of resource group '{group['name']}' failed as resources with identifiers "
                                   f"'{','.join(blocked)}' could not be deleted. The provisioning state of the resource "
                                   "group will be rolled back."}
            group["state"] = "Succeeded"
            return
        del self._groups[key]

    @staticmethod
    def _delete_rank(type_: str) -> int:
        order = [T_VMSS_VM, T_VMSS, T_VM, T_DISK, T_AVSET, T_NIC, T_SUBNET, T_VNET]
        return order.index(type_) if type_ in order else len(order)

    def rg_operation_result(self, req: Request, sub: str, op: str) -> Response:
        """ARM's Location URL for a resource-group deletion: 202 while running, 200 when done."""
        operation = self._ops.get(op)
        if operation is None or operation.style != "rg":
            raise ArmError(404, "NotFound", f"The operation '{op}' could not be found.")
        return self._location_answer(req, operation)

    def _location_answer(self, req: Request, op: Operation) -> Response:
        # [src: rpc-async] "Location URI should return 202 Accepted with no response body while
        # operation is in progress"; when done, the final answer; on failure the error.
        if op.status == "InProgress":
            _, location = self._op_urls(req, op, req.arg("api-version"))
            return Response(202, None, {"Location": location, "Retry-After": self._retry_after()})
        if op.status in ("Failed", "Canceled"):
            return Response(op.fail_status if op.status == "Failed" else 409, {"error": op.error})
        if op.final_body == "":
            return Response(204)
        if op.final_body is not None:
            return Response(200, op.final_body)
        rec = self._res.get(op.resource)
        if op.kind in ("create", "update") and rec is not None:
            return Response(200, self._render(rec))
        return Response(200) if op.style == "rg" else Response(204)

    def _summary(self, rec: dict[str, Any]) -> dict[str, Any]:
        out = {"id": rec["id"], "name": rec["name"], "type": rec["type"]}
        if rec.get("location"):
            out["location"] = rec["location"]
        if rec["body"].get("tags") is not None:
            out["tags"] = rec["body"]["tags"]
        return out

    def list_group_resources(self, req: Request, sub: str, rg: str) -> Response:
        """Resources_ListByResourceGroup: every top-level resource in the group."""
        self._require_group(sub, rg)
        items = sorted((r for r in self._res.values() if r["sub"] == sub.lower() and r["rg"] == rg.lower() and not r["parent"]),
                       key=lambda r: r["seq"])
        return self._page(req, items, self._summary)

    def list_subscription_resources(self, req: Request, sub: str) -> Response:
        self._require_subscription(sub)
        items = sorted((r for r in self._res.values() if r["sub"] == sub.lower() and not r["parent"]), key=lambda r: r["seq"])
        return self._page(req, items, self._summary)

    # ==========================================================================================
    # operation status [src: rpc-async]
    # ==========================================================================================
    def operation_status(self, req: Request, sub: str, ns: str, loc: str, kind: str, op: str) -> Response:
        operation = self._ops.get(op)
        if operation is None or operation.sub.lower() != sub.lower():
            raise ArmError(404, "NotFound", f"The operation '{op}' could not be found.")
        monitor = (req.arg("monitor") or "").lower() == "true" or kind.lower() == "operationresults"
        if monitor:
            return self._location_answer(req, operation)
        body: dict[str, Any] = {"status": operation.status}
        if operation.style != "network":
            body = {"startTime": operation.start, "status": operation.status, "name": operation.id}
            if operation.end:
                body["endTime"] = operation.end
        if operation.error is not None and operation.status in ("Failed", "Canceled"):
            body["error"] = operation.error
        headers = {}
        if operation.status == "InProgress":
            headers["Retry-After"] = self._retry_after()
        return Response(200, body, headers)

    # ==========================================================================================
    # generic tracked resources
    # ==========================================================================================
    def _render(self, rec: dict[str, Any]) -> dict[str, Any]:
        renderer = {T_VNET: self._render_vnet, T_SUBNET: self._render_subnet, T_NIC: self._render_nic,
                    T_VM: self._render_vm, T_DISK: self._render_disk, T_AVSET: self._render_avset,
                    T_VMSS: self._render_vmss, T_VMSS_VM: self._render_vmss_vm}[rec["type"]]
        return renderer(rec)

    def _top_id(self, sub: str, rg: str, type_: str, name: str) -> str:
        group = self._group(sub, rg)
        rg_name = group["name"] if group else rg
        ns, coll = type_.split("/", 1)
        return f"/subscriptions/{sub}/resourceGroups/{rg_name}/providers/{ns}/{coll}/{name}"

    def list_type(self, req: Request, type_: str, sub: str, rg: str | None = None, location: str | None = None) -> Response:
        if rg is not None:
            self._require_group(sub, rg)
        else:
            self._require_subscription(sub)
        return self._page(req, self._of_type(type_, sub, rg, location), self._render)

    def _lookup(self, type_: str, sub: str, rg: str, name: str) -> dict[str, Any]:
        self._require_group(sub, rg)
        rec = self._get(self._top_id(sub, rg, type_, name))
        if rec is None:
            raise self._not_found(type_, name, rg)
        return rec

    def get_top(self, req: Request, type_: str, sub: str, rg: str, name: str) -> Response:
        rec = self._lookup(type_, sub, rg, name)
        body = self._render(rec)
        if type_ == T_VM and (req.arg("$expand") or "").lower() == "instanceview":
            body["properties"]["instanceView"] = self._instance_view(rec)
        headers = {}
        if type_ in (T_VNET, T_NIC):
            headers["ETag"] = self._nrp_etag(rec)
        return Response(200, body, headers)

    def patch_tags(self, req: Request, type_: str, sub: str, rg: str, name: str) -> Response:
        """NRP's *_UpdateTags: synchronous PATCH of ``tags`` only."""
        self._require_group(sub, rg, write=True)
        rec = self._lookup(type_, sub, rg, name)
        body = self._json_body(req)
        if "tags" in body:
            rec["body"]["tags"] = body["tags"]
            self._bump_etag(rec)
        return Response(200, self._render(rec))

    def _base_render(self, rec: dict[str, Any], etag: bool = False) -> dict[str, Any]:
        out: dict[str, Any] = {"name": rec["name"], "id": rec["id"]}
        if etag:
            out["etag"] = self._nrp_etag(rec)
        out["type"] = rec["type"]
        if rec.get("location"):
            out["location"] = rec["location"]
        for key in ("tags", "zones", "sku", "identity", "plan", "extendedLocation"):
            if rec["body"].get(key) is not None:
                out[key] = copy.deepcopy(rec["body"][key])
        return out

    @staticmethod
    def _nrp_etag(rec: dict[str, Any]) -> str:
        # NRP etags are weak GUID etags, W/"…", changing on every write.
        return f'W/"{rec.get("etag_guid") or rec["guid"]}"'

    @staticmethod
    def _crp_etag(rec: dict[str, Any]) -> str:
        # CRP etags are a quoted counter, "\"1\"", "\"2\"", …
        return f'"{rec["etag_n"]}"'

    def _users_of(self, rec: dict[str, Any]) -> list[str]:
        """Ids of resources whose existence keeps ``rec`` from being deleted."""
        rid = rec["id"].lower()
        users: list[str] = []
        if rec["type"] == T_NIC:
            vm = self._vm_of_nic(rid)
            if vm:
                users.append(vm["id"])
        elif rec["type"] == T_SUBNET:
            users += [ip["nic"] for ip in self._subnet_ip_configs(rid)]
            users += [v["id"] for v in self._res.values() if v["type"] == T_VMSS and rid in self._vmss_subnets(v)]
        elif rec["type"] == T_VNET:
            for child in self._children(rid, T_SUBNET):
                users += self._users_of(child)
        elif rec["type"] == T_DISK:
            vm = self._vm_of_disk(rid)
            if vm:
                users.append(vm["id"])
        elif rec["type"] == T_AVSET:
            users += [v["id"] for v in self._res.values() if v["type"] == T_VM and self._ref(v["body"], "properties", "availabilitySet") == rid]
        return users

    def _remove(self, rec: dict[str, Any]) -> None:
        """Forget a resource and its children; VMs release what they hold as deletion does."""
        rid = rec["id"].lower()
        for child in self._children(rid):
            self._remove(child)
        if rec["type"] == T_VM:
            self._release_vm(rec)
        self._res.pop(rid, None)

    @staticmethod
    def _ref(body: dict[str, Any], *path: str) -> str | None:
        cur: Any = body
        for key in path:
            if not isinstance(cur, dict):
                return None
            cur = cur.get(key)
        if isinstance(cur, dict) and isinstance(cur.get("id"), str):
            return cur["id"].lower()
        return None

    # ==========================================================================================
    # Microsoft.Network [src: spec-net]
    # ==========================================================================================
    def _check_network_name(self, name: str, max_len: int, param: str) -> None:
        if len(name) > max_len or not NETWORK_NAME_RE.match(name):
            # [src: arm-errors] NRP's InvalidResourceName wording; [src: names] for the rule.
            raise ArmError(400, "InvalidResourceName",
                           f"Resource name {name} is invalid. The name can be up to {max_len} characters long. It must "
                           "begin with a word character, and it must end with a word character or with '_'. The name may "
                           "contain word characters or '.', '-', '_'.", target=param)

    @staticmethod
    def _prefix(value: Any, owner: str) -> ipaddress.IPv4Network | ipaddress.IPv6Network:
        try:
            net = ipaddress.ip_network(str(value), strict=False)
        except ValueError as exc:
            raise ArmError(400, "InvalidAddressPrefixFormat",
                           f"Address prefix {value} of resource {owner} is not formatted correctly. It should follow CIDR "
                           "notation, for example 10.0.0.0/24.") from exc
        if "/" not in str(value) or str(net.network_address) != str(value).split("/")[0]:
            if "/" in str(value):
                raise ArmError(400, "InvalidCIDRNotation",
                               f"The address prefix {value} in resource {owner} has an invalid CIDR notation. For the given "
                               f"prefix length, the address prefix should be {net.with_prefixlen}.")
            raise ArmError(400, "InvalidAddressPrefixFormat",
                           f"Address prefix {value} of resource {owner} is not formatted correctly. It should follow CIDR "
                           "notation, for example 10.0.0.0/24.")
        return net

    def _network_busy(self, domain: list[str]) -> Operation | None:
        ids = {d.lower() for d in domain}
        for op_id in self._pending:
            op = self._ops[op_id]
            if op.resource in ids and op.kind != "conflict":
                return op
        return None

    def _network_accept(self, req: Request, rec: dict[str, Any], created: bool, domain: list[str],
                        commit: Callable[[], None], kind: str | None = None,
                        extra: list[dict[str, Any]] | None = None) -> Response:
        """Answer an NRP PUT: 201/200 + Azure-AsyncOperation, provisioningState Updating.

        When another operation on the same resource or its virtual network is running, the
        request is still accepted but its operation fails with AnotherOperationInProgress and
        nothing changes, which is how NRP reports it [src: arm-errors; the code arrives through
        the operation status in the reports quoted in README.md]."""
        version = req.arg("api-version")
        busy = self._network_busy(domain)
        if busy is not None:
            async_url, _ = self._op_urls(req, busy, version)
            op = Operation(id=str(uuid.uuid4()), kind="conflict", resource=rec["id"].lower(), namespace="Microsoft.Network",
                           location=rec.get("location") or busy.location, sub=rec["sub_cased"], family="network",
                           style="network", start=now_iso(), due=time.monotonic(),
                           error={"code": "AnotherOperationInProgress",
                                  "message": "Another operation on this or dependent resource is in progress. To retrieve "
                                             f"status of the operation use uri: {async_url}.", "details": []},
                           fail_status=409)
            self._ops[op.id] = op
            self._pending.append(op.id)
            shown = self._render(rec)
            shown.setdefault("properties", {})["provisioningState"] = "Updating"
            return Response(201 if created else 200, shown, self._lro_headers(req, op, version, location=False))
        commit()
        stored = self._get(rec["id"])
        assert stored is not None
        stored["state"] = "Updating"
        self._bump_etag(stored)
        op = self._start_op(kind or ("create" if created else "update"), stored["id"], "Microsoft.Network",
                            stored.get("location") or self._vnet_location(stored), stored["sub_cased"], "network",
                            "network", self._delay(stored["type"]))
        touched = [stored] + list(extra or [])
        for other in touched:
            other["state"] = "Updating"

        def settle(state: str) -> None:
            for other in touched:
                other["state"] = state

        op.on_success = lambda: settle("Succeeded")
        op.on_failure = lambda: settle("Failed")
        return Response(201 if created else 200, self._render(stored), self._lro_headers(req, op, version, location=False))

    def _network_delete(self, req: Request, rec: dict[str, Any], domain: list[str]) -> Response:
        """NRP DELETE: 202 + Azure-AsyncOperation + Location; the resource shows Deleting."""
        version = req.arg("api-version")
        busy = self._network_busy(domain)
        if busy is not None and not (busy.kind == "delete" and busy.resource == rec["id"].lower()):
            async_url, _ = self._op_urls(req, busy, version)
            op = Operation(id=str(uuid.uuid4()), kind="conflict", resource=rec["id"].lower(), namespace="Microsoft.Network",
                           location=busy.location, sub=rec["sub_cased"], family="network", style="network",
                           start=now_iso(), due=time.monotonic(),
                           error={"code": "AnotherOperationInProgress",
                                  "message": "Another operation on this or dependent resource is in progress. To retrieve "
                                             f"status of the operation use uri: {async_url}.", "details": []},
                           fail_status=409)
            self._ops[op.id] = op
            self._pending.append(op.id)
            return Response(202, None, self._lro_headers(req, op, version, location=True))
        if rec.get("op") and self._ops[rec["op"]].kind == "delete" and self._ops[rec["op"]].status == "InProgress":
            op = self._ops[rec["op"]]
            return Response(202, None, self._lro_headers(req, op, version, location=True))
        rec["state"] = "Deleting"
        op = self._start_op("delete", rec["id"], "Microsoft.Network", rec.get("location") or self._vnet_location(rec),
                            rec["sub_cased"], "network", "network", self._delay(rec["type"], delete=True))
        op.final_body = ""
        op.on_success = lambda: self._remove(rec)
        op.on_failure = lambda: rec.__setitem__("state", "Failed")
        return Response(202, None, self._lro_headers(req, op, version, location=True))

    def _vnet_location(self, rec: dict[str, Any]) -> str:
        if rec.get("location"):
            return rec["location"]
        parent = self._res.get(rec.get("parent") or "")
        return parent["location"] if parent else "global"

    # ----- virtual networks ---------------------------------------------------------------
    def _render_vnet(self, rec: dict[str, Any]) -> dict[str, Any]:
        out = self._base_render(rec, etag=True)
        props = copy.deepcopy(rec["body"].get("properties", {}))
        props["provisioningState"] = rec["state"]
        props["resourceGuid"] = rec["guid"]
        props.setdefault("addressSpace", {"addressPrefixes": []})
        props["subnets"] = [self._render_subnet(s) for s in self._children(rec["id"], T_SUBNET)]
        props.setdefault("virtualNetworkPeerings", [])
        props.setdefault("enableDdosProtection", False)
        out["properties"] = _ordered(props, ["provisioningState", "resourceGuid", "addressSpace", "dhcpOptions", "subnets",
                                             "virtualNetworkPeerings", "enableDdosProtection"])
        return out

    def _validate_subnet_props(self, name: str, props: dict[str, Any], vnet_id: str, vnet_space: list[Any],
                               siblings: dict[str, list[Any]]) -> list[Any]:
        sid = f"{vnet_id}/subnets/{name}"
        raw = props.get("addressPrefixes") or ([props["addressPrefix"]] if props.get("addressPrefix") else [])
        if not raw:
            raise ArmError(400, "InvalidRequestFormat", "Cannot parse the request.",
                           details=[{"code": "MissingJsonProperty",
                                     "message": f"Subnet {name} must have 'addressPrefix' or 'addressPrefixes'."}])
        nets = [self._prefix(p, sid) for p in raw]
        vnet_name = vnet_id.rsplit("/", 1)[1]
        for net in nets:
            if not any(net.version == space.version and net.subnet_of(space) for space in vnet_space):
                # [src: arm-errors] NetcfgSubnetRangeOutsideVnet
                raise ArmError(400, "NetcfgSubnetRangeOutsideVnet",
                               f"Subnet '{name}' is not valid because its IP address range is outside the IP address range "
                               f"of virtual network '{vnet_name}'.")
            for other, other_nets in siblings.items():
                if other.lower() != name.lower() and any(net.overlaps(o) for o in other_nets):
                    raise ArmError(400, "NetcfgSubnetRangesOverlap",
                                   f"Subnet '{name}' is not valid because its IP address range overlaps with that of an "
                                   f"existing subnet in virtual network '{vnet_name}'.")
        return nets

    def _subnet_in_use_error(self, subnet: dict[str, Any]) -> ArmError:
        users = [ip["id"] for ip in self._subnet_ip_configs(subnet["id"].lower())]
        users += [v["id"] for v in self._res.values() if v["type"] == T_VMSS and subnet["id"].lower() in self._vmss_subnets(v)]
        # [src: arm-errors] 400 InUseSubnetCannotBeDeleted
        return ArmError(400, "InUseSubnetCannotBeDeleted",
                        f"Subnet {subnet['name']} is in use by {users[0] if users else ''} and cannot be deleted. In order to "
                        "delete the subnet, delete all the resources within the subnet. See aka.ms/deletesubnet.")

    def put_vnet(self, req: Request, sub: str, rg: str, name: str) -> Response:
        self._require_group(sub, rg, write=True)
        self._check_network_name(name, 64, "virtualNetworkName")
        body = self._json_body(req)
        loc = self._location_of(body, T_VNET)
        rid = self._top_id(sub, rg, T_VNET, name)
        existing = self._get(rid)
        if existing is not None and existing["location"] != loc:
            raise _location_conflict(name, rg, existing["location"], loc)
        props = copy.deepcopy(body.get("properties") or {})
        space = [self._prefix(p, rid) for p in (props.get("addressSpace") or {}).get("addressPrefixes") or []]
        for i, a in enumerate(space):
            for b in space[i + 1:]:
                if a.overlaps(b):
                    raise ArmError(400, "VnetAddressSpacesOverlap",
                                   f"Cannot create or update virtual network {name} because the address spaces overlap.")
        # Subnets in the body replace the current set (absent means none), as a PUT does.
        wanted: dict[str, dict[str, Any]] = {}
        for s in props.pop("subnets", None) or []:
            if not s.get("name"):
                raise ArmError(400, "InvalidRequestFormat", "Cannot parse the request.",
                               details=[{"code": "MissingJsonProperty", "message": "Subnet name is missing."}])
            self._check_network_name(s["name"], 80, "subnetName")
            wanted[s["name"]] = copy.deepcopy(s.get("properties") or {})
        nets: dict[str, list[Any]] = {}
        for sname, sprops in wanted.items():
            nets[sname] = self._validate_subnet_props(sname, sprops, rid, space, nets)
        current = self._children(rid, T_SUBNET) if existing else []
        keep = {k.lower() for k in wanted}
        for child in current:
            if child["name"].lower() not in keep and self._users_of(child):
                raise self._subnet_in_use_error(child)
        for child in current:
            if child["name"].lower() in keep:
                for ip in self._subnet_ip_configs(child["id"].lower()):
                    addr = ipaddress.ip_address(ip["ip"])
                    if not any(addr in n for n in nets[next(k for k in wanted if k.lower() == child["name"].lower())]):
                        raise ArmError(400, "InUseSubnetCannotBeUpdated",
                                       f"Subnet {child['name']} is in use and cannot be updated.")
        rec = existing or self._new_record(rid, T_VNET, sub, rg, name, loc)
        rec["sub_cased"] = sub

        def commit() -> None:
            rec["body"] = {k: copy.deepcopy(body[k]) for k in ("tags",) if body.get(k) is not None}
            props.pop("provisioningState", None)
            props.pop("resourceGuid", None)
            rec["body"]["properties"] = props
            self._res[rid.lower()] = rec
            for child in current:
                if child["name"].lower() not in keep:
                    self._res.pop(child["id"].lower(), None)
            for sname, sprops in wanted.items():
                sid = f"{rid}/subnets/{sname}"
                child = self._get(sid) or self._new_record(sid, T_SUBNET, sub, rg, sname, None, parent=rid)
                child["sub_cased"] = sub
                sprops.pop("provisioningState", None)
                sprops.pop("ipConfigurations", None)
                child["body"] = {"properties": sprops}
                self._bump_etag(child)
                self._res[sid.lower()] = child
                touched.append(child)

        touched: list[dict[str, Any]] = []
        domain = [rid] + [c["id"] for c in current]
        return self._network_accept(req, rec, existing is None, domain, commit, extra=touched)

    def delete_vnet(self, req: Request, sub: str, rg: str, name: str) -> Response:
        self._require_group(sub, rg, write=True)
        rec = self._get(self._top_id(sub, rg, T_VNET, name))
        if rec is None:
            return Response(204)  # [src: spec-net] VirtualNetworks_Delete answers 204 when absent
        for child in self._children(rec["id"], T_SUBNET):
            if self._users_of(child):
                raise self._subnet_in_use_error(child)
        return self._network_delete(req, rec, [rec["id"]] + [c["id"] for c in self._children(rec["id"], T_SUBNET)])

    # ----- subnets (child resources of a virtual network) ---------------------------------
    def _render_subnet(self, rec: dict[str, Any]) -> dict[str, Any]:
        out: dict[str, Any] = {"name": rec["name"], "id": rec["id"], "etag": self._nrp_etag(rec)}
        props = copy.deepcopy(rec["body"].get("properties", {}))
        props["provisioningState"] = rec["state"]
        ipcs = [{"id": ip["id"]} for ip in self._subnet_ip_configs(rec["id"].lower())]
        if ipcs:
            props["ipConfigurations"] = ipcs
        props.setdefault("delegations", [])
        props.setdefault("privateEndpointNetworkPolicies", "Disabled")
        props.setdefault("privateLinkServiceNetworkPolicies", "Enabled")
        out["properties"] = _ordered(props, ["provisioningState", "addressPrefix", "addressPrefixes", "ipConfigurations",
                                             "delegations", "privateEndpointNetworkPolicies", "privateLinkServiceNetworkPolicies"])
        out["type"] = T_SUBNET
        return out

    def _require_vnet(self, sub: str, rg: str, vnet: str, action: str) -> dict[str, Any]:
        self._require_group(sub, rg, write=action == "write")
        rec = self._get(self._top_id(sub, rg, T_VNET, vnet))
        if rec is None:
            vid = self._top_id(sub, rg, T_VNET, vnet)
            if action == "write":
                # [src: arm-errors] PUT of a nested resource under a missing parent
                raise ArmError(404, "ParentResourceNotFound",
                               f"Can not perform requested operation on nested resource. Parent resource '{vnet}' not found.")
            raise ArmError(404, "ParentResourceNotFound",
                           f"Failed to perform '{action}' on resource(s) of type 'virtualNetworks/subnets', because the "
                           f"parent resource '{vid}' could not be found.")
        return rec

    def list_subnets(self, req: Request, sub: str, rg: str, vnet: str) -> Response:
        parent = self._require_vnet(sub, rg, vnet, "read")
        return self._page(req, self._children(parent["id"], T_SUBNET), self._render_subnet)

    def _subnet(self, sub: str, rg: str, vnet: str, name: str, action: str) -> tuple[dict[str, Any], dict[str, Any] | None]:
        parent = self._require_vnet(sub, rg, vnet, action)
        return parent, self._get(f"{parent['id']}/subnets/{name}")

    def get_subnet(self, req: Request, sub: str, rg: str, vnet: str, name: str) -> Response:
        parent, rec = self._subnet(sub, rg, vnet, name, "read")
        if rec is None:
            # NRP's own 404 for a child resource [src: arm-errors]
            raise ArmError(404, "NotFound", f"Resource {parent['id']}/subnets/{name} not found.", details=[])
        return Response(200, self._render_subnet(rec), {"ETag": self._nrp_etag(rec)})

    def put_subnet(self, req: Request, sub: str, rg: str, vnet: str, name: str) -> Response:
        parent, existing = self._subnet(sub, rg, vnet, name, "write")
        self._check_network_name(name, 80, "subnetName")
        body = self._json_body(req)
        props = copy.deepcopy(body.get("properties") or {})
        space = [self._prefix(p, parent["id"]) for p in
                 (parent["body"].get("properties", {}).get("addressSpace") or {}).get("addressPrefixes") or []]
        siblings = {c["name"]: [self._prefix(p, c["id"]) for p in
                                (c["body"]["properties"].get("addressPrefixes") or [c["body"]["properties"].get("addressPrefix")])]
                    for c in self._children(parent["id"], T_SUBNET) if c["name"].lower() != name.lower()}
        nets = self._validate_subnet_props(name, props, parent["id"], space, siblings)
        if existing is not None:
            for ip in self._subnet_ip_configs(existing["id"].lower()):
                if not any(ipaddress.ip_address(ip["ip"]) in n for n in nets):
                    raise ArmError(400, "InUseSubnetCannotBeUpdated", f"Subnet {name} is in use and cannot be updated.")
        sid = f"{parent['id']}/subnets/{name}"
        rec = existing or self._new_record(sid, T_SUBNET, sub, rg, name, None, parent=parent["id"])
        rec["sub_cased"] = sub
        props.pop("provisioningState", None)
        props.pop("ipConfigurations", None)

        def commit() -> None:
            rec["body"] = {"properties": props}
            self._res[sid.lower()] = rec

        domain = [parent["id"]] + [c["id"] for c in self._children(parent["id"], T_SUBNET)]
        if existing is None:
            shown = dict(rec)
            shown["body"] = {"properties": props}
            rec = shown
        return self._network_accept(req, rec, existing is None, domain, commit)

    def delete_subnet(self, req: Request, sub: str, rg: str, vnet: str, name: str) -> Response:
        parent, rec = self._subnet(sub, rg, vnet, name, "delete")
        if rec is None:
            return Response(204)
        if self._users_of(rec):
            raise self._subnet_in_use_error(rec)
        return self._network_delete(req, rec, [parent["id"]] + [c["id"] for c in self._children(parent["id"], T_SUBNET)])

    # ----- network interfaces --------------------------------------------------------------
    def _subnet_ip_configs(self, subnet_id: str) -> list[dict[str, str]]:
        out = []
        for nic in self._res.values():
            if nic["type"] != T_NIC:
                continue
            for ipc in nic["body"].get("properties", {}).get("ipConfigurations", []):
                if self._ref(ipc, "properties", "subnet") == subnet_id and ipc.get("properties", {}).get("privateIPAddress"):
                    out.append({"id": f"{nic['id']}/ipConfigurations/{ipc['name']}", "nic": nic["id"],
                                "ip": ipc["properties"]["privateIPAddress"]})
        return out

    def _vm_of_nic(self, nic_id: str) -> dict[str, Any] | None:
        for vm in self._res.values():
            if vm["type"] == T_VM:
                for ref in (vm["body"].get("properties", {}).get("networkProfile") or {}).get("networkInterfaces") or []:
                    if isinstance(ref, dict) and str(ref.get("id", "")).lower() == nic_id:
                        return vm
        return None

    def _render_nic(self, rec: dict[str, Any]) -> dict[str, Any]:
        out = self._base_render(rec, etag=True)
        props = copy.deepcopy(rec["body"].get("properties", {}))
        props["provisioningState"] = rec["state"]
        props["resourceGuid"] = rec["guid"]
        for ipc in props.get("ipConfigurations", []):
            ipc["id"] = f"{rec['id']}/ipConfigurations/{ipc['name']}"
            ipc["etag"] = self._nrp_etag(rec)
            ipc["type"] = "Microsoft.Network/networkInterfaces/ipConfigurations"
            ipc.setdefault("properties", {})["provisioningState"] = rec["state"]
            ipc["properties"].setdefault("privateIPAddressVersion", "IPv4")
        dns = props.setdefault("dnsSettings", {})
        dns.setdefault("dnsServers", [])
        dns.setdefault("appliedDnsServers", [])
        dns["internalDomainNameSuffix"] = rec.setdefault("dns_suffix", f"{secrets.token_hex(12)}.bx.internal.cloudapp.net")
        vm = self._vm_of_nic(rec["id"].lower())
        if vm is not None:
            props["virtualMachine"] = {"id": vm["id"]}
            refs = vm["body"]["properties"]["networkProfile"]["networkInterfaces"]
            mine = next(r for r in refs if str(r.get("id", "")).lower() == rec["id"].lower())
            props["primary"] = bool((mine.get("properties") or {}).get("primary", len(refs) == 1))
            props["macAddress"] = rec.setdefault("mac", "00-0D-3A-" + "-".join(f"{b:02X}" for b in secrets.token_bytes(3)))
        props.setdefault("enableAcceleratedNetworking", False)
        props.setdefault("enableIPForwarding", False)
        props.setdefault("disableTcpStateTracking", False)
        props.setdefault("nicType", "Standard")
        props.setdefault("hostedWorkloads", [])
        props.setdefault("tapConfigurations", [])
        props.setdefault("vnetEncryptionSupported", False)
        out["properties"] = _ordered(props, ["provisioningState", "resourceGuid", "ipConfigurations", "dnsSettings",
                                             "macAddress", "enableAcceleratedNetworking", "enableIPForwarding",
                                             "primary", "virtualMachine"])
        return out

    def _allocate_ip(self, subnet: dict[str, Any], taken: set[str]) -> str:
        props = subnet["body"]["properties"]
        for raw in props.get("addressPrefixes") or [props.get("addressPrefix")]:
            net = ipaddress.ip_network(raw, strict=False)
            # Azure reserves the network address, .1 (gateway), .2 and .3 (DNS) and the broadcast
            # address of every subnet; dynamic addresses start at .4.
            hosts = net.num_addresses
            for offset in range(4, hosts - 1):
                addr = str(net.network_address + offset)
                if addr not in taken:
                    return addr
        raise ArmError(400, "SubnetIsFull",
                       f"Subnet {subnet['name']} with address prefix {props.get('addressPrefix') or props.get('addressPrefixes')} "
                       "does not have enough capacity for 1 IP addresses.")

    def put_nic(self, req: Request, sub: str, rg: str, name: str) -> Response:
        self._require_group(sub, rg, write=True)
        self._check_network_name(name, 80, "networkInterfaceName")
        body = self._json_body(req)
        loc = self._location_of(body, T_NIC)
        rid = self._top_id(sub, rg, T_NIC, name)
        existing = self._get(rid)
        if existing is not None and existing["location"] != loc:
            raise _location_conflict(name, rg, existing["location"], loc)
        props = copy.deepcopy(body.get("properties") or {})
        ipcs = props.get("ipConfigurations") or []
        if not ipcs:
            raise ArmError(400, "NetworkInterfaceMustHaveAtLeastOneIpConfiguration",
                           f"Network interface {rid} must have at least one IP configuration.")
        old = {i["name"].lower(): i for i in (existing or {"body": {}})["body"].get("properties", {}).get("ipConfigurations", [])}
        taken_by_others: dict[str, set[str]] = {}
        chosen: set[str] = set()
        if len(ipcs) > 1 and sum(1 for i in ipcs if (i.get("properties") or {}).get("primary")) != 1:
            raise ArmError(400, "NetworkInterfaceMustHaveOnePrimaryIpConfiguration" if ipcs else "InvalidRequestFormat",
                           f"Network interface {rid} must have exactly one primary IP configuration.")
        out_ipcs = []
        for i, ipc in enumerate(ipcs):
            if not ipc.get("name"):
                raise ArmError(400, "InvalidRequestFormat", "Cannot parse the request.",
                               details=[{"code": "MissingJsonProperty",
                                         "message": f"Value for name is missing. Path properties.ipConfigurations[{i}]."}])
            ip_props = copy.deepcopy(ipc.get("properties") or {})
            subnet_ref = self._ref(ip_props, "subnet")
            if subnet_ref is None:
                raise ArmError(400, "InvalidRequestFormat", "Cannot parse the request.",
                               details=[{"code": "MissingJsonReferenceId",
                                         "message": f"Value for reference id is missing. Path properties.ipConfigurations[{i}].properties.subnet."}])
            subnet = self._get(subnet_ref)
            parent = self._res.get(subnet["parent"]) if subnet else None
            if subnet is None or parent is None or parent["location"] != loc:
                # [src: arm-errors] 400 InvalidResourceReference (NIC → subnet)
                vnet_id = subnet_ref.rsplit("/subnets/", 1)[0]
                detail_id = ip_props["subnet"]["id"] if self._get(vnet_id) else ip_props["subnet"]["id"].rsplit("/subnets/", 1)[0]
                raise ArmError(400, "InvalidResourceReference",
                               f"Resource {ip_props['subnet']['id']} referenced by resource {rid} was not found. Please make "
                               "sure that the referenced resource exists, and that both resources are in the same region.",
                               details=[{"code": "NotFound", "message": f"Resource {detail_id} not found."}])
            ip_props["subnet"] = {"id": subnet["id"]}
            if subnet_ref not in taken_by_others:
                taken_by_others[subnet_ref] = {x["ip"] for x in self._subnet_ip_configs(subnet_ref) if x["nic"].lower() != rid.lower()}
            taken = taken_by_others[subnet_ref] | chosen
            method = ip_props.get("privateIPAllocationMethod") or "Dynamic"
            ip_props["privateIPAllocationMethod"] = method
            if method.lower() == "static":
                addr = ip_props.get("privateIPAddress")
                if not addr:
                    raise ArmError(400, "InvalidRequestFormat",
                                   "Cannot parse the request.",
                                   details=[{"code": "MissingJsonProperty",
                                             "message": f"Static allocation needs properties.ipConfigurations[{i}].properties.privateIPAddress."}])
                sprops = subnet["body"]["properties"]
                nets = [ipaddress.ip_network(p, strict=False) for p in (sprops.get("addressPrefixes") or [sprops.get("addressPrefix")])]
                if not any(ipaddress.ip_address(addr) in n for n in nets):
                    raise ArmError(400, "PrivateIPAddressNotInSubnet",
                                   f"IP configuration {rid}/ipConfigurations/{ipc['name']} is referencing private IP address "
                                   f"{addr} which does not belong to the range of subnet prefix {nets[0]}.")
                if addr in taken:
                    owner = next((x["id"] for x in self._subnet_ip_configs(subnet_ref) if x["ip"] == addr), "another IP configuration")
                    raise ArmError(400, "PrivateIPAddressInUse",
                                   f"IP configuration {rid}/ipConfigurations/{ipc['name']} is using the private IP address "
                                   f"{addr} which is already allocated to resource {owner}.")
            else:
                prev = old.get(ipc["name"].lower())
                prev_addr = (prev or {}).get("properties", {}).get("privateIPAddress")
                if prev_addr and self._ref(prev.get("properties", {}), "subnet") == subnet_ref and prev_addr not in taken:
                    addr = prev_addr
                else:
                    addr = self._allocate_ip(subnet, taken)
                ip_props["privateIPAddress"] = addr
            chosen.add(addr)
            if len(ipcs) == 1:
                ip_props.setdefault("primary", True)
            ip_props.pop("provisioningState", None)
            out_ipcs.append({"name": ipc["name"], "properties": ip_props})
        props["ipConfigurations"] = out_ipcs
        for key in ("provisioningState", "resourceGuid", "virtualMachine", "macAddress", "primary"):
            props.pop(key, None)
        if isinstance(props.get("dnsSettings"), dict):
            props["dnsSettings"].pop("internalDomainNameSuffix", None)
        rec = existing or self._new_record(rid, T_NIC, sub, rg, name, loc)
        rec["sub_cased"] = sub

        def commit() -> None:
            rec["body"] = {k: copy.deepcopy(body[k]) for k in ("tags",) if body.get(k) is not None}
            rec["body"]["properties"] = props
            self._res[rid.lower()] = rec

        if existing is None:
            shown = dict(rec)
            shown["body"] = {"tags": body.get("tags"), "properties": props}
            rec_for_answer = shown
        else:
            rec_for_answer = rec
        busy = self._network_busy([rid])
        if busy is not None:
            return self._network_accept(req, rec_for_answer, existing is None, [rid], commit)
        return self._network_accept(req, rec, existing is None, [rid], commit)

    def delete_nic(self, req: Request, sub: str, rg: str, name: str) -> Response:
        self._require_group(sub, rg, write=True)
        rec = self._get(self._top_id(sub, rg, T_NIC, name))
        if rec is None:
            return Response(204)
        vm = self._vm_of_nic(rec["id"].lower())
        if vm is not None:
            # [src: arm-errors] 400 NicInUse
            raise ArmError(400, "NicInUse",
                           f"Network Interface {rec['id']} is used by existing resource {vm['id']}. In order to delete the "
                           "network interface, it must be dissociated from the resource. To learn more, see aka.ms/deletenic.")
        return self._network_delete(req, rec, [rec["id"]])

    # ==========================================================================================
    # Microsoft.Compute [src: spec-vm, spec-disk]
    # ==========================================================================================
    def _check_compute_name(self, name: str, param: str) -> None:
        if not re.match(COMPUTE_NAME_RULE, name):
            raise ArmError(400, "InvalidParameter",
                           f"The entity name '{param}' is invalid according to its validation rule: {COMPUTE_NAME_RULE}.",
                           target=param)

    def _sizes(self, location: str) -> list[dict[str, Any]]:
        table = self.settings.get("vm_sizes") or {}
        for key, value in table.items():
            if norm_location(key) == location:
                return value
        return table.get("*", [])

    def _size(self, location: str, name: Any, target: str) -> dict[str, Any]:
        for size in self._sizes(location):
            if str(size["name"]).lower() == str(name).lower():
                return size
        # [src: arm-errors] 400 InvalidParameter, target vmSize
        names = ",".join(s["name"] for s in self._sizes(location))
        raise ArmError(400, "InvalidParameter",
                       f"The value {name} provided for the VM size is not valid. The valid sizes in the current region "
                       f"are: {names}.", target=target)

    def _compute_conflict(self, rec: dict[str, Any] | None, what: str, method: str, preempt: bool = False) -> None:
        """CRP: nothing but DELETE is allowed on a resource being deleted (409); a newer
        PUT/PATCH preempts a running create/update (called with ``preempt`` once the new request
        has passed validation)."""
        op = self._ops.get((rec or {}).get("op") or "")
        if rec is None or op is None or op.status != "InProgress":
            return
        if op.kind == "delete":
            raise ArmError(409, "OperationNotAllowed",
                           f"Operation '{method}' is not allowed on {what} '{rec['name']}' since it is marked for deletion. "
                           "You can only retry the Delete operation (or wait for an ongoing one to complete).")
        if preempt:
            self._cancel_op(op, "OperationPreempted", "Operation execution has been preempted by a more recent operation.")

    def _compute_accept(self, req: Request, rec: dict[str, Any], kind: str, status: int, style: str = "compute",
                        family: str = "compute", transient: str | None = None,
                        location_header: bool = False, on_success: Callable[[], None] | None = None,
                        on_failure: Callable[[], None] | None = None) -> Response:
        version = req.arg("api-version")
        rec["state"] = transient or {"create": "Creating", "update": "Updating"}.get(kind, "Updating")
        op = self._start_op(kind, rec["id"], "Microsoft.Compute", rec["location"], rec["sub_cased"], family, style,
                            self._delay(rec["type"], delete=kind == "delete"))

        def succeed() -> None:
            rec["state"] = "Succeeded"
            if on_success:
                on_success()

        def fail() -> None:
            rec["state"] = "Failed"
            if on_failure:
                on_failure()

        op.on_success = succeed
        op.on_failure = fail
        body = self._render(rec) if kind != "delete" else None
        return Response(status, body, self._lro_headers(req, op, version, location=location_header))

    def _compute_delete(self, req: Request, rec: dict[str, Any], what: str, style: str = "compute",
                        family: str = "compute") -> Response:
        version = req.arg("api-version")
        op = self._ops.get(rec.get("op") or "")
        if op is not None and op.status == "InProgress":
            if op.kind == "delete":
                return Response(202, None, self._lro_headers(req, op, version, location=True))
            self._cancel_op(op, "OperationPreempted", "Operation execution has been preempted by a more recent operation.")
        rec["state"] = "Deleting"
        op = self._start_op("delete", rec["id"], "Microsoft.Compute", rec["location"], rec["sub_cased"], family, style,
                            self._delay(rec["type"], delete=True))
        op.final_body = ""
        op.on_success = lambda: self._remove(rec)
        op.on_failure = lambda: rec.__setitem__("state", "Failed")
        return Response(202, None, self._lro_headers(req, op, version, location=True))

    # ----- images ---------------------------------------------------------------------------
    def _images(self) -> list[dict[str, Any]]:
        return self.settings.get("images") or []

    def _find_image(self, ref: dict[str, Any]) -> tuple[dict[str, Any], str] | None:
        for img in self._images():
            if (img["publisher"].lower(), img["offer"].lower(), img["sku"].lower()) == (
                    str(ref.get("publisher", "")).lower(), str(ref.get("offer", "")).lower(), str(ref.get("sku", "")).lower()):
                version = str(ref.get("version") or "latest")
                if version.lower() == "latest":
                    return img, sorted(img["versions"], key=_version_key)[-1]
                if version in img["versions"]:
                    return img, version
        return None

    # ----- virtual machines -----------------------------------------------------------------
    def _vm_of_disk(self, disk_id: str) -> dict[str, Any] | None:
        for vm in self._res.values():
            if vm["type"] != T_VM:
                continue
            sp = vm["body"].get("properties", {}).get("storageProfile") or {}
            if self._ref(sp.get("osDisk") or {}, "managedDisk") == disk_id:
                return vm
            for dd in sp.get("dataDisks") or []:
                if self._ref(dd, "managedDisk") == disk_id:
                    return vm
        return None

    def put_vm(self, req: Request, sub: str, rg: str, name: str) -> Response:
        self._require_group(sub, rg, write=True)
        self._check_compute_name(name, "vmName")
        body = self._json_body(req)
        return self._apply_vm(req, sub, rg, name, body, patch=False)

    def patch_vm(self, req: Request, sub: str, rg: str, name: str) -> Response:
        """VirtualMachines_Update: a merge of VirtualMachineUpdate into the model, then the same
        validation and LRO as a PUT (200 + Azure-AsyncOperation)."""
        self._require_group(sub, rg, write=True)
        rec = self._lookup(T_VM, sub, rg, name)
        patch = self._json_body(req)
        current = self._render(rec)
        merged = {"location": rec["location"]}
        for key in ("tags", "zones", "identity", "plan"):
            if current.get(key) is not None:
                merged[key] = current[key]
        merged["properties"] = self._stored_vm_props(rec)
        for key in ("tags", "zones", "identity", "plan"):
            if key in patch:
                merged[key] = patch[key]
        if isinstance(patch.get("properties"), dict):
            merged["properties"] = merge_patch(merged["properties"], patch["properties"])
        return self._apply_vm(req, sub, rg, name, merged, patch=True)

    def _stored_vm_props(self, rec: dict[str, Any]) -> dict[str, Any]:
        props = copy.deepcopy(rec["body"].get("properties", {}))
        for key in ("vmId", "provisioningState", "timeCreated", "instanceView"):
            props.pop(key, None)
        return props

    def _apply_vm(self, req: Request, sub: str, rg: str, name: str, body: dict[str, Any], patch: bool) -> Response:
        loc = self._location_of(body, T_VM)
        rid = self._top_id(sub, rg, T_VM, name)
        existing = self._get(rid)
        if existing is not None:
            if existing["location"] != loc:
                raise _location_conflict(name, rg, existing["location"], loc)
            self._compute_conflict(existing, "VM", "PATCH" if patch else "PUT")
        old = self._stored_vm_props(existing) if existing else {}
        props = copy.deepcopy(body.get("properties") or {})
        for key in ("vmId", "provisioningState", "timeCreated", "instanceView"):
            props.pop(key, None)

        # hardwareProfile.vmSize [src: spec-vm HardwareProfile]
        hw = props.get("hardwareProfile") or {}
        if not hw.get("vmSize"):
            if existing:
                hw["vmSize"] = old["hardwareProfile"]["vmSize"]
            else:
                raise missing("hardwareProfile")
        size = self._size(loc, hw["vmSize"], "vmSize")
        hw["vmSize"] = size["name"]
        props["hardwareProfile"] = hw

        storage = props.get("storageProfile") or {}
        os_disk = storage.get("osDisk") or {}
        image = storage.get("imageReference")
        create_option = os_disk.get("createOption") or ("FromImage" if image else None)
        if create_option is None:
            raise missing("storageProfile.osDisk.createOption")
        os_disk["createOption"] = create_option
        os_type = os_disk.get("osType")
        image_size_gb = None
        if create_option.lower() == "fromimage":
            if not image:
                raise missing("storageProfile.imageReference")
            if image.get("id"):
                os_type = os_type or "Linux"
            else:
                found = self._find_image(image)
                if found is None and self.settings.get("validate_images", True):
                    ref = f"{image.get('publisher')}:{image.get('offer')}:{image.get('sku')}:{image.get('version') or 'latest'}"
                    # [src: arm-errors] 404 PlatformImageNotFound, target imageReference
                    raise ArmError(404, "PlatformImageNotFound",
                                   f"The platform image '{ref}' is not available. Verify that all fields in the storage "
                                   "profile are correct. For more details about storage profile information, please refer to "
                                   "https://aka.ms/storageprofile", target="imageReference")
                if found is not None:
                    img, exact = found
                    image["exactVersion"] = exact
                    os_type = img["osType"]
                else:
                    os_type = os_type or "Linux"
            image_size_gb = 127 if os_type == "Windows" else 30
        elif create_option.lower() == "attach":
            disk_ref = self._ref(os_disk, "managedDisk")
            if disk_ref is None:
                raise missing("storageProfile.osDisk.managedDisk.id")
            if not os_type:
                raise missing("storageProfile.osDisk.osType")
        storage["osDisk"] = os_disk
        props["storageProfile"] = storage

        if existing:
            for path in (("osProfile", "adminUsername"), ("osProfile", "computerName"),
                         ("storageProfile", "imageReference"), ("storageProfile", "osDisk", "name"),
                         ("availabilitySet",)):
                before, after = _dig(old, path), _dig(props, path)
                if path == ("storageProfile", "imageReference") and isinstance(before, dict) and isinstance(after, dict):
                    before = {k: v for k, v in before.items() if k != "exactVersion"}
                    after = {k: v for k, v in after.items() if k != "exactVersion"}
                if path == ("storageProfile", "osDisk", "name") and after is None:
                    continue
                if path == ("availabilitySet",):
                    before = (before or {}).get("id", "").lower() if before else None
                    after = (after or {}).get("id", "").lower() if after else None
                if before != after and not (after is None and path[0] == "osProfile"):
                    # [src: arm-errors] 409 PropertyChangeNotAllowed
                    target = ".".join(path)
                    raise ArmError(409, "PropertyChangeNotAllowed", f"Changing property '{target}' is not allowed.",
                                   target=target)

        # osProfile [src: spec-vm OSProfile: computerName, adminUsername required on creation]
        os_profile = props.get("osProfile")
        if existing and not os_profile and old.get("osProfile"):
            os_profile = copy.deepcopy(old["osProfile"])
        if create_option.lower() == "fromimage":
            if not os_profile:
                raise missing("osProfile")
            if not os_profile.get("adminUsername"):
                raise missing("osProfile.adminUsername")
            if not os_profile.get("computerName"):
                raise missing("osProfile.computerName")
            cname = str(os_profile["computerName"])
            if os_type == "Windows":
                if len(cname) > 15 or set(cname) & (LINUX_HOST_BAD | {"."}) or cname.endswith("-") or cname.isdigit():
                    raise ArmError(400, "InvalidParameter",
                                   "Windows computer name cannot be more than 15 characters long, be entirely numeric, or "
                                   "contain the following characters: ` ~ ! @ # $ % ^ & * ( ) = + _ [ ] { } \\ | ; : . ' \" , < > / ?.",
                                   target="computerName")
            elif len(cname) > 64 or set(cname) & LINUX_HOST_BAD or cname.endswith((".", "-")):
                raise ArmError(400, "InvalidParameter",
                               "Linux host name cannot exceed 64 characters in length or contain the following characters: "
                               "` ~ ! @ # $ % ^ & * ( ) = + _ [ ] { } \\ | ; : ' \" , < > / ?.", target="computerName")
            lin = os_profile.get("linuxConfiguration")
            if os_type == "Linux":
                lin = lin or {}
                keys = ((lin.get("ssh") or {}).get("publicKeys") or [])
                if lin.get("disablePasswordAuthentication") and not keys:
                    raise ArmError(400, "InvalidParameter",
                                   "Authentication using either SSH or by user name and password must be enabled in Linux "
                                   "profile.", target="linuxConfiguration")
                if not lin.get("disablePasswordAuthentication") and not os_profile.get("adminPassword") and not keys \
                        and not (existing and (old.get("osProfile") or {}).get("adminPassword")):
                    raise missing("osProfile.adminPassword")
                lin.setdefault("provisionVMAgent", True)
                lin.setdefault("patchSettings", {"patchMode": "ImageDefault", "assessmentMode": "ImageDefault"})
                os_profile["linuxConfiguration"] = lin
            elif os_type == "Windows":
                if not os_profile.get("adminPassword") and not (existing and (old.get("osProfile") or {}).get("adminPassword")):
                    raise missing("osProfile.adminPassword")
                win = os_profile.setdefault("windowsConfiguration", {})
                win.setdefault("provisionVMAgent", True)
                win.setdefault("enableAutomaticUpdates", True)
                win.setdefault("patchSettings", {"patchMode": "AutomaticByOS", "assessmentMode": "ImageDefault"})
            if existing:
                for secret in ("adminPassword", "customData"):
                    if secret not in os_profile and secret in (old.get("osProfile") or {}):
                        os_profile[secret] = old["osProfile"][secret]
            os_profile.setdefault("secrets", [])
            os_profile.setdefault("allowExtensionOperations", True)
            os_profile.setdefault("requireGuestProvisionSignal", True)
            props["osProfile"] = os_profile

        # networkProfile [src: spec-vm NetworkProfile]
        network = props.get("networkProfile") or {}
        refs = network.get("networkInterfaces") or []
        if not refs:
            raise missing("networkProfile")
        primaries = [r for r in refs if (r.get("properties") or {}).get("primary")]
        if len(refs) > 1 and len(primaries) != 1:
            raise ArmError(400, "VirtualMachineMustHaveOneNetworkInterfaceAsPrimary",
                           "Virtual machine must have one network interface set as primary when it has more than one.",
                           target="networkProfile.networkInterfaces")
        for i, ref in enumerate(refs):
            nic_id = str(ref.get("id") or "")
            nic = self._get(nic_id)
            if nic is None or nic["type"] != T_NIC:
                # [src: arm-errors] NotFound for a missing referenced network interface (exact
                # status not confirmed; see README)
                raise ArmError(400, "NotFound", f"Resource {nic_id} not found.", target=f"networkProfile.networkInterfaces[{i}].id")
            ref["id"] = nic["id"]
            if nic["location"] != loc:
                raise ArmError(400, "InvalidParameter",
                               f"The network interface {nic['id']} is in location '{nic['location']}' but the virtual machine "
                               f"is in location '{loc}'; they must be in the same location.",
                               target=f"networkProfile.networkInterfaces[{i}].id")
            user = self._vm_of_nic(nic["id"].lower())
            if user is not None and user["id"].lower() != rid.lower():
                raise ArmError(400, "NicInUse",
                               f"Network interface {nic['id']} is used by existing VM {user['id']}.",
                               target=f"networkProfile.networkInterfaces[{i}].id")
        props["networkProfile"] = network

        # availabilitySet [src: spec-vm VirtualMachineProperties.availabilitySet]
        avset_ref = self._ref(props, "availabilitySet")
        if avset_ref is not None:
            avset = self._get(avset_ref)
            if avset is None or avset["type"] != T_AVSET:
                raise ArmError(404, "NotFound", f"The Availability Set '{props['availabilitySet']['id']}' cannot be found.",
                               target="availabilitySet")
            if avset["location"] != loc:
                raise ArmError(400, "InvalidParameter",
                               f"The availability set {avset['id']} is in a different location than the virtual machine.",
                               target="availabilitySet")
            props["availabilitySet"] = {"id": avset["id"]}

        # data disks [src: spec-vm DataDisk; attach/detach through storageProfile.dataDisks]
        data_disks = storage.get("dataDisks") or []
        if len(data_disks) > size["maxDataDiskCount"]:
            raise ArmError(409, "OperationNotAllowed",
                           f"The maximum number of data disks allowed to be attached to a VM of this size is "
                           f"{size['maxDataDiskCount']}.", target="dataDisks")
        luns = set()
        new_disks: list[tuple[str, dict[str, Any]]] = []
        # On an update, an Empty data disk at a LUN the VM already has is that disk (a PUT that
        # repeats the model does not create a second one).
        old_by_lun = {d.get("lun"): d for d in ((old.get("storageProfile") or {}).get("dataDisks") or [])}
        for dd in data_disks:
            prev = old_by_lun.get(dd.get("lun"))
            if (prev is not None and str(dd.get("createOption") or "").lower() == "empty" and self._ref(dd, "managedDisk") is None
                    and (not dd.get("name") or str(dd["name"]).lower() == str(prev.get("name", "")).lower())
                    and self._get(self._ref(prev, "managedDisk") or "") is not None):
                dd["managedDisk"] = {**(dd.get("managedDisk") or {}), "id": prev["managedDisk"]["id"]}
        for i, dd in enumerate(data_disks):
            if dd.get("lun") is None:
                raise missing(f"dataDisks[{i}].lun")
            if dd["lun"] in luns:
                raise ArmError(400, "InvalidParameter", f"A disk at LUN {dd['lun']} already exists.", target=f"dataDisks[{i}].lun")
            luns.add(dd["lun"])
            option = str(dd.get("createOption") or "")
            if not option:
                raise missing(f"dataDisks[{i}].createOption")
            ref = self._ref(dd, "managedDisk")
            if option.lower() == "attach" or ref is not None:
                if ref is None:
                    raise missing(f"dataDisks[{i}].managedDisk.id")
                disk = self._get(ref)
                if disk is None or disk["type"] != T_DISK:
                    raise ArmError(404, "NotFound", f"Disk {dd['managedDisk']['id']} not found.", target=f"dataDisks[{i}].managedDisk.id")
                holder = self._vm_of_disk(disk["id"].lower())
                if holder is not None and holder["id"].lower() != rid.lower():
                    raise ArmError(409, "OperationNotAllowed",
                                   f"Disk {disk['name']} is already attached to VM {holder['id']}.", target=f"dataDisks[{i}]")
                if disk["location"] != loc:
                    raise ArmError(400, "InvalidParameter",
                                   f"Disk {disk['id']} is in location '{disk['location']}' and cannot be attached to a VM in "
                                   f"location '{loc}'.", target=f"dataDisks[{i}].managedDisk.id")
                dd["managedDisk"] = {"storageAccountType": disk["body"]["sku"]["name"], "id": disk["id"]}
                dd["name"] = disk["name"]
                dd["diskSizeGB"] = disk["body"]["properties"].get("diskSizeGB")
            elif option.lower() == "empty":
                if not dd.get("diskSizeGB"):
                    raise missing(f"dataDisks[{i}].diskSizeGB")
                disk_name = dd.get("name") or f"{name}_disk{int(dd['lun']) + 1}_{uuid.uuid4().hex}"
                disk_id = self._top_id(sub, rg, T_DISK, disk_name)
                if self._get(disk_id) is not None:
                    raise ArmError(409, "Conflict", f"Disk {disk_name} already exists in resource group {rg.upper()}. "
                                   "Only CreateOption.Attach is supported.", target=f"dataDisks[{i}].name")
                sat = (dd.get("managedDisk") or {}).get("storageAccountType") or "Standard_LRS"
                dd["managedDisk"] = {"storageAccountType": sat, "id": disk_id}
                dd["name"] = disk_name
                dd["createOption"] = "Empty"
                new_disks.append((disk_name, {"sku": {"name": sat}, "properties": {
                    "creationData": {"createOption": "Empty"}, "diskSizeGB": int(dd["diskSizeGB"])}}))
            else:
                raise ArmError(400, "InvalidParameter",
                               f"The value '{option}' of parameter 'dataDisks[{i}].createOption' is not supported by this emulator.",
                               target=f"dataDisks[{i}].createOption")
            dd.setdefault("caching", "None")
            dd.setdefault("deleteOption", "Detach")
            dd.setdefault("toBeDetached", False)
        storage["dataDisks"] = data_disks

        # the OS disk [src: spec-vm OSDisk: name, managedDisk, deleteOption default Detach]
        if create_option.lower() == "fromimage":
            old_os = (old.get("storageProfile") or {}).get("osDisk") or {}
            if existing and old_os.get("managedDisk", {}).get("id"):
                os_disk["name"] = old_os["name"]
                os_disk["managedDisk"] = {**old_os["managedDisk"], **{k: v for k, v in (os_disk.get("managedDisk") or {}).items() if k != "id"}}
                os_disk.setdefault("diskSizeGB", old_os.get("diskSizeGB"))
            else:
                os_name = os_disk.get("name") or f"{name}_OsDisk_1_{uuid.uuid4().hex}"
                os_id = self._top_id(sub, rg, T_DISK, os_name)
                if self._get(os_id) is not None:
                    raise ArmError(409, "Conflict", f"Disk {os_name} already exists in resource group {rg.upper()}. "
                                   "Only CreateOption.Attach is supported.", target="osDisk.name")
                sat = (os_disk.get("managedDisk") or {}).get("storageAccountType") or "Standard_LRS"
                requested = os_disk.get("diskSizeGB")
                if requested is not None and image_size_gb is not None and int(requested) < image_size_gb:
                    raise ArmError(400, "InvalidParameter",
                                   f"The specified disk size {requested} GB is smaller than the size of the corresponding disk "
                                   f"in the VM image: {image_size_gb} GB. This is not allowed. Please choose equal or greater "
                                   "size or do not specify an explicit size.", target="osDisk.diskSizeGB")
                os_disk["name"] = os_name
                os_disk["managedDisk"] = {"storageAccountType": sat, "id": os_id}
                os_disk["diskSizeGB"] = int(requested or image_size_gb or 30)
                new_disks.append((os_name, {"sku": {"name": sat}, "properties": {
                    "creationData": {"createOption": "FromImage", "imageReference": {"id": _image_id(sub, loc, image)}},
                    "diskSizeGB": os_disk["diskSizeGB"], "osType": os_type}}))
        else:
            disk = self._get(self._ref(os_disk, "managedDisk") or "")
            if disk is None:
                raise ArmError(404, "NotFound", f"Disk {os_disk['managedDisk']['id']} not found.", target="osDisk.managedDisk.id")
            holder = self._vm_of_disk(disk["id"].lower())
            if holder is not None and holder["id"].lower() != rid.lower():
                raise ArmError(409, "OperationNotAllowed", f"Disk {disk['name']} is already attached to VM {holder['id']}.",
                               target="osDisk")
            os_disk["name"] = disk["name"]
            os_disk["managedDisk"] = {"storageAccountType": disk["body"]["sku"]["name"], "id": disk["id"]}
            os_disk["diskSizeGB"] = disk["body"]["properties"].get("diskSizeGB")
        os_disk["osType"] = os_type
        os_disk.setdefault("caching", "ReadWrite")
        os_disk.setdefault("deleteOption", "Detach")

        # commit
        self._compute_conflict(existing, "VM", "PATCH" if patch else "PUT", preempt=True)
        created = existing is None
        rec = existing or self._new_record(rid, T_VM, sub, rg, name, loc)
        rec["sub_cased"] = sub
        rec["body"] = {k: copy.deepcopy(body[k]) for k in ("tags", "zones", "identity", "plan") if body.get(k) is not None}
        props["vmId"] = rec.setdefault("vm_id", str(uuid.uuid4()))
        props["timeCreated"] = rec["created"]
        rec["body"]["properties"] = props
        rec.setdefault("power", "running")
        self._res[rid.lower()] = rec
        for disk_name, disk_body in new_disks:
            disk_id = self._top_id(sub, rg, T_DISK, disk_name)
            disk = self._new_record(disk_id, T_DISK, sub, rg, disk_name, loc)
            disk["sub_cased"] = sub
            disk["body"] = self._disk_defaults(disk_body, os_type=disk_body["properties"].get("osType"))
            self._res[disk_id.lower()] = disk
        self._bump_etag(rec)
        if patch:
            return self._compute_accept(req, rec, "update", 200)
        return self._compute_accept(req, rec, "create" if created else "update", 201 if created else 200)

    def _release_vm(self, vm: dict[str, Any]) -> None:
        """What deleting a VM does to what it used: deleteOption Delete removes the disk or
        NIC, Detach (the default) leaves it, unattached [src: spec-vm deleteOption]."""
        props = vm["body"].get("properties", {})
        storage = props.get("storageProfile") or {}
        for disk_ref in [storage.get("osDisk") or {}] + list(storage.get("dataDisks") or []):
            disk_id = self._ref(disk_ref, "managedDisk")
            if disk_id and str(disk_ref.get("deleteOption", "Detach")).lower() == "delete":
                self._res.pop(disk_id, None)
        for ref in (props.get("networkProfile") or {}).get("networkInterfaces") or []:
            if str((ref.get("properties") or {}).get("deleteOption", "Detach")).lower() == "delete":
                self._res.pop(str(ref.get("id", "")).lower(), None)

    def _render_vm(self, rec: dict[str, Any]) -> dict[str, Any]:
        out = self._base_render(rec)
        out["etag"] = self._crp_etag(rec)
        props = copy.deepcopy(rec["body"].get("properties", {}))
        os_profile = props.get("osProfile")
        if isinstance(os_profile, dict):
            # write-only secrets are never returned [src: spec-vm OSProfile.adminPassword, customData]
            os_profile.pop("adminPassword", None)
            os_profile.pop("customData", None)
        props["provisioningState"] = rec["state"]
        out["properties"] = _ordered(props, ["vmId", "hardwareProfile", "storageProfile", "osProfile", "networkProfile",
                                             "availabilitySet", "provisioningState", "timeCreated"])
        return out

    def _instance_view(self, rec: dict[str, Any]) -> dict[str, Any]:
        state = rec["state"]
        power = {"running": "VM running", "stopped": "VM stopped", "deallocated": "VM deallocated",
                 "starting": "VM starting", "stopping": "VM stopping", "deallocating": "VM deallocating"}
        statuses = [{"code": f"ProvisioningState/{state.lower()}", "level": "Info" if state != "Failed" else "Error",
                     "displayStatus": f"Provisioning {state.lower()}", "time": now_iso()}]
        if state == "Succeeded" or rec.get("power") != "running":
            statuses.append({"code": f"PowerState/{rec.get('power', 'running')}", "level": "Info",
                             "displayStatus": power.get(rec.get("power", "running"), "VM running")})
        props = rec["body"]["properties"]
        return {"computerName": (props.get("osProfile") or {}).get("computerName"),
                "osName": "ubuntu" if props["storageProfile"]["osDisk"].get("osType") == "Linux" else "Windows Server",
                "hyperVGeneration": "V1", "statuses": statuses}

    def vm_instance_view(self, req: Request, sub: str, rg: str, name: str) -> Response:
        return Response(200, self._instance_view(self._lookup(T_VM, sub, rg, name)))

    def vm_power(self, req: Request, sub: str, rg: str, name: str, action: str) -> Response:
        """start / powerOff / restart / deallocate: 202 + Azure-AsyncOperation + Location."""
        self._require_group(sub, rg, write=True)
        rec = self._lookup(T_VM, sub, rg, name)
        self._compute_conflict(rec, "VM", "POST", preempt=True)
        final = {"start": "running", "restart": "running", "poweroff": "stopped", "deallocate": "deallocated"}[action.lower()]
        version = req.arg("api-version")
        rec["state"] = "Updating"
        op = self._start_op("action", rec["id"], "Microsoft.Compute", rec["location"], rec["sub_cased"], "compute",
                            "compute", self._delay(T_VM))
        op.final_body = ""

        def done() -> None:
            rec["state"] = "Succeeded"
            rec["power"] = final

        op.on_success = done
        op.on_failure = lambda: rec.__setitem__("state", "Failed")
        return Response(202, None, self._lro_headers(req, op, version, location=True))

    def delete_vm(self, req: Request, sub: str, rg: str, name: str) -> Response:
        self._require_group(sub, rg, write=True)
        rec = self._get(self._top_id(sub, rg, T_VM, name))
        if rec is None:
            return Response(204)  # [src: spec-vm] VirtualMachines_Delete: 204 when absent
        return self._compute_delete(req, rec, "VM")

    # ----- managed disks [src: spec-disk] ----------------------------------------------------
    @staticmethod
    def _disk_perf(sku: str, size_gb: int) -> tuple[int, int, str | None]:
        if sku.startswith("Premium"):
            for limit, iops, mbps, tier in ((4, 120, 25, "P1"), (8, 120, 25, "P2"), (16, 120, 25, "P3"), (32, 120, 25, "P4"),
                                            (64, 240, 50, "P6"), (128, 500, 100, "P10"), (256, 1100, 125, "P15"),
                                            (512, 2300, 150, "P20"), (1024, 5000, 200, "P30"), (2048, 7500, 250, "P40")):
                if size_gb <= limit:
                    return iops, mbps, tier
            return 7500, 250, "P50"
        if sku.startswith("StandardSSD"):
            return 500, 60, "E4" if size_gb <= 32 else "E10" if size_gb <= 128 else "E15"
        return 500, 60, None

    def _disk_defaults(self, body: dict[str, Any], os_type: str | None = None) -> dict[str, Any]:
        out = {k: copy.deepcopy(body[k]) for k in ("tags", "zones") if body.get(k) is not None}
        sku = (body.get("sku") or {}).get("name") or "Standard_LRS"
        out["sku"] = {"name": sku, "tier": "Premium" if sku.startswith("Premium") else "Standard"}
        props = copy.deepcopy(body.get("properties") or {})
        for key in ("provisioningState", "diskState", "timeCreated", "uniqueId", "diskSizeBytes"):
            props.pop(key, None)
        if os_type and not props.get("osType"):
            props["osType"] = os_type
        props.setdefault("encryption", {"type": "EncryptionAtRestWithPlatformKey"})
        props.setdefault("networkAccessPolicy", "AllowAll")
        props.setdefault("publicNetworkAccess", "Enabled")
        out["properties"] = props
        return out

    def _render_disk(self, rec: dict[str, Any]) -> dict[str, Any]:
        out = self._base_render(rec)
        vm = self._vm_of_disk(rec["id"].lower())
        if vm is not None:
            out["managedBy"] = vm["id"]
        props = copy.deepcopy(rec["body"].get("properties", {}))
        size = int(props.get("diskSizeGB") or 0)
        iops, mbps, tier = self._disk_perf(rec["body"]["sku"]["name"], size)
        props.setdefault("diskIOPSReadWrite", iops)
        props.setdefault("diskMBpsReadWrite", mbps)
        if tier:
            props.setdefault("tier", tier)
        props["timeCreated"] = rec["created"]
        props["provisioningState"] = rec["state"]
        props["diskState"] = "Attached" if vm is not None else "Unattached"
        props["diskSizeBytes"] = size * 1024 ** 3
        props["uniqueId"] = rec["guid"]
        out["properties"] = _ordered(props, ["osType", "hyperVGeneration", "creationData", "diskSizeGB", "diskIOPSReadWrite",
                                             "diskMBpsReadWrite", "encryption", "networkAccessPolicy", "publicNetworkAccess",
                                             "timeCreated", "provisioningState", "diskState", "diskSizeBytes", "uniqueId", "tier"])
        return out

    def put_disk(self, req: Request, sub: str, rg: str, name: str) -> Response:
        """Disks_CreateOrUpdate: 202 on create, 200 on update, both with the body and
        provisioningState Updating, Azure-AsyncOperation + Location [src: spec-disk examples]."""
        self._require_group(sub, rg, write=True)
        self._check_compute_name(name, "diskName")
        body = self._json_body(req)
        loc = self._location_of(body, T_DISK)
        rid = self._top_id(sub, rg, T_DISK, name)
        existing = self._get(rid)
        if existing is not None:
            if existing["location"] != loc:
                raise _location_conflict(name, rg, existing["location"], loc)
            self._compute_conflict(existing, "disk", "PUT")
        return self._apply_disk(req, sub, rg, name, rid, loc, body, existing, patch=False)

    def patch_disk(self, req: Request, sub: str, rg: str, name: str) -> Response:
        self._require_group(sub, rg, write=True)
        rec = self._lookup(T_DISK, sub, rg, name)
        self._compute_conflict(rec, "disk", "PATCH")
        patch = self._json_body(req)
        merged = {"location": rec["location"], **copy.deepcopy({k: v for k, v in rec["body"].items()})}
        for key in ("tags", "sku"):
            if key in patch:
                merged[key] = patch[key]
        if isinstance(patch.get("properties"), dict):
            merged["properties"] = merge_patch(merged.get("properties", {}), patch["properties"])
        return self._apply_disk(req, sub, rg, name, rec["id"], rec["location"], merged, rec, patch=True)

    def _apply_disk(self, req: Request, sub: str, rg: str, name: str, rid: str, loc: str, body: dict[str, Any],
                    existing: dict[str, Any] | None, patch: bool) -> Response:
        props = body.get("properties") or {}
        creation = props.get("creationData") or {}
        if not creation.get("createOption"):
            raise missing("creationData.createOption")
        option = str(creation["createOption"])
        if option.lower() == "empty" and not props.get("diskSizeGB"):
            raise missing("diskSizeGB")
        sku = (body.get("sku") or {}).get("name") or "Standard_LRS"
        valid = ["Standard_LRS", "Premium_LRS", "StandardSSD_LRS", "UltraSSD_LRS", "Premium_ZRS", "StandardSSD_ZRS", "PremiumV2_LRS"]
        if sku not in valid:
            raise ArmError(400, "InvalidParameter", f"The value '{sku}' of parameter 'sku.name' is not valid. Allowed values "
                           f"are {', '.join(valid)}.", target="sku.name")
        if existing is not None:
            old_size = int(existing["body"]["properties"].get("diskSizeGB") or 0)
            new_size = int(props.get("diskSizeGB") or old_size)
            if new_size < old_size:
                raise ArmError(400, "InvalidParameter", f"Disk size cannot be reduced from {old_size} GB to {new_size} GB.",
                               target="diskSizeGB")
            old_option = str(existing["body"]["properties"].get("creationData", {}).get("createOption", ""))
            if old_option.lower() != option.lower():
                raise ArmError(409, "PropertyChangeNotAllowed", "Changing property 'creationData.createOption' is not allowed.",
                               target="creationData.createOption")
        self._compute_conflict(existing, "disk", "PATCH" if patch else "PUT", preempt=True)
        created = existing is None
        rec = existing or self._new_record(rid, T_DISK, sub, rg, name, loc)
        rec["sub_cased"] = sub
        rec["body"] = self._disk_defaults(body, os_type=props.get("osType"))
        if created:
            self._res[rid.lower()] = rec
        self._bump_etag(rec)
        return self._compute_accept(req, rec, "create" if created else "update", 202 if created else 200,
                                    style="disk", family="disks", transient="Updating", location_header=created)

    def delete_disk(self, req: Request, sub: str, rg: str, name: str) -> Response:
        self._require_group(sub, rg, write=True)
        rec = self._get(self._top_id(sub, rg, T_DISK, name))
        if rec is None:
            return Response(204)
        vm = self._vm_of_disk(rec["id"].lower())
        if vm is not None:
            # [src: arm-errors] 409 OperationNotAllowed for an attached disk
            raise ArmError(409, "OperationNotAllowed", f"Disk {rec['name']} is attached to VM {vm['id']}.")
        return self._compute_delete(req, rec, "disk", style="disk", family="disks")

    # ----- availability sets (synchronous) [src: spec-vm availabilitySet.json] ----------------
    def _render_avset(self, rec: dict[str, Any]) -> dict[str, Any]:
        out = self._base_render(rec)
        props = copy.deepcopy(rec["body"].get("properties", {}))
        props["virtualMachines"] = [{"id": v["id"]} for v in sorted(self._res.values(), key=lambda r: r["seq"])
                                    if v["type"] == T_VM and self._ref(v["body"], "properties", "availabilitySet") == rec["id"].lower()]
        out["properties"] = _ordered(props, ["platformUpdateDomainCount", "platformFaultDomainCount", "virtualMachines"])
        return out

    def put_avset(self, req: Request, sub: str, rg: str, name: str) -> Response:
        self._require_group(sub, rg, write=True)
        self._check_compute_name(name, "availabilitySetName")
        body = self._json_body(req)
        loc = self._location_of(body, T_AVSET)
        rid = self._top_id(sub, rg, T_AVSET, name)
        existing = self._get(rid)
        if existing is not None and existing["location"] != loc:
            raise _location_conflict(name, rg, existing["location"], loc)
        return self._apply_avset(rid, sub, rg, name, loc, body, existing)

    def _apply_avset(self, rid: str, sub: str, rg: str, name: str, loc: str, body: dict[str, Any],
                     existing: dict[str, Any] | None) -> Response:
        props = copy.deepcopy(body.get("properties") or {})
        props.pop("virtualMachines", None)
        props.pop("statuses", None)
        fd = props.setdefault("platformFaultDomainCount", 2)
        ud = props.setdefault("platformUpdateDomainCount", 5)
        if not isinstance(fd, int) or not 1 <= fd <= 3:
            raise ArmError(400, "InvalidParameter", f"The specified fault domain count {fd} must fall in the range 1 to 3.",
                           target="platformFaultDomainCount")
        if not isinstance(ud, int) or not 1 <= ud <= 20:
            raise ArmError(400, "InvalidParameter", f"The specified update domain count {ud} must fall in the range 1 to 20.",
                           target="platformUpdateDomainCount")
        if existing is not None and self._users_of(existing):
            old = existing["body"]["properties"]
            for key in ("platformFaultDomainCount", "platformUpdateDomainCount"):
                if old.get(key) != props.get(key):
                    raise ArmError(409, "PropertyChangeNotAllowed", f"Changing property '{key}' is not allowed.", target=key)
        rule = self._take_failure(rid, "create" if existing is None else "update")
        if rule is not None:
            raise ArmError(int(rule.get("status", 400)), rule.get("code", "InternalExecutionError"),
                           rule.get("message", "The operation failed."))
        rec = existing or self._new_record(rid, T_AVSET, sub, rg, name, loc)
        rec["sub_cased"] = sub
        rec["body"] = {k: copy.deepcopy(body[k]) for k in ("tags",) if body.get(k) is not None}
        rec["body"]["sku"] = copy.deepcopy(body.get("sku") or {"name": "Classic"})
        rec["body"]["properties"] = props
        self._res[rid.lower()] = rec
        return Response(200, self._render_avset(rec))

    def patch_avset(self, req: Request, sub: str, rg: str, name: str) -> Response:
        self._require_group(sub, rg, write=True)
        rec = self._lookup(T_AVSET, sub, rg, name)
        patch = self._json_body(req)
        merged = {"location": rec["location"], **copy.deepcopy(rec["body"])}
        for key in ("tags", "sku"):
            if key in patch:
                merged[key] = patch[key]
        if isinstance(patch.get("properties"), dict):
            merged["properties"] = merge_patch(merged.get("properties", {}), patch["properties"])
        return self._apply_avset(rec["id"], sub, rg, name, rec["location"], merged, rec)

    def delete_avset(self, req: Request, sub: str, rg: str, name: str) -> Response:
        self._require_group(sub, rg, write=True)
        rec = self._get(self._top_id(sub, rg, T_AVSET, name))
        if rec is None:
            return Response(204)
        users = self._users_of(rec)
        if users:
            raise ArmError(409, "OperationNotAllowed",
                           f"Availability Set '{rec['name']}' cannot be deleted. Before deleting an Availability Set please "
                           "ensure that it does not contain any VM.")
        rule = self._take_failure(rec["id"], "delete")
        if rule is not None:
            raise ArmError(int(rule.get("status", 400)), rule.get("code", "InternalExecutionError"),
                           rule.get("message", "The operation failed."))
        self._remove(rec)
        return Response(200)

    # ----- virtual machine scale sets [src: spec-vm virtualMachineScaleSet.json] --------------
    def _vmss_subnets(self, rec: dict[str, Any]) -> set[str]:
        out = set()
        profile = (rec["body"].get("properties", {}).get("virtualMachineProfile") or {}).get("networkProfile") or {}
        for nic in profile.get("networkInterfaceConfigurations") or []:
            for ipc in (nic.get("properties") or {}).get("ipConfigurations") or []:
                ref = self._ref(ipc.get("properties") or {}, "subnet")
                if ref:
                    out.add(ref)
        return out

    def _render_vmss(self, rec: dict[str, Any]) -> dict[str, Any]:
        out = self._base_render(rec)
        out["etag"] = self._crp_etag(rec)
        props = copy.deepcopy(rec["body"].get("properties", {}))
        os_profile = (props.get("virtualMachineProfile") or {}).get("osProfile")
        if isinstance(os_profile, dict):
            os_profile.pop("adminPassword", None)
            os_profile.pop("customData", None)
        props["provisioningState"] = rec["state"]
        props["uniqueId"] = rec["guid"]
        props["timeCreated"] = rec["created"]
        out["properties"] = _ordered(props, ["singlePlacementGroup", "orchestrationMode", "upgradePolicy",
                                             "virtualMachineProfile", "provisioningState", "overprovision",
                                             "doNotRunExtensionsOnOverprovisionedVMs", "uniqueId", "timeCreated"])
        return out

    def _render_vmss_vm(self, rec: dict[str, Any]) -> dict[str, Any]:
        parent = self._res[rec["parent"]]
        return {"name": rec["name"], "id": rec["id"], "type": T_VMSS_VM, "location": parent["location"],
                "instanceId": rec["instance"], "sku": {"name": parent["body"]["sku"]["name"], "tier": "Standard"},
                "properties": {"latestModelApplied": True, "vmId": rec["guid"],
                               "hardwareProfile": {"vmSize": parent["body"]["sku"]["name"]},
                               "osProfile": {"computerName": rec["computer"]},
                               "provisioningState": rec["state"], "timeCreated": rec["created"]}}

    def put_vmss(self, req: Request, sub: str, rg: str, name: str) -> Response:
        self._require_group(sub, rg, write=True)
        self._check_compute_name(name, "vmScaleSetName")
        return self._apply_vmss(req, sub, rg, name, self._json_body(req), patch=False)

    def patch_vmss(self, req: Request, sub: str, rg: str, name: str) -> Response:
        self._require_group(sub, rg, write=True)
        rec = self._lookup(T_VMSS, sub, rg, name)
        patch = self._json_body(req)
        merged = {"location": rec["location"], **copy.deepcopy(rec["body"])}
        for key in ("tags", "zones", "identity", "plan"):
            if key in patch:
                merged[key] = patch[key]
        if isinstance(patch.get("sku"), dict):
            merged["sku"] = {**merged.get("sku", {}), **patch["sku"]}
        if isinstance(patch.get("properties"), dict):
            merged["properties"] = merge_patch(merged.get("properties", {}), patch["properties"])
        return self._apply_vmss(req, sub, rg, name, merged, patch=True)

    def _apply_vmss(self, req: Request, sub: str, rg: str, name: str, body: dict[str, Any], patch: bool) -> Response:
        loc = self._location_of(body, T_VMSS)
        rid = self._top_id(sub, rg, T_VMSS, name)
        existing = self._get(rid)
        if existing is not None:
            if existing["location"] != loc:
                raise _location_conflict(name, rg, existing["location"], loc)
            self._compute_conflict(existing, "VM scale set", "PATCH" if patch else "PUT")
        sku = copy.deepcopy(body.get("sku") or {})
        if not sku.get("name"):
            raise missing("sku.name")
        sku["name"] = self._size(loc, sku["name"], "sku.name")["name"]
        sku.setdefault("tier", "Standard")
        capacity = sku.get("capacity")
        if capacity is None:
            capacity = existing["body"]["sku"]["capacity"] if existing else 2
        if not isinstance(capacity, int) or capacity < 0 or capacity > 1000:
            raise ArmError(400, "InvalidParameter", "The value of parameter 'sku.capacity' is out of range. The value must "
                           "be between 0 and 1000, inclusive.", target="sku.capacity")
        sku["capacity"] = capacity
        props = copy.deepcopy(body.get("properties") or {})
        for key in ("provisioningState", "uniqueId", "timeCreated"):
            props.pop(key, None)
        mode = props.setdefault("orchestrationMode", "Uniform")
        if mode == "Uniform":
            profile = props.get("virtualMachineProfile")
            if not profile:
                raise missing("virtualMachineProfile")
            os_profile = profile.get("osProfile")
            if not existing:
                if not os_profile:
                    raise missing("virtualMachineProfile.osProfile")
                if not os_profile.get("computerNamePrefix"):
                    raise missing("virtualMachineProfile.osProfile.computerNamePrefix")
                if not os_profile.get("adminUsername"):
                    raise missing("virtualMachineProfile.osProfile.adminUsername")
            image = (profile.get("storageProfile") or {}).get("imageReference")
            if image and not image.get("id"):
                found = self._find_image(image)
                if found is None and self.settings.get("validate_images", True):
                    ref = f"{image.get('publisher')}:{image.get('offer')}:{image.get('sku')}:{image.get('version') or 'latest'}"
                    raise ArmError(404, "PlatformImageNotFound",
                                   f"The platform image '{ref}' is not available. Verify that all fields in the storage "
                                   "profile are correct. For more details about storage profile information, please refer to "
                                   "https://aka.ms/storageprofile", target="imageReference")
            nics = ((profile.get("networkProfile") or {}).get("networkInterfaceConfigurations")) or []
            if not nics and not existing:
                raise missing("virtualMachineProfile.networkProfile")
            for nic in nics:
                for ipc in (nic.get("properties") or {}).get("ipConfigurations") or []:
                    ref = self._ref(ipc.get("properties") or {}, "subnet")
                    subnet = self._get(ref or "")
                    if subnet is None or subnet["type"] != T_SUBNET:
                        raise ArmError(400, "InvalidResourceReference",
                                       f"Resource {((ipc.get('properties') or {}).get('subnet') or {}).get('id')} referenced by "
                                       f"resource {rid} was not found. Please make sure that the referenced resource exists, "
                                       "and that both resources are in the same region.")
            if existing and os_profile and os_profile.get("adminUsername") != \
                    ((existing["body"]["properties"].get("virtualMachineProfile") or {}).get("osProfile") or {}).get("adminUsername"):
                raise ArmError(409, "PropertyChangeNotAllowed",
                               "Changing property 'virtualMachineProfile.osProfile.adminUsername' is not allowed.",
                               target="virtualMachineProfile.osProfile.adminUsername")
            props.setdefault("singlePlacementGroup", True)
            props.setdefault("overprovision", True)
            props.setdefault("doNotRunExtensionsOnOverprovisionedVMs", False)
            props.setdefault("upgradePolicy", {"mode": "Manual"})
        self._compute_conflict(existing, "VM scale set", "PATCH" if patch else "PUT", preempt=True)
        created = existing is None
        rec = existing or self._new_record(rid, T_VMSS, sub, rg, name, loc)
        rec["sub_cased"] = sub
        rec["body"] = {k: copy.deepcopy(body[k]) for k in ("tags", "zones", "identity", "plan") if body.get(k) is not None}
        rec["body"]["sku"] = sku
        rec["body"]["properties"] = props
        rec.setdefault("next_instance", 0)
        self._res[rid.lower()] = rec
        self._bump_etag(rec)
        # scale in place: new instances start Creating; the highest instance ids go first
        instances = self._children(rid, T_VMSS_VM)
        prefix = (((props.get("virtualMachineProfile") or {}).get("osProfile")) or {}).get("computerNamePrefix") or name
        while len(instances) > capacity:
            victim = max(instances, key=lambda r: int(r["instance"]))
            self._res.pop(victim["id"].lower(), None)
            instances.remove(victim)
        added = []
        while len(instances) < capacity:
            number = rec["next_instance"]
            rec["next_instance"] += 1
            iid = f"{rid}/virtualMachines/{number}"
            inst = self._new_record(iid, T_VMSS_VM, sub, rg, f"{name}_{number}", None, parent=rid)
            inst.update({"instance": str(number), "computer": f"{prefix}{number:06x}", "state": "Creating",
                         "sub_cased": sub})
            self._res[iid.lower()] = inst
            instances.append(inst)
            added.append(inst)

        def instances(state: str) -> Callable[[], None]:
            def settle() -> None:
                for inst in added:
                    if inst["id"].lower() in self._res:
                        inst["state"] = state
            return settle

        kind = "update" if patch or not created else "create"
        return self._compute_accept(req, rec, kind, 201 if created else 200, on_success=instances("Succeeded"),
                                    on_failure=instances("Failed"))

    def delete_vmss(self, req: Request, sub: str, rg: str, name: str) -> Response:
        self._require_group(sub, rg, write=True)
        rec = self._get(self._top_id(sub, rg, T_VMSS, name))
        if rec is None:
            return Response(204)
        return self._compute_delete(req, rec, "VM scale set")

    def list_vmss_vms(self, req: Request, sub: str, rg: str, name: str) -> Response:
        rec = self._lookup(T_VMSS, sub, rg, name)
        return self._page(req, self._children(rec["id"], T_VMSS_VM), self._render_vmss_vm)

    def get_vmss_vm(self, req: Request, sub: str, rg: str, name: str, instance: str) -> Response:
        rec = self._lookup(T_VMSS, sub, rg, name)
        inst = self._get(f"{rec['id']}/virtualMachines/{instance}")
        if inst is None:
            raise self._not_found(T_VMSS_VM, f"{name}/{instance}", rg)
        return Response(200, self._render_vmss_vm(inst))

    # ----- sizes and images (data sources) --------------------------------------------------
    def _data_location(self, loc: str, type_: str) -> str:
        location = norm_location(loc)
        if location not in self.settings.get("locations", []):
            raise ArmError(400, "LocationNotAvailableForResourceType",
                           f"The provided location '{loc}' is not available for resource type '{type_}'. List of available "
                           f"regions for the resource type is '{','.join(self.settings.get('locations', []))}'.")
        return location

    def list_vm_sizes(self, req: Request, sub: str, loc: str) -> Response:
        """VirtualMachineSizes_List: ``{"value": [...]}``, one page."""
        location = self._data_location(loc, "Microsoft.Compute/locations/vmSizes")
        return Response(200, {"value": copy.deepcopy(self._sizes(location))})

    def _image_resource(self, sub: str, loc: str, name: str, *parts: str) -> dict[str, Any]:
        path = "/".join(parts)
        return {"location": loc, "name": name,
                "id": f"/Subscriptions/{sub}/Providers/Microsoft.Compute/Locations/{loc}/Publishers/{path}"}

    def list_publishers(self, req: Request, sub: str, loc: str) -> Response:
        location = self._data_location(loc, "Microsoft.Compute/locations/publishers")
        pubs = sorted({i["publisher"] for i in self._images()}, key=str.lower)
        return Response(200, [self._image_resource(sub, location, p, p) for p in pubs])

    def list_offers(self, req: Request, sub: str, loc: str, pub: str) -> Response:
        location = self._data_location(loc, "Microsoft.Compute/locations/publishers")
        offers = sorted({i["offer"] for i in self._images() if i["publisher"].lower() == pub.lower()}, key=str.lower)
        publisher = next((i["publisher"] for i in self._images() if i["publisher"].lower() == pub.lower()), pub)
        return Response(200, [self._image_resource(sub, location, o, publisher, "ArtifactTypes/VMImage/Offers", o) for o in offers])

    def list_skus(self, req: Request, sub: str, loc: str, pub: str, offer: str) -> Response:
        location = self._data_location(loc, "Microsoft.Compute/locations/publishers")
        imgs = [i for i in self._images() if i["publisher"].lower() == pub.lower() and i["offer"].lower() == offer.lower()]
        return Response(200, [self._image_resource(sub, location, i["sku"], i["publisher"], "ArtifactTypes/VMImage/Offers",
                                                   i["offer"], "Skus", i["sku"]) for i in imgs])

    def _image_entry(self, pub: str, offer: str, sku: str) -> dict[str, Any] | None:
        return next((i for i in self._images() if (i["publisher"].lower(), i["offer"].lower(), i["sku"].lower())
                     == (pub.lower(), offer.lower(), sku.lower())), None)

    def list_image_versions(self, req: Request, sub: str, loc: str, pub: str, offer: str, sku: str) -> Response:
        """VirtualMachineImages_List: a JSON array; ``$orderby=name desc`` and ``$top`` as the API has them."""
        location = self._data_location(loc, "Microsoft.Compute/locations/publishers")
        img = self._image_entry(pub, offer, sku)
        versions = sorted(img["versions"], key=_version_key) if img else []
        if (req.arg("$orderby") or "").lower().replace(" ", "") == "namedesc":
            versions.reverse()
        top = req.arg("$top")
        if top:
            versions = versions[: int(top)]
        assert img is not None or not versions
        return Response(200, [self._image_resource(sub, location, v, img["publisher"], "ArtifactTypes/VMImage/Offers",
                                                   img["offer"], "Skus", img["sku"], "Versions", v) for v in versions] if img else [])

    def get_image_version(self, req: Request, sub: str, loc: str, pub: str, offer: str, sku: str, version: str) -> Response:
        location = self._data_location(loc, "Microsoft.Compute/locations/publishers")
        img = self._image_entry(pub, offer, sku)
        if img is not None and version.lower() == "latest":
            version = sorted(img["versions"], key=_version_key)[-1]
        if img is None or version not in img["versions"]:
            raise ArmError(404, "NotFound", "Artifact: VMImage was not found.")
        out = self._image_resource(sub, location, version, img["publisher"], "ArtifactTypes/VMImage/Offers", img["offer"],
                                   "Skus", img["sku"], "Versions", version)
        out["properties"] = {"hyperVGeneration": img.get("hyperVGeneration", "V1"), "architecture": "x64",
                             "replicaType": "Managed", "disallowed": {"vmDiskType": "Unmanaged"},
                             "automaticOSUpgradeProperties": {"automaticOSUpgradeSupported": False},
                             "imageDeprecationStatus": {"imageState": "Active"},
                             "features": [], "osDiskImage": {"operatingSystem": img["osType"], "sizeInGb": 127 if img["osType"] == "Windows" else 30},
                             "dataDiskImages": []}
        return Response(200, out)

    # ==========================================================================================
    # control API additions (under /_emulator/azure/…); README.md documents them
    # ==========================================================================================
    def apply_settings(self, settings: dict[str, Any]) -> None:
        if "page_size" in settings and (not isinstance(settings["page_size"], int) or settings["page_size"] < 1):
            raise HttpError(400, "BadSetting", "page_size must be a positive integer")
        for key in ("delays", "delete_delays", "vm_sizes", "extra_api_versions", "clients"):
            if key in settings and not isinstance(settings[key], dict):
                raise HttpError(400, "BadSetting", f"{key} must be an object")
        if "locations" in settings:
            settings = {**settings, "locations": [norm_location(x) for x in settings["locations"]]}
        Emulator.apply_settings(self, settings)

    def control(self, req: Request, action: str) -> Response | None:
        if not action.startswith("azure/"):
            return None
        what = action[len("azure/"):]
        with self.lock:
            self._tick()
            if what == "drift" and req.method == "POST":
                return self._control_drift(req.json() or {})
            if what == "fail":
                if req.method == "POST":
                    spec = req.json()
                    rules = spec if isinstance(spec, list) else [spec]
                    for rule in rules:
                        if not isinstance(rule, dict) or not ({"id", "match"} & set(rule)):
                            raise HttpError(400, "BadControlRequest", "a failure rule needs 'id' or 'match'")
                        unknown = set(rule) - {"id", "match", "operation", "code", "message", "details", "status", "times"}
                        if unknown:
                            raise HttpError(400, "BadControlRequest", f"unknown fields {sorted(unknown)}")
                        if rule.get("operation", "any") not in ("any", "put", "create", "update", "delete", "action"):
                            raise HttpError(400, "BadControlRequest", "operation is one of any, put, create, update, delete, action")
                        self._failures.append(dict(rule))
                    return Response(201, {"rules": len([r for r in self._failures if r.get("times", 1) != 0])})
                if req.method == "DELETE":
                    self._failures.clear()
                    return Response(204)
                return Response(200, {"rules": [r for r in self._failures if r.get("times", 1) != 0]})
            if what == "token" and req.method == "POST":
                spec = req.json() or {}
                tenant = spec.get("tenant", "00000000-0000-0000-0000-000000000000")
                audience = spec.get("audience", "https://management.core.windows.net/")
                saved = self.settings.get("token_lifetime")
                if "lifetime" in spec:
                    self.settings["token_lifetime"] = spec["lifetime"]
                try:
                    token, lifetime, now = self._issue(tenant, spec.get("client_id", "aic-emulator-client"), audience)
                finally:
                    self.settings["token_lifetime"] = saved
                return Response(200, {"access_token": token, "expires_on": now + lifetime, "token_type": "Bearer"})
            if what == "operations" and req.method == "GET":
                return Response(200, {"operations": [
                    {"id": o.id, "kind": o.kind, "resource": o.resource, "status": o.status, "error": o.error}
                    for o in self._ops.values()]})
            if what == "state" and req.method == "GET":
                return Response(200, {
                    "resourceGroups": [{"id": self._render_group(g)["id"], "state": g["state"]} for g in self._groups.values()],
                    "resources": [{"id": r["id"], "type": r["type"], "provisioningState": r["state"]}
                                  for r in sorted(self._res.values(), key=lambda r: r["seq"])]})
        return None

    def _control_drift(self, spec: dict[str, Any]) -> Response:
        """Change an object out of band: ``{"id", "patch"}`` merges a JSON merge patch into what
        GET shows (``provisioningState`` included); ``{"id", "delete": true}`` removes it (a
        resource group with everything in it) at once."""
        rid = spec.get("id")
        if not isinstance(rid, str):
            raise HttpError(400, "BadControlRequest", "drift needs an 'id'")
        m = re.fullmatch(r"/subscriptions/([^/]+)/resourcegroups/([^/]+)", rid.rstrip("/"), re.IGNORECASE)
        if m:
            key = (m.group(1).lower(), m.group(2).lower())
            group = self._groups.get(key)
            if group is None:
                raise HttpError(404, "NotFound", f"no resource group {rid}")
            if spec.get("delete"):
                for rec in [r for r in self._res.values() if (r["sub"], r["rg"]) == key]:
                    self._res.pop(rec["id"].lower(), None)
                del self._groups[key]
                return Response(204)
            patched = merge_patch(self._render_group(group), spec.get("patch") or {})
            group["tags"] = patched.get("tags")
            group["managedBy"] = patched.get("managedBy")
            group["state"] = (patched.get("properties") or {}).get("provisioningState", group["state"])
            return Response(200, self._render_group(group))
        rec = self._get(rid)
        if rec is None:
            raise HttpError(404, "NotFound", f"no resource {rid}")
        if spec.get("delete"):
            self._remove(rec)
            return Response(204)
        patch = spec.get("patch") or {}
        if not isinstance(patch, dict):
            raise HttpError(400, "BadControlRequest", "patch must be a JSON object (RFC 7386 merge patch)")
        patch = copy.deepcopy(patch)
        for key in ("id", "name", "type"):
            patch.pop(key, None)
        if "location" in patch:
            rec["location"] = norm_location(patch.pop("location"))
        props_patch = patch.pop("properties", None)
        if isinstance(props_patch, dict) and "provisioningState" in props_patch:
            rec["state"] = props_patch.pop("provisioningState")
        rec["body"] = merge_patch(rec["body"], patch)
        if isinstance(props_patch, dict):
            rec["body"]["properties"] = merge_patch(rec["body"].get("properties", {}), props_patch)
        self._bump_etag(rec)
        return Response(200, self._render(rec))


# ----------------------------------------------------------------------------------------------
# helpers
# ----------------------------------------------------------------------------------------------
def _header(headers: dict[str, str], name: str) -> str | None:
    for key, value in headers.items():
        if key.lower() == name.lower():
            return value
    return None


def _ordered(props: dict[str, Any], first: list[str]) -> dict[str, Any]:
    """Properties in the order Azure prints them (cosmetic; JSON objects are unordered)."""
    out = {k: props[k] for k in first if k in props}
    out.update({k: v for k, v in props.items() if k not in out})
    return out


def _dig(obj: Any, path: tuple[str, ...]) -> Any:
    for key in path:
        if not isinstance(obj, dict):
            return None
        obj = obj.get(key)
    return obj


def _version_key(version: str) -> tuple[Any, ...]:
    return tuple(int(p) if p.isdigit() else p for p in re.split(r"[.]", version))


def _image_id(sub: str, loc: str, image: dict[str, Any]) -> str:
    if image.get("id"):
        return image["id"]
    version = image.get("exactVersion") or image.get("version") or "latest"
    return (f"/Subscriptions/{sub}/Providers/Microsoft.Compute/Locations/{loc}/Publishers/{image.get('publisher')}"
            f"/ArtifactTypes/VMImage/Offers/{image.get('offer')}/Skus/{image.get('sku')}/Versions/{version}")


def _location_conflict(name: str, rg: str, old: str, new: str) -> ArmError:
    # [src: arm-errors] 400 InvalidResourceLocation
    return ArmError(400, "InvalidResourceLocation",
                    f"The resource '{name}' already exists in location '{old}' in resource group '{rg}'. A resource with the "
                    f"same name cannot be created in location '{new}'. Please select a new resource name.")


if __name__ == "__main__":
    main(AzureEmulator)
