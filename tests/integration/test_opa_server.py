"""The OPA-server path, for real: opa-python-client -> HTTP -> the real OPA library, on 127.0.0.1.

The server (tests.support.opa_server) runs in-process on a free port; every evaluation goes
through OpaServerEngine (opa-python-client) and must give exactly the findings that the embedded
regorus engine gives for the same normalized input.
"""

from __future__ import annotations

import json
import os
import socket
import stat
import subprocess
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
import requests

from platformctl.errors import PolicyEngineError
from platformctl.gate.engines.opa_server_client import OpaServerEngine
from platformctl.gate.engines.rego import POLICY_ROOT, RegorusEngine
from platformctl.gate.input.preview import UNKNOWN, normalize
from tests.support.opa_server import OpaHTTPServer, OpaState, RunningServer, data_ref, serve_in_thread

pytestmark = pytest.mark.integration

REPO = Path(__file__).resolve().parents[2]
TOKEN = "test-token-0123456789abcdef"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
STACK, PROJECT = "dev", "uae-ml-platform"
SECRET = {"4dabf18193072939515e22adb298388d": "1b47061264138c4ac30d75fd1eb44270", "value": "hunter2"}


# -- realistic preview documents, normalized exactly as the gate does --------------------------


def _urn(type_: str, name: str, parent_type: str | None = None) -> str:
    qualified = f"{parent_type}${type_}" if parent_type else type_
    return f"urn:pulumi:{STACK}::{PROJECT}::{qualified}::{name}"


AWS = _urn("pulumi:providers:aws", "uae")
K8S = _urn("pulumi:providers:kubernetes", "eks")
STACK_URN = _urn("pulumi:pulumi:Stack", f"{PROJECT}-{STACK}")
TAGS = {"owner": "platform", "environment": STACK, "data-classification": "confidential", "cost-center": "ml-001"}


def _provider(urn: str, inputs: dict[str, Any]) -> dict[str, Any]:
    state = {
        "urn": urn,
        "custom": True,
        "type": urn.split("::")[2],
        "inputs": inputs,
        "outputs": {},
        "parent": STACK_URN,
    }
    return {"op": "create", "urn": urn, "newState": state}


def _resource(
    type_: str,
    name: str,
    inputs: dict[str, Any],
    *,
    provider: str | None = AWS,
    op: str = "create",
    parent: tuple[str, str] | None = None,
    deps: dict[str, list[str]] | None = None,
    protect: bool = False,
) -> dict[str, Any]:
    urn = _urn(type_, name, parent[0] if parent else None)
    state: dict[str, Any] = {
        "urn": urn,
        "custom": provider is not None,
        "type": type_,
        "inputs": inputs,
        "outputs": {},
        "parent": _urn(*parent) if parent else STACK_URN,
        "protect": protect,
        "dependencies": sorted({u for us in (deps or {}).values() for u in us}),
        "propertyDependencies": deps or {},
    }
    step: dict[str, Any] = {"op": op, "urn": urn}
    if provider:
        state["provider"] = step["provider"] = f"{provider}::{UNKNOWN}"
    step["oldState" if op == "delete" else "newState"] = state
    return step


def _document(*steps: dict[str, Any], region: str = "me-central-1") -> dict[str, Any]:
    stack_step = {
        "op": "create",
        "urn": STACK_URN,
        "newState": {"urn": STACK_URN, "custom": False, "type": "pulumi:pulumi:Stack", "inputs": {}},
    }
    aws = _provider(AWS, {"region": region, "defaultTags": json.dumps({"tags": TAGS}), "version": "7.51.1"})
    k8s = _provider(K8S, {"kubeconfig": "[secret]", "version": "4.34.2"})
    raw = {"config": {"aws:region": region, f"{PROJECT}:environment": STACK}, "steps": [stack_step, aws, k8s, *steps]}
    return normalize(raw, source="test")


def _bucket_set(name: str, **bucket_inputs: Any) -> list[dict[str, Any]]:
    key = _resource(
        "aws:kms/key:Key", f"{name}-key", {"enableKeyRotation": True, "deletionWindowInDays": 30, "multiRegion": False}
    )
    bucket = _resource(
        "aws:s3/bucketV2:BucketV2",
        name,
        {"bucketPrefix": f"{name}-", "tags": {"data-classification": "confidential"}, **bucket_inputs},
        protect=True,
    )
    b, k = bucket["urn"], key["urn"]
    return [
        key,
        bucket,
        _resource(
            "aws:s3/bucketServerSideEncryptionConfigurationV2:BucketServerSideEncryptionConfigurationV2",
            f"{name}-sse",
            {
                "bucket": UNKNOWN,
                "rules": [
                    {
                        "applyServerSideEncryptionByDefault": {"sseAlgorithm": "aws:kms", "kmsMasterKeyId": UNKNOWN},
                        "bucketKeyEnabled": True,
                    }
                ],
            },
            deps={"bucket": [b], "rules": [k]},
        ),
        _resource(
            "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock",
            f"{name}-pab",
            {
                "bucket": UNKNOWN,
                "blockPublicAcls": True,
                "blockPublicPolicy": True,
                "ignorePublicAcls": True,
                "restrictPublicBuckets": True,
            },
            deps={"bucket": [b]},
        ),
        _resource(
            "aws:s3/bucketVersioningV2:BucketVersioningV2",
            f"{name}-versioning",
            {
                "bucket": UNKNOWN,
                "versioningConfiguration": {"status": "Enabled"},
            },
            deps={"bucket": [b]},
        ),
    ]


def _public_security_group() -> list[dict[str, Any]]:
    vpc = _resource("aws:ec2/vpc:Vpc", "main", {"cidrBlock": "10.0.0.0/16", "enableDnsHostnames": True})
    sg = _resource(
        "aws:ec2/securityGroup:SecurityGroup",
        "bastion",
        {
            "vpcId": UNKNOWN,
            "description": "bastion",
            "ingress": [{"protocol": "tcp", "fromPort": 22, "toPort": 22, "cidrBlocks": ["0.0.0.0/0"]}],
            "egress": [{"protocol": "-1", "fromPort": 0, "toPort": 0, "cidrBlocks": ["0.0.0.0/0"]}],
        },
        deps={"vpcId": [vpc["urn"]]},
    )
    rule = _resource(
        "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule",
        "bastion-rdp",
        {
            "securityGroupId": UNKNOWN,
            "ipProtocol": "tcp",
            "fromPort": 3389,
            "toPort": 3389,
            "cidrIpv4": "0.0.0.0/0",
        },
        deps={"securityGroupId": [sg["urn"]]},
    )
    return [vpc, sg, rule]


def _privileged_deployment() -> list[dict[str, Any]]:
    container = {
        "name": "trainer",
        "image": "123456789012.dkr.ecr.me-central-1.amazonaws.com/trainer:latest",
        "securityContext": {"privileged": True, "allowPrivilegeEscalation": True, "runAsUser": 0},
    }
    return [
        _resource(
            "kubernetes:apps/v1:Deployment",
            "trainer",
            {
                "apiVersion": "apps/v1",
                "kind": "Deployment",
                "metadata": {"name": "trainer", "namespace": "ml"},
                "spec": {
                    "replicas": 1,
                    "selector": {"matchLabels": {"app": "trainer"}},
                    "template": {
                        "metadata": {"labels": {"app": "trainer"}},
                        "spec": {
                            "hostNetwork": True,
                            "containers": [container],
                            "volumes": [{"name": "host", "hostPath": {"path": "/"}}],
                        },
                    },
                },
            },
            provider=K8S,
        )
    ]


def _mixed_changes() -> list[dict[str, Any]]:
    """Deletes, replacements, a secret and the default provider: the corners of normalization."""
    default = _urn("pulumi:providers:aws", "default_7_51_1")
    return [
        _resource("aws:s3/bucketV2:BucketV2", "old-logs", {"bucket": "old-logs"}, op="delete"),
        _resource(
            "aws:rds/instance:Instance",
            "registry-db",
            {
                "engine": "postgres",
                "instanceClass": "db.r6g.large",
                "storageEncrypted": False,
                "password": SECRET,
                "publiclyAccessible": True,
                "region": UNKNOWN,
            },
        ),
        _resource("aws:kms/key:Key", "global-key", {"multiRegion": True, "enableKeyRotation": False}),
        _resource("aws:s3/bucketV2:BucketV2", "defaulted", {"bucketPrefix": "defaulted-"}, provider=default),
        _resource(
            "aws:ecr/replicationConfiguration:ReplicationConfiguration",
            "ecr-repl",
            {
                "replicationConfiguration": {
                    "rules": [{"destinations": [{"region": "eu-central-1", "registryId": "111122223333"}]}],
                }
            },
        ),
    ]


CASES: dict[str, dict[str, Any]] = {
    "compliant-buckets": _document(*_bucket_set("offline-store"), *_bucket_set("artifacts")),
    "bucket-region-override": _document(*_bucket_set("offline-store"), *_bucket_set("export", region="eu-west-1")),
    "provider-outside-uae": _document(*_bucket_set("offline-store"), region="us-east-1"),
    "public-security-group": _document(*_public_security_group()),
    "privileged-deployment": _document(*_privileged_deployment()),
    "mixed-changes": _document(*_mixed_changes()),
    "everything": _document(
        *_bucket_set("a", region="eu-west-1"), *_public_security_group(), *_privileged_deployment(), *_mixed_changes()
    ),
}


# -- fixtures -----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def regorus() -> RegorusEngine:
    return RegorusEngine(POLICY_ROOT)


@pytest.fixture(scope="module")
def server() -> Iterator[RunningServer]:
    with serve_in_thread(POLICY_ROOT, queries={"gate/findings", "uae_data/region/home_region"}) as running:
        yield running


@pytest.fixture(scope="module")
def server_url(server: RunningServer) -> str:
    return server.url


def _session(running: RunningServer) -> requests.Session:
    session = requests.Session()
    session.headers.update(running.headers)
    return session


@pytest.fixture(scope="module")
def api(server: RunningServer) -> Iterator[requests.Session]:
    """HTTP with the server's bearer token, as a user holding the token file would call it."""
    with _session(server) as session:
        yield session


@pytest.fixture(scope="module")
def opa(server: RunningServer) -> Iterator[OpaServerEngine]:
    with OpaServerEngine(server.url, token=server.token) as engine:
        yield engine


def _closed_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


# -- parity -------------------------------------------------------------------------------------


@pytest.mark.parametrize("case", sorted(CASES))
def test_server_findings_equal_regorus_findings(case: str, opa: OpaServerEngine, regorus: RegorusEngine) -> None:
    document = CASES[case]
    assert opa.evaluate(document) == regorus.evaluate(document)


def test_parity_is_not_vacuous(opa: OpaServerEngine) -> None:
    """A bucket outside the UAE must be flagged, so the comparison above compares real findings."""
    findings = opa.evaluate(CASES["bucket-region-override"])
    export = next(r["urn"] for r in CASES["bucket-region-override"]["resources"] if r["name"] == "export")
    assert any(f["urn"] == export for f in findings), findings
    assert not any(f["urn"] == export for f in opa.evaluate(CASES["compliant-buckets"]))


@pytest.mark.parametrize("stack", ["dev", "staging", "prod"])
def test_server_findings_equal_regorus_findings_on_synthesized_stacks(
    stack: str, opa: OpaServerEngine, regorus: RegorusEngine
) -> None:
    from platformctl.synth import synthesize

    document = normalize(synthesize(stack), source=f"synth:{stack}")
    assert len(document["resources"]) > 10
    assert opa.evaluate(document) == regorus.evaluate(document)


def test_policies_pushed_through_the_client_give_the_same_findings(regorus: RegorusEngine) -> None:
    """PUT /v1/data + PUT /v1/policies via opa-python-client into an empty server (as for `opa run -s`)."""
    with serve_in_thread(None) as running, OpaServerEngine(running.url, token=running.token) as engine:
        with pytest.raises(PolicyEngineError, match="undefined"):
            engine.evaluate(CASES["everything"])
        assert engine.push_policies(POLICY_ROOT) == sum(
            1 for p in POLICY_ROOT.rglob("*.rego") if not p.name.endswith("_test.rego")
        )
        assert engine.evaluate(CASES["everything"]) == regorus.evaluate(CASES["everything"])


TINY_POLICY = """package gate

findings contains f if {
	some r in input.resources
	r.type == "test:index:Thing"
	r.inputs.size > data.uae_data.limits.max_size
	f := {"rule_id": "TST-001", "urn": r.urn, "message": sprintf("%s is too big", [r.name])}
}
"""


def _tiny_input(sizes: dict[str, int]) -> dict[str, Any]:
    raw = {
        "steps": [
            {
                "op": "create",
                "urn": _urn("test:index:Thing", name),
                "newState": {"type": "test:index:Thing", "custom": False, "inputs": {"size": size}},
            }
            for name, size in sizes.items()
        ]
    }
    return normalize(raw, source="tiny")


def test_tiny_policy_in_a_temp_dir(tmp_path: Path) -> None:
    (tmp_path / "gate").mkdir(parents=True)
    (tmp_path / "gate" / "main.rego").write_text(TINY_POLICY)
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "limits.json").write_text('{"max_size": 3}')
    document = _tiny_input({"small": 2, "big": 5, "huge": 9})
    with serve_in_thread(tmp_path) as running, OpaServerEngine(running.url, token=running.token) as engine:
        findings = engine.evaluate(document)
    assert [(f["rule_id"], f["urn"].rsplit("::", 1)[1]) for f in findings] == [("TST-001", "big"), ("TST-001", "huge")]
    assert findings == RegorusEngine(tmp_path).evaluate(document)


# -- the server's HTTP behaviour ----------------------------------------------------------------


def test_health_and_policy_listing(server_url: str, api: requests.Session) -> None:
    assert api.get(f"{server_url}/health", timeout=10).json() == {}
    ids = {p["id"] for p in api.get(f"{server_url}/v1/policies", timeout=10).json()["result"]}
    assert "gate/main.rego" in ids
    assert not any(i.endswith("_test.rego") for i in ids)
    policy = api.get(f"{server_url}/v1/policies/gate/main.rego", timeout=10).json()["result"]
    assert policy["raw"] == (POLICY_ROOT / "gate/main.rego").read_text()
    assert api.get(f"{server_url}/v1/policies/nope.rego", timeout=10).status_code == 404


@pytest.mark.parametrize("body", [b'{"input": ', b"not json", b'{"input": NaN}', b"\xff\xfe\x00", b"[" * 100_000])
def test_malformed_json_is_400_invalid_parameter(server_url: str, api: requests.Session, body: bytes) -> None:
    response = api.post(f"{server_url}/v1/data/gate/findings", data=body, timeout=10)
    assert response.status_code == 400
    assert response.json()["code"] == "invalid_parameter"


def test_non_object_request_body_is_400(server_url: str, api: requests.Session) -> None:
    response = api.post(f"{server_url}/v1/data/gate/findings", json=[1, 2], timeout=10)
    assert (response.status_code, response.json()["code"]) == (400, "invalid_parameter")


@pytest.mark.parametrize(
    ("method", "path"),
    [("GET", "/"), ("POST", "/v1/query"), ("GET", "/v2/data/x"), ("GET", "/v1/datax"), ("POST", "/health")],
)
def test_unknown_paths_are_404(server_url: str, api: requests.Session, method: str, path: str) -> None:
    response = api.request(method, f"{server_url}{path}", timeout=10)
    assert response.status_code == 404
    assert response.json()["code"] == "resource_not_found"


@pytest.mark.parametrize(
    "path", ["gate/no_such_rule", "no/such/package", "uae_data/region/nope", 'gate/findings"]; true; x := ["']
)
def test_queries_outside_the_served_set_are_404(server_url: str, api: requests.Session, path: str) -> None:
    response = api.post(f"{server_url}/v1/data/{path}", json={"input": CASES["compliant-buckets"]}, timeout=10)
    assert response.status_code == 404
    assert "evaluates only" in response.json()["message"]


def test_undefined_document_in_the_served_set_has_no_result() -> None:
    with serve_in_thread(None, queries={"t/over"}) as running, _session(running) as api:
        assert api.post(f"{running.url}/v1/data/t/over", json={"input": {}}, timeout=10).json() == {}


def test_data_api_get_post_and_put(server_url: str, api: requests.Session) -> None:
    assert api.get(f"{server_url}/v1/data/uae_data/region/home_region", timeout=10).json() == {"result": "me-central-1"}
    with serve_in_thread(None, queries={"t/over", "u/boom"}) as running, _session(running) as api:
        url = running.url
        assert api.put(f"{url}/v1/data/cfg/limits", json={"max": 2}, timeout=10).status_code == 204
        policy = "package t\n\nover contains x if {\n\tsome x in input.values\n\tx > data.cfg.limits.max\n}\n"
        assert api.put(f"{url}/v1/policies/t.rego", data=policy, timeout=10).status_code == 200
        assert api.post(f"{url}/v1/data/t/over", json={"input": {"values": [1, 3, 5]}}, timeout=10).json() == {
            "result": [3, 5]
        }
        assert api.get(f"{url}/v1/data/t/over", params={"input": '{"values": [9]}'}, timeout=10).json() == {
            "result": [9]
        }
        assert api.post(f"{url}/v1/data/t/over", timeout=10).json() == {"result": []}  # no input: nothing to iterate
        assert api.put(f"{url}/v1/data/cfg", data=b"{bad", timeout=10).status_code == 400
        assert api.put(f"{url}/v1/policies/", data=policy, timeout=10).status_code == 400
        # A module that does not compile is rejected as a whole; the old one keeps answering.
        bad = api.put(f"{url}/v1/policies/t.rego", data="package t\nover := \n", timeout=10)
        assert (bad.status_code, bad.json()["code"]) == (400, "invalid_parameter")
        assert bad.json()["errors"][0]["code"] == "rego_parse_error"
        assert api.post(f"{url}/v1/data/t/over", json={"input": {"values": [4]}}, timeout=10).json() == {"result": [4]}
        # Evaluation errors are OPA's 500 internal_error, not a crash.
        assert (
            api.put(f"{url}/v1/policies/u.rego", data="package u\nboom := input.a + 1\n", timeout=10).status_code == 200
        )
        boom = api.post(f"{url}/v1/data/u/boom", json={"input": {"a": "text"}}, timeout=10)
        assert (boom.status_code, boom.json()["code"]) == (500, "internal_error")
        assert api.delete(f"{url}/v1/policies/u.rego", timeout=10).status_code == 200
        assert api.delete(f"{url}/v1/data/cfg/limits", timeout=10).status_code == 204
        assert api.delete(f"{url}/v1/data/cfg/limits", timeout=10).status_code == 404
        assert api.get(f"{url}/health", timeout=10).status_code == 200


def test_request_size_limit_is_413() -> None:
    state = OpaState()
    server = OpaHTTPServer(state, 0, token=TOKEN, max_body_bytes=1024, queries={"x"})
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        response = requests.post(f"{server.url}/v1/data/x", data=b" " * 2048, timeout=10, headers=AUTH)
        assert (response.status_code, response.json()["code"]) == (413, "invalid_parameter")
        assert requests.get(f"{server.url}/health", timeout=10).status_code == 200
    finally:
        server.shutdown()
        server.server_close()


def test_refuses_foreign_host_header_and_non_loopback_bind(server_url: str) -> None:
    response = requests.get(f"{server_url}/health", headers={"Host": "attacker.example:80"}, timeout=10)
    assert response.status_code == 403
    with pytest.raises(PolicyEngineError, match="127.0.0.1 only"):
        OpaHTTPServer(OpaState(), 0, token=TOKEN, host="0.0.0.0")


def test_survives_garbage_on_the_socket(server_url: str) -> None:
    host, port = server_url.removeprefix("http://").split(":")
    for garbage in (
        b"\x00\x01\x02 nonsense\r\n\r\n",
        b"POST /v1/data/x HTTP/1.1\r\nContent-Length: -5\r\n\r\n",
        b"GET /" + b"a" * 70_000 + b" HTTP/1.1\r\n\r\n",
    ):
        with socket.create_connection((host, int(port)), timeout=10) as sock:
            sock.sendall(garbage)
            assert sock.recv(64).startswith(b"HTTP/1.")
    assert requests.get(f"{server_url}/health", timeout=10).status_code == 200


def test_data_ref_quotes_anything_that_is_not_an_identifier() -> None:
    assert data_ref(["uae", "gate", "findings"]) == "uae.gate.findings"
    assert data_ref(["list", "0", "x-y"]) == 'list[0]["x-y"]'
    assert data_ref(['a"]; true; x := ["']) == '["a\\"]; true; x := [\\""]'


def test_command_line_entry_point_prints_the_url_and_writes_a_private_token(tmp_path: Path) -> None:
    token_file = tmp_path / "private" / "opa-token"
    env = {k: v for k, v in os.environ.items() if k != "PLATFORM_OPA_TOKEN"}
    process = subprocess.Popen(
        [sys.executable, "-m", "tests.support.opa_server", "--port", "0", "--policies", str(POLICY_ROOT),
         "--token-file", str(token_file)],
        cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
    )  # fmt: skip
    try:
        assert process.stdout is not None
        line = process.stdout.readline()
        assert "listening on http://127.0.0.1:" in line, process.stderr.read() if process.poll() is not None else line
        url = line.split("listening on ", 1)[1].split()[0]
        assert stat.S_IMODE(token_file.stat().st_mode) == 0o600
        assert stat.S_IMODE(token_file.parent.stat().st_mode) == 0o700
        with OpaServerEngine(url, retries=0) as anonymous, pytest.raises(PolicyEngineError, match="HTTP 401"):
            anonymous.evaluate(CASES["everything"])
        with OpaServerEngine(url, token=token_file.read_text().strip()) as engine:
            assert engine.evaluate(CASES["everything"]) == RegorusEngine(POLICY_ROOT).evaluate(CASES["everything"])
    finally:
        process.terminate()
        process.wait(timeout=10)


# -- the client fails closed --------------------------------------------------------------------


def test_client_raises_when_server_is_down() -> None:
    with (
        OpaServerEngine(f"http://127.0.0.1:{_closed_port()}", retries=0) as engine,
        pytest.raises(PolicyEngineError, match="unreachable"),
    ):
        engine.evaluate(CASES["compliant-buckets"])


def test_client_raises_when_the_policies_are_missing(tmp_path: Path) -> None:
    (tmp_path / "other.rego").write_text("package other\n\nallow := true\n")
    with (
        serve_in_thread(tmp_path) as running,
        OpaServerEngine(running.url, token=running.token) as engine,
        pytest.raises(PolicyEngineError, match="undefined"),
    ):
        engine.evaluate(CASES["compliant-buckets"])


class _Stub(BaseHTTPRequestHandler):
    """Answers every request with the (status, body) the test put on the server."""

    def do_POST(self) -> None:  # noqa: N802
        self.rfile.read(int(self.headers.get("Content-Length", "0")))
        status, body = self.server.reply  # type: ignore[attr-defined]
        if status is None:  # hang up without answering
            self.close_connection = True
            return
        self.send_response(status)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
        pass


@pytest.fixture()
def stub() -> Iterator[ThreadingHTTPServer]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Stub)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


@pytest.mark.parametrize(
    ("status", "body", "match"),
    [
        (200, b"<html>definitely not json", "not JSON"),
        (200, b"", "not JSON"),
        (200, b"[1, 2, 3]", "not a JSON object"),
        (200, b"{}", "undefined"),
        (200, b'{"result": "allow"}', "not a set of objects"),
        (200, b'{"result": {"rule_id": "X"}}', "not a set of objects"),
        (200, b'{"result": [["x"]]}', "is not of type 'object'"),
        (200, b'{"result": [{"rule_id": "X", "urn": 5, "message": "m"}]}', "urn: 5 is not of type 'string'"),
        (200, b'{"result": [{"rule_id": "X"}]}', "missing (urn|message)"),
        (404, b'{"code": "resource_not_found", "message": "nope"}', "HTTP 404"),
        (500, b"<html>oops</html>", "HTTP 500"),
        (302, b"", "HTTP 302|not JSON"),
        (None, b"", "unreachable"),
    ],
)
def test_client_raises_on_garbage_responses(
    stub: ThreadingHTTPServer, status: int | None, body: bytes, match: str
) -> None:
    stub.reply = (status, body)  # type: ignore[attr-defined]
    url = f"http://127.0.0.1:{stub.server_address[1]}"
    with OpaServerEngine(url, retries=0) as engine, pytest.raises(PolicyEngineError, match=match):
        engine.evaluate(CASES["compliant-buckets"])


def test_client_accepts_a_valid_stub_answer(stub: ThreadingHTTPServer) -> None:
    stub.reply = (
        200,
        b'{"result": [{"rule_id": "B", "urn": "u", "message": "m"}, {"rule_id": "A", "urn": "u", "message": "m"}]}',
    )  # type: ignore[attr-defined]
    with OpaServerEngine(f"http://127.0.0.1:{stub.server_address[1]}") as engine:
        assert [f["rule_id"] for f in engine.evaluate(CASES["compliant-buckets"])] == ["A", "B"]


@pytest.mark.parametrize(
    "url", ["127.0.0.1:8181", "ftp://127.0.0.1", "http://127.0.0.1:8181/v1", "http://127.0.0.1:99999", "http://"]
)
def test_client_rejects_bad_urls(url: str) -> None:
    with pytest.raises(PolicyEngineError):
        OpaServerEngine(url)


def test_client_rejects_input_that_is_not_normalized(opa: OpaServerEngine) -> None:
    with pytest.raises(PolicyEngineError, match="normalized"):
        opa.evaluate({"steps": []})


# -- hardening: token, fixed queries, read-only policies, bounded resources ---------------------


@pytest.mark.parametrize(
    "headers", [{}, {"Authorization": "Bearer wrong-token-0123456789"}, {"Authorization": "Basic x"}]
)
def test_requests_without_the_token_are_401(server: RunningServer, headers: dict[str, str]) -> None:
    query = requests.post(f"{server.url}/v1/data/gate/findings", json={"input": {}}, headers=headers, timeout=10)
    assert (query.status_code, query.json()["code"]) == (401, "unauthorized")
    put = requests.put(f"{server.url}/v1/policies/gate/main.rego", data="package gate\nfindings := set()\n",
                       headers=headers, timeout=10)  # fmt: skip
    assert put.status_code == 401
    assert requests.get(f"{server.url}/v1/policies", headers=headers, timeout=10).status_code == 401
    assert requests.get(f"{server.url}/health", headers=headers, timeout=10).status_code == 200


def test_a_server_started_with_policies_refuses_to_replace_them(server: RunningServer, api: requests.Session) -> None:
    allow_everything = "package gate\n\nfindings := set()\n"
    response = api.put(f"{server.url}/v1/policies/gate/main.rego", data=allow_everything, timeout=10)
    assert (response.status_code, response.json()["code"]) == (403, "unauthorized")
    assert api.put(f"{server.url}/v1/data/uae_data", json={}, timeout=10).status_code == 403
    assert api.delete(f"{server.url}/v1/policies/gate/main.rego", timeout=10).status_code == 403
    findings = api.post(f"{server.url}/v1/data/gate/findings", json={"input": CASES["everything"]}, timeout=60)
    assert len(findings.json()["result"]) > 0


def test_distinct_data_paths_do_not_grow_the_server(server: RunningServer, api: requests.Session) -> None:
    engines = server.state.engines_open
    for n in range(200):
        assert api.post(f"{server.url}/v1/data/uae/p{n}", json={"input": {}}, timeout=10).status_code == 404
    assert server.state.engines_open == engines == 1


def test_replaced_engines_are_closed() -> None:
    with serve_in_thread(None, queries={"t/value"}) as running, _session(running) as api:
        for n in range(15):
            assert api.put(f"{running.url}/v1/policies/t.rego", data=f"package t\n\nvalue := {n}\n", timeout=30).ok
        assert api.post(f"{running.url}/v1/data/t/value", json={}, timeout=10).json() == {"result": 14}
        assert running.state.engines_open == 1
    assert running.state.engines_open == 0


def test_connections_beyond_the_limit_get_503_and_the_server_recovers() -> None:
    state = OpaState()
    server = OpaHTTPServer(state, 0, token=TOKEN, max_connections=2)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    host, port = server.server_address[:2]
    idle = [socket.create_connection((host, port), timeout=10) for _ in range(2)]
    try:
        with socket.create_connection((host, port), timeout=10) as third:
            third.sendall(b"GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
            assert third.recv(64).startswith(b"HTTP/1.1 503")
    finally:
        for sock in idle:
            sock.close()
    try:
        for _ in range(50):  # the idle connections' threads notice the close and free their slots
            try:
                if requests.get(f"{server.url}/health", timeout=10).status_code == 200:
                    break
            except requests.ConnectionError:
                pass
            threading.Event().wait(0.1)
        assert requests.get(f"{server.url}/health", timeout=10).status_code == 200
    finally:
        server.shutdown()
        server.server_close()
        state.close()


def test_short_tokens_are_refused() -> None:
    with pytest.raises(PolicyEngineError, match="at least 16"):
        OpaHTTPServer(OpaState(), 0, token="short")
