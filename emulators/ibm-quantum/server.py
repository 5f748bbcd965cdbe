"""IBM Quantum emulator: the Qiskit Runtime REST API (``/api/v1``) plus IBM Cloud IAM's token
endpoint and the two IBM Cloud APIs ``qiskit-ibm-runtime`` calls on start-up (Global Search and
Global Catalog). Circuits run on qiskit-aer with each device's noise model.

Sources, noted per handler:

* [REST] IBM's Qiskit Runtime REST API reference (https://quantum.cloud.ibm.com/docs/api/qiskit-runtime-rest,
  OpenAPI ``JobRunParams``, ``JobResponseV3``, ``JobState``, ``JobsResponse``, ``ErrorContainer``,
  ``Tags``) and IBM's REST guides (``sampler-rest-api``, ``estimator-rest-api``,
  ``execution-modes-rest-api``, ``cloud-setup-rest-api``).
* [CLIENT] ``qiskit-ibm-runtime``: ``api/rest/*.py`` (paths, query parameters, payloads),
  ``api/auth.py`` (``Service-CRN``, bearer token from IAM), ``qiskit_runtime_service.py`` (start-up:
  Global Search + Global Catalog, ``/backends``, ``/instances/usage``), ``runtime_job_v2.py`` (job
  states, ``reason``/``reason_code``), ``session.py`` (session fields), ``json.py`` (result
  encoding); ``ibm-cloud-sdk-core`` ``IAMTokenManager`` (``POST /identity/token``, JWT ``exp``).
* [SCHEMAS] IBM's ``ibm-quantum-schemas`` package (sampler/estimator params and results).
* [OBSERVED] error bodies and messages quoted in public issues about the real service
  (``{"errors":[{"code":1200,"message":"You are not authorized to perform this action.",…}],
  "trace":…}``; ``Error code 1516; Number of qubits (…) … https://ibm.biz/error_codes#1516``;
  ``Error code 3211; Job not valid. …``; IAM ``BXNIM0415E``).

Choices the emulator makes where no public source says (README.md lists them) are marked
``[CHOICE]``.
"""

from __future__ import annotations

import base64
import datetime as _dt
import json
import os
import re
import secrets
import sys
import threading
import time
from typing import Any, Callable
from urllib.parse import parse_qs

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

# qiskit, qiskit-aer and the OpenQASM 3 importer are imported here, in the main thread, before any
# request thread exists: importing qiskit's Rust extension first in a thread that later exits and
# then using it from another thread crashes the interpreter (segmentation fault, reproduced with
# qiskit 2.6 / Python 3.11). Requests and jobs run on threads, so this import must stay eager.
import qiskit  # noqa: E402,F401
import qiskit.primitives  # noqa: E402,F401
import qiskit.qasm2  # noqa: E402,F401
import qiskit.qasm3  # noqa: E402,F401
import qiskit.qpy  # noqa: E402,F401
import qiskit.providers.fake_provider  # noqa: E402,F401
import qiskit.transpiler  # noqa: E402,F401
import qiskit_aer  # noqa: E402,F401
import qiskit_qasm3_import  # noqa: E402,F401

from common.emulator import HttpError, Request, Response, Emulator, main  # noqa: E402

import devices as _devices  # noqa: E402
import runner as _runner  # noqa: E402

API = "/api/v1"
MORE_INFO = "https://cloud.ibm.com/apidocs/quantum-computing#error-handling"
APIKEY_GRANT = "urn:ibm:params:oauth:grant-type:apikey"
VERSION_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
TERMINAL = ("Completed", "Failed", "Cancelled")
PENDING = ("Queued", "Running")

# Numeric codes for the ErrorContainer body. 1200, 1219, 1234 and 1291 are codes the real service
# was seen answering with [OBSERVED]; the others are [CHOICE].
CODES = {
    "Unauthorized": 1219,
    "Forbidden": 1200,
    "NotFound": 1291,
    "BadRequest": 1217,
    "Conflict": 1213,
    "TooManyRequests": 1290,
    "MethodNotAllowed": 1217,
    "InternalServerError": 1000,
    "ServiceUnavailable": 1999,
    "BadGateway": 1000,
    "GatewayTimeout": 1000,
    "InvalidRequestContent": 1217,
}


def _now() -> float:
    return time.time()


def _iso(ts: float | None) -> str | None:
    if ts is None:
        return None
    return _dt.datetime.fromtimestamp(ts, _dt.timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _xid() -> str:
    """IDs shaped like IBM's job and session IDs (20 characters of base32hex, e.g.
    ``d0hjg2j1gnms73cbqmp0``)."""
    alphabet = "0123456789abcdefghijklmnopqrstuv"
    stamp = int(_now())
    head = ""
    for _ in range(7):
        head = alphabet[stamp & 31] + head
        stamp >>= 5
    return head + "".join(secrets.choice(alphabet) for _ in range(13))


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _bool_arg(value: str | None) -> bool | None:
    if value is None:
        return None
    return value.lower() in ("1", "true", "yes")


class Job:
    def __init__(self, **kw: Any) -> None:
        self.__dict__.update(kw)


class Session:
    def __init__(self, **kw: Any) -> None:
        self.__dict__.update(kw)


class IBMQuantumEmulator(Emulator):
    name = "ibm-quantum"

    def __init__(self) -> None:
        super().__init__()
        self.settings.update({
            "verbose": False,
            # IAM: accepted API keys (null: any non-empty key) and the lifetime of issued tokens.
            "api_keys": None,
            "token_lifetime_seconds": 3600,
            # Instances (Service-CRN values) the keys can use; Global Search lists them.
            "instances": [_devices.DEFAULT_CRN],
            # A job stays Queued at least this long, then Running at least this long.
            "job_queue_seconds": 0.2,
            "job_run_seconds": 0.2,
            # Fail jobs whose circuits are not ISA circuits of the device (IBM has done so since
            # March 2024); off by default: the emulator transpiles them.
            "require_isa": False,
            # Seed of the simulator when a job gives none (null: random).
            "seed": None,
            # POST /jobs allowed per minute and instance (IBM documents 5 per minute per user);
            # null: unlimited. Over the limit: 429 with Retry-After.
            "jobs_per_minute": None,
            # Sessions: the idle time after which an active session turns inactive, and the
            # default max_ttl.
            "session_interactive_ttl": 60,
            "session_default_max_ttl": 28800,
        })
        self.started = _now()
        self.tokens: dict[str, dict[str, Any]] = {}
        self._fresh_state()
        self._register_routes()
        threading.Thread(target=self._ticker, name="ibm-quantum-ticker", daemon=True).start()
        threading.Thread(target=self._warm, name="ibm-quantum-warm", daemon=True).start()

    def _fresh_state(self) -> None:
        if not hasattr(self, "devices"):
            self.devices = {d.name: d for d in _devices.default_devices()}
        for device in self.devices.values():  # keep the built noise models; forget the drift
            device.status, device.reason, device.queue_length = "online", "available", device.base_queue
        self.jobs: dict[str, Job] = {}
        self.sessions: dict[str, Session] = {}
        self.fail_next: list[dict[str, Any]] = []
        self.job_submits: list[float] = []

    def _warm(self) -> None:
        """Import qiskit/aer and build the noise models in the background, so the first job does
        not pay for it."""
        try:
            for device in list(self.devices.values()):
                if device.num_qubits <= 32:
                    device.aer()
        except Exception:  # noqa: BLE001 - warming is best effort
            pass

    # ----- Emulator hooks -------------------------------------------------------------------
    def error_body(self, status: int, code: str, message: str) -> Any:
        """IBM's ``ErrorContainer`` [REST]: ``{"errors": [{"code", "message", "solution",
        "more_info"}], "trace"}`` with numeric codes as the real service answers [OBSERVED]."""
        numeric = int(code) if str(code).isdigit() else CODES.get(code, 1000 if status >= 500 else 1217)
        error: dict[str, Any] = {"code": numeric, "message": message}
        solution = SOLUTIONS.get(numeric)
        if solution:
            error["solution"] = solution
        error["more_info"] = MORE_INFO
        return {"errors": [error], "trace": _xid()}

    def not_found(self, req: Request) -> HttpError:
        return HttpError(404, "1291" if req.path.startswith(API + "/jobs") else "NotFound",
                         f"The requested resource {req.path} was not found.")

    def reset(self) -> None:
        """Forget jobs, sessions, injected job failures and backend drift; issued tokens stay
        valid so a client holding one keeps working."""
        with self.lock:
            for job in self.jobs.values():
                job.state = "Cancelled" if job.state in PENDING else job.state
            self._fresh_state()

    def apply_settings(self, settings: dict[str, Any]) -> None:
        if "api_keys" in settings and settings["api_keys"] is not None and not isinstance(settings["api_keys"], list):
            raise HttpError(400, "BadSetting", "api_keys must be null or a list of strings")
        if "instances" in settings and (not isinstance(settings["instances"], list) or not settings["instances"]):
            raise HttpError(400, "BadSetting", "instances must be a non-empty list of CRNs")
        super().apply_settings(settings)

    # ----- control API ----------------------------------------------------------------------
    def control(self, req: Request, action: str) -> Response | None:
        """Emulator-only endpoints (README.md "Control API")."""
        if action == "backends" and req.method == "GET":
            with self.lock:
                return Response(200, {"backends": [self._backend_state(d) for d in self.devices.values()]})
        if action.startswith("backends/") and req.method in ("POST", "PATCH"):
            name = action[len("backends/"):]
            body = req.json() or {}
            with self.lock:
                device = self.devices.get(name)
                if device is None:
                    raise HttpError(404, "NotFound", f"no backend {name}")
                if "status" in body:
                    if body["status"] not in ("online", "paused", "offline"):
                        raise HttpError(400, "BadControlRequest", "status is one of online, paused, offline")
                    device.status = body["status"]
                    device.reason = body.get("reason") or ("available" if device.status == "online" else "maintenance")
                elif "reason" in body:
                    device.reason = body["reason"]
                if "queue_length" in body:
                    device.queue_length = int(body["queue_length"])
                return Response(200, self._backend_state(device))
        if action == "fail-next-job" and req.method == "POST":
            body = req.json() or {}
            spec = {
                "reason": body.get("reason") or "Internal error. -- Try again or contact support. -- https://ibm.biz/error_codes#1500",
                "reason_code": body.get("reason_code", 1500),
                "backend": body.get("backend"),
                "times": int(body.get("times", 1)),
            }
            with self.lock:
                self.fail_next.append(spec)
            return Response(201, spec)
        if action == "fail-next-job" and req.method == "DELETE":
            with self.lock:
                self.fail_next.clear()
            return Response(204)
        if action == "expire-tokens" and req.method == "POST":
            with self.lock:
                for info in self.tokens.values():
                    info["exp"] = min(info["exp"], _now() - 1)
            return Response(204)
        if action == "jobs" and req.method == "GET":
            with self.lock:
                return Response(200, {"jobs": [self._job_doc(j, include_params=False) for j in self.jobs.values()]})
        if action == "sessions" and req.method == "GET":
            # The API has no listing of sessions; tests count them here.
            with self.lock:
                return Response(200, {"sessions": [self._session_doc(s) for s in self.sessions.values()]})
        return None

    def _backend_state(self, device) -> dict[str, Any]:
        return {
            "name": device.name,
            "status": device.status,
            "reason": device.reason,
            "queue_length": device.queue_length,
            "pending_jobs": self._pending(device.name),
        }

    # ----- routing helpers ------------------------------------------------------------------
    def _register_routes(self) -> None:
        r = self.route
        r("POST", r"/identity/token")(self.iam_token)
        r("POST", r"/v3/resources/search")(self._cloud(self.global_search))
        r("GET", r"/global-catalog/api/v1/(?P<entry>[^/]+)")(self._cloud(self.catalog_entry))

        def api(method: str, pattern: str, handler: Callable[..., Response]) -> None:
            r(method, API + pattern)(self._api(handler))

        api("GET", r"/backends", self.list_backends)
        api("GET", r"/backends/(?P<name>[^/]+)/status", self.backend_status)
        api("GET", r"/backends/(?P<name>[^/]+)/configuration", self.backend_configuration)
        api("GET", r"/backends/(?P<name>[^/]+)/properties", self.backend_properties)
        api("GET", r"/backends/(?P<name>[^/]+)/defaults", self.backend_defaults)
        api("GET", r"/instances/usage", self.instance_usage)
        api("GET", r"/usage", self.instance_usage)
        api("POST", r"/sessions", self.create_session)
        api("GET", r"/sessions/(?P<sid>[^/]+)", self.get_session)
        api("PATCH", r"/sessions/(?P<sid>[^/]+)", self.patch_session)
        api("DELETE", r"/sessions/(?P<sid>[^/]+)/close", self.close_session)
        api("POST", r"/jobs", self.create_job)
        api("GET", r"/jobs", self.list_jobs)
        api("GET", r"/jobs/(?P<jid>[^/]+)", self.get_job)
        api("DELETE", r"/jobs/(?P<jid>[^/]+)", self.delete_job)
        api("GET", r"/jobs/(?P<jid>[^/]+)/results", self.job_results)
        api("POST", r"/jobs/(?P<jid>[^/]+)/cancel", self.cancel_job)
        api("GET", r"/jobs/(?P<jid>[^/]+)/metrics", self.job_metrics)
        api("GET", r"/jobs/(?P<jid>[^/]+)/logs", self.job_logs)
        api("PUT", r"/jobs/(?P<jid>[^/]+)/tags", self.replace_tags)
        api("GET", r"/tags", self.search_tags)

    def _bearer(self, req: Request) -> dict[str, Any]:
        """The caller's identity from ``Authorization: Bearer <IAM token>`` (or
        ``Authorization: apikey <key>``, the fallback ``qiskit-ibm-runtime``'s ``CloudAuth`` uses
        when IAM is unreachable) [CLIENT]; 401 otherwise [REST]."""
        header = req.header("authorization") or ""
        scheme, _, credential = header.partition(" ")
        credential = credential.strip()
        if scheme.lower() == "bearer" and credential:
            with self.lock:
                info = self.tokens.get(credential)
            if info is None:
                raise HttpError(401, "Unauthorized", "Error authenticating user.")
            if info["exp"] <= _now():
                raise HttpError(401, "Unauthorized", "Error authenticating user. The IAM token has expired.")
            return info
        if scheme.lower() == "apikey" and credential and self._key_accepted(credential):
            return {"apikey": credential, "exp": float("inf")}
        raise HttpError(401, "Unauthorized", "Error authenticating user.")

    def _api(self, handler: Callable[..., Response]) -> Callable[..., Response]:
        """Every ``/api/v1`` call: a valid bearer token (401), a ``Service-CRN`` naming an
        instance of the caller's (403 "You are not authorized to perform this action." [OBSERVED];
        missing: same [CHOICE]), and a well-formed ``IBM-API-Version`` (``YYYY-MM-DD``; 400 when
        malformed [CHOICE])."""

        def wrapped(req: Request, **kw: Any) -> Response:
            self._bearer(req)
            crn = (req.header("service-crn") or "").strip()
            if not crn or crn not in self.settings["instances"]:
                raise HttpError(403, "Forbidden", "You are not authorized to perform this action.")
            version = req.header("ibm-api-version")
            if version is not None and not VERSION_RE.match(version.strip()):
                raise HttpError(400, "BadRequest", f"Invalid IBM-API-Version header value '{version}'; expected YYYY-MM-DD.")
            return handler(req, crn=crn, **kw)

        return wrapped

    def _cloud(self, handler: Callable[..., Response]) -> Callable[..., Response]:
        """IBM Cloud platform APIs (Global Search, Global Catalog): bearer token only."""

        def wrapped(req: Request, **kw: Any) -> Response:
            try:
                self._bearer(req)
            except HttpError:
                return Response(401, {"errors": [{"code": "not_authorized", "message": "Unauthorized",
                                                  "more_info": "https://cloud.ibm.com/apidocs"}],
                                      "trace": _xid(), "status_code": 401})
            return handler(req, **kw)

        return wrapped

    def _key_accepted(self, key: str) -> bool:
        keys = self.settings["api_keys"]
        return bool(key) and (keys is None or key in keys)

    # ----- IAM ----------------------------------------------------------------------------------
    def iam_token(self, req: Request) -> Response:
        """``POST /identity/token`` with form ``grant_type=urn:ibm:params:oauth:grant-type:apikey&
        apikey=…`` → ``{"access_token", "refresh_token", "ims_user_id", "token_type": "Bearer",
        "expires_in", "expiration", "scope"}`` [REST cloud-setup-rest-api]. The access token is a
        JWT whose ``exp`` claim ``ibm-cloud-sdk-core`` reads to schedule its refresh [CLIENT].
        Errors have IAM's shape ``{"errorCode", "errorMessage", "context"}``: ``BXNIM0415E``
        "Provided API key could not be found." for an unknown key [OBSERVED]; ``BXNIM0109E`` for a
        missing key and ``BXNIM0103E`` for another grant type [CHOICE]."""
        form = {k: v[0] for k, v in parse_qs(req.body.decode("utf-8", "replace")).items()}
        context = {"requestId": _xid(), "requestType": "incoming.Identity_Token", "url": req.base_url,
                   "instanceId": "iamid-emulator", "host": "iam-emulator"}

        def iam_error(status: int, code: str, message: str) -> Response:
            return Response(status, {"errorCode": code, "errorMessage": message, "context": context})

        grant = form.get("grant_type")
        if grant != APIKEY_GRANT:
            return iam_error(400, "BXNIM0103E", f"Unsupported grant type: {grant!r}.")
        apikey = form.get("apikey", "")
        if not apikey:
            return iam_error(400, "BXNIM0109E", "Property missing or empty. Property 'apikey' is required.")
        if not self._key_accepted(apikey):
            return iam_error(400, "BXNIM0415E", "Provided API key could not be found.")
        lifetime = int(self.settings["token_lifetime_seconds"])
        iat = int(_now())
        exp = iat + lifetime
        iam_id = "IBMid-" + base64.b32encode(apikey.encode()).decode().rstrip("=")[:10]
        header = {"kid": "20260101", "alg": "RS256", "typ": "JWT"}
        claims = {
            "iam_id": iam_id, "id": iam_id, "realmid": "IBMid", "sub": "emulator@example.com",
            "sub_type": "ServiceId" if apikey.startswith("ServiceId") else "user",
            "account": {"valid": True, "bss": "0e6a2b5c1f0b4a1e9d3c7b8a6f5e4d3c"},
            "iat": iat, "exp": exp, "iss": req.base_url + "/identity", "grant_type": APIKEY_GRANT,
            "scope": "ibm openid", "client_id": "default", "jti": secrets.token_hex(8),
        }
        token = ".".join([
            _b64url(json.dumps(header).encode()),
            _b64url(json.dumps(claims).encode()),
            _b64url(secrets.token_bytes(64)),
        ])
        with self.lock:
            self.tokens[token] = {"apikey": apikey, "exp": float(exp), "iam_id": iam_id}
        return Response(200, {
            "access_token": token,
            "refresh_token": "not_supported",
            "ims_user_id": 14159265,
            "token_type": "Bearer",
            "expires_in": lifetime,
            "expiration": exp,
            "scope": "ibm openid",
        })

    # ----- IBM Cloud Global Search / Global Catalog ---------------------------------------------
    def global_search(self, req: Request) -> Response:
        """``POST /v3/resources/search`` (IBM Cloud Global Search) — ``qiskit-ibm-runtime``'s
        ``Account.list_instances`` asks it for ``service_name:quantum-computing`` and keeps the
        items with ``doc.extensions`` [CLIENT accounts/account.py]. Point the client at it with
        ``GLOBAL_SEARCH_URL=<endpoint>``."""
        items = []
        for i, crn in enumerate(self.settings["instances"]):
            items.append({
                "crn": crn,
                "name": "emulator-instance" if i == 0 else f"emulator-instance-{i}",
                "service_plan_unique_id": f"emulator-plan-{i}",
                "doc": {"extensions": {"allocations": 42}},
                "tags": [],
            })
        return Response(200, {"items": items, "limit": 100})

    def catalog_entry(self, req: Request, entry: str) -> Response:
        """``GET /global-catalog/api/v1/{id}`` (IBM Cloud Global Catalog; the real host serves it at
        ``/api/v1/{id}``): a plan's display name and pricing type [CLIENT]. Point the client at it
        with ``GLOBAL_CATALOG_URL=<endpoint>/global-catalog/api/v1``."""
        return Response(200, {
            "id": entry,
            "name": entry,
            "kind": "plan",
            "overview_ui": {"en": {"display_name": "Open", "description": "Emulated Open Plan"}},
            "metadata": {"pricing": {"type": "free"}},
        })

    # ----- backends ---------------------------------------------------------------------------
    def _device(self, name: str):
        device = self.devices.get(name)
        if device is None:
            # [CHOICE] code: IBM's registry lists 1007 "Backend not found." for jobs.
            raise HttpError(404, "1007", f"Backend {name} not found.")
        return device

    def _pending(self, backend: str) -> int:
        return sum(1 for j in self.jobs.values() if j.backend == backend and j.state == "Queued")

    def list_backends(self, req: Request, crn: str) -> Response:
        """``GET /backends`` → ``{"devices": [{"name", "status": {"name", "reason"}, "qubits",
        "queue_length", "processor_type", …}]}`` [CLIENT registries + recorded answers]. Without an
        ``IBM-API-Version`` header the service answers the legacy form, device names only
        [OBSERVED]."""
        with self.lock:
            if req.header("ibm-api-version") is None:
                return Response(200, {"devices": list(self.devices)})
            return Response(200, {"devices": [d.list_entry(self._pending(d.name)) for d in self.devices.values()]})

    def backend_status(self, req: Request, crn: str, name: str) -> Response:
        """``GET /backends/{name}/status`` → ``{"state", "status", "message", "length_queue",
        "backend_version"}`` [CLIENT cloud_backend.py]; ``length_queue`` counts the emulator's
        queued jobs on top of the backend's base queue."""
        with self.lock:
            device = self._device(name)
            return Response(200, device.status_doc(self._pending(name)))

    def backend_configuration(self, req: Request, crn: str, name: str) -> Response:
        """``GET /backends/{name}/configuration``: a ``QasmBackendConfiguration`` document."""
        device = self._device(name)
        return Response(200, device.configuration())

    def backend_properties(self, req: Request, crn: str, name: str) -> Response:
        """``GET /backends/{name}/properties``: a ``BackendProperties`` document (qubit T1/T2 in µs,
        readout errors, gate errors and lengths)."""
        device = self._device(name)
        when = _dt.datetime.fromtimestamp(self.started, _dt.timezone.utc).replace(microsecond=0)
        return Response(200, device.properties(when))

    def backend_defaults(self, req: Request, crn: str, name: str) -> Response:
        """``GET /backends/{name}/defaults``: pulse defaults; the emulated devices have none."""
        self._device(name)
        return Response(200, {})

    def instance_usage(self, req: Request, crn: str) -> Response:
        """``GET /instances/usage`` (``QiskitRuntimeService.usage``, called before every job
        [CLIENT])."""
        with self.lock:
            used = sum(j.usage_seconds for j in self.jobs.values() if j.instance == crn)
        return Response(200, {
            "instance_id": crn,
            "plan_id": "emulator-plan-0",
            "usage_consumed_seconds": round(used, 3),
            "usage_limit_seconds": 600,
            "usage_allocation_seconds": 600,
            "usage_limit_reached": False,
            "usage_remaining_seconds": max(0, 600 - round(used)),
        })

    # ----- sessions ---------------------------------------------------------------------------
    def _session_doc(self, s: Session) -> dict[str, Any]:
        """[REST sessions] fields; ``qiskit-ibm-runtime``'s ``Session.details`` reads them."""
        return {
            "id": s.id,
            "backend_name": s.backend,
            "mode": s.mode,
            "state": s.state,
            "state_reason": s.state_reason,
            "accepting_jobs": s.accepting_jobs,
            "max_ttl": s.max_ttl,
            "interactive_ttl": s.interactive_ttl,
            "active_ttl": self._active_ttl(s),
            "started_at": _iso(s.created),
            "activated_at": _iso(s.activated_at),
            "closed_at": _iso(s.closed_at),
            "last_job_started": _iso(s.last_job_started),
            "last_job_completed": _iso(s.last_job_completed),
            "elapsed_time": round(s.elapsed, 3),
            "user_id": s.user_id,
            "instance": s.instance,
            "timestamps": [{"status": st, "timestamp": _iso(ts)} for st, ts in s.timestamps],
        }

    def _active_ttl(self, s: Session) -> int | None:
        if s.activated_at is None:
            return s.max_ttl
        return max(0, int(s.max_ttl - (_now() - s.activated_at)))

    def _session(self, sid: str, crn: str) -> Session:
        s = self.sessions.get(sid)
        if s is None or s.instance != crn:
            raise HttpError(404, "1292", f"Session not found. Session ID: {sid}")  # [CHOICE] code
        return s

    def _set_session_state(self, s: Session, state: str, reason: str | None = None) -> None:
        if s.state == state:
            return
        s.state = state
        s.state_reason = reason
        s.timestamps.append((state, _now()))
        if state == "closed":
            s.closed_at = _now()
            s.accepting_jobs = False

    def create_session(self, req: Request, crn: str) -> Response:
        """``POST /sessions`` ``{"mode": "dedicated"|"batch", "backend", "max_ttl"}`` → the session
        document [REST sessions; CLIENT runtime_session.py]. A session opens in state ``open``,
        turns ``active`` when its first job starts (its ``max_ttl`` counts from there), ``inactive``
        after ``interactive_ttl`` idle seconds, and ``closed`` at ``max_ttl``, on ``DELETE …/close``,
        or once it no longer accepts jobs and has none pending."""
        body = req.json() or {}
        if not isinstance(body, dict):
            raise HttpError(400, "BadRequest", "The request body must be a JSON object.")
        mode = body.get("mode") or "dedicated"
        if mode not in ("dedicated", "batch"):
            raise HttpError(400, "BadRequest", f"Invalid mode '{mode}'; expected dedicated or batch.")
        backend = body.get("backend") or body.get("backend_name")
        if not backend:
            raise HttpError(400, "BadRequest", "A backend is required to create a session.")
        max_ttl = body.get("max_ttl", self.settings["session_default_max_ttl"])
        if not isinstance(max_ttl, int) or isinstance(max_ttl, bool) or not 1 <= max_ttl <= 2147483647:
            raise HttpError(400, "BadRequest", "max_ttl must be an integer between 1 and 2147483647.")
        with self.lock:
            self._device(backend)
            now = _now()
            s = Session(
                id=_xid(), backend=backend, mode=mode, state="open", state_reason=None,
                accepting_jobs=True, max_ttl=max_ttl,
                interactive_ttl=int(self.settings["session_interactive_ttl"]),
                created=now, activated_at=None, closed_at=None, last_job_started=None,
                last_job_completed=None, elapsed=0.0, user_id=self._bearer(req).get("iam_id", "user"),
                instance=crn, timestamps=[("open", now)],
            )
            self.sessions[s.id] = s
            return Response(200, self._session_doc(s))

    def get_session(self, req: Request, crn: str, sid: str) -> Response:
        with self.lock:
            return Response(200, self._session_doc(self._session(sid, crn)))

    def patch_session(self, req: Request, crn: str, sid: str) -> Response:
        """``PATCH /sessions/{id}`` ``{"accepting_jobs": false}`` → 204: no new jobs; queued jobs
        still run, then the session closes [REST; qiskit-ibm-runtime 0.13+ ``Session.close``]."""
        body = req.json() or {}
        if not isinstance(body, dict) or not isinstance(body.get("accepting_jobs"), bool):
            raise HttpError(400, "BadRequest", "The body must be {\"accepting_jobs\": false}.")
        with self.lock:
            s = self._session(sid, crn)
            if body["accepting_jobs"] and not s.accepting_jobs:
                raise HttpError(400, "BadRequest", f"Session {sid} no longer accepts jobs; it cannot be reopened.")
            s.accepting_jobs = body["accepting_jobs"]
            self._tick_session(s, _now())
        return Response(204)

    def close_session(self, req: Request, crn: str, sid: str) -> Response:
        """``DELETE /sessions/{id}/close`` → 204: the session closes and its queued jobs are
        cancelled; a running job finishes [CLIENT ``Session.cancel``: "Cancel all pending jobs in a
        session"]."""
        with self.lock:
            s = self._session(sid, crn)
            for job in self.jobs.values():
                if job.session_id == sid and job.state == "Queued":
                    self._finish(job, "Cancelled", "Job was cancelled because its session was closed.", 5202)
            self._set_session_state(s, "closed", "closed by the user")
        return Response(204)

    def _tick_session(self, s: Session, now: float) -> None:
        if s.state == "closed":
            return
        pending = [j for j in self.jobs.values() if j.session_id == s.id and j.state in PENDING]
        if s.activated_at is not None and now - s.activated_at >= s.max_ttl:
            for job in pending:
                if job.state == "Queued":
                    # [OBSERVED behaviour] queued session jobs fail when the session's max TTL
                    # expires; 4001 "Job is part of a session that's been closed" (registry).
                    self._finish(job, "Failed", "Job is part of a session that's been closed.", 4001)
            self._set_session_state(s, "closed", "max_ttl expired")
            return
        if not s.accepting_jobs and not pending:
            self._set_session_state(s, "closed", "no longer accepting jobs")
            return
        if s.state == "active" and not pending:
            last = max(filter(None, [s.last_job_completed, s.last_job_started, s.activated_at]))
            if s.mode == "dedicated" and now - last >= s.interactive_ttl:
                self._set_session_state(s, "inactive", "interactive ttl expired")
        elif s.state == "inactive" and pending:
            self._set_session_state(s, "active")

    def _ticker(self) -> None:
        while True:
            time.sleep(0.1)
            try:
                with self.lock:
                    now = _now()
                    for s in list(self.sessions.values()):
                        self._tick_session(s, now)
            except Exception:  # noqa: BLE001 - keep ticking
                pass

    # ----- jobs ---------------------------------------------------------------------------------
    def _job_doc(self, job: Job, include_params: bool) -> dict[str, Any]:
        """``JobResponseV3`` [REST]: ``state.status`` and ``status`` are ``Queued``, ``Running``,
        ``Completed``, ``Failed`` or ``Cancelled``; a failed job carries ``state.reason`` and
        ``state.reason_code`` (``qiskit-ibm-runtime`` reports "Error code {reason_code};
        {reason}")."""
        state: dict[str, Any] = {"status": job.state}
        if job.reason:
            state["reason"] = job.reason
        if job.reason_code:
            state["reason_code"] = job.reason_code
        if job.reason_solution:
            state["reason_solution"] = job.reason_solution
        doc: dict[str, Any] = {
            "id": job.id,
            "backend": job.backend,
            "state": state,
            "status": job.state,
            "program": {"id": job.program},
            "created": _iso(job.created),
            "runtime": "",
            "cost": job.cost,
            "tags": list(job.tags),
            "user_id": job.user_id,
            "estimated_running_time_seconds": job.run_seconds,
            "usage": {"quantum_seconds": round(job.usage_seconds, 3), "seconds": round(job.usage_seconds, 3)},
        }
        if job.session_id:
            doc["session_id"] = job.session_id
        if job.private:
            doc["private"] = True
        if job.ended is not None:
            doc["ended"] = _iso(job.ended)
        if include_params and not job.private:
            doc["params"] = job.params
        return doc

    def _job(self, jid: str, crn: str) -> Job:
        job = self.jobs.get(jid)
        if job is None or job.instance != crn:
            raise HttpError(404, "1291", f"Job not found. Job ID: {jid}")
        return job

    def create_job(self, req: Request, crn: str) -> Response:
        """``POST /jobs`` ``{"program_id": "sampler"|"estimator", "backend", "params": {"pubs",
        "version": 2, "options"?, "support_qiskit"?}, "session_id"?, "tags"?, "private"?}`` → 200
        ``{"id", "backend"}`` (``session_id`` too for a session job) [REST JobRunParams,
        JobCreateResponse]. 400 for a malformed request, 404 for an unknown program, backend or
        session, 400 for a session that no longer accepts jobs (IBM rejects such jobs rather than
        failing them [OBSERVED, message CHOICE])."""
        body = req.json()
        if not isinstance(body, dict):
            raise HttpError(400, "BadRequest", "The request body must be a JSON object.")
        program = body.get("program_id")
        if not isinstance(program, str) or not program:
            raise HttpError(400, "BadRequest", "'program_id' is required.")
        if program not in ("sampler", "estimator"):
            raise HttpError(404, "1211", f"Program not found. Program ID: {program}")  # [CHOICE] code
        tags = body.get("tags") or []
        if not isinstance(tags, list) or len(tags) > 8 or not all(isinstance(t, str) and len(t) <= 86 for t in tags):
            raise HttpError(400, "BadRequest", "'tags' must be a list of at most 8 strings of at most 86 characters.")
        params = body.get("params")
        try:
            _runner.check_pubs_shape(program, params)
        except ValueError as exc:
            raise HttpError(400, "BadRequest", f"Invalid params: {exc}") from None
        session_id = body.get("session_id")
        with self.lock:
            self._rate_limit(crn)
            session = None
            if session_id:
                session = self._session(session_id, crn)
                if session.state == "closed" or not session.accepting_jobs:
                    raise HttpError(400, "BadRequest", f"Session {session_id} is closed or no longer accepting jobs.")
            backend = body.get("backend") or (session.backend if session else None)
            if not backend:
                raise HttpError(400, "BadRequest", "'backend' is required.")
            self._device(backend)
            if session is not None and backend != session.backend:
                raise HttpError(400, "BadRequest",
                                f"Backend {backend} does not match the backend {session.backend} of session {session_id}.")
            fail = None
            for spec in self.fail_next:
                if spec["times"] != 0 and (not spec["backend"] or spec["backend"] == backend):
                    fail = dict(spec)
                    spec["times"] -= 1
                    break
            self.fail_next = [s for s in self.fail_next if s["times"] != 0]
            now = _now()
            job = Job(
                id=_xid(), backend=backend, program=program, params=params, tags=list(tags),
                session_id=session_id, instance=crn, private=bool(body.get("private")),
                cost=int(body.get("cost") or 600), user_id=self._bearer(req).get("iam_id", "user"),
                state="Queued", reason=None, reason_code=None, reason_solution=None, result=None,
                created=now, running_at=None, ended=None, usage_seconds=0.0,
                queue_seconds=float(self.settings["job_queue_seconds"]),
                run_seconds=float(self.settings["job_run_seconds"]),
                fail=fail, support_qiskit=bool(params.get("support_qiskit")),
            )
            self.jobs[job.id] = job
            if session is not None and session.state == "inactive":
                self._set_session_state(session, "active")
        threading.Thread(target=self._execute, args=(job,), name=f"job-{job.id}", daemon=True).start()
        doc: dict[str, Any] = {"id": job.id, "backend": job.backend}
        if session_id:
            doc["session_id"] = session_id
        if job.private:
            doc["private"] = True
        return Response(200, doc)

    def _rate_limit(self, crn: str) -> None:
        limit = self.settings["jobs_per_minute"]
        if not limit:
            return
        now = _now()
        self.job_submits = [t for t in self.job_submits if now - t < 60]
        if len(self.job_submits) >= int(limit):
            retry = max(1, int(60 - (now - self.job_submits[0])) + 1)
            raise HttpError(429, "TooManyRequests", "Too many requests. Rate limit exceeded for job creation.",
                            {"Retry-After": str(retry)})
        self.job_submits.append(now)

    def _finish(self, job: Job, state: str, reason: str | None = None, code: int | None = None,
                solution: str | None = None) -> None:
        job.state = state
        job.reason = reason
        job.reason_code = code
        job.reason_solution = solution
        job.ended = _now()
        if job.running_at is not None:
            job.usage_seconds = job.ended - job.running_at
        if job.session_id and job.session_id in self.sessions:
            s = self.sessions[job.session_id]
            s.last_job_completed = job.ended
            if job.running_at is not None:
                s.elapsed += job.ended - job.running_at

    def _wait(self, job: Job, until: float) -> bool:
        """Sleep until ``until`` unless the job leaves its state; True when it is still pending."""
        while True:
            with self.lock:
                if job.state not in PENDING:
                    return False
            remaining = until - _now()
            if remaining <= 0:
                return True
            time.sleep(min(0.05, remaining))

    def _execute(self, job: Job) -> None:
        device = self.devices.get(job.backend)
        if device is None or not self._wait(job, job.created + job.queue_seconds):
            return
        with device.exec_lock:
            while True:  # a paused or offline device keeps its jobs queued
                with self.lock:
                    if job.state != "Queued" or self.jobs.get(job.id) is not job:
                        return
                    if device.operational:
                        session = self.sessions.get(job.session_id) if job.session_id else None
                        job.state = "Running"
                        job.running_at = _now()
                        if session is not None:
                            if session.activated_at is None:
                                session.activated_at = job.running_at
                            if session.state in ("open", "inactive"):
                                self._set_session_state(session, "active")
                            session.last_job_started = job.running_at
                        break
                time.sleep(0.05)
            error: _runner.JobFailure | None = None
            result = None
            try:
                run = _runner.run_sampler if job.program == "sampler" else _runner.run_estimator
                seed = self.settings["seed"]
                with _devices.QISKIT_LOCK:
                    result = run(device, job.params, bool(self.settings["require_isa"]), seed)
            except _runner.JobFailure as exc:
                error = exc
            except Exception as exc:  # noqa: BLE001 - an emulator bug shows as IBM's internal error
                error = _runner.JobFailure(f"Internal error. {exc!r} -- Try again or contact support. -- https://ibm.biz/error_codes#1500", 1500)
            if not self._wait(job, job.running_at + job.run_seconds):
                return
            with self.lock:
                if job.state != "Running":
                    return
                if error is None and job.fail:
                    error = _runner.JobFailure(job.fail["reason"], job.fail.get("reason_code"))
                if error is not None:
                    self._finish(job, "Failed", error.reason, error.code, error.solution)
                else:
                    job.result = result
                    self._finish(job, "Completed")

    def list_jobs(self, req: Request, crn: str) -> Response:
        """``GET /jobs`` with ``limit`` (1–200, default 200; out of range → default), ``offset``,
        ``pending`` (true: Queued/Running; false: terminal), ``program``, ``backend``,
        ``session_id``, ``tags`` (repeatable; a job must carry all), ``created_after``,
        ``created_before``, ``sort`` (ASC|DESC, default DESC), ``exclude_params`` (default true)
        → ``{"jobs", "count", "limit", "offset"}`` [REST list_jobs; CLIENT jobs_get]."""
        def int_arg(name: str, default: int, low: int, high: int) -> int:
            raw = req.arg(name)
            try:
                value = int(raw) if raw is not None else default
            except ValueError:
                return default
            return value if low <= value <= high else default

        limit = int_arg("limit", 200, 1, 200)
        offset = int_arg("offset", 0, 0, 2147483647)
        sort = (req.arg("sort") or "DESC").upper()
        if sort not in ("ASC", "DESC"):
            raise HttpError(400, "BadRequest", "sort must be ASC or DESC.")
        pending = _bool_arg(req.arg("pending"))
        tags = [t for t in req.query.get("tags", []) if t != ""]
        exclude_params = _bool_arg(req.arg("exclude_params"))
        after = self._time_arg(req, "created_after")
        before = self._time_arg(req, "created_before")
        with self.lock:
            jobs = [j for j in self.jobs.values() if j.instance == crn]
            if pending is not None:
                jobs = [j for j in jobs if (j.state in PENDING) == pending]
            for key, attr in (("program", "program"), ("backend", "backend"), ("session_id", "session_id")):
                value = req.arg(key)
                if value:
                    jobs = [j for j in jobs if getattr(j, attr) == value]
            if tags:
                jobs = [j for j in jobs if all(t in j.tags for t in tags)]
            if after is not None:
                jobs = [j for j in jobs if j.created >= after]
            if before is not None:
                jobs = [j for j in jobs if j.created <= before]
            jobs.sort(key=lambda j: j.created, reverse=(sort == "DESC"))
            page = jobs[offset:offset + limit]
            return Response(200, {
                "jobs": [self._job_doc(j, include_params=exclude_params is False) for j in page],
                "count": len(jobs),
                "limit": limit,
                "offset": offset,
            })

    @staticmethod
    def _time_arg(req: Request, name: str) -> float | None:
        raw = req.arg(name)
        if not raw:
            return None
        try:
            value = _dt.datetime.fromisoformat(raw.replace("Z", "+00:00"))
        except ValueError:
            raise HttpError(400, "BadRequest", f"{name} must be an ISO 8601 date-time.") from None
        if value.tzinfo is None:
            value = value.replace(tzinfo=_dt.timezone.utc)
        return value.timestamp()

    def get_job(self, req: Request, crn: str, jid: str) -> Response:
        """``GET /jobs/{id}`` (``exclude_params`` default false) [REST get_job]."""
        with self.lock:
            job = self._job(jid, crn)
            return Response(200, self._job_doc(job, include_params=not _bool_arg(req.arg("exclude_params"))))

    def delete_job(self, req: Request, crn: str, jid: str) -> Response:
        """``DELETE /jobs/{id}`` → 204; the job must be in a terminal state (400 otherwise) [REST]."""
        with self.lock:
            job = self._job(jid, crn)
            if job.state not in TERMINAL:
                raise HttpError(400, "BadRequest", f"Job {jid} is {job.state}; only a job in a terminal state can be deleted.")
            del self.jobs[jid]
        return Response(204)

    def cancel_job(self, req: Request, crn: str, jid: str) -> Response:
        """``POST /jobs/{id}/cancel`` → 204 for a Queued or Running job, 409 otherwise ("Job is in
        non cancellable status.") [REST; CLIENT maps 409 to RuntimeInvalidStateError]."""
        with self.lock:
            job = self._job(jid, crn)
            if job.state not in PENDING:
                raise HttpError(409, "1213", f"Job is in non cancellable status. Job {jid} is {job.state}.")
            self._finish(job, "Cancelled", "Job was cancelled.", 5202)
        return Response(204)

    def job_results(self, req: Request, crn: str, jid: str) -> Response:
        """``GET /jobs/{id}/results``: 200 with the result JSON for a Completed job (qiskit
        encoding when the job's ``params.support_qiskit`` was true, IBM's pure JSON otherwise);
        204 for a Failed or Cancelled job ("Job's final result not found" [REST]); 400 with code
        1234 "Cannot get results for a job in a non-terminal state." while it is pending
        [OBSERVED; status CHOICE]."""
        with self.lock:
            job = self._job(jid, crn)
            state, result = job.state, job.result
        if state in PENDING:
            raise HttpError(400, "1234", "Cannot get results for a job in a non-terminal state.")
        if state != "Completed" or result is None:
            return Response(204)
        if job.support_qiskit:
            body = _runner.encode_qiskit(job.program, result)
        else:
            body = _runner.encode_plain(job.program, result)
        return Response(200, body)

    def job_metrics(self, req: Request, crn: str, jid: str) -> Response:
        """``GET /jobs/{id}/metrics`` → ``{"timestamps": {"created", "running", "finished"},
        "usage": {"qpu_charge_time_seconds", "status"}, "qiskit_version", …}`` [REST]."""
        import qiskit

        with self.lock:
            job = self._job(jid, crn)
            done = job.state in TERMINAL
            return Response(200, {
                "timestamps": {"created": _iso(job.created), "running": _iso(job.running_at), "finished": _iso(job.ended)},
                "usage": {"qpu_charge_time_seconds": round(job.usage_seconds, 3), "status": "complete" if done else "pending"},
                "bss": {"seconds": round(job.usage_seconds, 3)},
                "qiskit_version": qiskit.__version__,
                "caller": req.header("x-qx-client-application") or "",
            })

    def job_logs(self, req: Request, crn: str, jid: str) -> Response:
        """``GET /jobs/{id}/logs`` → text/plain."""
        with self.lock:
            job = self._job(jid, crn)
            lines = [f"{_iso(job.created)} job {job.id} queued on {job.backend}"]
            if job.running_at:
                lines.append(f"{_iso(job.running_at)} running on qiskit-aer")
            if job.ended:
                lines.append(f"{_iso(job.ended)} {job.state}" + (f": {job.reason}" if job.reason else ""))
        return Response(200, "\n".join(lines) + "\n", content_type="text/plain")

    def replace_tags(self, req: Request, crn: str, jid: str) -> Response:
        """``PUT /jobs/{id}/tags`` ``{"tags": [...]}`` → 204 [REST]."""
        body = req.json() or {}
        tags = body.get("tags") if isinstance(body, dict) else None
        if not isinstance(tags, list) or len(tags) > 8 or not all(isinstance(t, str) and len(t) <= 86 for t in tags):
            raise HttpError(400, "BadRequest", "'tags' must be a list of at most 8 strings of at most 86 characters.")
        with self.lock:
            self._job(jid, crn).tags = list(tags)
        return Response(204)

    def search_tags(self, req: Request, crn: str) -> Response:
        """``GET /tags?type=job&search=…`` → ``{"tags": [...]}`` (search at least 3 characters)."""
        search = req.arg("search") or ""
        if len(search) < 3:
            raise HttpError(400, "BadRequest", "search must be at least 3 characters long.")
        with self.lock:
            found = sorted({t for j in self.jobs.values() if j.instance == crn for t in j.tags if search in t})
        return Response(200, {"tags": found})


SOLUTIONS = {
    1200: "Try again or contact support.",
    1219: "Check that the IAM token is valid and not expired, then try again.",
    1234: "Try again when job has reached a terminal state.",
    1291: "Verify the job ID is correct.",
    1292: "Verify the session ID is correct.",
    1007: "Verify that the correct backend name was specified.",
    1290: "Wait for the time given in the Retry-After header, then try again.",
}


if __name__ == "__main__":
    main(IBMQuantumEmulator)
