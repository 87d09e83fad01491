"""`infra_mocks`: run the real Pulumi program (infra.program.build) under the synth engine's mocks.

The invokes and the monitor are the synth engine's own (platformctl/synth/engine.py: OfflineMocks,
CapturingMonitor), so these tests and `platformctl synth` see the program the same way. One thing
differs on purpose: `synth` answers like a preview of a new stack (computed outputs unknown), while
these tests answer like an `up` (ARNs, endpoints and ids known) so that the policies the program
builds from other resources' outputs can be asserted on. Every registered resource is recorded with
its type, name, camelCase inputs, provider reference, `protect` flag and secret inputs.
"""

from __future__ import annotations

import hashlib
import json
import sys
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pulumi
import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]
if str(REPO) not in sys.path:  # `pytest` run without `python -m` does not put the repo root first
    sys.path.insert(0, str(REPO))

from infra.config import PROJECT, PlatformConfig, parse_config  # noqa: E402
from platformctl.synth.engine import OFFLINE_ACCOUNT_ID, CapturingMonitor, OfflineMocks  # noqa: E402
from tests.builders import SECRET_SIG, SIG_KEY  # noqa: E402

ACCOUNT_ID = OFFLINE_ACCOUNT_ID  # what the engine's getCallerIdentity answers
OIDC_ISSUER = "https://oidc.eks.me-central-1.amazonaws.com/id/EXAMPLED539D4633E53DE1B71EXAMPLE"
MOCK_GENERATED_PASSWORD = "generated-by-random-password-under-mocks"


def image_digest(repository: str, tag: str) -> str:
    """The digest the mocked ECR reports for one pushed image (stable, distinct per image)."""
    return "sha256:" + hashlib.sha256(f"{repository}:{tag}".encode()).hexdigest()


@dataclass(frozen=True)
class Recorded:
    typ: str
    name: str
    inputs: Mapping[str, Any]
    provider: str | None
    protect: bool
    secret_inputs: frozenset[str] = frozenset()  # top-level inputs sent to the engine as secrets


@dataclass
class Synth:
    """The resources one stack declared."""

    cfg: PlatformConfig
    resources: list[Recorded] = field(default_factory=list)

    def of_type(self, typ: str) -> list[Recorded]:
        return [r for r in self.resources if r.typ == typ]

    def one(self, typ: str, name: str | None = None) -> Recorded:
        found = [r for r in self.of_type(typ) if name is None or r.name == name]
        assert len(found) == 1, f"expected one {typ} {name or ''}, found {[r.name for r in found]}"
        return found[0]


class _KnownOutputs(OfflineMocks):
    """The synth engine's mocks (and so its invokes), with computed outputs known as after an `up`."""

    def __init__(self) -> None:
        self.created: list[tuple[str, str, dict, str | None]] = []

    def new_resource(self, args: pulumi.runtime.MockResourceArgs) -> tuple[str, dict]:
        self.created.append((args.typ, args.name, dict(args.inputs), args.provider))
        state = {**args.inputs, "arn": f"arn:aws:mock:me-central-1:{ACCOUNT_ID}:{args.name}"}
        # Computed outputs the program reads back.
        if args.typ == "aws:eks/cluster:Cluster":
            state |= {
                "identities": [{"oidcs": [{"issuer": OIDC_ISSUER}]}],
                "endpoint": "https://EXAMPLE.gr7.me-central-1.eks.amazonaws.com",
                "certificateAuthority": {"data": "Y2E="},
                "vpcConfig": {**args.inputs.get("vpcConfig", {}), "clusterSecurityGroupId": "sg-cluster"},
            }
        elif args.typ == "aws:eks/nodeGroup:NodeGroup":
            state |= {"resources": [{"autoscalingGroups": [{"name": f"{args.name}-asg"}]}], "nodeGroupName": args.name}
        elif args.typ == "aws:ec2/launchTemplate:LaunchTemplate":
            state |= {"latestVersion": 1}
        elif args.typ == "aws:kms/key:Key":
            state |= {"keyId": f"{args.name}-key-id"}
        elif args.typ == "aws:amp/workspace:Workspace":
            state |= {
                "prometheusEndpoint": f"https://aps-workspaces.me-central-1.amazonaws.com/workspaces/ws-{args.name}/"
            }
        elif args.typ == "aws:rds/instance:Instance":
            identifier = args.inputs.get("identifier")
            state |= {
                "endpoint": f"{identifier}.abcdefghijkl.me-central-1.rds.amazonaws.com:5432",
                "masterUserSecrets": [
                    {"secretArn": f"arn:aws:secretsmanager:me-central-1:{ACCOUNT_ID}:secret:rds!db-{identifier}-AbCdEf"}
                ],
            }
        elif args.typ == "random:index/randomPassword:RandomPassword":
            state |= {"result": MOCK_GENERATED_PASSWORD}
        elif args.typ == "aws:elasticache/replicationGroup:ReplicationGroup":
            state |= {
                "primaryEndpointAddress": f"master.{args.inputs.get('replicationGroupId')}.mec1.cache.amazonaws.com"
            }
        elif args.typ == "aws:ecr/repository:Repository":
            state |= {"repositoryUrl": f"{ACCOUNT_ID}.dkr.ecr.me-central-1.amazonaws.com/{args.inputs.get('name')}"}
        return f"{args.name}-id", state


def _secret_inputs(request: Mapping[str, Any]) -> frozenset[str]:
    """Top-level inputs the SDK sent to the engine as secrets (the wire form the monitor recorded)."""
    return frozenset(
        key
        for key, value in request.get("object", {}).items()
        if isinstance(value, dict) and value.get(SIG_KEY) == SECRET_SIG
    )


def stack_config(stack: str, overrides: Mapping[str, Any] | None = None) -> tuple[PlatformConfig, dict[str, str]]:
    raw = yaml.safe_load((REPO / "stacks" / f"Pulumi.{stack}.yaml").read_text())["config"]
    for key, value in (overrides or {}).items():
        section, _, sub = key.partition(".")  # "uae-ml-platform:cluster.adminRoleArns"
        if sub:
            raw[section] = {**raw[section], sub: value}
        else:
            raw[section] = value
    flat = {key: value if isinstance(value, str) else json.dumps(value) for key, value in raw.items()}
    return parse_config(stack, flat), flat


def synthesize(stack: str, overrides: Mapping[str, Any] | None = None, preview: bool = False) -> Synth:
    from infra.program import build

    cfg, flat = stack_config(stack, overrides)
    mocks = _KnownOutputs()
    monitor = CapturingMonitor(mocks)
    pulumi.runtime.set_mocks(mocks, project=PROJECT, stack=stack, preview=preview, monitor=monitor)
    pulumi.runtime.set_all_config(flat)

    @pulumi.runtime.test
    def run() -> pulumi.Output:
        return pulumi.Output.all(*build(cfg).values())

    run()
    requests = {(r["type"], r["name"]): r for r in monitor.requests}
    return Synth(
        cfg,
        [
            Recorded(
                typ,
                name,
                inputs,
                provider,
                bool(requests[(typ, name)].get("protect", False)),
                _secret_inputs(requests[(typ, name)]),
            )
            for typ, name, inputs, provider in mocks.created
        ],
    )


@pytest.fixture(scope="session")
def infra_mocks() -> Iterator[Callable[..., Synth]]:
    """A memoised `synthesize(stack, overrides=None, preview=False)`; each stack is built once."""
    cache: dict[str, Synth] = {}

    def get(stack: str, overrides: Mapping[str, Any] | None = None, preview: bool = False) -> Synth:
        key = json.dumps([stack, overrides, preview], sort_keys=True)
        if key not in cache:
            cache[key] = synthesize(stack, overrides, preview)
        return cache[key]

    yield get
