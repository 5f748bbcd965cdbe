#!/usr/bin/env python3
"""Emulator of AWS IoT Greengrass V2 (``greengrass/v2``, restJson1, API version 2020-11-30).

The REST surface ``aws-sdk-greengrassv2`` (Rust) and boto3's ``greengrassv2`` speak, from AWS's
service model (botocore ``data/greengrassv2/2020-11-30/service-2.json``, abbreviated [model]) and
the API reference / developer guide pages each handler names. It also simulates a fleet of core
devices that pick up deployments at the IoT job rollout rate; see README.md for the wire
contract, the timing model and the control API.

Sources used throughout:

* [model] botocore's service model: paths, methods, status codes, members, enums, limits.
* [errors] restJson1 errors as both SDKs parse them: the code comes from the
  ``x-amzn-ErrorType`` header (botocore ``RestJSONParser._inject_error_code``; smithy-rs
  ``parse_error_metadata``: header first, then body ``code``/``__type``), the message from body
  ``message``. Bodies carry the members the model gives each exception (``resourceId``,
  ``resourceType``, ``fields``, ``reason``); ``Retry-After`` is ThrottlingException's
  ``retryAfterSeconds``.
* [dev-deploy] developer guide, "Deploy AWS IoT Greengrass components to devices" / "Create
  deployments" / "Revise deployments": one deployment per target; a new deployment to a target
  replaces the previous one and components missing from it are removed; a device runs the
  components of every deployment for it (its thing and each of its thing groups); a device
  added to a group receives the group's deployment.
* [api-*] the API reference page of the operation (CancelDeployment, DeleteDeployment, ...).
* [iot-jobs] AWS IoT job rollout (``maximumPerMinute``, exponential rate), abort criteria and
  in-progress timeouts, which the deployment's ``iotJobConfiguration`` configures.
* [nucleus] the device side (aws-greengrass-nucleus): deployment error codes
  (``DeploymentErrorCode``), detailed statuses (``FAILED_ROLLBACK_COMPLETE``, ...), version
  negotiation failures, failure handling policy ROLLBACK / DO_NOTHING.
* [aws-cli#6185] an observed GetDeployment response: a thing-group deployment stays ACTIVE
  while its devices fail (thing-group deployments are continuous jobs); timestamps are epoch
  seconds; ``x-amzn-RequestId`` on every answer.
"""

from __future__ import annotations

import base64
import copy
import datetime
import hashlib
import json
import math
import os
import re
import sys
import threading
import time
import traceback
import urllib.error
import urllib.parse
import urllib.request
import uuid
from dataclasses import dataclass, field
from typing import Any, Callable

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from common.emulator import Emulator, HttpError, Request, Response, main  # noqa: E402

import recipes  # noqa: E402

PREFIX = "/greengrass/v2"

COMPONENT_VERSION_ARN = re.compile(r"^arn:[^:]*:greengrass:[^:]*:(aws|[0-9]+):components:([^:]+):versions:([^:]+)$")
COMPONENT_ARN = re.compile(r"^arn:[^:]*:greengrass:[^:]*:(aws|[0-9]+):components:([^:]+)$")
GENERIC_ARN = re.compile(r"^arn:[^:]*:greengrass:[^:]*:(aws|[0-9]+):(components|deployments|coreDevices):(.*)$")
TARGET_ARN = re.compile(r"^arn:[^:]*:iot:([^:]*):([0-9]+):(thing|thinggroup)/(.+)$")
THING_GROUP_ARN = re.compile(r"^arn:[^:]*:iot:([^:]*):([0-9]+):thinggroup/(.+)$")
LAMBDA_ARN = re.compile(r"^arn:[^:]+:lambda:[^:]+:[0-9]+:function:([^:]+):([0-9]+)$")
CLIENT_TOKEN = re.compile(r"^[a-zA-Z0-9-]+$")

TERMINAL = ("SUCCEEDED", "COMPLETED", "FAILED", "TIMED_OUT", "CANCELED", "REJECTED")
EXECUTED = ("SUCCEEDED", "COMPLETED", "FAILED", "TIMED_OUT", "REJECTED")
IDEMPOTENCY_SECONDS = 8 * 3600  # [model] clientToken: "caches successful responses ... for up to 8 hours"


# ----- errors ------------------------------------------------------------------------------------

class AwsError(HttpError):
    """An AWS error: code in ``x-amzn-ErrorType``, ``{"message", ...members}`` body [errors]."""

    def __init__(self, status: int, code: str, message: str, headers: dict[str, str] | None = None, **members: Any):
        super().__init__(status, code, message, headers)
        self.members = {k: v for k, v in members.items() if v is not None}


def validation(message: str, fields: list[tuple[str, str]] | None = None, reason: str = "FIELD_VALIDATION_FAILED") -> AwsError:
    return AwsError(
        400, "ValidationException", message, reason=reason,
        fields=[{"name": n, "message": m} for n, m in (fields or [])] or None,
    )


def not_found(resource_id: str, resource_type: str, message: str | None = None) -> AwsError:
    return AwsError(404, "ResourceNotFoundException", message or f"{resource_type} {resource_id} not found.",
                    resourceId=resource_id, resourceType=resource_type)


def conflict(resource_id: str, resource_type: str, message: str) -> AwsError:
    return AwsError(409, "ConflictException", message, resourceId=resource_id, resourceType=resource_type)


class _ErrorDoc(dict):
    """An error body that remembers its code, so the ``x-amzn-ErrorType`` header can be added to
    injected faults too (the shared base builds their bodies through ``error_body``)."""

    code = ""


# The shared base names generic codes by status; AWS names them after the model's exceptions.
_AWS_CODES = {
    400: "ValidationException",
    401: "UnrecognizedClientException",
    403: "AccessDeniedException",
    404: "ResourceNotFoundException",
    409: "ConflictException",
    429: "ThrottlingException",
    500: "InternalServerException",
    502: "BadGatewayException",
    503: "ServiceUnavailableException",
    504: "GatewayTimeoutException",
}
_GENERIC_CODES = {"BadRequest", "Unauthorized", "Forbidden", "NotFound", "Conflict", "TooManyRequests",
                  "InternalServerError", "BadGateway", "ServiceUnavailable", "GatewayTimeout", "Error"}


class DeviceFailure(Exception):
    """A deployment that fails on a device before it changes anything (FAILED_NO_STATE_CHANGE)."""

    def __init__(self, message: str, error_stack: list[str], error_types: list[str]):
        super().__init__(message)
        self.message = message
        self.error_stack = error_stack
        self.error_types = error_types


# ----- the simulated clock ------------------------------------------------------------------------

class SimClock:
    """Simulated seconds: real seconds times ``time_scale``, plus whatever ``advance`` added."""

    def __init__(self) -> None:
        self._real0 = time.monotonic()
        self._sim0 = 0.0
        self.scale = 1.0

    def now(self) -> float:
        return self._sim0 + (time.monotonic() - self._real0) * self.scale

    def set_scale(self, scale: float) -> None:
        self._sim0 = self.now()
        self._real0 = time.monotonic()
        self.scale = scale

    def advance(self, seconds: float) -> None:
        self._sim0 += seconds


# ----- state -------------------------------------------------------------------------------------

@dataclass
class ComponentVersion:
    name: str
    version: str
    arn: str
    recipe: dict[str, Any]
    created: float  # wall clock (API timestamps)
    created_sim: float  # simulated clock (status transitions)
    fails_with: dict[str, str] = field(default_factory=dict)  # artifact URI → error; ends FAILED
    status_override: dict[str, Any] | None = None  # drift through the control API


@dataclass
class Execution:
    """One device's IoT job execution of one deployment (an EffectiveDeployment)."""

    deployment_id: str
    deployment_name: str
    target_arn: str
    job_id: str
    job_arn: str
    thing: str
    status: str
    created: float
    modified: float
    queued_sim: float
    window: int
    started_sim: float | None = None
    finish_sim: float | None = None
    reason: str | None = None
    detailed_status: str | None = None
    error_stack: list[str] | None = None
    error_types: list[str] | None = None


@dataclass
class Deployment:
    id: str
    target_arn: str
    target_kind: str  # thing | thinggroup
    target_name: str
    name: str | None
    components: dict[str, Any]
    policies: dict[str, Any] | None
    job_config: dict[str, Any] | None
    parent_target_arn: str | None
    created: float
    created_sim: float
    revision: int
    job_id: str
    job_arn: str
    status: str = "ACTIVE"
    is_latest: bool = True
    job_status: str = "IN_PROGRESS"  # the IoT job: IN_PROGRESS | CANCELED | COMPLETED
    job_reason: str | None = None
    pending: list[str] = field(default_factory=list)  # targeted devices not yet notified
    executions: dict[str, Execution] = field(default_factory=dict)
    rate: float | None = None  # notifications per simulated minute; None = no limit
    window: int = -1
    window_count: int = 0
    notified_since_increase: int = 0
    succeeded_since_increase: int = 0


@dataclass
class Installed:
    name: str
    version: str
    configuration: dict[str, Any]
    lifecycle_state: str
    is_root: bool
    last_status_change: float
    last_reported: float
    last_installation_source: str
    status_codes: list[str] = field(default_factory=list)
    state_details: str | None = None


@dataclass
class Device:
    thing: str
    platform: str
    architecture: str
    runtime: str
    core_version: str
    registered: float
    last_status_update: float
    connected: bool = True
    manual_groups: set[str] = field(default_factory=set)
    iot_groups: set[str] | None = None
    iot_error: str | None = None
    installed: dict[str, Installed] = field(default_factory=dict)
    slots: dict[str, dict[str, Any]] = field(default_factory=dict)  # target ARN → {deploymentId, components, kind, name}
    deployed_groups: set[str] = field(default_factory=set)  # groups with a successful deployment
    executions: list[Execution] = field(default_factory=list)
    busy: Execution | None = None

    def groups(self) -> set[str]:
        return set(self.manual_groups) | set(self.iot_groups or ())

    def status(self) -> str:
        # [model] CoreDeviceStatus: UNHEALTHY when the software or a component is in a failed state
        if any(c.lifecycle_state in ("BROKEN", "ERRORED") for c in self.installed.values()):
            return "UNHEALTHY"
        return "HEALTHY"


DEFAULT_SETTINGS: dict[str, Any] = {
    "region": "us-east-1",
    "account_id": "123456789012",
    "time_scale": 1.0,
    "iot_endpoint": None,
    "membership_refresh_seconds": 2.0,
    "pickup_seconds": 1.0,
    "install_seconds": 2.0,
    "component_initiated_seconds": 0.5,
    "component_deployable_seconds": 1.0,
    "nucleus_version": "2.14.0",
    "unreachable_artifacts": [],
    "failing_artifacts": [],
    "tick_seconds": 0.05,
    "verbose": False,
}


def _now() -> float:
    return round(time.time(), 3)


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


class Greengrass(Emulator):
    name = "greengrass"

    def __init__(self) -> None:
        super().__init__()
        self.settings.update(copy.deepcopy(DEFAULT_SETTINGS))
        self.clock = SimClock()
        self._reset_state()
        self._next_refresh = 0.0
        self._refresh_lock = threading.Lock()
        self._routes_()
        self._ticker = threading.Thread(target=self._loop, name="greengrass-fleet", daemon=True)
        self._ticker.start()

    def _reset_state(self) -> None:
        self.components: dict[str, dict[str, ComponentVersion]] = {}
        self.deployments: dict[str, Deployment] = {}
        self.devices: dict[str, Device] = {}
        self.tags: dict[str, dict[str, str]] = {}
        self.failures: list[dict[str, Any]] = []
        self.idempotency: dict[tuple[str, str], tuple[str, float, Response]] = {}
        self.revisions: dict[tuple[str, str], int] = {}

    # ----- what the shared base lets a cloud override ----------------------------------------------
    def error_body(self, status: int, code: str, message: str) -> Any:
        if code in _GENERIC_CODES:
            aws_code = _AWS_CODES.get(status, code)
            message = message.replace(f"injected fault: {code}", f"injected fault: {aws_code}")
            code = aws_code
        doc = _ErrorDoc(message=message)
        doc.code = code
        return doc

    def http_error(self, err: HttpError) -> Response:
        code = err.code
        if code in _GENERIC_CODES:
            code = _AWS_CODES.get(err.status, code)
        body = _ErrorDoc(message=err.message, **getattr(err, "members", {}))
        body.code = code
        return Response(err.status, body, dict(err.headers))

    def not_found(self, req: Request) -> HttpError:
        return AwsError(404, "UnknownOperationException", f"The emulator has no operation {req.method} {req.path}.")

    def reset(self) -> None:
        self._reset_state()
        self._next_refresh = 0.0

    def apply_settings(self, settings: dict[str, Any]) -> None:
        unknown = set(settings) - set(DEFAULT_SETTINGS)
        if unknown:
            raise HttpError(400, "UnknownSetting", f"unknown settings {sorted(unknown)}; known: {sorted(DEFAULT_SETTINGS)}")
        for key, value in settings.items():
            default = DEFAULT_SETTINGS[key]
            if key == "iot_endpoint":
                if value is not None and not (isinstance(value, str) and re.match(r"^https?://", value)):
                    raise HttpError(400, "BadSetting", "iot_endpoint must be an http(s) URL or null")
            elif key in ("unreachable_artifacts", "failing_artifacts"):
                if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
                    raise HttpError(400, "BadSetting", f"{key} must be a list of URI prefixes")
            elif isinstance(default, bool):
                if not isinstance(value, bool):
                    raise HttpError(400, "BadSetting", f"{key} must be true or false")
            elif isinstance(default, float):
                if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0:
                    raise HttpError(400, "BadSetting", f"{key} must be a number >= 0")
                if key in ("time_scale", "tick_seconds") and value <= 0:
                    raise HttpError(400, "BadSetting", f"{key} must be > 0")
            elif key == "account_id":
                if not (isinstance(value, str) and re.match(r"^[0-9]{12}$", value)):
                    raise HttpError(400, "BadSetting", "account_id must be 12 digits")
            elif not isinstance(value, str) or not value:
                raise HttpError(400, "BadSetting", f"{key} must be a non-empty string")
        with self.lock:
            for key, value in settings.items():
                if key == "time_scale":
                    self.clock.set_scale(float(value))
                if key == "iot_endpoint":
                    self._next_refresh = 0.0
                self.settings[key] = float(value) if isinstance(DEFAULT_SETTINGS[key], float) else value

    def dispatch(self, req: Request) -> Response:
        if req.path.startswith("/_emulator/"):
            return super().dispatch(req)
        # SigV4 is required; the signature itself is not verified. A request without an
        # Authorization header gets API Gateway's answer (Greengrass V2 sits behind API Gateway:
        # x-amz-apigw-id in [aws-cli#6185]).
        if not req.header("authorization"):
            response = self.http_error(AwsError(403, "MissingAuthenticationTokenException", "Missing Authentication Token"))
        else:
            response = super().dispatch(req)
        if isinstance(response.body, _ErrorDoc):
            response.headers.setdefault("x-amzn-ErrorType", response.body.code)
            if response.status == 429:
                response.headers.setdefault("Retry-After", "1")
        response.headers.setdefault("x-amzn-RequestId", str(uuid.uuid4()))
        return response

    # ----- routing ------------------------------------------------------------------------------
    def _api(self, method: str, pattern: str) -> Callable[[Callable[..., Response]], Callable[..., Response]]:
        def register(handler: Callable[..., Response]) -> Callable[..., Response]:
            def run(req: Request, **groups: str) -> Response:
                groups = {k: urllib.parse.unquote(v) for k, v in groups.items()}
                try:
                    return handler(req, **groups)
                except HttpError:
                    raise
                except Exception as exc:  # an emulator bug: AWS's 500, with the trace on stderr
                    traceback.print_exc()
                    raise AwsError(500, "InternalServerException", f"emulator bug: {exc!r}") from exc

            self.route(method, pattern)(run)
            return handler

        return register

    def _routes_(self) -> None:
        api = self._api
        api("POST", PREFIX + r"/createComponentVersion")(self.create_component_version)
        api("GET", PREFIX + r"/components")(self.list_components)
        api("GET", PREFIX + r"/components/(?P<arn>[^/]+)/metadata")(self.describe_component)
        api("GET", PREFIX + r"/components/(?P<arn>[^/]+)/versions")(self.list_component_versions)
        api("GET", PREFIX + r"/components/(?P<arn>[^/]+)")(self.get_component)
        api("DELETE", PREFIX + r"/components/(?P<arn>[^/]+)")(self.delete_component)
        api("POST", PREFIX + r"/deployments")(self.create_deployment)
        api("GET", PREFIX + r"/deployments")(self.list_deployments)
        api("GET", PREFIX + r"/deployments/(?P<deployment_id>[^/]+)")(self.get_deployment)
        api("DELETE", PREFIX + r"/deployments/(?P<deployment_id>[^/]+)")(self.delete_deployment)
        api("POST", PREFIX + r"/deployments/(?P<deployment_id>[^/]+)/cancel")(self.cancel_deployment)
        api("GET", PREFIX + r"/coreDevices")(self.list_core_devices)
        api("GET", PREFIX + r"/coreDevices/(?P<thing>[^/]+)")(self.get_core_device)
        api("DELETE", PREFIX + r"/coreDevices/(?P<thing>[^/]+)")(self.delete_core_device)
        api("GET", PREFIX + r"/coreDevices/(?P<thing>[^/]+)/effectiveDeployments")(self.list_effective_deployments)
        api("GET", PREFIX + r"/coreDevices/(?P<thing>[^/]+)/installedComponents")(self.list_installed_components)
        api("POST", r"/tags/(?P<arn>[^/]+)")(self.tag_resource)
        api("DELETE", r"/tags/(?P<arn>[^/]+)")(self.untag_resource)
        api("GET", r"/tags/(?P<arn>[^/]+)")(self.list_tags_for_resource)
        # In the model but outside what this emulator simulates: a clear 501 instead of a 404.
        for method, pattern in (
            ("GET", PREFIX + r"/components/[^/]+/artifacts/.+"),
            ("POST", PREFIX + r"/resolveComponentCandidates"),
            ("POST", PREFIX + r"/coreDevices/[^/]+/(associateClientDevices|disassociateClientDevices)"),
            ("GET", PREFIX + r"/coreDevices/[^/]+/associatedClientDevices"),
            ("GET", r"/greengrass/servicerole"), ("PUT", r"/greengrass/servicerole"), ("DELETE", r"/greengrass/servicerole"),
            ("GET", r"/greengrass/things/[^/]+/connectivityInfo"), ("PUT", r"/greengrass/things/[^/]+/connectivityInfo"),
        ):
            api(method, pattern)(self._not_emulated)

    def _not_emulated(self, req: Request, **_: str) -> Response:
        raise AwsError(501, "NotImplementedException", f"{req.method} {req.path} is in the Greengrass V2 API but not emulated.")

    # ----- helpers ------------------------------------------------------------------------------
    @property
    def account(self) -> str:
        return self.settings["account_id"]

    @property
    def region(self) -> str:
        return self.settings["region"]

    def _component_arn(self, name: str) -> str:
        return f"arn:aws:greengrass:{self.region}:{self.account}:components:{name}"

    def _version_arn(self, name: str, version: str) -> str:
        return f"{self._component_arn(name)}:versions:{version}"

    def _deployment_arn(self, deployment_id: str) -> str:
        return f"arn:aws:greengrass:{self.region}:{self.account}:deployments:{deployment_id}"

    def _device_arn(self, thing: str) -> str:
        return f"arn:aws:greengrass:{self.region}:{self.account}:coreDevices:{thing}"

    def _group_arn(self, group: str) -> str:
        return f"arn:aws:iot:{self.region}:{self.account}:thinggroup/{group}"

    def _body(self, req: Request) -> dict[str, Any]:
        try:
            body = req.json()
        except HttpError as exc:
            raise validation(exc.message, reason="CANNOT_PARSE") from exc
        if body is None:
            return {}
        if not isinstance(body, dict):
            raise validation("The request body must be a JSON object.", reason="CANNOT_PARSE")
        return body

    def _page(self, req: Request, items: list[Any], default_max: int = 50) -> tuple[list[Any], str | None]:
        raw_max = req.arg("maxResults")
        size = default_max
        if raw_max is not None:
            if not re.match(r"^-?[0-9]+$", raw_max) or not 1 <= int(raw_max) <= 100:
                raise validation("maxResults must be between 1 and 100.", [("maxResults", "must be between 1 and 100")])
            size = int(raw_max)
        offset = 0
        token = req.arg("nextToken")
        if token:
            try:
                offset = int(json.loads(base64.urlsafe_b64decode(token.encode()).decode())["offset"])
            except (ValueError, KeyError, TypeError) as exc:
                raise validation("The nextToken is not valid.", [("nextToken", "not a token this API returned")]) from exc
        page = items[offset:offset + size]
        nxt = None
        if offset + size < len(items):
            nxt = base64.urlsafe_b64encode(json.dumps({"offset": offset + size}).encode()).decode()
        return page, nxt

    def _check_tags(self, tags: Any, field_name: str = "tags") -> dict[str, str]:
        if tags is None:
            return {}
        if not isinstance(tags, dict):
            raise validation(f"{field_name} must be a map.", [(field_name, "must be a map of strings")])
        if not 1 <= len(tags) <= 200:
            raise validation(f"{field_name} must have 1 to 200 entries.", [(field_name, "must have 1 to 200 entries")])
        for key, value in tags.items():
            if not isinstance(key, str) or not 1 <= len(key) <= 128 or key.lower().startswith("aws:"):
                raise validation(f"Tag key {key!r} is not valid.", [(field_name, "keys are 1-128 characters and may not start with aws:")])
            if not isinstance(value, str) or len(value) > 256:
                raise validation(f"Tag value for {key!r} is not valid.", [(field_name, "values are at most 256 characters")])
        return dict(tags)

    def _idempotent(self, op: str, body: dict[str, Any], create: Callable[[], Response]) -> Response:
        """[model] clientToken: the same token returns the cached successful response."""
        token = body.get("clientToken")
        if token is None:
            return create()
        if not isinstance(token, str) or not 1 <= len(token) <= 64 or not CLIENT_TOKEN.match(token):
            raise validation("clientToken must be 1-64 characters of [a-zA-Z0-9-].", [("clientToken", "pattern ^[a-zA-Z0-9-]+$")])
        fingerprint = hashlib.sha256(json.dumps({k: v for k, v in body.items() if k != "clientToken"}, sort_keys=True).encode()).hexdigest()
        with self.lock:
            cached = self.idempotency.get((op, token))
            if cached and time.time() - cached[1] < IDEMPOTENCY_SECONDS:
                if cached[0] != fingerprint:
                    raise conflict(token, "ClientToken", f"The client token {token} was already used with different request parameters.")
                return Response(cached[2].status, copy.deepcopy(cached[2].body))
            response = create()
            self.idempotency[(op, token)] = (fingerprint, time.time(), Response(response.status, copy.deepcopy(response.body)))
            return response

    # ----- component versions -------------------------------------------------------------------
    def _component_status(self, cv: ComponentVersion) -> dict[str, Any]:
        """REQUESTED → INITIATED → DEPLOYABLE (or FAILED with ``errors``), [model]
        CloudComponentState, timed by the component_*_seconds settings."""
        if cv.status_override is not None:
            return copy.deepcopy(cv.status_override)
        elapsed = self.clock.now() - cv.created_sim
        initiated = self.settings["component_initiated_seconds"]
        deployable = max(initiated, self.settings["component_deployable_seconds"])
        status: dict[str, Any] = {"componentState": "REQUESTED", "message": "NONE", "errors": {}}
        if elapsed >= initiated:
            status["componentState"] = "INITIATED"
        if elapsed >= deployable:
            if cv.fails_with:
                status.update(componentState="FAILED", message="The component version failed to process its artifacts.", errors=dict(cv.fails_with))
            else:
                status.update(componentState="DEPLOYABLE", vendorGuidance="ACTIVE", vendorGuidanceMessage="NONE")
        return status

    def _find_version(self, arn: str, field_name: str = "arn") -> ComponentVersion:
        m = COMPONENT_VERSION_ARN.match(arn)
        if not m:
            raise validation(f"{arn} is not a component version ARN.", [(field_name, "must match arn:aws:greengrass:REGION:ACCOUNT:components:NAME:versions:VERSION")])
        account, name, version = m.groups()
        with self.lock:
            cv = self.components.get(name, {}).get(version) if account == self.account else None
        if cv is None:
            raise not_found(arn, "ComponentVersion", f"Component version {name}:{version} (ARN {arn}) was not found.")
        return cv

    def create_component_version(self, req: Request) -> Response:
        """[api-CreateComponentVersion] POST /greengrass/v2/createComponentVersion → 201."""
        body = self._body(req)
        tags = self._check_tags(body.get("tags"))
        has_recipe, has_lambda = body.get("inlineRecipe") is not None, body.get("lambdaFunction") is not None
        if has_recipe == has_lambda:
            raise validation("You must specify either inlineRecipe or lambdaFunction.", [("inlineRecipe", "exactly one of inlineRecipe and lambdaFunction")])
        try:
            if has_recipe:
                if not isinstance(body["inlineRecipe"], str):
                    raise validation("inlineRecipe must be a base64 blob.", [("inlineRecipe", "base64")], "CANNOT_PARSE")
                try:
                    raw = base64.b64decode(body["inlineRecipe"], validate=True)
                except ValueError as exc:
                    raise validation("inlineRecipe is not valid base64.", [("inlineRecipe", "base64")], "CANNOT_PARSE") from exc
                doc, _fmt = recipes.parse(raw)
                recipe = recipes.normalize(doc)
            else:
                recipe = self._lambda_recipe(body["lambdaFunction"])
        except recipes.RecipeError as exc:
            raise validation(f"Invalid recipe: {exc.message}", [(f"inlineRecipe.{exc.field}" if exc.field and exc.field != "inlineRecipe" else "inlineRecipe", exc.message)], exc.reason) from exc
        # [api-CreateComponentVersion] the service checks that it can reach each artifact; the
        # unreachable_artifacts setting names URI prefixes it cannot (message as AWS words it).
        uris = [a["URI"] for m in recipe.get("Manifests", []) for a in m.get("Artifacts", [])]
        bad = [u for u in uris if any(u.startswith(p) for p in self.settings["unreachable_artifacts"])]
        if bad:
            errors = ", ".join(f"{u} = Specified artifact resource cannot be accessed" for u in bad)
            raise validation(f"Invalid Input: Encountered following errors in Artifacts: {{{errors}}}", [("inlineRecipe", "artifacts cannot be accessed")])
        name, version = recipe["ComponentName"], recipe["ComponentVersion"]

        def create() -> Response:
            with self.lock:
                if version in self.components.get(name, {}):
                    # wording of the service's answer, as seen in aws-greengrass-testing#207
                    raise conflict(self._version_arn(name, version), "ComponentVersion",
                                   f"Component [{name} : {version}] for account [{self.account}] already exists and can't be created again.")
                cv = ComponentVersion(
                    name=name, version=version, arn=self._version_arn(name, version), recipe=recipe,
                    created=_now(), created_sim=self.clock.now(),
                    fails_with={u: "Specified artifact resource cannot be accessed" for u in uris
                                if any(u.startswith(p) for p in self.settings["failing_artifacts"])},
                )
                self.components.setdefault(name, {})[version] = cv
                if tags:
                    self.tags[cv.arn] = dict(tags)
                return Response(201, {
                    "arn": cv.arn, "componentName": name, "componentVersion": version,
                    "creationTimestamp": cv.created, "status": self._component_status(cv),
                })

        return self._idempotent("CreateComponentVersion", body, create)

    def _lambda_recipe(self, source: Any) -> dict[str, Any]:
        """[model] LambdaFunctionRecipeSource: a recipe of type aws.greengrass.lambda. The
        function's ARN must carry its version; name and version default to the function's."""
        if not isinstance(source, dict) or not isinstance(source.get("lambdaArn"), str):
            raise recipes.RecipeError("lambdaFunction.lambdaArn is required.", "lambdaFunction.lambdaArn")
        m = LAMBDA_ARN.match(source["lambdaArn"])
        if not m:
            raise recipes.RecipeError("lambdaArn must be the ARN of a published function version (no alias, no $LATEST).", "lambdaFunction.lambdaArn")
        name = source.get("componentName") or m.group(1)
        version = source.get("componentVersion") or f"{m.group(2)}.0.0"
        recipes.check_component_name(name, "lambdaFunction.componentName")
        recipes.check_version(version, "lambdaFunction.componentVersion")
        manifests = []
        for platform in source.get("componentPlatforms") or []:
            manifests.append({**({"Name": platform["name"]} if platform.get("name") else {}), "Platform": dict(platform.get("attributes") or {})})
        recipe: dict[str, Any] = {
            "RecipeFormatVersion": recipes.RECIPE_FORMAT_VERSION, "ComponentName": name, "ComponentVersion": version,
            "ComponentType": "aws.greengrass.lambda", "ComponentSource": source["lambdaArn"],
            "Manifests": manifests or [{"Platform": {"os": "linux"}}],
        }
        deps = source.get("componentDependencies") or {}
        if deps:
            recipe["ComponentDependencies"] = {
                k: {"VersionRequirement": v.get("versionRequirement", "*"), "DependencyType": v.get("dependencyType", "HARD")}
                for k, v in deps.items()
            }
        if source.get("componentLambdaParameters"):
            recipe["ComponentConfiguration"] = {"DefaultConfiguration": {"lambdaExecutionParameters": source["componentLambdaParameters"]}}
        return recipe

    def _platforms(self, recipe: dict[str, Any]) -> list[dict[str, Any]]:
        out = []
        for manifest in recipe.get("Manifests", []):
            entry: dict[str, Any] = {"attributes": dict(manifest.get("Platform") or {})}
            if manifest.get("Name"):
                entry["name"] = manifest["Name"]
            out.append(entry)
        return out

    def describe_component(self, req: Request, arn: str) -> Response:
        """[api-DescribeComponent] GET /greengrass/v2/components/{arn}/metadata."""
        cv = self._find_version(arn)
        with self.lock:
            body = {
                "arn": cv.arn, "componentName": cv.name, "componentVersion": cv.version,
                "creationTimestamp": cv.created, "status": self._component_status(cv),
                "platforms": self._platforms(cv.recipe), "tags": dict(self.tags.get(cv.arn, {})),
            }
            for key, member in (("ComponentPublisher", "publisher"), ("ComponentDescription", "description")):
                if cv.recipe.get(key):
                    body[member] = cv.recipe[key]
        return Response(200, body)

    def get_component(self, req: Request, arn: str) -> Response:
        """[api-GetComponent] the recipe as the service stores it (normalised: canonical key
        spelling, ComponentType and artifact defaults filled in), base64, in recipeOutputFormat
        (JSON when omitted: the reference names no default)."""
        fmt = req.arg("recipeOutputFormat") or "JSON"
        if fmt not in ("JSON", "YAML"):
            raise validation("recipeOutputFormat must be JSON or YAML.", [("recipeOutputFormat", "JSON | YAML")])
        cv = self._find_version(arn)
        with self.lock:
            tags = dict(self.tags.get(cv.arn, {}))
        return Response(200, {"recipeOutputFormat": fmt, "recipe": _b64(recipes.serialize(cv.recipe, fmt)), "tags": tags})

    def list_components(self, req: Request) -> Response:
        """[api-ListComponents] scope PRIVATE (default) lists this account's components; the
        emulator has no public catalog, so PUBLIC is empty. latestVersion is the highest version."""
        scope = req.arg("scope") or "PRIVATE"
        if scope not in ("PRIVATE", "PUBLIC"):
            raise validation("scope must be PRIVATE or PUBLIC.", [("scope", "PRIVATE | PUBLIC")])
        items = []
        with self.lock:
            if scope == "PRIVATE":
                for name in sorted(self.components):
                    versions = self.components[name]
                    if not versions:
                        continue
                    latest = versions[max(versions, key=recipes.version_key)]
                    item_latest: dict[str, Any] = {
                        "arn": latest.arn, "componentVersion": latest.version, "creationTimestamp": latest.created,
                        "platforms": self._platforms(latest.recipe),
                    }
                    if latest.recipe.get("ComponentDescription"):
                        item_latest["description"] = latest.recipe["ComponentDescription"]
                    if latest.recipe.get("ComponentPublisher"):
                        item_latest["publisher"] = latest.recipe["ComponentPublisher"]
                    items.append({"arn": self._component_arn(name), "componentName": name, "latestVersion": item_latest})
        page, nxt = self._page(req, items)
        return Response(200, {"components": page, **({"nextToken": nxt} if nxt else {})})

    def list_component_versions(self, req: Request, arn: str) -> Response:
        """[api-ListComponentVersions] newest version first; 404 for a component with none."""
        m = COMPONENT_ARN.match(arn)
        if not m:
            raise validation(f"{arn} is not a component ARN.", [("arn", "must match arn:aws:greengrass:REGION:ACCOUNT:components:NAME")])
        account, name = m.groups()
        with self.lock:
            versions = self.components.get(name, {}) if account == self.account else {}
            items = [{"componentName": cv.name, "componentVersion": cv.version, "arn": cv.arn}
                     for cv in sorted(versions.values(), key=lambda c: recipes.version_key(c.version), reverse=True)]
        if not items:
            raise not_found(arn, "Component", f"Component {name} (ARN {arn}) was not found.")
        page, nxt = self._page(req, items)
        return Response(200, {"componentVersions": page, **({"nextToken": nxt} if nxt else {})})

    def delete_component(self, req: Request, arn: str) -> Response:
        """[api-DeleteComponent] deletes one version; deployments that use it then fail on the
        devices that still need it (they cannot resolve it)."""
        cv = self._find_version(arn)
        with self.lock:
            self.components.get(cv.name, {}).pop(cv.version, None)
            if not self.components.get(cv.name):
                self.components.pop(cv.name, None)
            self.tags.pop(cv.arn, None)
        return Response(204)

    # ----- deployments ---------------------------------------------------------------------------
    def _validate_deployment(self, body: dict[str, Any]) -> None:
        target = body.get("targetArn")
        if not isinstance(target, str) or not TARGET_ARN.match(target):
            raise validation("targetArn must be the ARN of an IoT thing or thing group.",
                             [("targetArn", "must match arn:aws:iot:REGION:ACCOUNT:(thing|thinggroup)/NAME")])
        name = body.get("deploymentName")
        if name is not None and (not isinstance(name, str) or not 1 <= len(name) <= 256):
            raise validation("deploymentName must be 1-256 characters.", [("deploymentName", "1-256 characters")])
        parent = body.get("parentTargetArn")
        if parent is not None and (not isinstance(parent, str) or not THING_GROUP_ARN.match(parent)):
            raise validation("parentTargetArn must be a thing group ARN.", [("parentTargetArn", "thing group ARN")])
        comps = body.get("components") or {}
        if not isinstance(comps, dict):
            raise validation("components must be a map.", [("components", "map of name to specification")])
        for cname, spec in comps.items():
            where = f"components.{cname}"
            if not cname:
                raise validation("Component names may not be empty.", [("components", "empty key")])
            if not isinstance(spec, dict) or not isinstance(spec.get("componentVersion"), str) or not 1 <= len(spec["componentVersion"]) <= 64:
                raise validation(f"{where}.componentVersion is required (1-64 characters).", [(f"{where}.componentVersion", "required")])
            update = spec.get("configurationUpdate")
            if update is not None:
                if not isinstance(update, dict):
                    raise validation(f"{where}.configurationUpdate must be an object.", [(f"{where}.configurationUpdate", "object")])
                merge = update.get("merge")
                if merge is not None:
                    try:
                        parsed = json.loads(merge) if isinstance(merge, str) and merge else None
                    except ValueError:
                        parsed = None
                    if not isinstance(parsed, dict):
                        raise validation(f"{where}.configurationUpdate.merge must be a serialized JSON object.",
                                         [(f"{where}.configurationUpdate.merge", "serialized JSON object")])
                for pointer in update.get("reset") or []:
                    if not isinstance(pointer, str) or len(pointer) > 256 or (pointer and not pointer.startswith("/")):
                        raise validation(f"{where}.configurationUpdate.reset holds {pointer!r}, not a JSON pointer.",
                                         [(f"{where}.configurationUpdate.reset", "JSON pointers (empty or starting with /)")])
            run_with = spec.get("runWith")
            if run_with is not None:
                limits = run_with.get("systemResourceLimits") if isinstance(run_with, dict) else None
                if not isinstance(run_with, dict) or (limits is not None and (
                        not isinstance(limits, dict)
                        or (limits.get("memory") is not None and (not isinstance(limits["memory"], int) or limits["memory"] < 0))
                        or (limits.get("cpus") is not None and (not isinstance(limits["cpus"], (int, float)) or limits["cpus"] < 0)))):
                    raise validation(f"{where}.runWith is not valid.", [(f"{where}.runWith", "posixUser, windowsUser, systemResourceLimits{memory>=0, cpus>=0}")])
        policies = body.get("deploymentPolicies")
        if policies is not None:
            if not isinstance(policies, dict):
                raise validation("deploymentPolicies must be an object.", [("deploymentPolicies", "object")])
            fhp = policies.get("failureHandlingPolicy")
            if fhp is not None and fhp not in ("ROLLBACK", "DO_NOTHING"):
                raise validation("failureHandlingPolicy must be ROLLBACK or DO_NOTHING.", [("deploymentPolicies.failureHandlingPolicy", "ROLLBACK | DO_NOTHING")])
            action = (policies.get("componentUpdatePolicy") or {}).get("action")
            if action is not None and action not in ("NOTIFY_COMPONENTS", "SKIP_NOTIFY_COMPONENTS"):
                raise validation("componentUpdatePolicy.action must be NOTIFY_COMPONENTS or SKIP_NOTIFY_COMPONENTS.",
                                 [("deploymentPolicies.componentUpdatePolicy.action", "NOTIFY_COMPONENTS | SKIP_NOTIFY_COMPONENTS")])
        self._validate_job_config(body.get("iotJobConfiguration"))
        self._check_tags(body.get("tags"))

    def _validate_job_config(self, job: Any) -> None:
        """[model] ranges of DeploymentIoTJobConfiguration."""
        if job is None:
            return
        f = "iotJobConfiguration"
        if not isinstance(job, dict):
            raise validation(f"{f} must be an object.", [(f, "object")])

        def bad(path: str, rule: str) -> AwsError:
            return validation(f"{f}.{path} is not valid: {rule}.", [(f"{f}.{path}", rule)])

        def number(value: Any) -> bool:
            return isinstance(value, (int, float)) and not isinstance(value, bool)

        rollout = job.get("jobExecutionsRolloutConfig")
        if rollout is not None:
            mpm = rollout.get("maximumPerMinute")
            if mpm is not None and (not isinstance(mpm, int) or not 1 <= mpm <= 1000):
                raise bad("jobExecutionsRolloutConfig.maximumPerMinute", "an integer 1-1000")
            exp = rollout.get("exponentialRate")
            if exp is not None:
                base = exp.get("baseRatePerMinute")
                if not isinstance(base, int) or not 1 <= base <= 1000:
                    raise bad("jobExecutionsRolloutConfig.exponentialRate.baseRatePerMinute", "an integer 1-1000")
                factor = exp.get("incrementFactor")
                if not number(factor) or not 1 <= factor <= 5 or round(factor, 1) != factor:
                    raise bad("jobExecutionsRolloutConfig.exponentialRate.incrementFactor", "1-5 with at most one decimal")
                crit = exp.get("rateIncreaseCriteria")
                if not isinstance(crit, dict) or sum(1 for k in ("numberOfNotifiedThings", "numberOfSucceededThings") if crit.get(k) is not None) != 1:
                    raise bad("jobExecutionsRolloutConfig.exponentialRate.rateIncreaseCriteria", "exactly one of numberOfNotifiedThings, numberOfSucceededThings")
                for k in ("numberOfNotifiedThings", "numberOfSucceededThings"):
                    if crit.get(k) is not None and (not isinstance(crit[k], int) or crit[k] < 1):
                        raise bad(f"jobExecutionsRolloutConfig.exponentialRate.rateIncreaseCriteria.{k}", "an integer >= 1")
        abort = job.get("abortConfig")
        if abort is not None:
            criteria = abort.get("criteriaList")
            if not isinstance(criteria, list) or not criteria:
                raise bad("abortConfig.criteriaList", "at least one criterion")
            for i, c in enumerate(criteria):
                p = f"abortConfig.criteriaList[{i}]"
                if not isinstance(c, dict):
                    raise bad(p, "an object")
                if c.get("failureType") not in ("FAILED", "REJECTED", "TIMED_OUT", "ALL"):
                    raise bad(f"{p}.failureType", "FAILED | REJECTED | TIMED_OUT | ALL")
                if c.get("action") != "CANCEL":
                    raise bad(f"{p}.action", "CANCEL")
                t = c.get("thresholdPercentage")
                if not number(t) or not 0 <= t <= 100 or round(t, 2) != t:
                    raise bad(f"{p}.thresholdPercentage", "0-100 with at most two decimals")
                n = c.get("minNumberOfExecutedThings")
                if not isinstance(n, int) or n < 1:
                    raise bad(f"{p}.minNumberOfExecutedThings", "an integer >= 1")
        timeout = job.get("timeoutConfig")
        if timeout is not None:
            minutes = timeout.get("inProgressTimeoutInMinutes")
            if minutes is not None and (not isinstance(minutes, int) or not 1 <= minutes <= 10080):
                raise bad("timeoutConfig.inProgressTimeoutInMinutes", "1-10080 minutes")

    def _check_target_exists(self, target_arn: str) -> None:
        """With an IoT endpoint, the target must exist there (404 otherwise)."""
        endpoint = self.settings["iot_endpoint"]
        if not endpoint:
            return
        region, _account, kind, name = TARGET_ARN.match(target_arn).groups()  # type: ignore[union-attr]
        path = f"/thing-groups/{urllib.parse.quote(name, safe='')}" if kind == "thinggroup" else f"/things/{urllib.parse.quote(name, safe='')}"
        try:
            found = self._iot("GET", path, region or self.region)
        except OSError as exc:
            raise AwsError(500, "InternalServerException", f"The emulator could not reach the IoT endpoint {endpoint}: {exc}") from exc
        if found is None:
            raise not_found(target_arn, "ThingGroup" if kind == "thinggroup" else "Thing",
                            f"The deployment target {target_arn} does not exist in AWS IoT.")

    def create_deployment(self, req: Request) -> Response:
        """[api-CreateDeployment] POST /greengrass/v2/deployments → 201 {deploymentId, iotJobId,
        iotJobArn}. The previous deployment for the target becomes INACTIVE and
        isLatestForTarget false; its devices not yet notified get only the new one [dev-deploy]."""
        body = self._body(req)
        self._validate_deployment(body)
        self._check_target_exists(body["targetArn"])
        if self.settings["iot_endpoint"]:
            self._refresh_membership()

        def create() -> Response:
            with self.lock:
                _region, _account, kind, tname = TARGET_ARN.match(body["targetArn"]).groups()  # type: ignore[union-attr]
                key = (kind, tname)
                revision = self.revisions.get(key, 0) + 1
                self.revisions[key] = revision
                job_id = str(uuid.uuid4())
                dep = Deployment(
                    id=str(uuid.uuid4()), target_arn=body["targetArn"], target_kind=kind, target_name=tname,
                    name=body.get("deploymentName"), components=copy.deepcopy(body.get("components") or {}),
                    policies=copy.deepcopy(body.get("deploymentPolicies")),
                    job_config=copy.deepcopy(body.get("iotJobConfiguration")),
                    parent_target_arn=body.get("parentTargetArn"), created=_now(), created_sim=self.clock.now(),
                    revision=revision, job_id=job_id, job_arn=f"arn:aws:iot:{self.region}:{self.account}:job/{job_id}",
                )
                rollout = (dep.job_config or {}).get("jobExecutionsRolloutConfig") or {}
                if rollout.get("exponentialRate"):
                    dep.rate = float(rollout["exponentialRate"]["baseRatePerMinute"])
                    if rollout.get("maximumPerMinute"):
                        dep.rate = min(dep.rate, float(rollout["maximumPerMinute"]))
                elif rollout.get("maximumPerMinute"):
                    dep.rate = float(rollout["maximumPerMinute"])
                for old in self.deployments.values():
                    if old.is_latest and (old.target_kind, old.target_name) == key:
                        self._supersede(old)
                self.deployments[dep.id] = dep
                if body.get("tags"):
                    self.tags[self._deployment_arn(dep.id)] = dict(body["tags"])
                self._advance(self.clock.now())
                return Response(201, {"deploymentId": dep.id, "iotJobId": dep.job_id, "iotJobArn": dep.job_arn})

        return self._idempotent("CreateDeployment", body, create)

    def _supersede(self, old: Deployment) -> None:
        old.is_latest = False
        if old.status == "ACTIVE":
            old.status = "INACTIVE"
        if old.job_status == "IN_PROGRESS":
            self._cancel_job(old, "superseded by a newer deployment to the same target")

    def _cancel_job(self, dep: Deployment, reason: str) -> None:
        """The IoT job is canceled: devices not yet notified never get it and QUEUED executions
        are CANCELED; executions already IN_PROGRESS run to their end [api-CancelDeployment]."""
        dep.job_status = "CANCELED"
        dep.job_reason = reason
        dep.pending = []
        wall = _now()
        for ex in dep.executions.values():
            if ex.status == "QUEUED":
                ex.status = "CANCELED"
                ex.modified = wall
                ex.reason = reason

    def _find_deployment(self, deployment_id: str) -> Deployment:
        dep = self.deployments.get(deployment_id)
        if dep is None:
            raise not_found(deployment_id, "Deployment", f"Deployment {deployment_id} was not found.")
        return dep

    def _deployment_summary(self, dep: Deployment) -> dict[str, Any]:
        out: dict[str, Any] = {
            "targetArn": dep.target_arn, "revisionId": str(dep.revision), "deploymentId": dep.id,
            "creationTimestamp": dep.created, "deploymentStatus": dep.status, "isLatestForTarget": dep.is_latest,
        }
        if dep.name is not None:
            out["deploymentName"] = dep.name
        if dep.parent_target_arn:
            out["parentTargetArn"] = dep.parent_target_arn
        return out

    def get_deployment(self, req: Request, deployment_id: str) -> Response:
        """[api-GetDeployment] deploymentStatus: ACTIVE while the IoT job runs (a thing-group
        deployment is continuous and stays ACTIVE, [aws-cli#6185]); a thing deployment ends
        COMPLETED (or FAILED when its device failed); CANCELED after CancelDeployment or an abort;
        INACTIVE once a newer deployment replaced it."""
        with self.lock:
            self._advance(self.clock.now())
            dep = self._find_deployment(deployment_id)
            body = self._deployment_summary(dep)
            body.update(iotJobId=dep.job_id, iotJobArn=dep.job_arn, components=copy.deepcopy(dep.components),
                        tags=dict(self.tags.get(self._deployment_arn(dep.id), {})))
            if dep.policies is not None:
                body["deploymentPolicies"] = copy.deepcopy(dep.policies)
            if dep.job_config is not None:
                body["iotJobConfiguration"] = copy.deepcopy(dep.job_config)
        return Response(200, body)

    def list_deployments(self, req: Request) -> Response:
        """[api-ListDeployments] historyFilter LATEST_ONLY (the default) or ALL; newest first."""
        history = req.arg("historyFilter") or "LATEST_ONLY"
        if history not in ("ALL", "LATEST_ONLY"):
            raise validation("historyFilter must be ALL or LATEST_ONLY.", [("historyFilter", "ALL | LATEST_ONLY")])
        target = req.arg("targetArn")
        target_key = None
        if target is not None:
            m = TARGET_ARN.match(target)
            if not m:
                raise validation("targetArn must be the ARN of an IoT thing or thing group.", [("targetArn", "thing or thing group ARN")])
            target_key = (m.group(3), m.group(4))
        parent = req.arg("parentTargetArn")
        with self.lock:
            self._advance(self.clock.now())
            deps = [d for d in self.deployments.values()
                    if (history == "ALL" or d.is_latest)
                    and (target_key is None or (d.target_kind, d.target_name) == target_key)
                    and (parent is None or d.parent_target_arn == parent)]
            deps.sort(key=lambda d: (d.created_sim, d.revision), reverse=True)
            items = [self._deployment_summary(d) for d in deps]
        page, nxt = self._page(req, items)
        return Response(200, {"deployments": page, **({"nextToken": nxt} if nxt else {})})

    def cancel_deployment(self, req: Request, deployment_id: str) -> Response:
        """[api-CancelDeployment] cancels the deployment for devices that haven't received it;
        devices that already did keep it. A deployment that is not ACTIVE is a conflict."""
        with self.lock:
            self._advance(self.clock.now())
            dep = self._find_deployment(deployment_id)
            if dep.status != "ACTIVE":
                raise conflict(deployment_id, "Deployment", f"Deployment {deployment_id} is {dep.status}; only an ACTIVE deployment can be canceled.")
            dep.status = "CANCELED"
            if dep.job_status == "IN_PROGRESS":
                self._cancel_job(dep, "canceled by CancelDeployment")
        return Response(200, {"message": "SUCCESS"})

    def delete_deployment(self, req: Request, deployment_id: str) -> Response:
        """[api-DeleteDeployment] an ACTIVE deployment must be canceled first (409); devices keep
        what they run and their effective deployments."""
        with self.lock:
            self._advance(self.clock.now())
            dep = self._find_deployment(deployment_id)
            if dep.status == "ACTIVE":
                raise conflict(deployment_id, "Deployment", f"Deployment {deployment_id} is ACTIVE; cancel it before you delete it.")
            self.deployments.pop(deployment_id, None)
            self.tags.pop(self._deployment_arn(deployment_id), None)
        return Response(204)

    # ----- core devices --------------------------------------------------------------------------
    def _find_device(self, thing: str) -> Device:
        dev = self.devices.get(thing)
        if dev is None:
            raise not_found(thing, "CoreDevice", f"Core device {thing} was not found.")
        return dev

    def list_core_devices(self, req: Request) -> Response:
        """[api-ListCoreDevices] thingGroupArn lists devices that have successfully deployed a
        deployment targeting that group (and keeps them after they leave it); status; runtime."""
        group = req.arg("thingGroupArn")
        group_name = None
        if group is not None:
            m = THING_GROUP_ARN.match(group)
            if not m:
                raise validation("thingGroupArn must be a thing group ARN.", [("thingGroupArn", "thing group ARN")])
            group_name = m.group(3)
        status = req.arg("status")
        if status is not None and status not in ("HEALTHY", "UNHEALTHY"):
            raise validation("status must be HEALTHY or UNHEALTHY.", [("status", "HEALTHY | UNHEALTHY")])
        runtime = req.arg("runtime")
        with self.lock:
            self._advance(self.clock.now())
            items = [
                {"coreDeviceThingName": d.thing, "status": d.status(), "lastStatusUpdateTimestamp": d.last_status_update,
                 "platform": d.platform, "architecture": d.architecture, "runtime": d.runtime}
                for d in sorted(self.devices.values(), key=lambda d: d.thing)
                if (group_name is None or group_name in d.deployed_groups)
                and (status is None or d.status() == status)
                and (runtime is None or d.runtime == runtime)
            ]
        page, nxt = self._page(req, items)
        return Response(200, {"coreDevices": page, **({"nextToken": nxt} if nxt else {})})

    def get_core_device(self, req: Request, thing: str) -> Response:
        """[api-GetCoreDevice]"""
        with self.lock:
            self._advance(self.clock.now())
            d = self._find_device(thing)
            body = {
                "coreDeviceThingName": d.thing, "coreVersion": d.core_version, "platform": d.platform,
                "architecture": d.architecture, "runtime": d.runtime, "status": d.status(),
                "lastStatusUpdateTimestamp": d.last_status_update, "tags": dict(self.tags.get(self._device_arn(thing), {})),
            }
        return Response(200, body)

    def delete_core_device(self, req: Request, thing: str) -> Response:
        """[api-DeleteCoreDevice] removes the core device (not the IoT thing); it stops taking
        deployments until it is registered again through the control API."""
        with self.lock:
            dev = self._find_device(thing)
            if dev.busy is not None:
                dev.busy.status = "FAILED"
                dev.busy.reason = "the core device was deleted"
            self.devices.pop(thing, None)
            self.tags.pop(self._device_arn(thing), None)
            for dep in self.deployments.values():
                if thing in dep.pending:
                    dep.pending.remove(thing)
        return Response(204)

    def _effective(self, ex: Execution) -> dict[str, Any]:
        out: dict[str, Any] = {
            "deploymentId": ex.deployment_id, "deploymentName": ex.deployment_name, "iotJobId": ex.job_id,
            "iotJobArn": ex.job_arn, "targetArn": ex.target_arn, "coreDeviceExecutionStatus": ex.status,
            "creationTimestamp": ex.created, "modifiedTimestamp": ex.modified,
        }
        if ex.reason:
            out["reason"] = ex.reason
        if ex.error_stack or ex.error_types:
            out["statusDetails"] = {"errorStack": list(ex.error_stack or []), "errorTypes": list(ex.error_types or [])}
        return out

    def list_effective_deployments(self, req: Request, thing: str) -> Response:
        """[api-ListEffectiveDeployments] every deployment job the device received, newest
        first; coreDeviceExecutionStatus SUCCEEDED for a thing-group target, COMPLETED for a
        thing target [model EffectiveDeploymentExecutionStatus]; statusDetails on failure."""
        with self.lock:
            self._advance(self.clock.now())
            dev = self._find_device(thing)
            items = [self._effective(ex) for ex in sorted(dev.executions, key=lambda e: (e.created, e.queued_sim), reverse=True)]
        page, nxt = self._page(req, items)
        return Response(200, {"effectiveDeployments": page, **({"nextToken": nxt} if nxt else {})})

    def list_installed_components(self, req: Request, thing: str) -> Response:
        """[api-ListInstalledComponents] topologyFilter ROOT (default: components named in a
        deployment) or ALL (dependencies and the nucleus too)."""
        topology = req.arg("topologyFilter") or "ROOT"
        if topology not in ("ALL", "ROOT"):
            raise validation("topologyFilter must be ALL or ROOT.", [("topologyFilter", "ALL | ROOT")])
        with self.lock:
            self._advance(self.clock.now())
            dev = self._find_device(thing)
            items = []
            if topology == "ALL" and "aws.greengrass.Nucleus" not in dev.installed:
                items.append({"componentName": "aws.greengrass.Nucleus", "componentVersion": dev.core_version,
                              "lifecycleState": "FINISHED", "isRoot": False, "lastStatusChangeTimestamp": dev.registered,
                              "lastReportedTimestamp": dev.last_status_update, "lifecycleStatusCodes": []})
            for comp in sorted(dev.installed.values(), key=lambda c: c.name):
                if topology == "ROOT" and not comp.is_root:
                    continue
                item: dict[str, Any] = {
                    "componentName": comp.name, "componentVersion": comp.version, "lifecycleState": comp.lifecycle_state,
                    "isRoot": comp.is_root, "lastStatusChangeTimestamp": comp.last_status_change,
                    "lastReportedTimestamp": comp.last_reported, "lastInstallationSource": comp.last_installation_source,
                    "lifecycleStatusCodes": list(comp.status_codes),
                }
                if comp.state_details:
                    item["lifecycleStateDetails"] = comp.state_details
                items.append(item)
        page, nxt = self._page(req, items)
        return Response(200, {"installedComponents": page, **({"nextToken": nxt} if nxt else {})})

    # ----- tags ----------------------------------------------------------------------------------
    def _tag_target(self, arn: str) -> str:
        """[model] GenericV2ARN: components (a component or one version), deployments, core devices."""
        m = GENERIC_ARN.match(arn)
        if not m:
            raise validation(f"{arn} is not a Greengrass V2 resource ARN.", [("resourceArn", "components, deployments or coreDevices ARN")])
        account, kind, rest = m.groups()
        found = False
        if account == self.account:
            if kind == "components":
                parts = rest.split(":versions:")
                versions = self.components.get(parts[0], {})
                found = bool(versions) if len(parts) == 1 else parts[1] in versions
            elif kind == "deployments":
                found = rest in self.deployments
            else:
                found = rest in self.devices
        if not found:
            raise not_found(arn, {"components": "Component", "deployments": "Deployment", "coreDevices": "CoreDevice"}[kind],
                            f"The resource {arn} was not found.")
        return arn

    def tag_resource(self, req: Request, arn: str) -> Response:
        body = self._body(req)
        if body.get("tags") is None:
            raise validation("tags is required.", [("tags", "required")])
        tags = self._check_tags(body["tags"])
        with self.lock:
            key = self._tag_target(arn)
            self.tags.setdefault(key, {}).update(tags)
        return Response(200, {})

    def untag_resource(self, req: Request, arn: str) -> Response:
        keys = req.query.get("tagKeys") or []
        if not keys:
            raise validation("tagKeys is required.", [("tagKeys", "required")])
        with self.lock:
            key = self._tag_target(arn)
            for k in keys:
                self.tags.get(key, {}).pop(k, None)
        return Response(200, {})

    def list_tags_for_resource(self, req: Request, arn: str) -> Response:
        with self.lock:
            key = self._tag_target(arn)
            return Response(200, {"tags": dict(self.tags.get(key, {}))})

    # ----- IoT (moto) ----------------------------------------------------------------------------
    def _iot(self, method: str, path: str, region: str) -> Any:
        """One call to the IoT REST API at ``iot_endpoint``; None on 404. The request carries a
        SigV4-shaped Authorization header (moto routes on its credential scope; it is unsigned)."""
        endpoint = self.settings["iot_endpoint"].rstrip("/")
        stamp = datetime.datetime.now(datetime.timezone.utc)
        headers = {
            "Authorization": f"AWS4-HMAC-SHA256 Credential=testing/{stamp:%Y%m%d}/{region}/iot/aws4_request, "
                             f"SignedHeaders=host;x-amz-date, Signature={'0' * 64}",
            "X-Amz-Date": f"{stamp:%Y%m%dT%H%M%SZ}",
            "Accept": "application/json",
        }
        request = urllib.request.Request(endpoint + path, method=method, headers=headers)
        try:
            with urllib.request.urlopen(request, timeout=5) as resp:  # noqa: S310 - loopback moto
                data = resp.read()
        except urllib.error.HTTPError as exc:
            if exc.code == 404:
                return None
            raise OSError(f"IoT {method} {path} answered {exc.code}: {exc.read()[:200]!r}") from exc
        return json.loads(data) if data else {}

    def _iot_groups_of(self, thing: str, region: str, ancestors: dict[str, list[str]]) -> set[str] | None:
        """ListThingGroupsForThing, plus each group's ancestors (DescribeThingGroup's
        rootToParentThingGroups): a deployment to a parent group reaches things in child groups."""
        found = self._iot("GET", f"/things/{urllib.parse.quote(thing, safe='')}/thing-groups", region)
        if found is None:
            return None
        groups: set[str] = set()
        for g in found.get("thingGroups") or []:
            name = g.get("groupName")
            if not name:
                continue
            groups.add(name)
            if name not in ancestors:
                described = self._iot("GET", f"/thing-groups/{urllib.parse.quote(name, safe='')}", region) or {}
                parents = (described.get("thingGroupMetadata") or {}).get("rootToParentThingGroups") or []
                ancestors[name] = [p.get("groupName") for p in parents if p.get("groupName")]
            groups.update(ancestors[name])
        return groups

    def _refresh_membership(self) -> None:
        """Read every registered device's thing groups from the IoT endpoint (outside the lock)."""
        if not self.settings["iot_endpoint"]:
            return
        with self._refresh_lock:
            with self.lock:
                things = list(self.devices)
                region = self.region
            ancestors: dict[str, list[str]] = {}
            results: dict[str, tuple[set[str] | None, str | None]] = {}
            for thing in things:
                try:
                    groups = self._iot_groups_of(thing, region, ancestors)
                    results[thing] = (groups, None if groups is not None else f"thing {thing} does not exist in AWS IoT")
                except (OSError, ValueError) as exc:
                    results[thing] = (None, str(exc))
            with self.lock:
                for thing, (groups, error) in results.items():
                    dev = self.devices.get(thing)
                    if dev is None:
                        continue
                    dev.iot_error = error
                    if groups is not None:
                        dev.iot_groups = groups
                    elif error and "does not exist" in error:
                        dev.iot_groups = set()
            self._next_refresh = time.monotonic() + self.settings["membership_refresh_seconds"]

    # ----- the fleet simulation ------------------------------------------------------------------
    def _loop(self) -> None:
        while True:
            time.sleep(self.settings["tick_seconds"])
            try:
                if self.settings["iot_endpoint"] and time.monotonic() >= self._next_refresh:
                    self._refresh_membership()
                with self.lock:
                    self._advance(self.clock.now())
            except Exception:  # keep simulating; show the bug
                traceback.print_exc()

    def _advance(self, now: float) -> None:
        """Run the fleet up to simulated time ``now`` (called with the lock held)."""
        for _ in range(20):
            changed = False
            for dep in sorted(self.deployments.values(), key=lambda d: d.created_sim):
                if dep.job_status == "IN_PROGRESS":
                    changed |= self._rollout(dep, now)
            for dev in list(self.devices.values()):
                changed |= self._device_step(dev, now)
            if not changed:
                return

    def _targets(self, dep: Deployment) -> list[str]:
        if dep.target_kind == "thing":
            return [dep.target_name] if dep.target_name in self.devices else []
        return [t for t, d in self.devices.items() if dep.target_name in d.groups()]

    def _rollout(self, dep: Deployment, now: float) -> bool:
        """Notify targeted devices at the job's rollout rate [iot-jobs]: up to ``rate`` new
        executions per simulated minute (windows counted from the deployment's creation); the
        exponential rate multiplies by incrementFactor each time its criterion is met, capped
        by maximumPerMinute. Unlimited when the deployment sets no rollout configuration."""
        changed = False
        targets = self._targets(dep)
        for thing in targets:
            if thing not in dep.executions and thing not in dep.pending:
                dep.pending.append(thing)
        # a device that left the group before it was notified is not notified
        dep.pending = [t for t in dep.pending if t in targets]
        if dep.rate is None:
            budget = len(dep.pending)
        else:
            window = int((now - dep.created_sim) // 60)
            if window != dep.window:
                dep.window, dep.window_count = window, 0
            budget = max(0, int(math.floor(dep.rate + 1e-9)) - dep.window_count)
        while dep.pending and budget > 0:
            thing = dep.pending.pop(0)
            self._notify(dep, thing, now)
            budget -= 1
            changed = True
            dep.window_count += 1
            dep.notified_since_increase += 1
            self._maybe_increase(dep, "numberOfNotifiedThings")
            if dep.rate is not None:
                budget = max(0, int(math.floor(dep.rate + 1e-9)) - dep.window_count)
        return changed

    def _maybe_increase(self, dep: Deployment, criterion: str) -> None:
        rollout = (dep.job_config or {}).get("jobExecutionsRolloutConfig") or {}
        exp = rollout.get("exponentialRate")
        if not exp or dep.rate is None:
            return
        needed = (exp.get("rateIncreaseCriteria") or {}).get(criterion)
        count = dep.notified_since_increase if criterion == "numberOfNotifiedThings" else dep.succeeded_since_increase
        if needed and count >= needed:
            cap = float(rollout.get("maximumPerMinute") or 1000)
            dep.rate = min(dep.rate * float(exp["incrementFactor"]), cap)
            dep.notified_since_increase = 0
            dep.succeeded_since_increase = 0

    def _notify(self, dep: Deployment, thing: str, now: float) -> None:
        dev = self.devices[thing]
        wall = _now()
        ex = Execution(
            deployment_id=dep.id, deployment_name=dep.name or dep.id, target_arn=dep.target_arn,
            job_id=dep.job_id, job_arn=dep.job_arn, thing=thing, status="QUEUED", created=wall, modified=wall,
            queued_sim=now, window=max(dep.window, 0),
        )
        dep.executions[thing] = ex
        dev.executions.append(ex)

    def _device_step(self, dev: Device, now: float) -> bool:
        """The device takes its oldest QUEUED execution ``pickup_seconds`` after notification
        (if connected), works on it ``install_seconds``, then reports the outcome."""
        if dev.busy is not None:
            ex = dev.busy
            dep = self.deployments.get(ex.deployment_id)
            timeout = (((dep.job_config if dep else None) or {}).get("timeoutConfig") or {}).get("inProgressTimeoutInMinutes")
            if ex.finish_sim is not None and now >= ex.finish_sim:
                self._finish(dev, ex, dep, now)
                return True
            if timeout and ex.started_sim is not None and now >= ex.started_sim + timeout * 60:
                # [iot-jobs] IN_PROGRESS longer than inProgressTimeoutInMinutes → TIMED_OUT
                ex.status = "TIMED_OUT"
                ex.modified = _now()
                ex.reason = f"The deployment didn't complete within {timeout} minutes."
                dev.busy = None
                if dep is not None:
                    self._after_terminal(dep, ex)
                return True
            return False
        if not dev.connected:
            return False
        for ex in dev.executions:
            if ex.status != "QUEUED":
                continue
            if now < ex.queued_sim + self.settings["pickup_seconds"]:
                return False
            dep = self.deployments.get(ex.deployment_id)
            ex.status = "IN_PROGRESS"
            ex.started_sim = now
            ex.modified = _now()
            hang = self._matching_rule(dev, dep, "hang") if dep is not None else None
            if hang is not None:
                self._use_rule(hang)
            ex.finish_sim = None if hang is not None else now + self.settings["install_seconds"]
            dev.busy = ex
            return True
        return False

    def _matching_rule(self, dev: Device, dep: Deployment, mode: str, components: dict[str, str] | None = None) -> dict[str, Any] | None:
        """A failure rule of ``mode`` for this device and one of ``components`` (name → version;
        the deployment's own components when None)."""
        comps = components if components is not None else {n: s.get("componentVersion") for n, s in dep.components.items()}
        for rule in self.failures:
            if rule["times"] == 0 or rule["mode"] != mode:
                continue
            if rule["things"] is not None and dev.thing not in rule["things"]:
                continue
            if rule["componentName"] not in comps:
                continue
            if rule.get("componentVersion") and comps[rule["componentName"]] != rule["componentVersion"]:
                continue
            return rule
        return None

    def _use_rule(self, rule: dict[str, Any]) -> None:
        if rule["times"] > 0:
            rule["times"] -= 1

    def _root_label(self, slot: dict[str, Any]) -> str:
        return f"{slot['kind']}/{slot['name']}"

    def _resolve(self, dev: Device, dep: Deployment) -> tuple[dict[str, dict[str, Any]], dict[str, dict[str, Any]]]:
        """What the device would run after ``dep``: its slots (one per target: its thing and each
        group it still belongs to) with ``dep``'s replacing its target's, resolved to component
        versions with their dependencies [dev-deploy]. Returns (plan, slots); raises
        DeviceFailure as the nucleus does when a version cannot be negotiated [nucleus]."""
        slots: dict[str, dict[str, Any]] = {}
        groups = dev.groups()
        for arn, slot in dev.slots.items():
            if slot["kind"] == "thinggroup" and slot["name"] not in groups:
                continue  # removed from the group: its components go at the next deployment
            slots[arn] = slot
        for arn in [a for a, s in slots.items() if (s["kind"], s["name"]) == (dep.target_kind, dep.target_name)]:
            slots.pop(arn)
        slots[dep.target_arn] = {"deploymentId": dep.id, "components": copy.deepcopy(dep.components),
                                 "kind": dep.target_kind, "name": dep.target_name}

        roots: dict[str, dict[str, str]] = {}
        for slot in slots.values():
            for cname, spec in slot["components"].items():
                roots.setdefault(cname, {})[self._root_label(slot)] = spec["componentVersion"]
        plan: dict[str, dict[str, Any]] = {}
        for cname, wanted in sorted(roots.items()):
            versions = set(wanted.values())
            requirement = "{" + ", ".join(f"{k}=={v}" for k, v in sorted(wanted.items())) + "}"
            if len(versions) > 1:
                raise DeviceFailure(
                    f"Failed to negotiate component '{cname}' version with cloud and no local applicable version satisfying requirement '{requirement}'.",
                    ["DEPLOYMENT_FAILURE", "NO_AVAILABLE_COMPONENT_VERSION", "COMPONENT_VERSION_REQUIREMENTS_NOT_MET"], ["REQUEST_ERROR"])
            version = versions.pop()
            plan[cname] = self._resolve_one(dev, cname, version, requirement, True)

        # dependencies: the highest deployable version satisfying every requirement on it
        for _ in range(50):
            reqs: dict[str, list[tuple[str, str, str]]] = {}
            for cname, entry in plan.items():
                for dname, props in ((entry["recipe"] or {}).get("ComponentDependencies") or {}).items():
                    reqs.setdefault(dname, []).append((cname, props["VersionRequirement"], props["DependencyType"]))
            added = False
            for dname, rlist in sorted(reqs.items()):
                requirement = "{" + ", ".join(f"{c}={r}" for c, r, _t in rlist) + "}"
                if dname in plan:
                    if not all(recipes.satisfies(plan[dname]["version"], r) for _c, r, _t in rlist) and plan[dname]["recipe"] is not None:
                        raise DeviceFailure(
                            f"Failed to negotiate component '{dname}' version with cloud and no local applicable version satisfying requirement '{requirement}'.",
                            ["DEPLOYMENT_FAILURE", "NO_AVAILABLE_COMPONENT_VERSION", "COMPONENT_VERSION_REQUIREMENTS_NOT_MET"], ["REQUEST_ERROR"])
                    continue
                candidates = [cv for cv in self.components.get(dname, {}).values()
                              if self._component_status(cv)["componentState"] == "DEPLOYABLE"
                              and all(recipes.satisfies(cv.version, r) for _c, r, _t in rlist)]
                if candidates:
                    best = max(candidates, key=lambda c: recipes.version_key(c.version))
                    plan[dname] = self._resolve_one(dev, dname, best.version, requirement, False)
                    added = True
                elif dname.startswith("aws.greengrass.") or all(t == "SOFT" for _c, _r, t in rlist):
                    continue  # AWS-provided (no public catalog here) or a soft dependency
                else:
                    raise DeviceFailure(
                        f"Failed to negotiate component '{dname}' version with cloud and no local applicable version satisfying requirement '{requirement}'.",
                        ["DEPLOYMENT_FAILURE", "NO_AVAILABLE_COMPONENT_VERSION", "COMPONENT_VERSION_REQUIREMENTS_NOT_MET"], ["REQUEST_ERROR"])
            if not added:
                break
        return plan, slots

    def _resolve_one(self, dev: Device, cname: str, version: str, requirement: str, root: bool) -> dict[str, Any]:
        cv = self.components.get(cname, {}).get(version)
        if cv is None:
            if cname.startswith("aws.greengrass."):
                # AWS-provided component: the emulator has no public catalog and trusts the version
                return {"version": version, "recipe": None, "root": root, "manifest": None}
            raise DeviceFailure(
                f"Failed to negotiate component '{cname}' version with cloud and no local applicable version satisfying requirement '{requirement}'.",
                ["DEPLOYMENT_FAILURE", "NO_AVAILABLE_COMPONENT_VERSION", "RESOURCE_NOT_FOUND"], ["REQUEST_ERROR"])
        state = self._component_status(cv)["componentState"]
        if state != "DEPLOYABLE":
            raise DeviceFailure(
                f"Component {cname} version {version} is {state}, not DEPLOYABLE.",
                ["DEPLOYMENT_FAILURE", "NO_AVAILABLE_COMPONENT_VERSION", "ARTIFACT_DOWNLOAD_ERROR" if state == "FAILED" else "RESOURCE_NOT_FOUND"],
                ["DEPENDENCY_ERROR" if state == "FAILED" else "REQUEST_ERROR"])
        manifest = recipes.manifest_for(cv.recipe, {"os": dev.platform, "architecture": dev.architecture, "runtime": dev.runtime})
        if manifest is None:
            raise DeviceFailure(
                f"Component {cname} version {version} has no manifest for platform os={dev.platform}, architecture={dev.architecture}.",
                ["DEPLOYMENT_FAILURE", "NO_AVAILABLE_COMPONENT_VERSION", "COMPONENT_VERSION_REQUIREMENTS_NOT_MET"], ["REQUEST_ERROR"])
        return {"version": version, "recipe": cv.recipe, "root": root, "manifest": manifest}

    def _finish(self, dev: Device, ex: Execution, dep: Deployment | None, now: float) -> None:
        """Apply the deployment on the device and report the outcome [nucleus]."""
        dev.busy = None
        wall = _now()
        ex.modified = wall
        dev.last_status_update = wall
        if dep is None:  # deleted out of band while in progress
            ex.status, ex.reason = "FAILED", "The deployment was deleted while the device was applying it."
            return
        policy = (dep.policies or {}).get("failureHandlingPolicy") or "ROLLBACK"  # [model] default ROLLBACK
        success_status = "SUCCEEDED" if dep.target_kind == "thinggroup" else "COMPLETED"
        try:
            plan, slots = self._resolve(dev, dep)
        except DeviceFailure as failure:
            self._fail(ex, "FAILED", "FAILED_NO_STATE_CHANGE", failure.message, failure.error_stack, failure.error_types)
            self._after_terminal(dep, ex)
            return

        reject = self._matching_rule(dev, dep, "reject", {n: e["version"] for n, e in plan.items()
                                                           if n in dep.components and dep.components[n].get("configurationUpdate")})
        if reject is not None:
            # a component refused its configuration update: nothing changes on the device
            self._use_rule(reject)
            self._fail(ex, "REJECTED", "REJECTED", f"Component {reject['componentName']} rejected the configuration update.",
                       ["DEPLOYMENT_REJECTED", "COMPONENT_CONFIGURATION_NOT_VALID"], ["USER_COMPONENT_ERROR"])
            self._after_terminal(dep, ex)
            return

        before = (copy.deepcopy(dev.installed), copy.deepcopy(dev.slots), dev.core_version)
        changed: dict[str, str] = {}
        installed: dict[str, Installed] = {}
        for cname, entry in plan.items():
            old = dev.installed.get(cname)
            defaults = recipes.default_configuration(entry["recipe"])
            spec = dep.components.get(cname) or {}
            update = spec.get("configurationUpdate") or {}
            state = "RUNNING" if recipes.runs_continuously(entry["recipe"], entry["manifest"]) else "FINISHED"
            if old is None:
                config = defaults
            else:
                config = copy.deepcopy(old.configuration)
                if old.version != entry["version"]:
                    config = recipes.fill_missing(config, defaults)
            if update.get("reset"):
                config = recipes.reset(config, defaults, update["reset"])
            if update.get("merge"):
                config = recipes.merge(config, json.loads(update["merge"]))
            if old is not None and old.version == entry["version"] and old.lifecycle_state not in ("BROKEN", "ERRORED"):
                comp = copy.deepcopy(old)
                comp.configuration = config
                comp.is_root = entry["root"]
                comp.last_reported = wall
                if cname in dep.components:
                    comp.last_installation_source = dep.id
            else:
                # new, another version, or broken (a deployment reinstalls broken components)
                comp = Installed(name=cname, version=entry["version"], configuration=config, lifecycle_state=state,
                                 is_root=entry["root"], last_status_change=wall, last_reported=wall,
                                 last_installation_source=dep.id)
                changed[cname] = entry["version"]
            installed[cname] = comp

        broken_rule = self._matching_rule(dev, dep, "broken", changed)
        dev.installed = installed
        dev.slots = slots
        if "aws.greengrass.Nucleus" in plan:
            dev.core_version = plan["aws.greengrass.Nucleus"]["version"]
        if broken_rule is None:
            ex.status = success_status
            ex.detailed_status = "SUCCESSFUL"
            ex.reason = None
            if dep.target_kind == "thinggroup":
                dev.deployed_groups.add(dep.target_name)
            dep.succeeded_since_increase += 1
            self._maybe_increase(dep, "numberOfSucceededThings")
            self._after_terminal(dep, ex)
            return

        self._use_rule(broken_rule)
        name = broken_rule["componentName"]
        cause = f"Component {name} version {changed[name]} is BROKEN: its Run step exited with code 1."
        stack = ["DEPLOYMENT_FAILURE", "COMPONENT_UPDATE_ERROR", "COMPONENT_BROKEN"]
        if policy == "ROLLBACK":
            dev.installed, dev.slots, dev.core_version = before
            self._fail(ex, "FAILED", "FAILED_ROLLBACK_COMPLETE",
                       f"{cause} The device rolled back to the components it ran before the deployment.", stack, ["USER_COMPONENT_ERROR"])
        else:
            comp = dev.installed[name]
            comp.lifecycle_state = "BROKEN"
            comp.status_codes = ["RUN_ERROR"]
            comp.state_details = "Run script exited with code 1"
            self._fail(ex, "FAILED", "FAILED_ROLLBACK_NOT_REQUESTED", f"{cause} The failure handling policy is DO_NOTHING.", stack, ["USER_COMPONENT_ERROR"])
        self._after_terminal(dep, ex)

    def _fail(self, ex: Execution, status: str, detailed: str, cause: str, stack: list[str], types: list[str]) -> None:
        ex.status = status
        ex.detailed_status = detailed
        ex.reason = f"{detailed}: {cause}"
        ex.error_stack = stack
        ex.error_types = types
        ex.modified = _now()

    def _after_terminal(self, dep: Deployment, ex: Execution) -> None:
        """Abort criteria [iot-jobs]: once at least minNumberOfExecutedThings executions have
        ended, the job is canceled when failures of failureType reach thresholdPercentage of
        them; the deployment is then CANCELED (it mirrors its IoT job). A thing deployment's
        job ends with its one execution: COMPLETED, or FAILED when the device failed."""
        executed = [e for e in dep.executions.values() if e.status in EXECUTED]
        criteria = (((dep.job_config or {}).get("abortConfig") or {}).get("criteriaList")) or []
        if dep.job_status == "IN_PROGRESS":
            for c in criteria:
                kinds = ("FAILED", "REJECTED", "TIMED_OUT") if c["failureType"] == "ALL" else (c["failureType"],)
                failures = sum(1 for e in executed if e.status in kinds)
                if len(executed) >= c["minNumberOfExecutedThings"] and executed and 100.0 * failures / len(executed) >= c["thresholdPercentage"]:
                    self._cancel_job(dep, f"aborted: {failures} of {len(executed)} executions {c['failureType']} "
                                          f"(threshold {c['thresholdPercentage']}% after {c['minNumberOfExecutedThings']})")
                    if dep.status == "ACTIVE":
                        dep.status = "CANCELED"
                    return
        if dep.target_kind == "thing" and dep.job_status == "IN_PROGRESS" and ex.thing == dep.target_name:
            dep.job_status = "COMPLETED"
            if dep.status == "ACTIVE":
                dep.status = "COMPLETED" if ex.status in ("COMPLETED", "SUCCEEDED") else "FAILED"

    # ----- control API ---------------------------------------------------------------------------
    def control(self, req: Request, action: str) -> Response | None:
        parts = [urllib.parse.unquote(p) for p in action.split("/")]
        head = parts[0]
        if head == "devices":
            return self._control_devices(req, parts[1:])
        if head == "failures":
            return self._control_failures(req)
        if head == "components" and len(parts) == 4 and parts[2] == "versions":
            return self._control_component(req, parts[1], parts[3])
        if head == "deployments" and len(parts) == 2:
            return self._control_deployment(req, parts[1])
        if head == "advance" and req.method == "POST":
            body = req.json() or {}
            seconds = body.get("seconds")
            if isinstance(seconds, bool) or not isinstance(seconds, (int, float)) or seconds < 0:
                raise HttpError(400, "BadControlRequest", "seconds must be a number >= 0")
            with self.lock:
                # step through the interval so that every phase (pickup, install, next rollout
                # minute) happens at its own simulated time, not all at the end of the jump
                step = max(0.1, min(self.settings["pickup_seconds"] or 1.0, self.settings["install_seconds"] or 1.0, 1.0))
                remaining = float(seconds)
                while remaining > 0:
                    dt = min(step, remaining)
                    self.clock.advance(dt)
                    remaining -= dt
                    self._advance(self.clock.now())
                return Response(200, {"simulatedSeconds": self.clock.now()})
        if head == "refresh" and req.method == "POST":
            self._refresh_membership()
            with self.lock:
                self._advance(self.clock.now())
                return Response(200, {"devices": {t: sorted(d.groups()) for t, d in self.devices.items()}})
        if head == "clock" and req.method == "GET":
            return Response(200, {"simulatedSeconds": self.clock.now(), "timeScale": self.clock.scale})
        return None

    def _device_view(self, dev: Device) -> dict[str, Any]:
        return {
            "thingName": dev.thing, "status": dev.status(), "connected": dev.connected, "platform": dev.platform,
            "architecture": dev.architecture, "runtime": dev.runtime, "coreVersion": dev.core_version,
            "groups": sorted(dev.groups()), "manualGroups": sorted(dev.manual_groups),
            "iotGroups": None if dev.iot_groups is None else sorted(dev.iot_groups), "iotError": dev.iot_error,
            "deployedGroups": sorted(dev.deployed_groups),
            "installedComponents": {
                c.name: {"componentVersion": c.version, "lifecycleState": c.lifecycle_state, "isRoot": c.is_root,
                         "configuration": copy.deepcopy(c.configuration), "lastInstallationSource": c.last_installation_source}
                for c in dev.installed.values()
            },
            "targets": {arn: {"deploymentId": s["deploymentId"], "components": sorted(s["components"])} for arn, s in dev.slots.items()},
            "executions": [{"deploymentId": e.deployment_id, "status": e.status, "detailedStatus": e.detailed_status,
                            "reason": e.reason} for e in dev.executions],
            "busyWith": dev.busy.deployment_id if dev.busy else None,
        }

    def _control_devices(self, req: Request, rest: list[str]) -> Response:
        if not rest or rest == [""]:
            if req.method == "GET":
                with self.lock:
                    return Response(200, {"devices": [self._device_view(d) for d in sorted(self.devices.values(), key=lambda d: d.thing)]})
            if req.method == "POST":
                body = req.json()
                specs = body if isinstance(body, list) else [body]
                registered = []
                for spec in specs:
                    if not isinstance(spec, dict) or not isinstance(spec.get("thingName"), str) or not spec["thingName"]:
                        raise HttpError(400, "BadControlRequest", "each device needs a thingName")
                    self._check_device_spec(spec)
                    registered.append(spec["thingName"])
                if self.settings["iot_endpoint"] and not all(s.get("skipIotCheck") for s in specs):
                    for name in registered:
                        try:
                            exists = self._iot("GET", f"/things/{urllib.parse.quote(name, safe='')}", self.region)
                        except OSError as exc:
                            raise HttpError(502, "IotUnreachable", str(exc)) from exc
                        if exists is None:
                            raise HttpError(404, "ThingNotFound", f"thing {name} does not exist at the IoT endpoint; create it there first")
                with self.lock:
                    wall = _now()
                    for spec in specs:
                        thing = spec["thingName"]
                        old = self.devices.get(thing)
                        dev = Device(
                            thing=thing, platform=spec.get("platform", "linux"), architecture=spec.get("architecture", "amd64"),
                            runtime=spec.get("runtime", "aws_nucleus_classic"),
                            core_version=spec.get("coreVersion", self.settings["nucleus_version"]),
                            registered=wall, last_status_update=wall, connected=spec.get("connected", True),
                            manual_groups=set(spec.get("groups") or []),
                        )
                        if old is not None:  # registering again keeps what the device runs
                            dev.installed, dev.slots, dev.executions = old.installed, old.slots, old.executions
                            dev.deployed_groups, dev.iot_groups, dev.busy = old.deployed_groups, old.iot_groups, old.busy
                        self.devices[thing] = dev
                self._refresh_membership()
                with self.lock:
                    self._advance(self.clock.now())
                    return Response(201, {"devices": [self._device_view(self.devices[t]) for t in registered if t in self.devices]})
            if req.method == "DELETE":
                with self.lock:
                    self.devices.clear()
                return Response(204)
            raise HttpError(405, "MethodNotAllowed", f"{req.method} devices")
        thing = rest[0]
        with self.lock:
            dev = self.devices.get(thing)
            if dev is None:
                raise HttpError(404, "NotFound", f"no core device {thing}")
            if req.method == "GET":
                return Response(200, self._device_view(dev))
            if req.method == "DELETE":
                self.devices.pop(thing, None)
                return Response(204)
            if req.method == "PATCH":
                body = req.json() or {}
                self._check_device_spec(body)
                for key, attr in (("platform", "platform"), ("architecture", "architecture"), ("runtime", "runtime"),
                                  ("coreVersion", "core_version"), ("connected", "connected")):
                    if key in body:
                        setattr(dev, attr, body[key])
                if "groups" in body:
                    dev.manual_groups = set(body["groups"] or [])
                wall = _now()
                for cname, change in (body.get("components") or {}).items():
                    if change is None:
                        dev.installed.pop(cname, None)
                        continue
                    comp = dev.installed.get(cname)
                    if comp is None:
                        comp = Installed(name=cname, version=change.get("componentVersion", "1.0.0"), configuration={},
                                         lifecycle_state="RUNNING", is_root=True, last_status_change=wall, last_reported=wall,
                                         last_installation_source="LOCAL")
                        dev.installed[cname] = comp
                    if "componentVersion" in change:
                        comp.version = change["componentVersion"]
                    if "configuration" in change:
                        comp.configuration = copy.deepcopy(change["configuration"])
                    if "lifecycleState" in change:
                        comp.lifecycle_state = change["lifecycleState"]
                        comp.last_status_change = wall
                        comp.status_codes = ["RUN_ERROR"] if change["lifecycleState"] in ("BROKEN", "ERRORED") else []
                    dev.last_status_update = wall
                self._advance(self.clock.now())
                return Response(200, self._device_view(dev))
        raise HttpError(405, "MethodNotAllowed", f"{req.method} devices/{thing}")

    def _check_device_spec(self, spec: dict[str, Any]) -> None:
        known = {"thingName", "platform", "architecture", "runtime", "coreVersion", "connected", "groups", "components", "skipIotCheck"}
        unknown = set(spec) - known
        if unknown:
            raise HttpError(400, "BadControlRequest", f"unknown device fields {sorted(unknown)}; known: {sorted(known)}")
        if "groups" in spec and spec["groups"] is not None and (not isinstance(spec["groups"], list) or not all(isinstance(g, str) for g in spec["groups"])):
            raise HttpError(400, "BadControlRequest", "groups must be a list of thing group names")
        if "connected" in spec and not isinstance(spec["connected"], bool):
            raise HttpError(400, "BadControlRequest", "connected must be true or false")
        for cname, change in (spec.get("components") or {}).items():
            if change is not None and not isinstance(change, dict):
                raise HttpError(400, "BadControlRequest", f"components.{cname} must be an object or null")
            if change and change.get("lifecycleState") not in (None, "NEW", "INSTALLED", "STARTING", "RUNNING", "STOPPING", "ERRORED", "BROKEN", "FINISHED"):
                raise HttpError(400, "BadControlRequest", f"components.{cname}.lifecycleState is not a lifecycle state")

    def _control_failures(self, req: Request) -> Response:
        with self.lock:
            if req.method == "GET":
                return Response(200, {"failures": [dict(r, things=None if r["things"] is None else sorted(r["things"])) for r in self.failures if r["times"] != 0]})
            if req.method == "DELETE":
                self.failures.clear()
                return Response(204)
            if req.method == "POST":
                body = req.json()
                specs = body if isinstance(body, list) else [body]
                for spec in specs:
                    if not isinstance(spec, dict) or not isinstance(spec.get("componentName"), str):
                        raise HttpError(400, "BadControlRequest", "a failure needs componentName")
                    unknown = set(spec) - {"things", "componentName", "componentVersion", "mode", "times"}
                    if unknown:
                        raise HttpError(400, "BadControlRequest", f"unknown failure fields {sorted(unknown)}")
                    mode = spec.get("mode", "broken")
                    if mode not in ("broken", "hang", "reject"):
                        raise HttpError(400, "BadControlRequest", "mode is broken, hang or reject")
                    things = spec.get("things", "*")
                    if things != "*" and (not isinstance(things, list) or not all(isinstance(t, str) for t in things)):
                        raise HttpError(400, "BadControlRequest", 'things is a list of thing names or "*"')
                    self.failures.append({"things": None if things == "*" else set(things), "componentName": spec["componentName"],
                                          "componentVersion": spec.get("componentVersion"), "mode": mode, "times": int(spec.get("times", -1))})
                return Response(201, {"failures": len(self.failures)})
        raise HttpError(405, "MethodNotAllowed", f"{req.method} failures")

    def _control_component(self, req: Request, name: str, version: str) -> Response:
        with self.lock:
            cv = self.components.get(name, {}).get(version)
            if cv is None:
                raise HttpError(404, "NotFound", f"no component version {name}:{version}")
            if req.method == "GET":
                return Response(200, {"arn": cv.arn, "recipe": cv.recipe, "status": self._component_status(cv), "tags": self.tags.get(cv.arn, {})})
            if req.method == "DELETE":
                self.components[name].pop(version, None)
                if not self.components[name]:
                    self.components.pop(name)
                return Response(204)
            if req.method == "PATCH":
                body = req.json() or {}
                if "status" in body:
                    status = body["status"]
                    if status is not None and (not isinstance(status, dict) or status.get("componentState") not in
                                               ("REQUESTED", "INITIATED", "DEPLOYABLE", "FAILED", "DEPRECATED")):
                        raise HttpError(400, "BadControlRequest", "status.componentState is REQUESTED, INITIATED, DEPLOYABLE, FAILED or DEPRECATED")
                    cv.status_override = None if status is None else {"message": "NONE", "errors": {}, **status}
                if "tags" in body:
                    self.tags[cv.arn] = dict(body["tags"] or {})
                if "recipe" in body:
                    cv.recipe = body["recipe"]
                return Response(200, {"arn": cv.arn, "recipe": cv.recipe, "status": self._component_status(cv)})
        raise HttpError(405, "MethodNotAllowed", f"{req.method} components")

    def _control_deployment(self, req: Request, deployment_id: str) -> Response:
        with self.lock:
            self._advance(self.clock.now())
            dep = self.deployments.get(deployment_id)
            if dep is None:
                raise HttpError(404, "NotFound", f"no deployment {deployment_id}")
            if req.method == "DELETE":
                self.deployments.pop(deployment_id)
                return Response(204)
            if req.method == "PATCH":
                body = req.json() or {}
                if "deploymentStatus" in body:
                    if body["deploymentStatus"] not in ("ACTIVE", "COMPLETED", "CANCELED", "FAILED", "INACTIVE"):
                        raise HttpError(400, "BadControlRequest", "deploymentStatus is ACTIVE, COMPLETED, CANCELED, FAILED or INACTIVE")
                    dep.status = body["deploymentStatus"]
                    if dep.status != "ACTIVE" and dep.job_status == "IN_PROGRESS":
                        self._cancel_job(dep, f"status set to {dep.status} through the control API")
                if "components" in body:
                    dep.components = copy.deepcopy(body["components"] or {})
                if "deploymentName" in body:
                    dep.name = body["deploymentName"]
                if "tags" in body:
                    self.tags[self._deployment_arn(dep.id)] = dict(body["tags"] or {})
            elif req.method != "GET":
                raise HttpError(405, "MethodNotAllowed", f"{req.method} deployments/{deployment_id}")
            counts: dict[str, int] = {}
            for e in dep.executions.values():
                counts[e.status] = counts.get(e.status, 0) + 1
            return Response(200, {
                **self._deployment_summary(dep), "components": dep.components,
                "job": {
                    "jobId": dep.job_id, "status": dep.job_status, "reason": dep.job_reason, "ratePerMinute": dep.rate,
                    "pendingThings": list(dep.pending), "executionCounts": counts,
                    "executions": {
                        t: {"status": e.status, "detailedStatus": e.detailed_status, "reason": e.reason,
                            "notifiedAtSimulatedSeconds": round(e.queued_sim - dep.created_sim, 3), "window": e.window}
                        for t, e in dep.executions.items()
                    },
                },
            })


if __name__ == "__main__":
    main(Greengrass)
