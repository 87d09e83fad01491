"""Translate the gate's normalized input into a Terraform plan JSON document for Checkov.

Checkov has no Pulumi support, but pulumi-aws is a bridge over terraform-provider-aws: the same
resources with camelCase names. This module undoes the bridge's renaming (type tokens, camelCase,
pluralised repeated blocks, nested objects that Terraform models as blocks, i.e. lists) so that
Checkov's AWS checks read the attributes they were written for. It runs in the main venv and must
never import checkov (see docs/adr/0003-checkov-in-its-own-venv.md).
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9"
FORMAT_VERSION = "1.2"
TERRAFORM_VERSION = "1.9.8"

# Pulumi type tokens whose Terraform name does not follow `aws_<module>_<snake(Class)>`.
TYPE_OVERRIDES: dict[str, str] = {
    "aws:alb/loadBalancer:LoadBalancer": "aws_alb",
    "aws:amp/workspace:Workspace": "aws_prometheus_workspace",
    "aws:cloudtrail/trail:Trail": "aws_cloudtrail",
    "aws:cfg/recorder:Recorder": "aws_config_configuration_recorder",
    "aws:cfg/recorderStatus:RecorderStatus": "aws_config_configuration_recorder_status",
    "aws:cfg/rule:Rule": "aws_config_config_rule",
    "aws:ebs/volume:Volume": "aws_ebs_volume",
    "aws:ec2/capacityReservation:CapacityReservation": "aws_ec2_capacity_reservation",
    "aws:ec2/fleet:Fleet": "aws_ec2_fleet",
    "aws:ec2/host:Host": "aws_ec2_host",
    "aws:ec2/instanceConnectEndpoint:InstanceConnectEndpoint": "aws_ec2_instance_connect_endpoint",
    "aws:ec2/managedPrefixList:ManagedPrefixList": "aws_ec2_managed_prefix_list",
    "aws:ec2/serialConsoleAccess:SerialConsoleAccess": "aws_ec2_serial_console_access",
    "aws:ec2/tag:Tag": "aws_ec2_tag",
    "aws:kms/key:Key": "aws_kms_key",
    "aws:lb/loadBalancer:LoadBalancer": "aws_lb",
    "aws:rds/instance:Instance": "aws_db_instance",
    "aws:rds/eventSubscription:EventSubscription": "aws_db_event_subscription",
    "aws:rds/optionGroup:OptionGroup": "aws_db_option_group",
    "aws:rds/parameterGroup:ParameterGroup": "aws_db_parameter_group",
    "aws:rds/proxy:Proxy": "aws_db_proxy",
    "aws:rds/snapshot:Snapshot": "aws_db_snapshot",
    "aws:rds/subnetGroup:SubnetGroup": "aws_db_subnet_group",
    "aws:s3/bucketObject:BucketObject": "aws_s3_object",
    "aws:s3/bucketObjectv2:BucketObjectv2": "aws_s3_object",
}

# Pulumi modules whose Terraform prefix differs. `None` means no prefix: pulumi-aws files most
# VPC/EC2 networking resources (aws_vpc, aws_subnet, aws_security_group, aws_flow_log, aws_instance,
# aws_launch_template ...) under `ec2` without it; the `aws_ec2_*` ones are in TYPE_OVERRIDES.
MODULE_PREFIXES: dict[str, str | None] = {
    "apigateway": "api_gateway",
    "cfg": "config",
    "ec2": None,
    "ec2clientvpn": "ec2_client_vpn",
    "ec2transitgateway": "ec2_transit_gateway",
    "elasticloadbalancing": "elb",
    "elasticloadbalancingv2": "lb",
}

# Attributes that are Terraform maps (user keys, no block semantics): kept as dicts, keys untouched.
MAP_ATTRIBUTES = frozenset(
    {
        "tags",
        "tags_all",
        "labels",
        "variables",
        "parameters",
        "environment_variables",
        "request_parameters",
        "request_templates",
        "response_parameters",
        "response_templates",
        "attributes",
        "properties",
        "annotations",
        "metadata",
        "triggers",
        "options",
        "airflow_configuration_options",
        "default_arguments",
        "configuration_properties",
    }
)

# Attributes that Terraform holds as JSON strings (IAM and resource policies, task definitions).
JSON_DOCUMENT_ATTRIBUTES = frozenset(
    {
        "policy",
        "assume_role_policy",
        "inline_policy_document",
        "policy_document",
        "access_policies",
        "container_definitions",
        "container_properties",
    }
)

# pulumi-aws pluralises repeated Terraform blocks (`rule` -> `rules`); exceptions to the rule below.
BLOCK_NAME_OVERRIDES: dict[str, str] = {"statuses": "status", "addresses": "address"}

OP_ACTIONS: dict[str, list[str]] = {
    "create": ["create"],
    "same": ["no-op"],
    "refresh": ["no-op"],
    "import": ["no-op"],
    "update": ["update"],
    "replace": ["delete", "create"],
    "create-replacement": ["delete", "create"],
}
# Ops whose resource will not exist (or is not ours) after the deploy: no planned state to scan.
NOT_PLANNED_OPS = frozenset(
    {"delete", "delete-replaced", "discard", "discard-replaced", "remove-pending-replace", "read", "read-replacement"}
)

_TYPE_TOKEN = re.compile(r"^aws:(?P<module>[a-z0-9]+)(?:/(?P<member>[A-Za-z0-9]+))?:(?P<cls>[A-Z][A-Za-z0-9]*)$")
_CAMEL_BOUNDARY = re.compile(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])")
_NAME_INVALID = re.compile(r"[^A-Za-z0-9_-]")


@dataclass(frozen=True, order=True)
class Unmapped:
    """A resource of the input that has no Terraform plan counterpart, and why."""

    urn: str
    type: str
    reason: str


@dataclass(frozen=True)
class TerraformPlan:
    """A plan document plus the way back from Terraform addresses to Pulumi URNs."""

    document: dict[str, Any]
    address_to_urn: dict[str, str]
    address_to_type: dict[str, str]
    unmapped: tuple[Unmapped, ...] = field(default=())


def snake_case(name: str) -> str:
    """`enabledClusterLogTypes` -> `enabled_cluster_log_types`, `ipv6CidrBlock` -> `ipv6_cidr_block`."""
    return _CAMEL_BOUNDARY.sub("_", name).lower()


def terraform_type(type_token: str) -> str | None:
    """The Terraform resource type of a pulumi-aws type token, or None if it is not one."""
    if type_token in TYPE_OVERRIDES:
        return TYPE_OVERRIDES[type_token]
    match = _TYPE_TOKEN.match(type_token)
    if match is None:
        return None
    module, cls = match["module"], match["cls"]
    if module == "s3" and cls.endswith("V2"):
        # pulumi-aws kept the v4-era `BucketV2`, `BucketVersioningV2` ... names as aliases.
        cls = cls[:-2]
    prefix = MODULE_PREFIXES.get(module, module)
    return "_".join(part for part in ("aws", prefix, snake_case(cls)) if part)


def _block_name(snake: str) -> str:
    if snake in BLOCK_NAME_OVERRIDES:
        return BLOCK_NAME_OVERRIDES[snake]
    if snake.endswith("ies"):
        return snake[:-3] + "y"
    if snake.endswith("s") and not snake.endswith("ss"):
        return snake[:-1]
    return snake


def attribute_name(key: str, value: Any) -> str:
    """Terraform attribute name of a pulumi input property (repeated blocks are singular there)."""
    snake = snake_case(key)
    if isinstance(value, list) and any(isinstance(item, dict) for item in value):
        return _block_name(snake)
    return snake


def _is_unknown(value: Any) -> bool:
    return value == UNKNOWN


def _convert_map(raw: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    values = {k: v for k, v in raw.items() if not _is_unknown(v)}
    unknown = {k: True for k, v in raw.items() if _is_unknown(v)}
    return values, unknown


def convert_object(raw: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """Pulumi inputs -> (Terraform `values`, `after_unknown`): snake_case keys, blocks as lists."""
    values: dict[str, Any] = {}
    unknown: dict[str, Any] = {}
    for key, item in raw.items():
        name = attribute_name(key, item)
        if _is_unknown(item):
            unknown[name] = True
        elif name in MAP_ATTRIBUTES and isinstance(item, dict):
            values[name], map_unknown = _convert_map(item)
            if map_unknown:
                unknown[name] = map_unknown
        elif name in JSON_DOCUMENT_ATTRIBUTES and isinstance(item, (dict, list)):
            values[name] = json.dumps(item, sort_keys=True)
        elif isinstance(item, dict):
            block, block_unknown = convert_object(item)
            values[name] = [block]
            if block_unknown:
                unknown[name] = [block_unknown]
        elif isinstance(item, list):
            converted = _convert_list(item)
            if converted is None:
                # Terraform marks a collection with unknown elements unknown as a whole.
                unknown[name] = True
                continue
            values[name], list_unknown = converted
            if any(list_unknown):
                unknown[name] = list_unknown
        else:
            values[name] = item
    return values, unknown


def _convert_list(items: list[Any]) -> tuple[list[Any], list[Any]] | None:
    """A list's (values, per-element after_unknown), or None when a scalar element is unknown."""
    values: list[Any] = []
    unknown: list[Any] = []
    for element in items:
        if _is_unknown(element):
            return None
        if isinstance(element, dict):
            element_values, element_unknown = convert_object(element)
        elif isinstance(element, list):
            converted = _convert_list(element)
            if converted is None:
                return None
            element_values, element_unknown = converted
            element_unknown = element_unknown if any(element_unknown) else {}
        else:
            element_values, element_unknown = element, {}
        values.append(element_values)
        unknown.append(element_unknown)
    return values, unknown


def _terraform_name(name: str) -> str:
    cleaned = _NAME_INVALID.sub("_", name) or "resource"
    return cleaned if cleaned[0].isalpha() or cleaned[0] == "_" else f"r_{cleaned}"


def _unique_name(tf_type: str, resource: Mapping[str, Any], taken: set[str]) -> str:
    name = _terraform_name(str(resource.get("name") or resource["urn"].rsplit("::", 1)[-1]))
    if f"{tf_type}.{name}" in taken:
        # Pulumi names are unique per parent, Terraform names per module: disambiguate by URN.
        name = f"{name}_{hashlib.sha1(resource['urn'].encode()).hexdigest()[:10]}"
    return name


def _unmapped_reason(resource: Mapping[str, Any]) -> str | None:
    if not resource.get("custom", False):
        return "component resource (no cloud resource of its own)"
    if resource.get("package") != "aws":
        return f"package {resource.get('package')!r} is not translated to Terraform"
    if resource.get("op") in NOT_PLANNED_OPS:
        return f"op {resource.get('op')!r} leaves no planned state to scan"
    if terraform_type(str(resource.get("type", ""))) is None:
        return "type token is not a pulumi-aws resource type"
    return None


def _references(dependencies: list[str], urn_to_address: Mapping[str, str]) -> list[str]:
    refs: list[str] = []
    for urn in dependencies:
        address = urn_to_address.get(urn)
        if address:
            refs.extend((f"{address}.id", address))
    return refs


def _expressions(resource: Mapping[str, Any], urn_to_address: Mapping[str, str]) -> dict[str, Any]:
    inputs = resource.get("inputs") or {}
    expressions: dict[str, Any] = {}
    for prop, dependencies in sorted((resource.get("property_dependencies") or {}).items()):
        refs = _references(list(dependencies or []), urn_to_address)
        if refs:
            expressions[attribute_name(prop, inputs.get(prop))] = {"references": refs}
    return expressions


def _values(resource: Mapping[str, Any], inputs: Mapping[str, Any] | None) -> tuple[dict[str, Any], dict[str, Any]]:
    values, unknown = convert_object(inputs or {})
    effective_tags = resource.get("tags")
    if "tags" in values and isinstance(effective_tags, dict):
        # Terraform's tags_all = provider default_tags + tags, which is what normalization computed.
        values["tags_all"] = dict(effective_tags)
    return values, unknown


def build_plan(normalized: Mapping[str, Any]) -> TerraformPlan:
    """Translate every mappable aws resource; everything else is returned as `unmapped`."""
    resources = list(normalized.get("resources") or [])
    urn_to_address: dict[str, str] = {}
    address_to_type: dict[str, str] = {}
    unmapped: list[Unmapped] = []
    mapped: list[tuple[Mapping[str, Any], str, str]] = []
    taken: set[str] = set()
    for resource in resources:
        reason = _unmapped_reason(resource)
        if reason is not None:
            unmapped.append(Unmapped(str(resource.get("urn")), str(resource.get("type")), reason))
            continue
        tf_type = terraform_type(resource["type"])
        assert tf_type is not None
        name = _unique_name(tf_type, resource, taken)
        address = f"{tf_type}.{name}"
        taken.add(address)
        urn_to_address[resource["urn"]] = address
        address_to_type[address] = tf_type
        mapped.append((resource, tf_type, name))

    planned: list[dict[str, Any]] = []
    changes: list[dict[str, Any]] = []
    configuration: list[dict[str, Any]] = []
    for resource, tf_type, name in mapped:
        address = f"{tf_type}.{name}"
        after, after_unknown = _values(resource, resource.get("inputs"))
        old_inputs = resource.get("old_inputs")
        before = _values(resource, old_inputs)[0] if old_inputs is not None else None
        planned.append(
            {
                "address": address,
                "mode": "managed",
                "type": tf_type,
                "name": name,
                "provider_name": "registry.terraform.io/hashicorp/aws",
                "schema_version": 0,
                "values": after,
                "sensitive_values": {},
            }
        )
        changes.append(
            {
                "address": address,
                "mode": "managed",
                "type": tf_type,
                "name": name,
                "provider_name": "registry.terraform.io/hashicorp/aws",
                "change": {
                    "actions": OP_ACTIONS.get(str(resource.get("op")), ["update"]),
                    "before": before,
                    "after": after,
                    "after_unknown": after_unknown,
                },
            }
        )
        configuration.append(
            {
                "address": address,
                "mode": "managed",
                "type": tf_type,
                "name": name,
                "provider_config_key": "aws",
                "expressions": _expressions(resource, urn_to_address),
                "schema_version": 0,
            }
        )

    document = {
        "format_version": FORMAT_VERSION,
        "terraform_version": TERRAFORM_VERSION,
        "planned_values": {"root_module": {"resources": planned}},
        "resource_changes": changes,
        "configuration": {"root_module": {"resources": configuration}},
    }
    address_to_urn = {address: urn for urn, address in urn_to_address.items()}
    return TerraformPlan(document, address_to_urn, address_to_type, tuple(unmapped))
