"""A small OPA-compatible HTTP server that evaluates with the real OPA Go library.

No OPA binary installs here (shared/ENVIRONMENT.md), yet the gate's OPA-server path (an
`opa-python-client` talking to OPA's REST API) must be tested for real. This server answers the
subset of the REST API that the client uses, and evaluates every query with the OPA library itself
(`opa_bindings.OpaEngine`), so what it returns is what `opa run --server` would return:

    GET    /health                        -> 200 {}
    GET    /v1/policies                   -> {"result": [{"id", "raw", "ast": {"package"}}]}
    GET    /v1/policies/{id}              -> {"result": {...}}            (404 when absent)
    PUT    /v1/policies/{id}  (Rego text) -> 200 {}                       (400 when it does not compile)
    DELETE /v1/policies/{id}              -> 200 {}
    POST   /v1/data/{path}  {"input": x}  -> {"result": value}, or {} when the document is undefined
    GET    /v1/data/{path}[?input=<json>] -> same as POST
    PUT    /v1/data/{path}  (JSON)        -> 204                          (replaces the value at path)
    DELETE /v1/data/{path}                -> 204                          (404 when absent)

Errors use OPA's body shape `{"code": ..., "message": ...}`: malformed JSON is 400
`invalid_parameter`, unknown routes 404, evaluation errors 500 `internal_error`. The server binds to
127.0.0.1 only, answers only requests whose Host names the loopback address (no DNS rebinding), and
turns any failure inside a request into a 500 without stopping.

Any local process can reach a loopback port, so the server also:
- requires `Authorization: Bearer <token>` on everything but /health (401 otherwise). The token is
  PLATFORM_OPA_TOKEN when set, else generated at start and written to --token-file (mode 0600,
  default ~/.cache/uae-ml-platform/opa-token); the gate reads it the same way (`--opa-token-file`
  or PLATFORM_OPA_TOKEN).
- evaluates only a fixed set of Data API paths (default: gate/findings, the gate's
  entrypoint, and gate/unjudged; more with --allow-query); any other path is 404. The OPA library prepares and keeps a
  query per distinct path (megabytes each), so an open set of paths was unbounded memory.
- refuses policy and data writes (403) unless started with --allow-writes (or without --policies,
  as an empty server to be loaded by a client like `opa run --server`): the gate's entrypoint
  cannot be replaced behind its back.
- closes a replaced engine as soon as the evaluations still using it finish.
- serves at most --max-connections connections at once (503 beyond) with a 30 s idle timeout, and
  caps request bodies (--max-body-mib, default 64 MiB).

Every change to policies or data compiles a fresh engine before it is swapped in, so a module that
does not compile is rejected atomically (as OPA does) and evaluations in flight keep the old engine.

Known differences from OPA: `{"input": null}` evaluates with input undefined (the bindings cannot
pass a JSON null input); `explain`, `metrics`, `provenance` and `instrument` are ignored; the policy
`ast` carries only the package path; bundles, the Query, Compile, Config and Status APIs are absent.

Run: `python -m tests.support.opa_server --port 8181 --policies policies/rego`, then
`platformctl gate --engine opa-server --opa-url http://127.0.0.1:8181 --opa-token-file ~/.cache/uae-ml-platform/opa-token`.
"""

from __future__ import annotations

import argparse
import contextlib
import copy
import hmac
import json
import os
import re
import secrets
import socket
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from platformctl.errors import PolicyEngineError
from platformctl.gate.engines.opa_server_client import TOKEN_ENV, read_token_file, resolve_token  # noqa: F401

LOOPBACK = "127.0.0.1"
MAX_BODY_BYTES = 64 << 20
MAX_CONNECTIONS = 8
GATE_QUERY = "gate/findings"
# The gate asks for its findings and for the resources no rule judges (reported as unchecked).
DEFAULT_QUERIES = frozenset({GATE_QUERY, "gate/unjudged"})
DEFAULT_TOKEN_FILE = Path.home() / ".cache" / "uae-ml-platform" / "opa-token"
_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_PACKAGE = re.compile(r"^\s*package\s+([A-Za-z0-9_.]+)", re.MULTILINE)
# "file.rego:3: rego_parse_error: message" lines inside an OPA error message.
_OPA_ERROR_LINE = re.compile(
    r"^(?:(?P<file>[^\s:]+):(?P<row>\d+): )?(?P<code>rego_[a-z_]+): (?P<message>.*)$", re.MULTILINE
)
_ABSENT = object()


class RequestError(Exception):
    """A request the server refuses; carries the HTTP status and OPA's error body."""

    def __init__(self, status: HTTPStatus, code: str, message: str, errors: list[dict[str, Any]] | None = None):
        super().__init__(message)
        self.status = status
        self.body: dict[str, Any] = {"code": code, "message": message}
        if errors:
            self.body["errors"] = errors


def data_ref(segments: list[str]) -> str:
    """`data.<path>` as a Rego reference built from URL path segments, safe against injection.

    OPA's server turns each segment into a string term, or a number term when it is an integer
    (array indexes). Identifiers use dot syntax; anything else is a JSON-quoted string key, which
    is also a valid Rego string literal, so a segment can never add an expression to the query.
    """
    parts: list[str] = []
    for segment in segments:
        if _IDENTIFIER.match(segment):
            parts.append(f".{segment}")
        elif segment.isdecimal() and segment.isascii():
            parts.append(f"[{int(segment)}]")
        else:
            parts.append(f"[{json.dumps(segment)}]")
    return "".join(parts).lstrip(".")


def _compile_errors(message: str) -> list[dict[str, Any]]:
    errors = []
    for match in _OPA_ERROR_LINE.finditer(message):
        error: dict[str, Any] = {"code": match["code"], "message": match["message"]}
        if match["file"]:
            error["location"] = {"file": match["file"], "row": int(match["row"])}
        errors.append(error)
    return errors


@dataclass(eq=False)
class _Snapshot:
    """A state of the server: modules, data, the engine compiled from them, and who is using it.

    Modules and data never change once built; `users` counts evaluations in flight and `retired`
    marks a snapshot that a write replaced, so the last user closes its engine (OpaState).
    """

    modules: dict[str, str]
    data: dict[str, Any]
    engine: Any  # opa_bindings.OpaEngine
    users: int = 0
    retired: bool = False
    _closed: bool = field(default=False, repr=False)


def _build_engine(modules: dict[str, str], data: dict[str, Any]) -> Any:
    """A fresh OPA engine with `modules` and `data`, compiled now so errors surface here."""
    from platformctl.gate.engines.rego import import_opa_bindings

    opa = import_opa_bindings()
    OpaEngine, OpaError = opa.OpaEngine, opa.OpaError  # noqa: N806
    engine = OpaEngine()
    try:
        for module_id, text in modules.items():
            engine.add_policy(module_id, text)
        if data:
            engine.add_data(data)
        engine.eval_query("x := 1")  # OPA compiles lazily: force it so a bad module is rejected now
    except OpaError as exc:
        engine.close()
        message = str(getattr(exc, "message", "") or exc)
        raise RequestError(
            HTTPStatus.BAD_REQUEST,
            "invalid_parameter",
            "error(s) occurred while compiling module(s)",
            _compile_errors(message) or [{"code": "rego_compile_error", "message": message}],
        ) from exc
    return engine


class OpaState:
    """Policies and data behind the server, evaluated with the real OPA library."""

    def __init__(self, modules: dict[str, str] | None = None, data: dict[str, Any] | None = None) -> None:
        modules = dict(modules or {})
        data = copy.deepcopy(data or {})
        try:
            engine = _build_engine(modules, data)
        except RequestError as exc:
            raise PolicyEngineError(f"OPA could not compile the policies: {exc.body}") from exc
        self._snapshot = _Snapshot(modules, data, engine)
        self._write_lock = threading.Lock()  # one write at a time (each compiles a whole engine)
        self._lease_lock = threading.Lock()  # guards users/retired of every snapshot
        self.engines_open = 1  # engines compiled and not yet closed (tests watch it for leaks)

    def _acquire(self) -> _Snapshot:
        with self._lease_lock:
            snapshot = self._snapshot
            snapshot.users += 1
            return snapshot

    def _release(self, snapshot: _Snapshot) -> None:
        with self._lease_lock:
            snapshot.users -= 1
            done = snapshot.retired and snapshot.users == 0
        if done:
            self._close(snapshot)

    def _close(self, snapshot: _Snapshot) -> None:
        with self._lease_lock:
            if snapshot._closed:
                return
            snapshot._closed = True
            self.engines_open -= 1
        snapshot.engine.close()

    def close(self) -> None:
        """Close the current engine (the server is stopping); later evaluations fail with 500."""
        with self._lease_lock:
            snapshot = self._snapshot
            snapshot.retired = True
            idle = snapshot.users == 0
        if idle:
            self._close(snapshot)

    @classmethod
    def from_directory(cls, root: Path) -> OpaState:
        """Modules and data as the gate loads them (rego_engine): data/<name>.json at data.uae_data.<name>."""
        from platformctl.gate.engines import rego as rego_engine

        sources = rego_engine.load_policies(Path(root))
        data = rego_engine.data_document(sources)
        modules = {path: text for path, text in sources if path.endswith(".rego")}
        return cls(modules, data)

    # -- reads ----------------------------------------------------------

    def policies(self) -> list[dict[str, Any]]:
        return [_policy_document(i, t) for i, t in sorted(self._snapshot.modules.items())]

    def policy(self, module_id: str) -> dict[str, Any]:
        text = self._snapshot.modules.get(module_id)
        if text is None:
            raise RequestError(
                HTTPStatus.NOT_FOUND, "resource_not_found", f"storage_not_found_error: policy id {module_id!r}"
            )
        return _policy_document(module_id, text)

    def evaluate(self, segments: list[str], input_document: Any = _ABSENT) -> Any:
        """The value of data.<segments> (`_ABSENT` when undefined)."""
        from opa_bindings import OpaError, OpaUndefinedError

        snapshot = self._acquire()  # a concurrent write retires this snapshot; the last user closes it
        try:
            return snapshot.engine.eval_document(
                data_ref(segments), input=None if input_document is _ABSENT else input_document
            )
        except OpaUndefinedError:
            return _ABSENT
        except OpaError as exc:
            code = getattr(exc, "code", "")
            message = str(getattr(exc, "message", "") or exc)
            if code == "invalid_argument":
                raise RequestError(HTTPStatus.BAD_REQUEST, "invalid_parameter", message) from exc
            raise RequestError(HTTPStatus.INTERNAL_SERVER_ERROR, "internal_error", message) from exc
        finally:
            self._release(snapshot)

    # -- writes (each compiles a new engine, then swaps it in) -----------

    def put_policy(self, module_id: str, text: str) -> None:
        with self._write_lock:
            modules = {**self._snapshot.modules, module_id: text}
            self._swap(modules, self._snapshot.data)

    def delete_policy(self, module_id: str) -> None:
        with self._write_lock:
            if module_id not in self._snapshot.modules:
                self.policy(module_id)  # raises the 404
            modules = {k: v for k, v in self._snapshot.modules.items() if k != module_id}
            self._swap(modules, self._snapshot.data)

    def put_data(self, segments: list[str], value: Any) -> None:
        if not segments and not isinstance(value, dict):
            raise RequestError(HTTPStatus.BAD_REQUEST, "invalid_parameter", "the root data document must be an object")
        with self._write_lock:
            data = copy.deepcopy(self._snapshot.data)
            if not segments:
                data = value
            else:
                node = data
                for segment in segments[:-1]:
                    child = node.get(segment)
                    if not isinstance(child, dict):
                        child = node[segment] = {}
                    node = child
                node[segments[-1]] = value
            self._swap(self._snapshot.modules, data)

    def delete_data(self, segments: list[str]) -> None:
        with self._write_lock:
            data = copy.deepcopy(self._snapshot.data)
            if not segments:
                data = {}
            else:
                node: Any = data
                for segment in segments[:-1]:
                    node = node.get(segment) if isinstance(node, dict) else None
                if not isinstance(node, dict) or segments[-1] not in node:
                    raise RequestError(
                        HTTPStatus.NOT_FOUND, "resource_not_found", f"storage_not_found_error: /{'/'.join(segments)}"
                    )
                del node[segments[-1]]
            self._swap(self._snapshot.modules, data)

    def _swap(self, modules: dict[str, str], data: dict[str, Any]) -> None:
        engine = _build_engine(modules, data)
        with self._lease_lock:
            self.engines_open += 1
            old, self._snapshot = self._snapshot, _Snapshot(modules, data, engine)
            old.retired = True
            idle = old.users == 0
        if idle:  # else the last evaluation still using it closes it (_release)
            self._close(old)


def _policy_document(module_id: str, text: str) -> dict[str, Any]:
    package = _PACKAGE.search(text)
    path = [{"type": "var", "value": "data"}]
    if package:
        path += [{"type": "string", "value": p} for p in package.group(1).split(".")]
    return {"id": module_id, "raw": text, "ast": {"package": {"path": path}}}


def _segments(path: str) -> list[str]:
    return [unquote(p) for p in path.split("/") if p]


def _reject_constant(name: str) -> Any:
    raise ValueError(f"non-standard JSON constant {name}")


def _parse_json(raw: bytes | str, what: str) -> Any:
    try:
        text = raw.decode("utf-8-sig") if isinstance(raw, bytes) else raw
        return json.loads(text, parse_constant=_reject_constant)
    except (ValueError, RecursionError) as exc:  # JSONDecodeError and UnicodeDecodeError are ValueErrors
        raise RequestError(
            HTTPStatus.BAD_REQUEST, "invalid_parameter", f"{what} contains malformed JSON: {str(exc)[:200]}"
        ) from None


class OpaRequestHandler(BaseHTTPRequestHandler):
    server: OpaHTTPServer
    protocol_version = "HTTP/1.1"
    server_version = "uae-opa-compat/1"
    timeout = 30  # an idle or stalled client gives its connection slot back
    # A request line that does not parse is answered with a real status line, not HTTP/0.9 bare HTML.
    default_request_version = "HTTP/1.1"

    def send_error(self, code: int, message: str | None = None, explain: str | None = None) -> None:
        """Protocol-level errors (bad request line, headers, URI too long) in OPA's JSON shape."""
        self.close_connection = True
        status = HTTPStatus(code)
        error = (
            "resource_not_found"
            if status == HTTPStatus.NOT_FOUND
            else "internal_error"
            if code >= 500
            else "invalid_parameter"
        )
        self._respond(status, {"code": error, "message": message or status.phrase})

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 (signature of the base class)
        if self.server.verbose:
            super().log_message(format, *args)

    def do_GET(self) -> None:  # noqa: N802 (http.server naming)
        self._dispatch("GET")

    def do_POST(self) -> None:  # noqa: N802
        self._dispatch("POST")

    def do_PUT(self) -> None:  # noqa: N802
        self._dispatch("PUT")

    def do_DELETE(self) -> None:  # noqa: N802
        self._dispatch("DELETE")

    def do_PATCH(self) -> None:  # noqa: N802
        self._dispatch("PATCH")

    def _dispatch(self, method: str) -> None:
        self._body_consumed = False
        try:
            self._check_host()
            self._check_token()
            status, body = self._route(method)
        except RequestError as exc:
            status, body = exc.status, exc.body
        except Exception as exc:  # noqa: BLE001 (any failure is one request's 500, never the server's end)
            status, body = (
                HTTPStatus.INTERNAL_SERVER_ERROR,
                {"code": "internal_error", "message": f"{type(exc).__name__}: {exc}"[:500]},
            )
        if not self._body_consumed and self.headers.get("Content-Length", "0").strip() not in ("", "0"):
            self.close_connection = True  # refused before reading the body: it must not be read as a request
        self._respond(status, body)

    def _check_host(self) -> None:
        host = self.headers.get("Host")
        if host is None:
            return
        name = host.rsplit(":", 1)[0] if not host.endswith("]") else host
        if name not in (LOOPBACK, "localhost"):
            raise RequestError(HTTPStatus.FORBIDDEN, "unauthorized", f"Host {host[:100]!r} is not the loopback address")

    def _check_token(self) -> None:
        if urlsplit(self.path).path == "/health":
            return
        header = self.headers.get("Authorization", "")
        scheme, _, presented = header.partition(" ")
        if scheme.lower() != "bearer" or not hmac.compare_digest(
            presented.strip().encode("utf-8", "replace"), self.server.token.encode("utf-8")
        ):
            raise RequestError(
                HTTPStatus.UNAUTHORIZED, "unauthorized", "a valid bearer token is required (Authorization: Bearer ...)"
            )

    def _check_writable(self) -> None:
        if not self.server.allow_writes:
            raise RequestError(
                HTTPStatus.FORBIDDEN,
                "unauthorized",
                "this server's policies and data are read-only (start it with --allow-writes to load them over HTTP)",
            )

    def _check_query(self, segments: list[str]) -> None:
        path = "/".join(segments)
        if path not in self.server.queries:
            raise RequestError(
                HTTPStatus.NOT_FOUND,
                "resource_not_found",
                f"this server evaluates only {', '.join(sorted(self.server.queries))}; not {path[:200]!r}",
            )

    def _route(self, method: str) -> tuple[HTTPStatus, dict[str, Any] | None]:
        url = urlsplit(self.path)
        query = parse_qs(url.query)
        path = url.path
        state = self.server.state
        if path == "/health" and method == "GET":
            return HTTPStatus.OK, {}
        if path in ("/v1/policies", "/v1/policies/") and method == "GET":
            return HTTPStatus.OK, {"result": state.policies()}
        if path.startswith("/v1/policies/"):
            module_id = unquote(path.removeprefix("/v1/policies/"))
            if not module_id.strip("/"):
                raise RequestError(
                    HTTPStatus.BAD_REQUEST, "invalid_parameter", "a policy id is required: /v1/policies/<id>"
                )
            if method == "GET":
                return HTTPStatus.OK, {"result": state.policy(module_id)}
            if method == "PUT":
                self._check_writable()
                body = self._body()
                try:
                    text = body.decode("utf-8")
                except UnicodeDecodeError:
                    raise RequestError(
                        HTTPStatus.BAD_REQUEST, "invalid_parameter", "the policy is not UTF-8 text"
                    ) from None
                state.put_policy(module_id, text)
                return HTTPStatus.OK, {}
            if method == "DELETE":
                self._check_writable()
                state.delete_policy(module_id)
                return HTTPStatus.OK, {}
            raise RequestError(
                HTTPStatus.METHOD_NOT_ALLOWED, "invalid_parameter", f"{method} is not allowed on {path[:200]}"
            )
        if path == "/v1/data" or path.startswith("/v1/data/"):
            segments = _segments(path.removeprefix("/v1/data"))
            if method in ("GET", "POST"):
                self._check_query(segments)
                input_document = self._input(method, query)
                value = state.evaluate(segments, input_document)
                body_out: dict[str, Any] = {} if value is _ABSENT else {"result": value}
                return HTTPStatus.OK, body_out
            if method == "PUT":
                self._check_writable()
                state.put_data(segments, _parse_json(self._body(), "the data document"))
                return HTTPStatus.NO_CONTENT, None
            if method == "DELETE":
                self._check_writable()
                state.delete_data(segments)
                return HTTPStatus.NO_CONTENT, None
            raise RequestError(
                HTTPStatus.METHOD_NOT_ALLOWED, "invalid_parameter", f"{method} is not supported on {path[:200]}"
            )
        raise RequestError(HTTPStatus.NOT_FOUND, "resource_not_found", f"no such endpoint: {method} {path[:200]}")

    def _input(self, method: str, query: dict[str, list[str]]) -> Any:
        if method == "GET":
            values = query.get("input")
            return _parse_json(values[0], "the input query parameter") if values else _ABSENT
        body = self._body()
        if not body.strip():
            return _ABSENT
        request = _parse_json(body, "the request body")
        if not isinstance(request, dict):
            raise RequestError(
                HTTPStatus.BAD_REQUEST, "invalid_parameter", 'the request body must be an object {"input": ...}'
            )
        return request.get("input", _ABSENT)

    def _body(self) -> bytes:
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            self.close_connection = True
            raise RequestError(
                HTTPStatus.LENGTH_REQUIRED,
                "invalid_parameter",
                "send a Content-Length (chunked bodies are not accepted)",
            )
        raw_length = self.headers.get("Content-Length", "0")
        try:
            length = int(raw_length)
        except ValueError:
            length = -1
        if length < 0:
            self.close_connection = True
            raise RequestError(HTTPStatus.BAD_REQUEST, "invalid_parameter", f"bad Content-Length {raw_length[:40]!r}")
        if length > self.server.max_body_bytes:
            self.close_connection = True  # the unread body must not be parsed as the next request
            raise RequestError(
                HTTPStatus.REQUEST_ENTITY_TOO_LARGE,
                "invalid_parameter",
                f"request body of {length} bytes is larger than the limit ({self.server.max_body_bytes})",
            )
        body = self.rfile.read(length)
        self._body_consumed = True
        if len(body) != length:
            self.close_connection = True
            raise RequestError(HTTPStatus.BAD_REQUEST, "invalid_parameter", "the request body ended early")
        return body

    def _respond(self, status: HTTPStatus, body: dict[str, Any] | None) -> None:
        payload = b"" if body is None else (json.dumps(body) + "\n").encode("utf-8")
        try:
            self.send_response(status)
            if body is not None:
                self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            if self.close_connection:
                self.send_header("Connection", "close")
            self.end_headers()
            if payload:
                self.wfile.write(payload)
        except OSError:
            self.close_connection = True  # the client went away


class OpaHTTPServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(
        self,
        state: OpaState,
        port: int = 0,
        *,
        token: str,
        host: str = LOOPBACK,
        queries: frozenset[str] | set[str] = DEFAULT_QUERIES,
        allow_writes: bool = False,
        max_body_bytes: int = MAX_BODY_BYTES,
        max_connections: int = MAX_CONNECTIONS,
        verbose: bool = False,
    ) -> None:
        if host not in (LOOPBACK, "localhost"):
            raise PolicyEngineError(
                f"the OPA-compatible server binds to {LOOPBACK} only, not {host!r}: it is a local test server"
            )
        if len(token) < 16:
            raise PolicyEngineError("the server's bearer token must be at least 16 characters")
        self.state = state
        self.token = token
        self.queries = frozenset(q.strip("/") for q in queries)
        self.allow_writes = allow_writes
        self.max_body_bytes = max_body_bytes
        self.verbose = verbose
        self._slots = threading.BoundedSemaphore(max_connections)
        super().__init__((LOOPBACK, port), OpaRequestHandler)

    @property
    def url(self) -> str:
        return f"http://{LOOPBACK}:{self.server_address[1]}"

    def process_request(self, request: Any, client_address: Any) -> None:
        """One thread per connection, at most max_connections of them; beyond that, 503 and close."""
        if not self._slots.acquire(blocking=False):
            self._refuse(request)
            return
        try:
            super().process_request(request, client_address)
        except BaseException:
            self._slots.release()
            raise

    def process_request_thread(self, request: Any, client_address: Any) -> None:
        try:
            super().process_request_thread(request, client_address)
        finally:
            self._slots.release()

    def _refuse(self, request: socket.socket) -> None:
        body = json.dumps({"code": "internal_error", "message": "too many connections; retry later"}).encode()
        head = f"HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json\r\nContent-Length: {len(body)}\r\nConnection: close\r\n\r\n"
        with contextlib.suppress(OSError):
            request.settimeout(1)
            request.sendall(head.encode() + body)
        self.shutdown_request(request)


def write_token_file(path: Path, token: str) -> None:
    """Write the token so that only the current user can read it (folder 0700, file 0600)."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | getattr(os, "O_NOFOLLOW", 0), 0o600)
    try:
        os.fchmod(fd, 0o600)
        os.write(fd, (token + "\n").encode())
    finally:
        os.close(fd)


@dataclass(frozen=True)
class RunningServer:
    url: str
    token: str
    state: OpaState

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


@contextlib.contextmanager
def serve_in_thread(
    policies_root: Path | str | None, port: int = 0, *, token: str | None = None, **kwargs: Any
) -> Iterator[RunningServer]:
    """Run the server on 127.0.0.1 in a background thread. No policies when root is None; such an
    empty server accepts writes (to be loaded by a client) unless allow_writes says otherwise."""
    state = OpaState.from_directory(Path(policies_root)) if policies_root is not None else OpaState()
    kwargs.setdefault("allow_writes", policies_root is None)
    token = token or secrets.token_urlsafe(32)
    server = OpaHTTPServer(state, port, token=token, **kwargs)
    thread = threading.Thread(target=server.serve_forever, name="opa-compat-server", daemon=True)
    thread.start()
    try:
        yield RunningServer(server.url, token, state)
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)
        state.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m tests.support.opa_server",
        description="OPA-compatible REST server (Data and Policy APIs) on 127.0.0.1, evaluating with the real OPA library.",
    )
    parser.add_argument("--port", type=int, default=8181, help="port on 127.0.0.1 (0 picks a free one; default 8181)")
    parser.add_argument(
        "--policies",
        type=Path,
        help="policy directory to load at start (e.g. policies/rego); data/<name>.json -> data.uae_data.<name>",
    )
    parser.add_argument(
        "--token-file",
        type=Path,
        default=DEFAULT_TOKEN_FILE,
        help=f"where to write the generated bearer token (mode 0600; default {DEFAULT_TOKEN_FILE}); "
        f"with {TOKEN_ENV} set, that token is used and nothing is written",
    )
    parser.add_argument(
        "--allow-query",
        action="append",
        default=[],
        metavar="PATH",
        help=f"also evaluate data.<PATH> (slash-separated) besides {GATE_QUERY}; repeatable",
    )
    parser.add_argument(
        "--allow-writes",
        action="store_true",
        help="accept PUT/DELETE of policies and data (default only when started without --policies)",
    )
    parser.add_argument(
        "--max-body-mib", type=int, default=MAX_BODY_BYTES >> 20, help="largest request body accepted (MiB)"
    )
    parser.add_argument(
        "--max-connections", type=int, default=MAX_CONNECTIONS, help="connections served at once (503 beyond)"
    )
    parser.add_argument("--verbose", action="store_true", help="log every request to stderr")
    args = parser.parse_args(argv)
    token = resolve_token()
    try:
        state = OpaState.from_directory(args.policies) if args.policies is not None else OpaState()
        server = OpaHTTPServer(
            state,
            args.port,
            token=token or secrets.token_urlsafe(32),
            queries=DEFAULT_QUERIES | {q.strip("/") for q in args.allow_query},
            allow_writes=args.allow_writes or args.policies is None,
            max_body_bytes=args.max_body_mib << 20,
            max_connections=max(1, args.max_connections),
            verbose=args.verbose,
        )
        if token is None:
            write_token_file(args.token_file, server.token)
    except PolicyEngineError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return exc.exit_code
    except OSError as exc:
        print(f"error: cannot start on {LOOPBACK}:{args.port}: {exc.strerror or exc}", file=sys.stderr)
        return 2
    where = f"token from {TOKEN_ENV}" if token else f"token in {args.token_file}"
    print(f"OPA-compatible server listening on {server.url} ({len(state.policies())} modules; {where})", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
        state.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
