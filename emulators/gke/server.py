"""An emulator of Google Kubernetes Engine's ``container.googleapis.com/v1`` REST API.

Clusters, node pools, operations and the server config, in memory, over the REST/JSON binding
that Google's clients use (the ``google.api.http`` annotations of
``google/container/v1/cluster_service.proto``, googleapis commit f8291d2b; field table and JSON
mapping in ``gke_schema.py``). Each handler names what it follows:

* [proto]  the RPC's ``google.api.http`` rule and the message/field comments in
  ``cluster_service.proto``;
* [rest]   the REST reference pages generated from it
  (https://cloud.google.com/kubernetes-engine/docs/reference/rest/v1/projects.locations.clusters …);
* [rpc]    ``google/rpc/status.proto``, ``code.proto``, ``error_details.proto`` and the HTTP
  mapping of https://cloud.google.com/apis/design/errors;
* [seen]   answers of the real service quoted in public bug reports (wording of errors, the shape
  of operation names and links); where no such quote was found the wording is marked
  [inferred].

Run it with ``scripts/emulator.sh start gke``. Its control API (``/_emulator/…``) adds, beside the
common endpoints: ``POST drift`` (change or delete a cluster or node pool out of band),
``POST``/``GET``/``DELETE fail-operation`` (the next operation on a cluster ends DONE with an
``error``), ``POST settle`` (finish every running operation now). Settings: see
``DEFAULT_SETTINGS``.
"""

from __future__ import annotations

import base64
import copy
import hashlib
import os
import re
import secrets
import sys
import time
import uuid
from datetime import datetime, timezone
from typing import Any, Callable

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from common.emulator import Emulator, HttpError, Request, Response, main  # noqa: E402

import gke_schema  # noqa: E402
from gke_schema import SchemaError, parse_message, render  # noqa: E402

SERVICE = "container.googleapis.com"

# Kubernetes versions the emulated service offers, newest first (GetServerConfig
# validMasterVersions is "in descending order" [proto]). Overridable with the `versions` setting.
VERSIONS = [
    "1.34.1-gke.1431000",
    "1.33.5-gke.1080000",
    "1.33.4-gke.1245000",
    "1.32.9-gke.1130000",
    "1.32.8-gke.1134000",
    "1.31.13-gke.1008000",
    "1.31.12-gke.1265000",
]
# Node versions may be older than any master version still offered [proto: validNodeVersions].
OLDER_NODE_VERSIONS = ["1.30.14-gke.1150000", "1.30.13-gke.1081000"]

DEFAULT_SETTINGS: dict[str, Any] = {
    # seconds an operation runs before it is DONE (and its change visible)
    "operation_seconds": 0.3,
    # per Operation.Type overrides, e.g. {"CREATE_CLUSTER": 2.0}
    "operation_seconds_by_type": {},
    # seconds an operation stays PENDING before RUNNING (0: it starts RUNNING)
    "pending_seconds": 0.0,
    # null: any non-empty bearer token is accepted; a list: only these
    "tokens": None,
    # valid master versions, newest first; the default version must be one of them
    "versions": VERSIONS,
    "default_version": "1.33.5-gke.1080000",
    # locations (zones or regions) whose clusters and operations lists leave out and name in
    # missingZones, as when GKE cannot reach a zone [proto: ListClustersResponse.missing_zones]
    "missing_zones": [],
    "verbose": False,
}

NAME_RE = re.compile(r"[a-z](?:[-a-z0-9]{0,38}[a-z0-9])?")
REGION_RE = re.compile(r"[a-z]+-[a-z]+[0-9]+")
ZONE_RE = re.compile(r"([a-z]+-[a-z]+[0-9]+)-[a-z]")

# Machine types the emulated Compute Engine knows: family and the sizes it comes in.
MACHINE_TYPE_RE = re.compile(
    r"(?:e2-(?:micro|small|medium|(?:standard|highmem|highcpu)-(?:2|4|8|16|32))"
    r"|n1-(?:standard|highmem|highcpu)-(?:1|2|4|8|16|32|64|96)"
    r"|(?:n2|n2d|c2d|c3|t2d)-(?:standard|highmem|highcpu)-(?:2|4|8|16|32|48|64|80|96)"
    r"|c2-standard-(?:4|8|16|30|60)|g1-small|f1-micro"
    r"|(?:e2|n2|n2d)-custom-[0-9]+-[0-9]+)"
)

DEFAULT_SCOPES = [
    "https://www.googleapis.com/auth/devstorage.read_only",
    "https://www.googleapis.com/auth/logging.write",
    "https://www.googleapis.com/auth/monitoring",
    "https://www.googleapis.com/auth/service.management.readonly",
    "https://www.googleapis.com/auth/servicecontrol",
    "https://www.googleapis.com/auth/trace.append",
]

# System parameters every Google REST API accepts in the query string
# (https://cloud.google.com/apis/docs/system-parameters).
SYSTEM_PARAMS = {
    "$alt", "alt", "$.xgafv", "access_token", "callback", "fields", "$fields", "key", "prettyPrint",
    "quotaUser", "$quotaUser", "upload_protocol", "uploadType", "oauth_token", "bearer_token", "pp",
}
# Fields of the bodiless Get/List/Delete request messages that may arrive as query parameters
# [proto: GetClusterRequest, DeleteClusterRequest, ListClustersRequest, … all carry the
# deprecated project_id, zone, cluster_id, node_pool_id, operation_id besides name/parent].
# The Rust client sends them on every GET/DELETE, empty: `?projectId=&zone=&clusterId=`.
REQUEST_QUERY_FIELDS = {
    "projectId", "project_id", "zone", "clusterId", "cluster_id", "nodePoolId", "node_pool_id",
    "operationId", "operation_id", "name", "parent",
}

# google.rpc.Code numbers and their HTTP statuses [rpc]
CODE_NUMBER = gke_schema.ENUM_VALUES["Code"]
HTTP_OF_CODE = {
    "OK": 200, "CANCELLED": 499, "UNKNOWN": 500, "INVALID_ARGUMENT": 400, "DEADLINE_EXCEEDED": 504,
    "NOT_FOUND": 404, "ALREADY_EXISTS": 409, "PERMISSION_DENIED": 403, "UNAUTHENTICATED": 401,
    "RESOURCE_EXHAUSTED": 429, "FAILED_PRECONDITION": 400, "ABORTED": 409, "OUT_OF_RANGE": 400,
    "UNIMPLEMENTED": 501, "INTERNAL": 500, "UNAVAILABLE": 503, "DATA_LOSS": 500,
}
CODE_OF_HTTP = {400: "INVALID_ARGUMENT", 401: "UNAUTHENTICATED", 403: "PERMISSION_DENIED", 404: "NOT_FOUND",
                405: "NOT_FOUND", 409: "ABORTED", 429: "RESOURCE_EXHAUSTED", 499: "CANCELLED", 500: "INTERNAL",
                501: "UNIMPLEMENTED", 502: "UNAVAILABLE", 503: "UNAVAILABLE", 504: "DEADLINE_EXCEEDED"}
# Messages Google's front end gives for errors it raises itself (faults injected without a message).
FRONT_END_MESSAGES = {
    # [seen] the quota error of Google APIs
    "RESOURCE_EXHAUSTED": "Quota exceeded for quota metric 'Requests' and limit 'Requests per minute' of service "
                          "'container.googleapis.com'.",
    "UNAVAILABLE": "The service is currently unavailable.",
    "INTERNAL": "Internal error encountered.",
    "DEADLINE_EXCEEDED": "The request was aborted because the deadline was exceeded.",
}
# [seen] Google's 401 answers
MISSING_CREDENTIALS = ("Request is missing required authentication credential. Expected OAuth 2 access token, login "
                       "cookie or other valid authentication credential. See "
                       "https://developers.google.com/identity/sign-in/web/devconsole-project.")
INVALID_CREDENTIALS = ("Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or "
                       "other valid authentication credential. See "
                       "https://developers.google.com/identity/sign-in/web/devconsole-project.")

SEG = r"[^/:]+"
LOC = rf"/v1/projects/(?P<project>{SEG})/locations/(?P<location>{SEG})"
CLU = rf"{LOC}/clusters/(?P<cluster>{SEG})"
NPL = rf"{CLU}/nodePools/(?P<pool>{SEG})"


class GoogleError(HttpError):
    """An error in ``google.rpc.Status`` form: ``code`` is the canonical code's name."""

    def __init__(self, code: str, message: str, details: list[dict[str, Any]] | None = None,
                 headers: dict[str, str] | None = None, status: int | None = None):
        super().__init__(status or HTTP_OF_CODE[code], code, message, headers)
        self.details = details


def invalid(message: str, field: str | None = None) -> GoogleError:
    details = None
    if field is not None:
        details = [{"@type": "type.googleapis.com/google.rpc.BadRequest",
                    "fieldViolations": [{"field": field, "description": message}]}]
    return GoogleError("INVALID_ARGUMENT", message, details)


def now_rfc3339() -> str:
    # Cluster.create_time, Operation.start_time/end_time: "RFC3339 text format" [proto];
    # GKE writes them with nanoseconds, e.g. 2024-06-10T12:56:46.149829261Z [seen]
    t = time.time()
    stamp = datetime.fromtimestamp(t, timezone.utc).strftime("%Y-%m-%dT%H:%M:%S")
    return f"{stamp}.{int((t % 1) * 1e9):09d}Z"


def fingerprint(labels: dict[str, str]) -> str:
    text = "\n".join(f"{k}={v}" for k, v in sorted(labels.items()))
    return hashlib.sha256(text.encode()).hexdigest()[:8]


# A self-signed CA certificate made for this emulator (openssl, P-256, CN=aic-gke-emulator-cluster-ca;
# its key was thrown away). Every emulated cluster presents it: a real, parseable PEM.
CLUSTER_CA_PEM = (
    "-----BEGIN CERTIFICATE-----\n"
    "MIIBoDCCAUegAwIBAgIUW6QIeBFNyV4ZkxtUv4yN0t1sVoEwCgYIKoZIzj0EAwIw\n"
    "JjEkMCIGA1UEAwwbYWljLWdrZS1lbXVsYXRvci1jbHVzdGVyLWNhMB4XDTI2MTIw\n"
    "NjA1MzI1N1oXDTM2MTIwMzA1MzI1N1owJjEkMCIGA1UEAwwbYWljLWdrZS1lbXVs\n"
    "YXRvci1jbHVzdGVyLWNhMFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE9juyJ5/x\n"
    "DqC+U64PjmCYHuvx7hm/YY4rszigzHqByajKNIreQHV+VpMicQC4NZyWwKMUtXVh\n"
    "iveIACTmTSCB9qNTMFEwHQYDVR0OBBYEFE3Pg/ynLsb5FeelCR0a6QldizCrMB8G\n"
    "A1UdIwQYMBaAFE3Pg/ynLsb5FeelCR0a6QldizCrMA8GA1UdEwEB/wQFMAMBAf8w\n"
    "CgYIKoZIzj0EAwIDRwAwRAIgUHBpnSAxxyzgCTi9AUyX+sEr1v869S2O/2hC59hs\n"
    "9CQCIHqrAN5kulmClQZUoag/QXi5rviW6MtlvfBvYh7PKfO8\n"
    "-----END CERTIFICATE-----\n"
)


def ca_certificate() -> str:
    """masterAuth.clusterCaCertificate: "Base64-encoded public certificate that is the root of
    trust for the cluster" [proto], i.e. base64 of a PEM block."""
    return base64.b64encode(CLUSTER_CA_PEM.encode()).decode()


def deep_merge(target: dict[str, Any], patch: dict[str, Any]) -> None:
    for key, value in patch.items():
        if isinstance(value, dict) and isinstance(target.get(key), dict):
            deep_merge(target[key], value)
        else:
            target[key] = copy.deepcopy(value)


def parse_version(v: str) -> tuple[int, ...]:
    m = re.fullmatch(r"(\d+)\.(\d+)\.(\d+)-gke\.(\d+)", v)
    return tuple(int(x) for x in m.groups()) if m else (0, 0, 0, 0)


class Gke(Emulator):
    name = "gke"

    def __init__(self) -> None:
        super().__init__()
        self.settings = copy.deepcopy(DEFAULT_SETTINGS)
        self.reset()
        self._register()

    # ----- state -----------------------------------------------------------------------
    def reset(self) -> None:
        # (project, location, cluster) -> Cluster in canonical JSON form; node pools inside,
        # each with emulator bookkeeping under "_" keys (never rendered)
        self.clusters: dict[tuple[str, str, str], dict[str, Any]] = {}
        # (project, location, operation name) -> {"op": Operation, bookkeeping ...}
        self.operations: dict[tuple[str, str, str], dict[str, Any]] = {}
        self.failures: list[dict[str, Any]] = []
        self.project_ids: dict[str, str] = {}  # project number -> id

    def apply_settings(self, settings: dict[str, Any]) -> None:
        super().apply_settings(settings)
        if "versions" in settings or "default_version" in settings:
            versions = self.settings["versions"]
            if not versions or self.settings["default_version"] not in versions:
                raise HttpError(400, "BadSetting", "default_version must be one of versions")
            self.settings["versions"] = sorted(versions, key=parse_version, reverse=True)

    def project_number(self, project: str) -> str:
        """Operation links carry the project *number* (e.g. .../v1/projects/943316867058/zones/
        us-central1-f/operations/operation-1477899090897-9f3e1acf) [seen]; a stable fake one."""
        if project.isdigit():
            return project
        number = str(int(hashlib.sha256(project.encode()).hexdigest()[:12], 16) % 900000000000 + 100000000000)
        self.project_ids[number] = project
        return number

    def project_id(self, project: str) -> str:
        return self.project_ids.get(project, project)

    # ----- errors ------------------------------------------------------------------------
    def error_body(self, status: int, code: str, message: str) -> Any:
        # {"error": {"code": 404, "message": "...", "status": "NOT_FOUND", "details": [...]}} [rpc]
        if code not in HTTP_OF_CODE:
            code = CODE_OF_HTTP.get(status, "UNKNOWN")
        if message.startswith("injected fault") and code in FRONT_END_MESSAGES:
            message = FRONT_END_MESSAGES[code]
        details: list[dict[str, Any]] = []
        if code == "RESOURCE_EXHAUSTED":
            details.append({"@type": "type.googleapis.com/google.rpc.ErrorInfo", "reason": "RATE_LIMIT_EXCEEDED",
                            "domain": "googleapis.com", "metadata": {"service": SERVICE}})
        details.append({"@type": "type.googleapis.com/google.rpc.RequestInfo", "requestId": "0x" + secrets.token_hex(8)})
        return {"error": {"code": status, "message": message, "status": code, "details": details}}

    def http_error(self, err: HttpError) -> Response:
        if isinstance(err, GoogleError) and err.details is not None:
            body = {"error": {"code": err.status, "message": err.message, "status": err.code, "details": err.details}}
            return Response(err.status, body, dict(err.headers))
        return super().http_error(err)

    def not_found(self, req: Request) -> HttpError:
        return GoogleError("NOT_FOUND", f"The requested URL {req.path} was not found on this server.")

    # ----- plumbing ----------------------------------------------------------------------
    def dispatch(self, req: Request) -> Response:
        if not req.path.startswith("/_emulator/"):
            with self.lock:
                self.advance()
        return super().dispatch(req)

    def api(self, method: str, pattern: str, rpc: str, request_msg: str | None = None,
            response_msg: str | None = None) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
        """Register a handler ``fn(req, body, **path) -> canonical JSON`` of RPC ``rpc``: it
        authenticates, checks query parameters, parses the body as ``request_msg`` and renders
        the answer as ``response_msg``."""

        def register(fn: Callable[..., Any]) -> Callable[..., Any]:
            def handler(req: Request, **path: str) -> Response:
                with self.lock:
                    self.authenticate(req, rpc)
                    self.check_query(req, body_bound=request_msg is not None)
                    body: dict[str, Any] = {}
                    if request_msg is not None:
                        try:
                            raw = req.json()
                        except HttpError as err:
                            raise invalid(f"Invalid JSON payload received. {err.message}") from None
                        try:
                            body = parse_message(raw if raw is not None else {}, request_msg)
                        except SchemaError as err:
                            raise invalid(err.message, err.field) from None
                    if "project" in path:
                        path["project"] = self.project_id(path["project"])
                    result = fn(req, body, **path)
                    if isinstance(result, Response):
                        return result
                    int_enums = "enum-encoding=int" in (req.arg("$alt") or "")
                    rendered = render(result, response_msg, int_enums) if response_msg else result
                    return Response(200, rendered)

            handler.__name__ = fn.__name__
            self.route(method, pattern)(handler)
            return fn

        return register

    def authenticate(self, req: Request, rpc: str) -> None:
        # Every Google API call needs an OAuth 2 access token: "Authorization: Bearer TOKEN" or the
        # access_token system parameter; without one, 401 UNAUTHENTICATED with an ErrorInfo whose
        # reason is CREDENTIALS_MISSING and a WWW-Authenticate challenge [seen][rpc].
        header = req.header("authorization") or ""
        token = header[7:].strip() if header[:7].lower() == "bearer " else ""
        token = token or (req.arg("access_token") or "")
        metadata = {"service": SERVICE, "method": f"google.container.v1.ClusterManager.{rpc}"}
        if not token:
            raise GoogleError("UNAUTHENTICATED", MISSING_CREDENTIALS, [
                {"@type": "type.googleapis.com/google.rpc.ErrorInfo", "reason": "CREDENTIALS_MISSING",
                 "domain": "googleapis.com", "metadata": metadata}],
                headers={"WWW-Authenticate": 'Bearer realm="https://accounts.google.com/"'})
        allowed = self.settings.get("tokens")
        if allowed is not None and token not in allowed:
            raise GoogleError("UNAUTHENTICATED", INVALID_CREDENTIALS, [
                {"@type": "type.googleapis.com/google.rpc.ErrorInfo", "reason": "ACCESS_TOKEN_TYPE_UNSUPPORTED",
                 "domain": "googleapis.com", "metadata": metadata}],
                headers={"WWW-Authenticate": 'Bearer realm="https://accounts.google.com/", error="invalid_token"'})

    def check_query(self, req: Request, body_bound: bool) -> None:
        # Query parameters bind to request fields not bound by the path or the body; with
        # `body: "*"` none are left, so only system parameters may appear [proto: HttpRule].
        for key in req.query:
            if key in SYSTEM_PARAMS or (not body_bound and key in REQUEST_QUERY_FIELDS):
                continue
            raise invalid(f'Invalid JSON payload received. Unknown name "{key}": Cannot bind query parameter. '
                          f"Field '{key}' could not be found in request message.")

    # ----- links and names ---------------------------------------------------------------
    @staticmethod
    def base(req: Request) -> str:
        """scheme://host:port for links. The Rust client sends "Host: 127.0.0.1" without the port
        for a custom endpoint (google-cloud-gax-internal host::header uses the endpoint's host
        only), so the port this server listens on is added when the Host header lacks one."""
        url = req.base_url
        if req.server_port and not re.search(r":[0-9]+$", url.split("://", 1)[1]):
            url = f"{url}:{req.server_port}"
        return url

    @staticmethod
    def is_zone(location: str) -> bool:
        return ZONE_RE.fullmatch(location) is not None

    def check_location(self, location: str) -> None:
        if location == "-" or self.is_zone(location) or REGION_RE.fullmatch(location):
            return
        raise invalid(f'Location "{location}" is not a valid zone or region.')  # [inferred]

    def missing(self, location: str) -> list[str]:
        zones = list(self.settings["missing_zones"])
        return zones if location == "-" else [z for z in zones if z == location]

    def cluster_link(self, base: str, project: str, location: str, cluster: str) -> str:
        # Cluster.self_link: zonal clusters under /zones/, regional ones under /locations/ [seen]
        kind = "zones" if self.is_zone(location) else "locations"
        return f"{base}/v1/projects/{project}/{kind}/{location}/clusters/{cluster}"

    def cluster_path(self, project: str, location: str, cluster: str) -> str:
        return f"projects/{project}/locations/{location}/clusters/{cluster}"

    def find_cluster(self, project: str, location: str, cluster: str) -> dict[str, Any]:
        found = self.clusters.get((project, location, cluster))
        if found is None:
            # "Not found: projects/P/zones/Z/clusters/C." [seen], 404 NOT_FOUND
            raise GoogleError("NOT_FOUND", f"Not found: {self.cluster_path(project, location, cluster)}.")
        return found

    def find_pool(self, cluster: dict[str, Any], project: str, location: str, pool: str) -> dict[str, Any]:
        for np in cluster["nodePools"]:
            if np["name"] == pool:
                return np
        raise GoogleError("NOT_FOUND", f"Not found: {self.cluster_path(project, location, cluster['name'])}/nodePools/{pool}.")

    # ----- versions ----------------------------------------------------------------------
    def resolve_version(self, requested: str, kind: str, default: str | None = None) -> str:
        """Version aliases [proto: Cluster.initial_cluster_version, UpdateMasterRequest]:
        "latest", "1.X", "1.X.Y", "1.X.Y-gke.N", and "" or "-" for the default."""
        versions = self.settings["versions"] + (OLDER_NODE_VERSIONS if kind == "Node" else [])
        if requested in ("", "-"):
            return default or self.settings["default_version"]
        if requested == "latest":
            return versions[0]
        matches = [v for v in versions if v == requested or v.startswith(requested + ".") or v.startswith(requested + "-")]
        if not matches:
            # "Master version \"1.13.7-gke.24\" is unsupported." [seen]
            raise invalid(f'{kind} version "{requested}" is unsupported.')
        return max(matches, key=parse_version)

    def server_config(self) -> dict[str, Any]:
        versions = self.settings["versions"]
        default = self.settings["default_version"]
        minors = sorted({parse_version(v)[:2] for v in versions}, reverse=True)

        def newest_of(minor: tuple[int, ...]) -> str:
            return max((v for v in versions if parse_version(v)[:2] == minor), key=parse_version)

        dminor = parse_version(default)[:2]
        older = [m for m in minors if m < dminor]
        stable = newest_of(older[0]) if older else default
        extended = newest_of(minors[-1])
        channels = []
        for channel, dflt in (("RAPID", versions[0]), ("REGULAR", default), ("STABLE", stable), ("EXTENDED", extended)):
            valid = [v for v in versions if parse_version(v) <= parse_version(versions[0] if channel == "RAPID" else dflt)
                     or channel == "RAPID"]
            channels.append({"channel": channel, "defaultVersion": dflt, "validVersions": valid,
                             "upgradeTargetVersion": dflt})
        return {
            "defaultClusterVersion": default,
            "validNodeVersions": versions + OLDER_NODE_VERSIONS,
            "defaultImageType": "COS_CONTAINERD",
            "validImageTypes": ["COS_CONTAINERD", "UBUNTU_CONTAINERD", "WINDOWS_LTSC_CONTAINERD"],
            "validMasterVersions": list(versions),
            "channels": channels,
        }

    # ----- validation --------------------------------------------------------------------
    def check_name(self, name: str, field: str) -> None:
        if not NAME_RE.fullmatch(name or ""):
            # [seen] Invalid value for field "cluster.name": "1c-wmcgg". Must be a match of regex ...
            raise invalid(
                f'Invalid value for field "{field}": "{name}". Must be a match of regex '
                "'(?:[a-z](?:[-a-z0-9]{0,38}[a-z0-9])?)' (only alphanumerics and '-' allowed, must start with a "
                "letter and end with an alphanumeric, and must be no longer than 40 characters).", field)

    def check_node_config(self, config: dict[str, Any], field: str) -> None:
        machine = config.get("machineType")
        if machine:
            if machine == "f1-micro":
                # [seen] "Node pools of f1-micro machines are not supported due to insufficient memory."
                raise invalid("Node pools of f1-micro machines are not supported due to insufficient memory.")
            if not MACHINE_TYPE_RE.fullmatch(machine):
                # [seen] machine type "ns-standard-1" does not exist.
                raise invalid(f'machine type "{machine}" does not exist.', f"{field}.machine_type")
        size = config.get("diskSizeGb")
        if size not in (None, 0) and int(size) < 10:
            # [proto: UpdateNodePoolRequest.disk_size_gb] "The smallest allowed disk size is 10GB." [inferred wording]
            raise invalid("The smallest allowed disk size is 10GB.", f"{field}.disk_size_gb")
        for i, taint in enumerate(config.get("taints") or []):
            if not taint.get("key") or taint.get("effect") in (None, "EFFECT_UNSPECIFIED"):
                raise invalid(f"Node taint {i} must have a key and an effect.", f"{field}.taints[{i}]")  # [inferred]

    def check_autoscaling(self, autoscaling: dict[str, Any] | None, size: int | None) -> None:
        if not autoscaling or not autoscaling.get("enabled"):
            return
        lo, hi = autoscaling.get("minNodeCount", 0), autoscaling.get("maxNodeCount", 0)
        tlo, thi = autoscaling.get("totalMinNodeCount", 0), autoscaling.get("totalMaxNodeCount", 0)
        if (lo or hi) and (tlo or thi):
            raise invalid("Autoscaling limits can be set either per zone (min_node_count, max_node_count) or in total "
                          "(total_min_node_count, total_max_node_count), not both.")  # [inferred]
        if hi == 0 and thi == 0:
            # [seen] "Node_pool_autoscaling.max_node_count and node_pool_autoscaling.total_max_node_count
            # cannot be both set to zero."
            raise invalid("Node_pool_autoscaling.max_node_count and node_pool_autoscaling.total_max_node_count "
                          "cannot be both set to zero.")
        # [proto: NodePoolAutoscaling] min "must be greater than or equal to 0 and less than or equal to
        # max_node_count"; max "must be >= min_node_count"; 1000 nodes per zone [rest]
        if lo < 0 or tlo < 0 or (hi and lo > hi) or (thi and tlo > thi) or hi > 1000:
            raise invalid("Node_pool_autoscaling.min_node_count must be between 0 and "
                          "node_pool_autoscaling.max_node_count, and max_node_count at most 1000.")  # [inferred]
        if size is not None and hi and not lo <= size <= hi:
            raise invalid(f"Node count {size} is outside the autoscaling limits [{lo}, {hi}] of the node pool.")  # [inferred]

    def check_zones(self, zones: list[str], location: str, field: str) -> None:
        region = location if not self.is_zone(location) else ZONE_RE.fullmatch(location).group(1)
        for zone in zones:
            m = ZONE_RE.fullmatch(zone)
            if not m or m.group(1) != region:
                raise invalid(f'Location "{zone}" is not a zone of region "{region}".', field)  # [inferred]

    # ----- operations --------------------------------------------------------------------
    def busy_operation(self, key: tuple[str, str, str]) -> dict[str, Any] | None:
        for entry in self.operations.values():
            if entry["cluster"] == key and entry["op"]["status"] != "DONE" and entry["exclusive"]:
                return entry
        return None

    def start_operation(self, req: Request, key: tuple[str, str, str], op_type: str, target: str,
                        apply: Callable[[], None], on_error: Callable[[], None] | None = None,
                        exclusive: bool = True) -> dict[str, Any]:
        """One operation per cluster at a time [proto: Operation.Type]; a second is refused with
        400 FAILED_PRECONDITION "Cluster is running incompatible operation operation-…" [seen]
        (googleapi: Error 400: Cluster is running incompatible operation operation-1718024305921-
        fd4f65ea-…, failedPrecondition). SET_NODE_POOL_MANAGEMENT "only update[s] metadata and may
        be concurrent with most other operations" [proto], so it neither waits nor blocks."""
        if exclusive:
            busy = self.busy_operation(key)
            if busy is not None:
                raise GoogleError("FAILED_PRECONDITION", f"Cluster is running incompatible operation {busy['op']['name']}.")
        project, location, _ = key
        name = f"operation-{int(time.time() * 1000)}-{uuid.uuid4()}"
        number = self.project_number(project)
        kind = "zones" if self.is_zone(location) else "locations"
        seconds = self.settings["operation_seconds_by_type"].get(op_type, self.settings["operation_seconds"])
        pending = self.settings["pending_seconds"]
        start = time.monotonic()
        op = {
            "name": name,
            "zone": location,
            "operationType": op_type,
            "status": "PENDING" if pending > 0 else "RUNNING",
            "selfLink": f"{self.base(req)}/v1/projects/{number}/{kind}/{location}/operations/{name}",
            "targetLink": target.replace(f"/v1/projects/{project}/", f"/v1/projects/{number}/", 1),
            "location": location,
            "startTime": now_rfc3339(),
        }
        failure = self.take_failure(key, op_type)
        entry = {"op": op, "cluster": key, "apply": apply, "on_error": on_error, "failure": failure,
                 "running_at": start + pending, "done_at": start + pending + float(seconds), "exclusive": exclusive}
        self.operations[(project, location, name)] = entry
        return op

    def advance(self) -> None:
        """Move operations on by the clock: PENDING -> RUNNING -> DONE, applying their change."""
        now = time.monotonic()
        for entry in self.operations.values():
            op = entry["op"]
            if op["status"] == "DONE":
                continue
            if op["status"] == "PENDING" and now >= entry["running_at"]:
                op["status"] = "RUNNING"
            if now >= entry["done_at"]:
                self.finish(entry)

    def finish(self, entry: dict[str, Any], error: dict[str, Any] | None = None) -> None:
        op = entry["op"]
        error = error or entry["failure"]
        if error is None:
            entry["apply"]()
        else:
            op["error"] = error
            op["statusMessage"] = error["message"]  # deprecated twin of error [proto]
            if entry["on_error"] is not None:
                entry["on_error"]()
        op["status"] = "DONE"
        op["endTime"] = now_rfc3339()

    def take_failure(self, key: tuple[str, str, str], op_type: str) -> dict[str, Any] | None:
        for spec in self.failures:
            if spec["times"] == 0:
                continue
            target = spec["cluster"]
            if target not in (key[2], self.cluster_path(*key)):
                continue
            if spec.get("operationType") and spec["operationType"] != op_type:
                continue
            if spec["times"] > 0:
                spec["times"] -= 1
            code = spec.get("code", "INTERNAL")
            number = code if isinstance(code, int) else CODE_NUMBER[code]
            return {"code": number, "message": spec.get("message") or "Internal error."}
        return None

    # ----- object construction ---------------------------------------------------------
    def default_zones(self, location: str) -> list[str]:
        # zonal clusters run in their zone; regional ones in three zones of the region [rest]
        return [location] if self.is_zone(location) else [f"{location}-{z}" for z in "abc"]

    def fill_node_config(self, config: dict[str, Any] | None) -> dict[str, Any]:
        # Defaults GKE fills into NodeConfig [proto: NodeConfig field comments]: e2-medium, 100 GB
        # pd-balanced, COS_CONTAINERD, the default scopes and service account.
        out = copy.deepcopy(config or {})
        out.setdefault("machineType", "e2-medium")
        out["diskSizeGb"] = out.get("diskSizeGb") or 100
        out.setdefault("diskType", "pd-balanced")
        out.setdefault("imageType", "COS_CONTAINERD")
        out.setdefault("oauthScopes", list(DEFAULT_SCOPES))
        out.setdefault("serviceAccount", "default")
        out.setdefault("metadata", {"disable-legacy-endpoints": "true"})
        out.setdefault("shieldedInstanceConfig", {"enableIntegrityMonitoring": True})
        out.setdefault("effectiveCgroupMode", "EFFECTIVE_CGROUP_MODE_V2")
        return out

    def new_pool(self, req: Request, project: str, location: str, cluster: dict[str, Any],
                 spec: dict[str, Any], field: str) -> dict[str, Any]:
        self.check_name(spec.get("name", ""), f"{field}.name")
        config = self.fill_node_config(spec.get("config"))
        self.check_node_config(config, f"{field}.config")
        size = spec.get("initialNodeCount", 0)
        if size < 0:
            raise invalid(f"{field}.initial_node_count must be non-negative.", f"{field}.initial_node_count")  # [inferred]
        autoscaling = spec.get("autoscaling") or {}
        self.check_autoscaling(autoscaling, None)
        if autoscaling.get("enabled") and autoscaling.get("maxNodeCount") and size > autoscaling["maxNodeCount"]:
            self.check_autoscaling(autoscaling, size)
        master = cluster["currentMasterVersion"]
        version = self.resolve_version(spec.get("version", ""), "Node", default=master)
        self.check_node_version(version, master)
        zones = spec.get("locations") or list(cluster["locations"])
        self.check_zones(zones, location, f"{field}.locations")
        pool = copy.deepcopy(spec)
        name = pool["name"]
        pool["config"] = config
        pool["locations"] = zones
        pool["version"] = version
        pool["status"] = "PROVISIONING"
        pool["selfLink"] = f"{cluster['selfLink']}/nodePools/{name}"
        pool.setdefault("management", {"autoUpgrade": True, "autoRepair": True})
        pool.setdefault("upgradeSettings", {"maxSurge": 1, "maxUnavailable": 0, "strategy": "SURGE"})
        pool.setdefault("maxPodsConstraint", {"maxPodsPerNode": "110"})
        pool["podIpv4CidrSize"] = pool.get("podIpv4CidrSize") or 24
        pool.setdefault("networkConfig", {"podRange": "gke-" + cluster["name"][:20] + "-pods",
                                          "podIpv4CidrBlock": cluster.get("clusterIpv4Cidr", "10.4.0.0/14")})
        if autoscaling.get("enabled"):
            pool["autoscaling"] = {"locationPolicy": "BALANCED", **autoscaling}
        pool["etag"] = secrets.token_hex(18)
        self.check_release_channel_management(cluster, pool["management"])
        # emulator bookkeeping: nodes per zone, the managed instance group's name
        pool["_nodeCount"] = size
        pool["_igm"] = f"gke-{cluster['name'][:14]}-{name[:14]}-{secrets.token_hex(4)}-grp"
        self.refresh_pool_links(self.base(req), project, pool)
        return pool

    def refresh_pool_links(self, base: str, project: str, pool: dict[str, Any]) -> None:
        # NodePool.instance_group_urls: one managed instance group per zone [proto]; they point at
        # this emulator's read-only Compute instanceGroupManagers endpoint, which answers the
        # group's targetSize (how clients read a pool's current node count).
        pool["instanceGroupUrls"] = [
            f"{base}/compute/v1/projects/{project}/zones/{zone}/instanceGroupManagers/{pool['_igm']}"
            for zone in pool["locations"]]

    def check_node_version(self, version: str, master: str) -> None:
        if parse_version(version) > parse_version(master):
            raise invalid(f'Node version "{version}" must not be newer than the master version "{master}".')  # [inferred]

    def check_release_channel_management(self, cluster: dict[str, Any], management: dict[str, Any]) -> None:
        channel = (cluster.get("releaseChannel") or {}).get("channel", "UNSPECIFIED")
        if channel != "UNSPECIFIED" and not management.get("autoUpgrade"):
            # clusters enrolled in a release channel always auto-upgrade their nodes [rest:
            # release-channels concept page]; wording [inferred]
            raise invalid(f"Auto-upgrade cannot be disabled for node pools of a cluster enrolled in the {channel} "
                          "release channel.")

    def refresh_cluster(self, cluster: dict[str, Any]) -> None:
        """Fields GKE derives from the node pools [proto: Cluster.current_node_version "the minimum
        version of all nodes", current_node_count, instance_group_urls (deprecated copies)]."""
        pools = cluster["nodePools"]
        if pools:
            cluster["currentNodeVersion"] = min((p["version"] for p in pools), key=parse_version)
            cluster["nodeConfig"] = copy.deepcopy(pools[0]["config"])
        else:
            cluster["currentNodeVersion"] = cluster["currentMasterVersion"]
        cluster["currentNodeCount"] = sum(p["_nodeCount"] * len(p["locations"]) for p in pools)
        cluster["instanceGroupUrls"] = [u for p in pools for u in p.get("instanceGroupUrls", [])]
        cluster["etag"] = secrets.token_hex(18)

    # ----- routes ------------------------------------------------------------------------
    def _register(self) -> None:  # noqa: C901 - one place that lists the API surface
        api = self.api

        # --- clusters ---------------------------------------------------------------------
        @api("GET", rf"{LOC}/clusters", "ListClusters", response_msg="ListClustersResponse")
        def list_clusters(req: Request, body: dict, project: str, location: str) -> Any:
            # [proto] ListClustersRequest.parent: "Location "-" matches all zones and all regions";
            # ListClustersResponse has no next_page_token: this list does not page.
            self.check_location(location)
            missing = self.missing(location)
            found = [c for (p, loc, _), c in self.clusters.items()
                     if p == project and (location == "-" or loc == location) and loc not in missing]
            return {"clusters": found, "missingZones": missing}

        @api("POST", rf"{LOC}/clusters", "CreateCluster", "CreateClusterRequest", "Operation")
        def create_cluster(req: Request, body: dict, project: str, location: str) -> Any:
            self.check_location(location)
            if location == "-":
                raise invalid('Location "-" is not valid for creating a cluster.')  # [inferred]
            spec = body.get("cluster")
            if spec is None:
                raise invalid("Cluster is required.", "cluster")  # [proto: REQUIRED] wording [inferred]
            name = spec.get("name", "")
            self.check_name(name, "cluster.name")
            key = (project, location, name)
            if key in self.clusters:
                # "Already exists: projects/P/zones/Z/clusters/C." [seen], 409 ALREADY_EXISTS
                raise GoogleError("ALREADY_EXISTS", f"Already exists: {self.cluster_path(*key)}.")
            pools_spec = spec.get("nodePools") or []
            # [proto: Cluster.initial_node_count/node_pools] "Do not use this and a node_pool at the same time."
            if pools_spec and (spec.get("initialNodeCount") or spec.get("nodeConfig")):
                raise invalid("Cluster.initial_node_count and Cluster.node_config cannot be used together with "
                              "Cluster.node_pools.")  # [inferred]
            if not pools_spec and spec.get("initialNodeCount", 0) <= 0:
                # "Cluster.initial_node_count must be greater than zero." [seen]
                raise invalid("Cluster.initial_node_count must be greater than zero.", "cluster.initial_node_count")
            channel_given = "releaseChannel" in spec
            cluster = copy.deepcopy(spec)
            if not channel_given:
                # a cluster created without a release channel is enrolled in REGULAR [rest]
                cluster["releaseChannel"] = {"channel": "REGULAR"}
            version = self.resolve_version(spec.get("initialClusterVersion", ""), "Master")
            zones = spec.get("locations") or self.default_zones(location)
            self.check_zones(zones, location, "cluster.locations")
            seed = f"{project}/{location}/{name}/{time.time()}"
            digest = hashlib.sha256(seed.encode()).digest()
            labels = spec.get("resourceLabels") or {}
            region = location if not self.is_zone(location) else ZONE_RE.fullmatch(location).group(1)
            cluster.update({
                "name": name,
                "initialClusterVersion": version,
                "currentMasterVersion": version,
                "location": location,
                "zone": location,  # deprecated; GKE sets it to the location [proto]
                "locations": zones,
                "selfLink": self.cluster_link(self.base(req), project, location, name),
                "endpoint": f"34.{digest[0]}.{digest[1]}.{digest[2] or 1}",
                "createTime": now_rfc3339(),
                "status": "PROVISIONING",
                "id": digest.hex(),
                "labelFingerprint": fingerprint(labels),
                "network": spec.get("network") or "default",
                "subnetwork": spec.get("subnetwork") or "default",
                "loggingService": spec.get("loggingService") or "logging.googleapis.com/kubernetes",
                "monitoringService": spec.get("monitoringService") or "monitoring.googleapis.com/kubernetes",
                "clusterIpv4Cidr": spec.get("clusterIpv4Cidr") or f"10.{digest[3] % 64 * 4}.0.0/14",
                "servicesIpv4Cidr": "34.118.224.0/20",
                "nodeIpv4CidrSize": 24,
                "legacyAbac": spec.get("legacyAbac") or {},
                "networkConfig": {
                    "network": f"projects/{project}/global/networks/{spec.get('network') or 'default'}",
                    "subnetwork": f"projects/{project}/regions/{region}/subnetworks/{spec.get('subnetwork') or 'default'}",
                    **(spec.get("networkConfig") or {}),
                },
            })
            master_auth = dict(spec.get("masterAuth") or {})
            master_auth["clusterCaCertificate"] = ca_certificate()
            cluster["masterAuth"] = master_auth
            cluster["nodePools"] = []
            if not pools_spec:
                # the pool GKE makes from initial_node_count/node_config, named "default-pool" [proto, rest]
                pools_spec = [{"name": "default-pool", "initialNodeCount": spec["initialNodeCount"],
                               "config": spec.get("nodeConfig") or {}}]
            names = set()
            for i, pool_spec in enumerate(pools_spec):
                pool = self.new_pool(req, project, location, cluster, pool_spec, f"cluster.node_pools[{i}]")
                if pool["name"] in names:
                    raise invalid(f'Node pool "{pool["name"]}" is specified more than once.')  # [inferred]
                names.add(pool["name"])
                cluster["nodePools"].append(pool)
            self.refresh_cluster(cluster)
            self.clusters[key] = cluster

            def done() -> None:
                cluster["status"] = "RUNNING"
                for pool in cluster["nodePools"]:
                    pool["status"] = "RUNNING"

            def failed() -> None:
                # "In the event of the operation failing, the cluster will enter the ERROR state" [proto]
                cluster["status"] = "ERROR"
                cluster["statusMessage"] = "Cluster creation failed."
                for pool in cluster["nodePools"]:
                    pool["status"] = "ERROR"

            return self.start_operation(req, key, "CREATE_CLUSTER", cluster["selfLink"], done, failed)

        @api("GET", CLU, "GetCluster", response_msg="Cluster")
        def get_cluster(req: Request, body: dict, project: str, location: str, cluster: str) -> Any:
            return self.find_cluster(project, location, cluster)

        @api("DELETE", CLU, "DeleteCluster", response_msg="Operation")
        def delete_cluster(req: Request, body: dict, project: str, location: str, cluster: str) -> Any:
            key = (project, location, cluster)
            found = self.find_cluster(*key)

            def done() -> None:
                if self.clusters.get(key) is found:
                    del self.clusters[key]

            def failed() -> None:
                found["status"] = "ERROR"

            op = self.start_operation(req, key, "DELETE_CLUSTER", found["selfLink"], done, failed)
            found["status"] = "STOPPING"  # [proto: Cluster.Status.STOPPING]
            for pool in found["nodePools"]:
                pool["status"] = "STOPPING"
            return op

        @api("PUT", CLU, "UpdateCluster", "UpdateClusterRequest", "Operation")
        def update_cluster(req: Request, body: dict, project: str, location: str, cluster: str) -> Any:
            key = (project, location, cluster)
            found = self.find_cluster(*key)
            update = body.get("update") or {}
            if not update:
                raise invalid("Update is required and must set at least one field.", "update")  # [inferred]
            if update.get("etag") and update["etag"] != found["etag"]:
                # etag mismatch: "update will be blocked and an ABORTED error will be returned" [proto]
                raise GoogleError("ABORTED", "The cluster etag does not match; read the cluster and try again.")
            return self.cluster_update(req, key, found, update)

        @api("POST", rf"{CLU}:updateMaster", "UpdateMaster", "UpdateMasterRequest", "Operation")
        def update_master(req: Request, body: dict, project: str, location: str, cluster: str) -> Any:
            key = (project, location, cluster)
            found = self.find_cluster(*key)
            if not body.get("masterVersion"):
                raise invalid("master_version is required.", "master_version")  # [inferred]
            return self.cluster_update(req, key, found, {"desiredMasterVersion": body["masterVersion"]})

        @api("POST", rf"{CLU}:setResourceLabels", "SetLabels", "SetLabelsRequest", "Operation")
        def set_labels(req: Request, body: dict, project: str, location: str, cluster: str) -> Any:
            key = (project, location, cluster)
            found = self.find_cluster(*key)
            given = body.get("labelFingerprint")
            # label_fingerprint: "You must always provide an up-to-date fingerprint hash" [proto];
            # the emulator refuses a stale one and accepts an absent one. Wording [inferred].
            if given and given != found["labelFingerprint"]:
                raise GoogleError("FAILED_PRECONDITION", "Labels could not be set due to fingerprint mismatch.")
            labels = body.get("resourceLabels") or {}

            def done() -> None:
                found["resourceLabels"] = labels
                found["labelFingerprint"] = fingerprint(labels)

            return self.cluster_operation(req, key, found, "UPDATE_CLUSTER", done)

        @api("POST", rf"{CLU}:setLegacyAbac", "SetLegacyAbac", "SetLegacyAbacRequest", "Operation")
        def set_legacy_abac(req: Request, body: dict, project: str, location: str, cluster: str) -> Any:
            key = (project, location, cluster)
            found = self.find_cluster(*key)
            enabled = bool(body.get("enabled"))
            return self.cluster_operation(req, key, found, "UPDATE_CLUSTER",
                                          lambda: found.__setitem__("legacyAbac", {"enabled": enabled}))

        @api("POST", rf"{CLU}:setLocations", "SetLocations", "SetLocationsRequest", "Operation")
        def set_locations(req: Request, body: dict, project: str, location: str, cluster: str) -> Any:
            key = (project, location, cluster)
            found = self.find_cluster(*key)
            return self.cluster_update(req, key, found, {"desiredLocations": body.get("locations") or []})

        @api("POST", rf"{CLU}:setLogging", "SetLoggingService", "SetLoggingServiceRequest", "Operation")
        def set_logging(req: Request, body: dict, project: str, location: str, cluster: str) -> Any:
            key = (project, location, cluster)
            found = self.find_cluster(*key)
            return self.cluster_update(req, key, found, {"desiredLoggingService": body.get("loggingService") or
                                                         "logging.googleapis.com/kubernetes"})

        @api("POST", rf"{CLU}:setMonitoring", "SetMonitoringService", "SetMonitoringServiceRequest", "Operation")
        def set_monitoring(req: Request, body: dict, project: str, location: str, cluster: str) -> Any:
            key = (project, location, cluster)
            found = self.find_cluster(*key)
            return self.cluster_update(req, key, found, {"desiredMonitoringService": body.get("monitoringService") or
                                                         "monitoring.googleapis.com/kubernetes"})

        @api("POST", rf"{CLU}:setAddons", "SetAddonsConfig", "SetAddonsConfigRequest", "Operation")
        def set_addons(req: Request, body: dict, project: str, location: str, cluster: str) -> Any:
            key = (project, location, cluster)
            found = self.find_cluster(*key)
            return self.cluster_update(req, key, found, {"desiredAddonsConfig": body.get("addonsConfig") or {}})

        @api("POST", rf"{CLU}:setMasterAuth", "SetMasterAuth", "SetMasterAuthRequest", "Operation")
        def set_master_auth(req: Request, body: dict, project: str, location: str, cluster: str) -> Any:
            key = (project, location, cluster)
            found = self.find_cluster(*key)
            action = body.get("action", "UNKNOWN")
            if action == "UNKNOWN":
                # "UNKNOWN: Operation is unknown and will error out." [proto]
                raise invalid("SetMasterAuthRequest.action must be set.", "action")  # wording [inferred]
            update = body.get("update") or {}

            def done() -> None:
                auth = found.setdefault("masterAuth", {})
                if action == "SET_USERNAME":
                    auth["username"] = update.get("username", "")
                    if not auth["username"]:
                        auth.pop("password", None)
                    elif update.get("password"):
                        auth["password"] = update["password"]
                elif action == "SET_PASSWORD":
                    auth["password"] = update.get("password", "")
                elif action == "GENERATE_PASSWORD":
                    auth["password"] = secrets.token_urlsafe(12)
                if "clientCertificateConfig" in update:
                    auth["clientCertificateConfig"] = update["clientCertificateConfig"]

            return self.cluster_operation(req, key, found, "UPDATE_CLUSTER", done)

        # --- node pools -------------------------------------------------------------------
        @api("GET", rf"{CLU}/nodePools", "ListNodePools", response_msg="ListNodePoolsResponse")
        def list_pools(req: Request, body: dict, project: str, location: str, cluster: str) -> Any:
            # ListNodePoolsResponse has no next_page_token: not paged [proto]
            return {"nodePools": self.find_cluster(project, location, cluster)["nodePools"]}

        @api("GET", NPL, "GetNodePool", response_msg="NodePool")
        def get_pool(req: Request, body: dict, project: str, location: str, cluster: str, pool: str) -> Any:
            return self.find_pool(self.find_cluster(project, location, cluster), project, location, pool)

        @api("POST", rf"{CLU}/nodePools", "CreateNodePool", "CreateNodePoolRequest", "Operation")
        def create_pool(req: Request, body: dict, project: str, location: str, cluster: str) -> Any:
            key = (project, location, cluster)
            found = self.find_cluster(*key)
            spec = body.get("nodePool")
            if spec is None:
                raise invalid("Node pool is required.", "node_pool")  # [proto: REQUIRED] wording [inferred]
            name = spec.get("name", "")
            self.check_name(name, "node_pool.name")
            if any(p["name"] == name for p in found["nodePools"]):
                raise GoogleError("ALREADY_EXISTS", f"Already exists: {self.cluster_path(*key)}/nodePools/{name}.")
            self.require_idle(key)
            pool = self.new_pool(req, project, location, found, spec, "node_pool")

            def done() -> None:
                pool["status"] = "RUNNING"
                self.refresh_cluster(found)

            def failed() -> None:
                # "In the event of an error, the node pool may be partially created." [proto]
                pool["status"] = "ERROR"
                pool["statusMessage"] = "Node pool creation failed."

            op = self.start_operation(req, key, "CREATE_NODE_POOL", pool["selfLink"], done, failed)
            found["nodePools"].append(pool)
            found["status"] = "RECONCILING"
            self.refresh_cluster(found)
            return op

        @api("DELETE", NPL, "DeleteNodePool", response_msg="Operation")
        def delete_pool(req: Request, body: dict, project: str, location: str, cluster: str, pool: str) -> Any:
            key = (project, location, cluster)
            found = self.find_cluster(*key)
            np = self.find_pool(found, project, location, pool)

            def done() -> None:
                found["nodePools"] = [p for p in found["nodePools"] if p is not np]
                self.refresh_cluster(found)

            def failed() -> None:
                np["status"] = "ERROR"

            op = self.pool_operation(req, key, found, np, "DELETE_NODE_POOL", done, failed)
            np["status"] = "STOPPING"
            return op

        @api("PUT", NPL, "UpdateNodePool", "UpdateNodePoolRequest", "Operation")
        def update_pool(req: Request, body: dict, project: str, location: str, cluster: str, pool: str) -> Any:
            key = (project, location, cluster)
            found = self.find_cluster(*key)
            np = self.find_pool(found, project, location, pool)
            if body.get("etag") and body["etag"] != np["etag"]:
                # "If an etag is provided and does not match the current etag of the node pool, update
                # will be blocked and an ABORTED error will be returned." [proto]
                raise GoogleError("ABORTED", "The node pool etag does not match; read the node pool and try again.")
            # an update to the current version and image is a recreation of the nodes, not an
            # error [proto: Operation.Type.UPGRADE_MASTER "includes 'upgrades' to the same version"]
            changes = self.pool_changes(found, np, body, location)
            return self.pool_upgrade(req, key, found, np, changes)

        @api("POST", rf"{NPL}:setSize", "SetNodePoolSize", "SetNodePoolSizeRequest", "Operation")
        def set_size(req: Request, body: dict, project: str, location: str, cluster: str, pool: str) -> Any:
            key = (project, location, cluster)
            found = self.find_cluster(*key)
            np = self.find_pool(found, project, location, pool)
            size = body.get("nodeCount", 0)
            if size < 0:
                raise invalid("node_count must be non-negative.", "node_count")  # [inferred]
            self.check_autoscaling(np.get("autoscaling"), size)

            def done() -> None:
                # the size is per zone: "The new size will be used for all replicas" [proto];
                # NodePool.initial_node_count keeps the creation value.
                np["_nodeCount"] = size
                self.refresh_cluster(found)

            return self.pool_operation(req, key, found, np, "SET_NODE_POOL_SIZE", done)

        @api("POST", rf"{NPL}:setAutoscaling", "SetNodePoolAutoscaling", "SetNodePoolAutoscalingRequest", "Operation")
        def set_autoscaling(req: Request, body: dict, project: str, location: str, cluster: str, pool: str) -> Any:
            key = (project, location, cluster)
            found = self.find_cluster(*key)
            np = self.find_pool(found, project, location, pool)
            autoscaling = body.get("autoscaling")
            if autoscaling is None:
                raise invalid("autoscaling is required.", "autoscaling")  # [proto: REQUIRED] wording [inferred]
            self.check_autoscaling(autoscaling, None)
            return self.cluster_update(req, key, found, {"desiredNodePoolId": pool,
                                                         "desiredNodePoolAutoscaling": autoscaling})

        @api("POST", rf"{NPL}:setManagement", "SetNodePoolManagement", "SetNodePoolManagementRequest", "Operation")
        def set_management(req: Request, body: dict, project: str, location: str, cluster: str, pool: str) -> Any:
            key = (project, location, cluster)
            found = self.find_cluster(*key)
            np = self.find_pool(found, project, location, pool)
            management = body.get("management")
            if management is None:
                raise invalid("management is required.", "management")  # [proto: REQUIRED] wording [inferred]
            self.check_release_channel_management(found, management)

            def done() -> None:
                np["management"] = {**management, **({"upgradeOptions": np["management"]["upgradeOptions"]}
                                                     if "upgradeOptions" in np.get("management", {}) else {})}

            return self.start_operation(req, key, "SET_NODE_POOL_MANAGEMENT", np["selfLink"], done, exclusive=False)

        @api("POST", rf"{NPL}:rollback", "RollbackNodePoolUpgrade", "RollbackNodePoolUpgradeRequest", "Operation")
        def rollback(req: Request, body: dict, project: str, location: str, cluster: str, pool: str) -> Any:
            # "Rolls back a previously Aborted or Failed NodePool upgrade. This makes no changes if
            # the last upgrade successfully completed." [proto]
            key = (project, location, cluster)
            found = self.find_cluster(*key)
            np = self.find_pool(found, project, location, pool)
            previous = np.get("_rollback")

            def done() -> None:
                if previous is not None:
                    for field, value in previous.items():
                        np[field] = value
                    np.pop("_rollback", None)
                np["status"] = "RUNNING"
                np.pop("statusMessage", None)
                self.refresh_cluster(found)

            return self.pool_operation(req, key, found, np, "UPGRADE_NODES", done)

        # --- operations -------------------------------------------------------------------
        @api("GET", rf"{LOC}/operations", "ListOperations", response_msg="ListOperationsResponse")
        def list_operations(req: Request, body: dict, project: str, location: str) -> Any:
            # parent location "-" matches all zones and all regions; no paging [proto]
            self.check_location(location)
            missing = self.missing(location)
            ops = [e["op"] for (p, loc, _), e in self.operations.items()
                   if p == project and (location == "-" or loc == location) and loc not in missing]
            return {"operations": ops, "missingZones": missing}

        @api("GET", rf"{LOC}/operations/(?P<operation>{SEG})", "GetOperation", response_msg="Operation")
        def get_operation(req: Request, body: dict, project: str, location: str, operation: str) -> Any:
            entry = self.operations.get((project, location, operation))
            if entry is None:
                raise GoogleError("NOT_FOUND", f"Not found: projects/{project}/locations/{location}/operations/{operation}.")
            return entry["op"]

        @api("POST", rf"{LOC}/operations/(?P<operation>{SEG}):cancel", "CancelOperation", "CancelOperationRequest")
        def cancel_operation(req: Request, body: dict, project: str, location: str, operation: str) -> Any:
            entry = self.operations.get((project, location, operation))
            if entry is None:
                raise GoogleError("NOT_FOUND", f"Not found: projects/{project}/locations/{location}/operations/{operation}.")
            op = entry["op"]
            if op["status"] != "DONE":
                # UPGRADE_NODES "may be canceled" [proto: Operation.Type]; others are refused [inferred]
                if op["operationType"] not in ("UPGRADE_NODES", "UPGRADE_MASTER"):
                    raise GoogleError("FAILED_PRECONDITION",
                                      f"Operation {operation} of type {op['operationType']} cannot be cancelled.")
                self.finish(entry, {"code": CODE_NUMBER["CANCELLED"], "message": "Operation was cancelled."})
            return {}  # google.protobuf.Empty

        @api("GET", rf"{LOC}/serverConfig", "GetServerConfig", response_msg="ServerConfig")
        def get_server_config(req: Request, body: dict, project: str, location: str) -> Any:
            self.check_location(location)
            return self.server_config()

        # --- Compute Engine, read-only: the managed instance groups behind node pools --------
        @api("GET", rf"/compute/v1/projects/(?P<project>{SEG})/zones/(?P<zone>{SEG})/instanceGroupManagers/(?P<igm>{SEG})",
             "GetInstanceGroupManager")
        def get_igm(req: Request, body: dict, project: str, zone: str, igm: str) -> Any:
            # compute.instanceGroupManagers.get (https://cloud.google.com/compute/docs/reference/rest/v1/
            # instanceGroupManagers/get): targetSize is the group's node count.
            for (p, _, _), cluster in self.clusters.items():
                if p != project:
                    continue
                for pool in cluster["nodePools"]:
                    if pool["_igm"] == igm and zone in pool["locations"]:
                        link = f"{self.base(req)}/compute/v1/projects/{project}/zones/{zone}"
                        return {
                            "kind": "compute#instanceGroupManager",
                            "id": str(int(hashlib.sha256(igm.encode()).hexdigest()[:15], 16)),
                            "creationTimestamp": cluster["createTime"],
                            "name": igm,
                            "zone": link,
                            "baseInstanceName": igm[:-4],
                            "instanceGroup": f"{link}/instanceGroups/{igm}",
                            "targetSize": pool["_nodeCount"],
                            "status": {"isStable": pool["status"] == "RUNNING"},
                            "selfLink": f"{link}/instanceGroupManagers/{igm}",
                        }
            message = f"The resource 'projects/{project}/zones/{zone}/instanceGroupManagers/{igm}' was not found"
            return Response(404, {"error": {"code": 404, "message": message,
                                            "errors": [{"message": message, "domain": "global", "reason": "notFound"}]}})

    # ----- shared operation flows ------------------------------------------------------------
    def require_idle(self, key: tuple[str, str, str]) -> None:
        busy = self.busy_operation(key)
        if busy is not None:
            raise GoogleError("FAILED_PRECONDITION", f"Cluster is running incompatible operation {busy['op']['name']}.")

    def cluster_operation(self, req: Request, key: tuple[str, str, str], cluster: dict[str, Any], op_type: str,
                          apply: Callable[[], None]) -> dict[str, Any]:
        """An update of the cluster: RECONCILING while it runs, RUNNING after [proto: Cluster.Status]."""
        previous = cluster["status"]

        def done() -> None:
            apply()
            cluster["status"] = "RUNNING"
            self.refresh_cluster(cluster)

        def failed() -> None:
            cluster["status"] = "RUNNING" if previous in ("RUNNING", "RECONCILING") else previous

        op = self.start_operation(req, key, op_type, cluster["selfLink"], done, failed)
        cluster["status"] = "RECONCILING"
        return op

    def pool_operation(self, req: Request, key: tuple[str, str, str], cluster: dict[str, Any], pool: dict[str, Any],
                       op_type: str, apply: Callable[[], None], on_error: Callable[[], None] | None = None) -> dict[str, Any]:
        """A change of a node pool: the pool is RECONCILING while it runs [proto: NodePool.Status]."""

        def done() -> None:
            apply()
            if pool["status"] == "RECONCILING":
                pool["status"] = "RUNNING"
            pool["etag"] = secrets.token_hex(18)

        def failed() -> None:
            pool["status"] = "RUNNING_WITH_ERROR" if op_type == "UPGRADE_NODES" else "RUNNING"
            if on_error is not None:
                on_error()

        op = self.start_operation(req, key, op_type, pool["selfLink"], done, failed)
        pool["status"] = "RECONCILING"
        return op

    def pool_changes(self, cluster: dict[str, Any], pool: dict[str, Any], body: dict[str, Any],
                     location: str) -> dict[str, Any]:
        """What an UpdateNodePoolRequest changes, as NodePool fields [proto: UpdateNodePoolRequest:
        node_version ("-" picks the master version), image_type, locations, upgrade_settings and,
        into NodeConfig, tags/taints/labels/resource_labels ("replaced with the provided"),
        machine_type, disk_type, disk_size_gb and the other node settings]."""
        changes: dict[str, Any] = {}
        config = copy.deepcopy(pool["config"])
        master = cluster["currentMasterVersion"]
        if body.get("nodeVersion"):
            version = self.resolve_version(body["nodeVersion"], "Node", default=master)
            self.check_node_version(version, master)
            if version != pool["version"]:
                changes["version"] = version
        if body.get("locations"):
            self.check_zones(body["locations"], location, "locations")
            changes["locations"] = body["locations"]
        if "upgradeSettings" in body:
            changes["upgradeSettings"] = body["upgradeSettings"]
        wrapped = {"tags": ("tags", "tags"), "taints": ("taints", "taints"), "labels": ("labels", "labels"),
                   "resourceLabels": ("resourceLabels", "labels")}
        for field, (target, inner) in wrapped.items():
            if field in body:
                config[target] = body[field].get(inner) or ([] if target in ("tags", "taints") else {})
        if body.get("diskSizeGb"):
            config["diskSizeGb"] = int(body["diskSizeGb"])
        node_fields = gke_schema.FIELDS["NodeConfig"]
        skip = {"name", "projectId", "zone", "clusterId", "nodePoolId", "nodeVersion", "locations", "upgradeSettings",
                "etag", "diskSizeGb", "image", "imageProject", "nodeDrainConfig", "maintenancePolicy",
                "queuedProvisioning", "nodeNetworkConfig", *wrapped}
        for field, value in body.items():
            if field in skip:
                continue
            if field in node_fields and value not in ("", None):
                config[field] = value
        for field in ("nodeDrainConfig", "queuedProvisioning", "maintenancePolicy"):
            if field in body:
                changes[field] = body[field]
        if "nodeNetworkConfig" in body:
            changes["networkConfig"] = {**pool.get("networkConfig", {}), **body["nodeNetworkConfig"]}
        self.check_node_config(config, "node_pool.config")
        if config != pool["config"]:
            changes["config"] = config
        return changes

    def pool_upgrade(self, req: Request, key: tuple[str, str, str], cluster: dict[str, Any], pool: dict[str, Any],
                     changes: dict[str, Any]) -> dict[str, Any]:
        before = {field: copy.deepcopy(pool.get(field)) for field in changes}

        def done() -> None:
            for field, value in changes.items():
                pool[field] = value
            if "locations" in changes:
                self.refresh_pool_links(self.base(req), key[0], pool)
            pool.pop("_rollback", None)
            self.refresh_cluster(cluster)

        def failed() -> None:
            # an aborted or failed upgrade leaves the pool RUNNING_WITH_ERROR until :rollback [proto]
            pool["_rollback"] = before
            pool["statusMessage"] = "Node pool upgrade failed."

        return self.pool_operation(req, key, cluster, pool, "UPGRADE_NODES", done, failed)

    def cluster_update(self, req: Request, key: tuple[str, str, str], cluster: dict[str, Any],
                       update: dict[str, Any]) -> dict[str, Any]:
        """ClusterUpdate [proto]: desired_master_version (UPGRADE_MASTER), desired_node_version with
        desired_node_pool_id (UPGRADE_NODES), desired_node_pool_autoscaling, desired_locations,
        desired_release_channel, and any other desired_X as the cluster's field X (UPDATE_CLUSTER)."""
        project, location, _ = key
        update = {k: v for k, v in update.items() if k != "etag"}
        if "desiredMasterVersion" in update:
            current = cluster["currentMasterVersion"]
            version = self.resolve_version(update["desiredMasterVersion"], "Master")
            cur, new = parse_version(current), parse_version(version)
            if new < cur:
                raise invalid(f'Master version "{version}" is older than the current master version "{current}"; '
                              "the master cannot be downgraded.")  # [inferred]
            if new[:2] > (cur[0], cur[1] + 1):
                raise invalid(f'Master cannot be upgraded from "{current}" to "{version}": upgrade one minor '
                              "version at a time.")  # [rest: cluster upgrades concept page] wording [inferred]
            others = {k: v for k, v in update.items() if k != "desiredMasterVersion"}
            if others:
                raise invalid("desired_master_version cannot be combined with other updates.")  # [inferred]

            def upgrade_master() -> None:
                cluster["currentMasterVersion"] = version

            return self.cluster_operation(req, key, cluster, "UPGRADE_MASTER", upgrade_master)
        pool_id = update.pop("desiredNodePoolId", "")
        if "desiredNodeVersion" in update or "desiredImageType" in update:
            pool = self.target_pool(cluster, pool_id, project, location)
            body = {"nodeVersion": update.pop("desiredNodeVersion", ""), "imageType": update.pop("desiredImageType", "")}
            if update:
                raise invalid("desired_node_version cannot be combined with other updates.")  # [inferred]
            changes = self.pool_changes(cluster, pool, body, location)
            return self.pool_upgrade(req, key, cluster, pool, changes)
        if "desiredNodePoolAutoscaling" in update:
            pool = self.target_pool(cluster, pool_id, project, location)
            autoscaling = update.pop("desiredNodePoolAutoscaling")
            self.check_autoscaling(autoscaling, None)

            def set_autoscaling() -> None:
                if autoscaling.get("enabled"):
                    pool["autoscaling"] = {"locationPolicy": "BALANCED", **autoscaling}
                    # the autoscaler brings the pool into its new limits
                    lo, hi = autoscaling.get("minNodeCount", 0), autoscaling.get("maxNodeCount", 0)
                    if hi:
                        pool["_nodeCount"] = min(max(pool["_nodeCount"], lo), hi)
                else:
                    pool.pop("autoscaling", None)
                self.refresh_cluster(cluster)

            if update:
                raise invalid("desired_node_pool_autoscaling cannot be combined with other updates.")  # [inferred]
            return self.cluster_operation(req, key, cluster, "UPDATE_CLUSTER", set_autoscaling)
        changes: dict[str, Any] = {}
        cluster_fields = gke_schema.FIELDS["Cluster"]
        for field, value in update.items():
            if field == "desiredLocations":
                self.check_zones(value, location, "update.desired_locations")
                if self.is_zone(location) and location not in value:
                    # "This list must always include the cluster's primary zone." [proto: SetLocationsRequest]
                    raise invalid(f'The locations must include the cluster\'s zone "{location}".')
                changes["locations"] = value
            elif field == "desiredReleaseChannel":
                changes["releaseChannel"] = value
            elif field.startswith("desired"):
                target = field[len("desired")].lower() + field[len("desired") + 1:]
                if target in cluster_fields:
                    changes[target] = value
                # desired_X without a Cluster field of that name: accepted and not modelled
            else:
                changes[field] = value

        def apply() -> None:
            for field, value in changes.items():
                cluster[field] = value
            if "locations" in changes:
                # "changing cluster locations will update the NodePool.Locations of all node pools" [proto]
                for pool in cluster["nodePools"]:
                    pool["locations"] = list(changes["locations"])
                    self.refresh_pool_links(self.base(req), project, pool)

        return self.cluster_operation(req, key, cluster, "UPDATE_CLUSTER", apply)

    def target_pool(self, cluster: dict[str, Any], pool_id: str, project: str, location: str) -> dict[str, Any]:
        if pool_id:
            return self.find_pool(cluster, project, location, pool_id)
        if len(cluster["nodePools"]) == 1:
            # "If there is only one pool in the cluster and desired_node_pool_id is not provided then
            # the change applies to that single node pool." [proto: ClusterUpdate.desired_node_pool_id]
            return cluster["nodePools"][0]
        raise invalid("desired_node_pool_id must be set when the cluster has more than one node pool.",
                      "update.desired_node_pool_id")  # [inferred]

    # ----- control API -----------------------------------------------------------------------
    def control(self, req: Request, action: str) -> Response | None:
        with self.lock:
            self.advance()
            if action == "drift" and req.method == "POST":
                return self.drift(req.json() or {})
            if action == "fail-operation":
                if req.method == "POST":
                    spec = req.json() or {}
                    specs = spec if isinstance(spec, list) else [spec]
                    for one in specs:
                        if not one.get("cluster"):
                            raise HttpError(400, "BadControlRequest", "fail-operation needs 'cluster'")
                        code = one.get("code", "INTERNAL")
                        if not isinstance(code, int) and code not in CODE_NUMBER:
                            raise HttpError(400, "BadControlRequest", f"unknown google.rpc.Code {code!r}")
                        self.failures.append({"times": 1, **one})
                    return Response(201, {"failures": [f for f in self.failures if f["times"] != 0]})
                if req.method == "DELETE":
                    self.failures.clear()
                    return Response(204)
                return Response(200, {"failures": [f for f in self.failures if f["times"] != 0]})
            if action == "settle" and req.method == "POST":
                count = 0
                for entry in self.operations.values():
                    if entry["op"]["status"] != "DONE":
                        self.finish(entry)
                        count += 1
                return Response(200, {"finished": count})
        return None

    def drift(self, spec: dict[str, Any]) -> Response:
        """``{"name": "projects/P/locations/L/clusters/C[/nodePools/N]", "set": {...}, "delete": true,
        "nodeCount": N}``: merge ``set`` (proto3 JSON of Cluster or NodePool) into the object,
        delete it, or change a node pool's node count per zone, with no operation."""
        m = re.fullmatch(r"projects/([^/]+)/locations/([^/]+)/clusters/([^/]+)(?:/nodePools/([^/]+))?", spec.get("name", ""))
        if not m:
            raise HttpError(400, "BadControlRequest", "drift needs name projects/P/locations/L/clusters/C[/nodePools/N]")
        project, location, cluster_name, pool_name = m.groups()
        key = (project, location, cluster_name)
        cluster = self.clusters.get(key)
        if cluster is None:
            raise HttpError(404, "NotFound", f"no cluster {spec['name']}")
        target, msg = cluster, "Cluster"
        if pool_name:
            target = next((p for p in cluster["nodePools"] if p["name"] == pool_name), None)
            if target is None:
                raise HttpError(404, "NotFound", f"no node pool {spec['name']}")
            msg = "NodePool"
        if spec.get("delete"):
            if pool_name:
                cluster["nodePools"] = [p for p in cluster["nodePools"] if p is not target]
                self.refresh_cluster(cluster)
            else:
                del self.clusters[key]
            return Response(200, {"deleted": spec["name"]})
        if "set" in spec:
            try:
                patch = parse_message(spec["set"], msg)
            except SchemaError as err:
                raise HttpError(400, "BadControlRequest", err.message) from None
            deep_merge(target, patch)
            if "resourceLabels" in patch and not pool_name:
                cluster["labelFingerprint"] = fingerprint(cluster.get("resourceLabels") or {})
        if "nodeCount" in spec:
            if not pool_name:
                raise HttpError(400, "BadControlRequest", "nodeCount applies to a node pool")
            target["_nodeCount"] = int(spec["nodeCount"])
        self.refresh_cluster(cluster)
        return Response(200, render(target, msg, False))


if __name__ == "__main__":
    main(Gke)
