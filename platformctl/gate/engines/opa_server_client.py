"""Evaluate the gate's Rego over HTTP against an OPA server, through `opa-python-client`.

Same interface as `rego_engine.RegorusEngine`: `evaluate(normalized_input)` returns the sorted
findings of `data.gate.findings`. The server is a real `opa run --server`, or the local
test double in `tests/support/opa_server.py` (the real OPA library behind OPA's REST API).

Every way this can go wrong raises `PolicyEngineError`, never an empty list: the server is
unreachable, answers a non-200, answers something that is not JSON, leaves `result` out (the
document is undefined: the policies are not loaded, which must not read as "no findings"), or
returns something other than a set of finding objects.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import requests
from opa_client import OpaClient
from opa_client.errors import RegoParseError, TypeException

from platformctl.errors import PolicyEngineError

FINDINGS_PACKAGE = "gate"
FINDINGS_RULE = "findings"
UNJUDGED_RULE = "unjudged"
DEFAULT_OPA_PORT = 8181
TOKEN_ENV = "PLATFORM_OPA_TOKEN"


def resolve_token() -> str | None:
    """The token from PLATFORM_OPA_TOKEN, if set (server and gate read it the same way)."""
    value = os.environ.get(TOKEN_ENV, "").strip()
    return value or None


def read_token_file(path: Path | str) -> str:
    try:
        token = Path(path).read_text(encoding="utf-8").strip()
    except (OSError, UnicodeDecodeError) as exc:
        raise PolicyEngineError(f"cannot read the OPA token file {path}: {exc}") from None
    if not token:
        raise PolicyEngineError(f"the OPA token file {path} is empty")
    return token


def client_for(url: str, *, timeout: float = 60.0, retries: int = 2, token: str | None = None) -> OpaClient:
    """An OpaClient for `http(s)://host[:port]` (OPA's REST API lives at the root, so no path)."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise PolicyEngineError(f"OPA server URL {url!r} must look like http://127.0.0.1:8181 (or https://...)")
    if parts.path not in ("", "/") or parts.query or parts.fragment:
        raise PolicyEngineError(f"OPA server URL {url!r} must not carry a path or query: the client adds /v1/...")
    try:
        port = parts.port or DEFAULT_OPA_PORT
    except ValueError:
        raise PolicyEngineError(f"OPA server URL {url!r} has an invalid port") from None
    host = parts.hostname if ":" not in parts.hostname else f"[{parts.hostname}]"
    return OpaClient(host=host, port=port, ssl=parts.scheme == "https", timeout=timeout, retries=retries, token=token)


def findings_from_response(body: Any, where: str) -> list[dict[str, Any]]:
    """Check an OPA Data API response for `data.gate.findings` and return its sorted findings."""
    if not isinstance(body, dict):
        raise PolicyEngineError(f"{where}: the response is not a JSON object: {body!r:.200}")
    if "result" not in body:
        raise PolicyEngineError(
            f"{where}: data.{FINDINGS_PACKAGE}.{FINDINGS_RULE} is undefined on the server; "
            "load the policies (opa run --server policies/rego, or push them)"
        )
    from platformctl.gate.engines.rego import sorted_findings

    return sorted_findings(body["result"], where)


class OpaServerEngine:
    """The gate's Rego evaluated by an OPA server over its Data API (POST /v1/data/gate/findings)."""

    def __init__(self, url: str, *, timeout: float = 60.0, retries: int = 2, token: str | None = None) -> None:
        self.url = url.rstrip("/")
        self._client = client_for(url, timeout=timeout, retries=retries, token=token)

    def close(self) -> None:
        self._client.close_connection()

    def __enter__(self) -> OpaServerEngine:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def evaluate(self, normalized_input: dict[str, Any]) -> list[dict[str, Any]]:
        from platformctl.gate.engines.rego import check_input

        check_input(normalized_input)
        where = f"OPA server {self.url}"
        try:
            body = self._client.query_rule(normalized_input, FINDINGS_PACKAGE, FINDINGS_RULE)
        except requests.HTTPError as exc:
            response = exc.response
            detail = _error_detail(response)
            status = response.status_code if response is not None else "?"
            raise PolicyEngineError(f"{where} answered HTTP {status}: {detail}") from exc
        except requests.ConnectionError as exc:
            raise PolicyEngineError(f"{where} is unreachable ({_reason(exc)}); is it running?") from exc
        except requests.Timeout as exc:
            raise PolicyEngineError(f"{where} did not answer in time ({_reason(exc)})") from exc
        except ValueError as exc:  # the body is not JSON (requests' JSONDecodeError is also a RequestException)
            raise PolicyEngineError(f"{where} answered something that is not JSON ({str(exc)[:120]})") from exc
        except requests.RequestException as exc:
            raise PolicyEngineError(f"{where}: request failed ({_reason(exc)})") from exc
        return findings_from_response(body, where)

    def unjudged(self, normalized_input: dict[str, Any]) -> set[str]:
        """URNs of live custom resources that no Rego rule judges (data.gate.unjudged)."""
        where = f"OPA server {self.url}"
        try:
            body = self._client.query_rule(normalized_input, FINDINGS_PACKAGE, UNJUDGED_RULE)
        except (requests.RequestException, ValueError) as exc:
            raise PolicyEngineError(f"{where}: asking which resources no rule judges failed ({_reason(exc)})") from exc
        value = body.get("result") if isinstance(body, dict) else None
        if not isinstance(value, list) or not all(isinstance(u, str) for u in value):
            raise PolicyEngineError(
                f"{where}: data.{FINDINGS_PACKAGE}.{UNJUDGED_RULE} is not a set of URNs: {value!r:.200}"
            )
        return set(value)

    def push_policies(self, root: Path) -> int:
        """Load a policy directory into a plain OPA server (PUT /v1/data/uae_data, PUT /v1/policies/<path>).

        For a server started without the library, e.g. `opa run --server`. Returns the number of modules.
        """
        from platformctl.gate.engines import rego as rego_engine

        sources = rego_engine.load_policies(Path(root))
        documents = rego_engine.data_document(sources)[rego_engine.DATA_NAMESPACE]
        where = f"OPA server {self.url}"
        pending = {path: text for path, text in sources if path.endswith(".rego")}
        try:
            self._client.update_or_create_data(documents, rego_engine.DATA_NAMESPACE)
            # OPA compiles each module against those already loaded, and a call to a function that
            # is not there yet is an error: push in passes until every module is in or none moves.
            while pending:
                rejected: dict[str, RegoParseError] = {}
                for path, text in pending.items():
                    try:
                        self._client.update_policy_from_string(text, path, rego_compat=False)
                    except RegoParseError as exc:
                        rejected[path] = exc
                if len(rejected) == len(pending):
                    details = "; ".join(f"{path}: {exc}" for path, exc in sorted(rejected.items()))
                    raise PolicyEngineError(f"{where} rejected the policies: {details[:2000]}")
                pending = {path: pending[path] for path in rejected}
        except TypeException as exc:
            raise PolicyEngineError(f"{where} rejected the policies: {exc}") from exc
        except ValueError as exc:
            raise PolicyEngineError(f"{where} answered something that is not JSON ({str(exc)[:120]})") from exc
        except requests.RequestException as exc:
            raise PolicyEngineError(f"{where}: pushing policies failed ({_reason(exc)})") from exc
        return sum(1 for path, _ in sources if path.endswith(".rego"))


def _reason(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {str(exc)[:200]}"


def _error_detail(response: requests.Response | None) -> str:
    if response is None:
        return "no response"
    try:
        body = response.json()
    except ValueError:
        return repr(response.text[:200])
    if isinstance(body, dict) and "message" in body:
        return f"{body.get('code', '')}: {str(body['message'])[:300]}"
    return repr(str(body)[:200])
