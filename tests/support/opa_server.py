"""A test double of an OPA server: the part of OPA's REST API the gate's `opa-server` engine uses,
served on 127.0.0.1 by pytest-httpserver and answered by the real OPA Go library (opa_bindings).

No OPA binary installs on the machines that run this suite, so the client engine
(platformctl/gate/engines/opa_server_client.py) is tested against this double:

- `POST /v1/data/<path>` with `{"input": ...}`: `{"result": value}`, or `{}` when the document is
  undefined (what OPA answers, and what the client must refuse to read as "no findings");
- `PUT /v1/data/<path>` (JSON) and `PUT /v1/policies/<id>` (Rego text): what `push_policies` sends
  to a bare server; a module that does not compile is a 400 with OPA's error body;
- every request needs `Authorization: Bearer <token>` (401 otherwise), as `opa run --server
  --authentication=token` with an authorization policy would demand.

It is not a product and has none of a real server's hardening: users run a real OPA (README).
"""

from __future__ import annotations

import contextlib
import copy
import hmac
import json
import re
import secrets
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from platformctl.gate.engines import rego

_DATA = re.compile(r"^/v1/data(?:/(?P<path>.*))?$")
_POLICY = re.compile(r"^/v1/policies/(?P<id>.+)$")


def _json(status: int, body: Any) -> Response:
    return Response(json.dumps(body), status=status, content_type="application/json")


def _error(status: int, code: str, message: str, errors: list[dict[str, Any]] | None = None) -> Response:
    body: dict[str, Any] = {"code": code, "message": message}
    if errors:
        body["errors"] = errors
    return _json(status, body)


class OpaDouble:
    """Policies and data held in memory; every evaluation compiles them into the real OPA library."""

    def __init__(self, token: str, policies_root: Path | None = None) -> None:
        self.token = token
        self.modules: dict[str, str] = {}
        self.data: dict[str, Any] = {}
        if policies_root is not None:
            sources = rego.load_policies(policies_root)
            self.modules = {path: text for path, text in sources if path.endswith(".rego")}
            self.data = rego.data_document(sources)
        self._compiled: Any = None  # the engine of the current modules and data, built on first use

    def _current(self) -> Any:
        if self._compiled is None:
            self._compiled = self._engine(self.modules)
        return self._compiled

    def _engine(self, modules: dict[str, str]) -> Any:
        opa = rego.import_opa_bindings()
        engine = opa.OpaEngine()
        try:
            for path, text in modules.items():
                engine.add_policy(path, text)
            engine.add_data(self.data)
            engine.eval_query("x := 1")  # OPA compiles lazily: compile now
        except opa.OpaError:
            engine.close()
            raise
        return engine

    def _replace(self, compiled: Any) -> None:
        if self._compiled is not None:
            self._compiled.close()
        self._compiled = compiled

    def close(self) -> None:
        self._replace(None)

    def handle(self, request: Request) -> Response:
        supplied = request.headers.get("Authorization", "")
        if not hmac.compare_digest(supplied.encode(), f"Bearer {self.token}".encode()):
            return _error(401, "unauthorized", "the request lacks the server's bearer token")
        data, policy = _DATA.match(request.path), _POLICY.match(request.path)
        if data and request.method == "POST":
            return self._evaluate(data["path"] or "", request)
        if data and request.method == "PUT":
            return self._put_data(data["path"] or "", request)
        if policy and request.method == "PUT":
            return self._put_policy(policy["id"], request)
        return _error(404, "resource_not_found", f"{request.method} {request.path} is not served by this double")

    def _evaluate(self, path: str, request: Request) -> Response:
        try:
            body = json.loads(request.get_data(as_text=True) or "{}")
        except json.JSONDecodeError as exc:
            return _error(400, "invalid_parameter", f"body is not JSON: {exc}")
        if not isinstance(body, dict):
            return _error(400, "invalid_parameter", "body must be an object")
        opa = rego.import_opa_bindings()
        try:
            value = self._current().eval_document(path.replace("/", "."), input=body.get("input"))
        except opa.OpaUndefinedError:
            return _json(200, {})
        except opa.OpaError as exc:
            return _error(500, "internal_error", str(exc))
        return _json(200, {"result": value})

    def _put_data(self, path: str, request: Request) -> Response:
        try:
            value = json.loads(request.get_data(as_text=True))
        except json.JSONDecodeError as exc:
            return _error(400, "invalid_parameter", f"body is not JSON: {exc}")
        data = copy.deepcopy(self.data)
        node = data
        parts = [p for p in path.split("/") if p]
        for part in parts[:-1]:
            node = node.setdefault(part, {})
        if parts:
            node[parts[-1]] = value
        else:
            data = value
        self.data = data
        self._replace(None)
        return Response(status=204)

    def _put_policy(self, module_id: str, request: Request) -> Response:
        modules = {**self.modules, module_id: request.get_data(as_text=True)}
        opa = rego.import_opa_bindings()
        try:
            compiled = self._engine(modules)
        except opa.OpaError as exc:
            message = str(exc)
            return _error(400, "invalid_parameter", "error(s) occurred while compiling module(s)",
                          [{"code": "rego_compile_error", "message": message[:2000]}])  # fmt: skip
        self.modules = modules
        self._replace(compiled)
        return _json(200, {})


@dataclass(frozen=True)
class RunningServer:
    url: str
    token: str
    double: OpaDouble

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


@contextlib.contextmanager
def serve_in_thread(policies_root: Path | str | None, *, token: str | None = None) -> Iterator[RunningServer]:
    """The double on a free port of 127.0.0.1, loaded with a policy directory (or bare when None)."""
    double = OpaDouble(token or secrets.token_urlsafe(32), Path(policies_root) if policies_root else None)
    server = HTTPServer(host="127.0.0.1", port=0)
    server.expect_request(re.compile(r"^/.*$")).respond_with_handler(double.handle)
    server.start()
    try:
        yield RunningServer(server.url_for("").rstrip("/"), double.token, double)
    finally:
        server.clear()
        if server.is_running():
            server.stop()
        double.close()
