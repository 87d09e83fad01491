"""The `opa-server` engine (the gate's OPA client), for real: opa-python-client -> HTTP -> the real
OPA library, on 127.0.0.1.

The server is a test double (tests/support/opa_server.py: pytest-httpserver answering OPA's Data
API with the OPA library); users run a real OPA. Every evaluation goes through OpaServerEngine and
must give exactly the findings that the embedded regorus engine gives for the same input; every
way the server can fail must raise PolicyEngineError, never read as "no findings".
"""

from __future__ import annotations

import json
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from pytest_httpserver import HTTPServer

from platformctl.errors import PolicyEngineError
from platformctl.gate.engines.opa_server_client import OpaServerEngine
from platformctl.gate.engines.rego import POLICY_ROOT, RegorusEngine
from platformctl.gate.input.preview import UNKNOWN, normalize
from tests.support.opa_server import RunningServer, serve_in_thread

pytestmark = pytest.mark.integration

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
    with serve_in_thread(POLICY_ROOT) as running:
        yield running


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
    (tmp_path / "uae" / "gate").mkdir(parents=True)
    (tmp_path / "uae" / "gate" / "gate.rego").write_text(TINY_POLICY)
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "limits.json").write_text('{"max_size": 3}')
    document = _tiny_input({"small": 2, "big": 5, "huge": 9})
    with serve_in_thread(tmp_path) as running, OpaServerEngine(running.url, token=running.token) as engine:
        findings = engine.evaluate(document)
    assert [(f["rule_id"], f["urn"].rsplit("::", 1)[1]) for f in findings] == [("TST-001", "big"), ("TST-001", "huge")]
    assert findings == RegorusEngine(tmp_path).evaluate(document)


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


@pytest.mark.parametrize("token", [None, "wrong-token-0123456789"])
def test_client_without_the_servers_token_fails_with_401(server: RunningServer, token: str | None) -> None:
    with (
        OpaServerEngine(server.url, token=token, retries=0) as engine,
        pytest.raises(PolicyEngineError, match="HTTP 401"),
    ):
        engine.evaluate(CASES["compliant-buckets"])


def test_pushing_a_module_that_does_not_compile_is_an_error(tmp_path: Path) -> None:
    (tmp_path / "broken.rego").write_text("package gate\n\nfindings contains f if {\n")
    with (
        serve_in_thread(None) as running,
        OpaServerEngine(running.url, token=running.token) as engine,
        pytest.raises(PolicyEngineError, match="rejected the policies"),
    ):
        engine.push_policies(tmp_path)


@pytest.fixture()
def stub() -> Iterator[HTTPServer]:
    """A server that answers whatever the test tells it to (pytest-httpserver, 127.0.0.1)."""
    server = HTTPServer(host="127.0.0.1", port=0)
    server.start()
    yield server
    server.clear()
    if server.is_running():
        server.stop()


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
def test_client_raises_on_garbage_responses(stub: HTTPServer, status: int | None, body: bytes, match: str) -> None:
    if status is None:  # nothing listens any more
        stub.stop()
    else:
        stub.expect_request("/v1/data/gate/findings", method="POST").respond_with_data(
            body, status=status, content_type="application/json"
        )
    url = f"http://127.0.0.1:{stub.port}"
    with OpaServerEngine(url, retries=0) as engine, pytest.raises(PolicyEngineError, match=match):
        engine.evaluate(CASES["compliant-buckets"])


def test_client_accepts_a_valid_stub_answer(stub: HTTPServer) -> None:
    stub.expect_request("/v1/data/gate/findings", method="POST").respond_with_json(
        {"result": [{"rule_id": "B", "urn": "u", "message": "m"}, {"rule_id": "A", "urn": "u", "message": "m"}]}
    )
    with OpaServerEngine(f"http://127.0.0.1:{stub.port}") as engine:
        assert [f["rule_id"] for f in engine.evaluate(CASES["compliant-buckets"])] == ["A", "B"]


@pytest.mark.parametrize(
    "url", ["127.0.0.1:8181", "ftp://127.0.0.1", "http://127.0.0.1:8181/v1", "http://127.0.0.1:99999", "http://"]
)
def test_client_rejects_bad_urls(url: str) -> None:
    with pytest.raises(PolicyEngineError):
        OpaServerEngine(url)


def test_client_rejects_input_that_is_not_normalized(opa: OpaServerEngine) -> None:
    with pytest.raises(PolicyEngineError, match="input: missing (schema|resources)"):
        opa.evaluate({"steps": []})
