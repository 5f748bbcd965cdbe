"""Shared plumbing for aic's cloud API emulators.

Each emulator (``emulators/<name>/server.py``) describes one cloud's public REST surface as
routes on an :class:`Emulator`; this module owns what they have in common and nothing
cloud-specific:

* an HTTP/1.1 server (keep-alive, ``Content-Length`` on every answer) bound to loopback;
* routing by method and path regex;
* the **control API** under ``/_emulator/`` that tests use and the cloud never had:
  ``GET health``, ``GET requests`` (the request log, to count calls), ``DELETE requests``,
  ``POST faults`` / ``GET faults`` / ``DELETE faults`` (injected errors, throttling, timeouts,
  lost answers), ``POST settings`` (per-emulator knobs such as provisioning delays),
  ``POST reset`` (forget every object);
* ``main()``: ``--host``, ``--port`` (0 picks a free one), ``--port-file``; prints one line
  ``endpoint=http://HOST:PORT`` once the socket listens.

A fault is a JSON object::

    {"method": "PUT", "path": "virtualMachines/vm1", "status": 429,
     "headers": {"Retry-After": "1"}, "times": 1, "when": "before"}

``path`` is a regular expression searched in the request path (query excluded);
``method`` is optional (any method). ``when`` is ``"before"`` (answer with the fault instead of
running the handler, the default) or ``"after"`` (run the handler, so the operation takes
effect, then answer with the fault: a lost answer). ``status`` may be a number, in which case
the body is the cloud's own error body (``Emulator.error_body``) unless ``body`` is given, or
``"timeout"`` (hold the request ``seconds`` seconds, default 30, then close the connection
without answering) or ``"drop"`` (close the connection at once). ``times`` counts how many
matching requests the fault applies to (default 1; ``-1`` for ever).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import socket
import sys
import threading
import time
import traceback
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Callable
from urllib.parse import parse_qs, urlsplit

JSON = "application/json"


@dataclass
class Request:
    """One HTTP request, as handlers see it."""

    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]  # lower-case names
    body: bytes
    base_url: str  # scheme://host:port the client used, for links (nextLink, Location)
    server_port: int = 0  # the port this server listens on (a Host header may lack it)

    def arg(self, name: str, default: str | None = None) -> str | None:
        """First value of a query parameter."""
        values = self.query.get(name)
        return values[0] if values else default

    def header(self, name: str, default: str | None = None) -> str | None:
        return self.headers.get(name.lower(), default)

    def json(self) -> Any:
        """The body parsed as JSON; an empty body is ``None``. Invalid JSON is a 400."""
        if not self.body:
            return None
        try:
            return json.loads(self.body)
        except ValueError as exc:
            raise HttpError(400, "InvalidRequestContent", f"The request content is not valid JSON: {exc}") from exc


@dataclass
class Response:
    status: int = 200
    body: Any = None  # dict/list → JSON; bytes/str sent as is; None → empty body
    headers: dict[str, str] = field(default_factory=dict)
    content_type: str = JSON

    def encoded(self) -> bytes:
        if self.body is None:
            return b""
        if isinstance(self.body, bytes):
            return self.body
        if isinstance(self.body, str):
            return self.body.encode()
        return json.dumps(self.body).encode()


class HttpError(Exception):
    """Raised by handlers; rendered through the emulator's own error body."""

    def __init__(self, status: int, code: str, message: str, headers: dict[str, str] | None = None):
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.headers = headers or {}


@dataclass
class Fault:
    status: Any
    path: str = ""
    method: str | None = None
    times: int = 1
    when: str = "before"
    headers: dict[str, str] = field(default_factory=dict)
    body: Any = None
    code: str | None = None
    message: str | None = None
    seconds: float = 30.0

    def matches(self, req: Request) -> bool:
        if self.times == 0:
            return False
        if self.method and self.method.upper() != req.method:
            return False
        return re.search(self.path, req.path) is not None


class _Drop(Exception):
    """Close the connection without answering."""


Handler = Callable[..., Response]


class Emulator:
    """A cloud API: routes plus the shared control API. Subclasses add routes in ``__init__``
    and override :meth:`error_body`, :meth:`reset` and :meth:`apply_settings`."""

    name = "emulator"

    def __init__(self) -> None:
        self.lock = threading.RLock()
        self._routes: list[tuple[str, re.Pattern[str], Handler]] = []
        self._faults: list[Fault] = []
        self._log: list[dict[str, Any]] = []
        self.settings: dict[str, Any] = {}

    # ----- what a cloud overrides -------------------------------------------------
    def error_body(self, status: int, code: str, message: str) -> Any:
        """The cloud's own error document for an HTTP error."""
        return {"error": {"code": code, "message": message}}

    def not_found(self, req: Request) -> HttpError:
        return HttpError(404, "NotFound", f"No route for {req.method} {req.path}")

    def reset(self) -> None:
        """Forget every object (control API ``POST /_emulator/reset``)."""

    def apply_settings(self, settings: dict[str, Any]) -> None:
        """Validate and store per-emulator knobs; unknown keys are a 400."""
        unknown = set(settings) - set(self.settings)
        if unknown:
            raise HttpError(400, "UnknownSetting", f"unknown settings {sorted(unknown)}; known: {sorted(self.settings)}")
        self.settings.update(settings)

    def control(self, req: Request, action: str) -> Response | None:
        """Emulator-specific control endpoints (``/_emulator/<action>``); None when unknown."""
        return None

    # ----- routing ---------------------------------------------------------------
    def route(self, method: str, pattern: str) -> Callable[[Handler], Handler]:
        """Register ``handler(req, **named_groups)`` for ``method`` and a full-match path regex."""

        def register(handler: Handler) -> Handler:
            self._routes.append((method.upper(), re.compile(pattern), handler))
            return handler

        return register

    def dispatch(self, req: Request) -> Response:
        if req.path.startswith("/_emulator/"):
            return self._control(req)
        fault = self._take_fault(req)
        if fault is not None and fault.when == "before":
            return self._fault_response(fault)
        response = self._run_route(req)
        if fault is not None:
            return self._fault_response(fault)
        return response

    def _run_route(self, req: Request) -> Response:
        path_matched = False
        for method, pattern, handler in self._routes:
            match = pattern.fullmatch(req.path)
            if match is None:
                continue
            path_matched = True
            if method != req.method:
                continue
            try:
                return handler(req, **match.groupdict())
            except HttpError as err:
                return self.http_error(err)
        if path_matched:
            return self.http_error(HttpError(405, "MethodNotAllowed", f"{req.method} is not allowed on {req.path}"))
        return self.http_error(self.not_found(req))

    def http_error(self, err: HttpError) -> Response:
        return Response(err.status, self.error_body(err.status, err.code, err.message), dict(err.headers))

    # ----- faults ----------------------------------------------------------------
    def _take_fault(self, req: Request) -> Fault | None:
        with self.lock:
            for fault in self._faults:
                if fault.matches(req):
                    if fault.times > 0:
                        fault.times -= 1
                    return fault
        return None

    def _fault_response(self, fault: Fault) -> Response:
        if fault.status == "drop":
            raise _Drop()
        if fault.status == "timeout":
            time.sleep(fault.seconds)
            raise _Drop()
        status = int(fault.status)
        body = fault.body
        if body is None:
            code = fault.code or _default_code(status)
            body = self.error_body(status, code, fault.message or f"injected fault: {code}")
        return Response(status, body, dict(fault.headers))

    # ----- control API -----------------------------------------------------------
    def _control(self, req: Request) -> Response:
        action = req.path[len("/_emulator/"):].strip("/")
        try:
            if action == "health" and req.method == "GET":
                return Response(200, {"emulator": self.name, "ok": True})
            if action == "requests":
                with self.lock:
                    if req.method == "DELETE":
                        self._log.clear()
                        return Response(204)
                    return Response(200, {"requests": list(self._log)})
            if action == "faults":
                with self.lock:
                    if req.method == "POST":
                        spec = req.json()
                        specs = spec if isinstance(spec, list) else [spec]
                        for one in specs:
                            self._faults.append(Fault(**one))
                        return Response(201, {"faults": len(self._faults)})
                    if req.method == "DELETE":
                        self._faults.clear()
                        return Response(204)
                    return Response(200, {"faults": [f.__dict__ for f in self._faults if f.times != 0]})
            if action == "settings":
                with self.lock:
                    if req.method == "POST":
                        self.apply_settings(req.json() or {})
                    return Response(200, dict(self.settings))
            if action == "reset" and req.method == "POST":
                with self.lock:
                    self._faults.clear()
                    self._log.clear()
                    self.reset()
                return Response(204)
            custom = self.control(req, action)
            if custom is not None:
                return custom
        except HttpError as err:
            return Response(err.status, {"error": {"code": err.code, "message": err.message}})
        except TypeError as err:  # a fault spec with unknown fields
            return Response(400, {"error": {"code": "BadControlRequest", "message": str(err)}})
        return Response(404, {"error": {"code": "NotFound", "message": f"no control endpoint {req.method} {action}"}})

    def record(self, req: Request, status: int) -> None:
        if req.path.startswith("/_emulator/"):
            return
        with self.lock:
            self._log.append({"method": req.method, "path": req.path, "query": req.query, "status": status, "time": time.time()})


def _default_code(status: int) -> str:
    return {
        400: "BadRequest",
        401: "Unauthorized",
        403: "Forbidden",
        404: "NotFound",
        409: "Conflict",
        429: "TooManyRequests",
        500: "InternalServerError",
        502: "BadGateway",
        503: "ServiceUnavailable",
        504: "GatewayTimeout",
    }.get(status, "Error")


def _handler_class(emulator: Emulator) -> type[BaseHTTPRequestHandler]:
    class _RequestHandler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        server_version = f"aic-{emulator.name}-emulator"

        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - stdlib signature
            if emulator.settings.get("verbose"):
                sys.stderr.write("%s %s\n" % (self.address_string(), format % args))

        def _serve(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
                body = self._read_chunked()
            split = urlsplit(self.path)
            host = self.headers.get("Host") or "%s:%d" % self.server.server_address[:2]
            req = Request(
                method=self.command,
                path=split.path,
                query=parse_qs(split.query, keep_blank_values=True),
                headers={k.lower(): v for k, v in self.headers.items()},
                body=body,
                base_url=f"http://{host}",
                server_port=self.server.server_address[1],
            )
            try:
                response = emulator.dispatch(req)
            except _Drop:
                emulator.record(req, 0)
                self.close_connection = True
                try:
                    self.connection.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass
                return
            except Exception as exc:  # a bug in the emulator: answer 500 with the trace
                traceback.print_exc()
                response = Response(500, emulator.error_body(500, "InternalServerError", f"emulator bug: {exc!r}"))
            emulator.record(req, response.status)
            payload = response.encoded()
            self.send_response(response.status)
            if payload or response.status not in (204, 304):
                self.send_header("Content-Type", response.headers.pop("Content-Type", response.content_type))
            for name, value in response.headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(payload)

        def _read_chunked(self) -> bytes:
            chunks = []
            while True:
                size = int(self.rfile.readline().strip() or b"0", 16)
                if size == 0:
                    self.rfile.readline()
                    return b"".join(chunks)
                chunks.append(self.rfile.read(size))
                self.rfile.readline()

        do_GET = do_PUT = do_POST = do_DELETE = do_PATCH = do_HEAD = _serve

    return _RequestHandler


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True


def serve(emulator: Emulator, host: str = "127.0.0.1", port: int = 0) -> _Server:
    """Bind and return the server (not yet serving); ``server.server_address`` has the port."""
    return _Server((host, port), _handler_class(emulator))


def main(factory: Callable[[], Emulator], argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="aic's local emulator of a cloud API")
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (loopback only by default)")
    parser.add_argument("--port", type=int, default=0, help="port to bind; 0 picks a free one")
    parser.add_argument("--port-file", help="write the bound port to this file once listening")
    parser.add_argument("--setting", action="append", default=[], metavar="KEY=JSON", help="initial setting")
    args = parser.parse_args(argv)
    emulator = factory()
    for item in args.setting:
        key, _, raw = item.partition("=")
        emulator.apply_settings({key: json.loads(raw)})
    server = serve(emulator, args.host, args.port)
    port = server.server_address[1]
    if args.port_file:
        with open(args.port_file + ".tmp", "w") as f:
            f.write(str(port))
        os.replace(args.port_file + ".tmp", args.port_file)
    print(f"endpoint=http://{args.host}:{port}", flush=True)
    try:
        server.serve_forever(poll_interval=0.2)
    except KeyboardInterrupt:
        pass
