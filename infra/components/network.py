"""The VPC: private subnets for every workload, public subnets only for NAT, flow logs for all traffic.

Nodes and the API server live in private subnets. AWS APIs the nodes need (ECR, STS, Logs, KMS,
S3) are reached through VPC endpoints in me-central-1, so image pulls and credentials never cross
the NAT (and never resolve to a global endpoint).
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from infra.components._iam import PARTITION, account_scoped_trust_policy, document
from infra.config import HOME_REGION, NAT_MODES

INTERFACE_ENDPOINT_SERVICES = ("ecr.api", "ecr.dkr", "sts", "logs", "kms")
MAX_ZONES = 3


@dataclass(frozen=True)
class NetworkArgs:
    cidr: str
    availability_zones: tuple[str, ...]
    nat_gateways: str  # "single" | "per-az"
    account_id: pulumi.Input[str]
    flow_logs_key_arn: pulumi.Input[str]
    flow_log_retention_days: int
    protect: bool


def carve_subnets(cidr: str, zones: int) -> tuple[list[str], list[str]]:
    """Split the VPC into large private subnets (one eighth each) and small public ones.

    Private subnets take eighths 0..2 (EKS pods get VPC IPs, so they need the room); the public
    subnets, which hold only NAT gateways and internet-facing load balancers, share the fourth.
    """
    if not 1 <= zones <= MAX_ZONES:
        raise ValueError(f"between 1 and {MAX_ZONES} availability zones are supported, got {zones}")
    vpc = ipaddress.ip_network(cidr)
    eighths = list(vpc.subnets(prefixlen_diff=3))
    private = [str(block) for block in eighths[:zones]]
    public = [str(block) for block in list(eighths[MAX_ZONES].subnets(prefixlen_diff=2))[:zones]]
    return private, public


class Network(pulumi.ComponentResource):
    """VPC, subnets, NAT, endpoints, flow logs and a locked-down default security group."""

    vpc: aws.ec2.Vpc
    flow_log: aws.ec2.FlowLog

    def __init__(self, name: str, args: NetworkArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("uae:network:Network", name, None, opts)
        if args.nat_gateways not in NAT_MODES:
            raise ValueError(f"nat_gateways must be one of {', '.join(NAT_MODES)}, got {args.nat_gateways!r}")
        child = pulumi.ResourceOptions(parent=self)
        private_cidrs, public_cidrs = carve_subnets(args.cidr, len(args.availability_zones))

        self.vpc = aws.ec2.Vpc(
            f"{name}-vpc",
            cidr_block=args.cidr,
            enable_dns_support=True,  # required for private DNS on interface endpoints
            enable_dns_hostnames=True,
            tags={"Name": f"{name}-vpc"},
            opts=child,
        )
        # Strip every rule from the default security group so nothing lands in it by accident.
        aws.ec2.DefaultSecurityGroup(
            f"{name}-default-sg",
            vpc_id=self.vpc.id,
            ingress=[],
            egress=[],
            tags={"Name": f"{name}-default-deny-all"},
            opts=child,
        )

        self.public_subnets: list[aws.ec2.Subnet] = []
        self.private_subnets: list[aws.ec2.Subnet] = []
        for zone, private_cidr, public_cidr in zip(args.availability_zones, private_cidrs, public_cidrs, strict=True):
            suffix = zone[-1]
            self.public_subnets.append(
                aws.ec2.Subnet(
                    f"{name}-public-{suffix}",
                    vpc_id=self.vpc.id,
                    cidr_block=public_cidr,
                    availability_zone=zone,
                    map_public_ip_on_launch=False,
                    tags={"Name": f"{name}-public-{zone}", "kubernetes.io/role/elb": "1"},
                    opts=child,
                )
            )
            self.private_subnets.append(
                aws.ec2.Subnet(
                    f"{name}-private-{suffix}",
                    vpc_id=self.vpc.id,
                    cidr_block=private_cidr,
                    availability_zone=zone,
                    map_public_ip_on_launch=False,
                    tags={"Name": f"{name}-private-{zone}", "kubernetes.io/role/internal-elb": "1"},
                    opts=child,
                )
            )

        igw = aws.ec2.InternetGateway(f"{name}-igw", vpc_id=self.vpc.id, tags={"Name": f"{name}-igw"}, opts=child)
        public_rt = aws.ec2.RouteTable(
            f"{name}-public", vpc_id=self.vpc.id, tags={"Name": f"{name}-public"}, opts=child
        )
        aws.ec2.Route(
            f"{name}-public-default",
            route_table_id=public_rt.id,
            destination_cidr_block="0.0.0.0/0",
            gateway_id=igw.id,
            opts=child,
        )
        for subnet, zone in zip(self.public_subnets, args.availability_zones, strict=True):
            aws.ec2.RouteTableAssociation(
                f"{name}-public-{zone[-1]}",
                route_table_id=public_rt.id,
                subnet_id=subnet.id,
                opts=child,
            )

        # "single" trades zone independence for cost (dev/staging); "per-az" keeps egress alive when a
        # zone fails (prod).
        nat_zones = args.availability_zones if args.nat_gateways == "per-az" else args.availability_zones[:1]
        self.nat_gateways: list[aws.ec2.NatGateway] = []
        for zone, subnet in zip(nat_zones, self.public_subnets, strict=False):  # single: first zone only
            eip = aws.ec2.Eip(f"{name}-nat-{zone[-1]}", domain="vpc", tags={"Name": f"{name}-nat-{zone}"}, opts=child)
            self.nat_gateways.append(
                aws.ec2.NatGateway(
                    f"{name}-nat-{zone[-1]}",
                    allocation_id=eip.id,
                    subnet_id=subnet.id,
                    connectivity_type="public",
                    tags={"Name": f"{name}-nat-{zone}"},
                    opts=pulumi.ResourceOptions(parent=self, depends_on=[igw]),
                )
            )

        self.private_route_tables: list[aws.ec2.RouteTable] = []
        for index, (zone, subnet) in enumerate(zip(args.availability_zones, self.private_subnets, strict=True)):
            suffix = zone[-1]
            table = aws.ec2.RouteTable(
                f"{name}-private-{suffix}",
                vpc_id=self.vpc.id,
                tags={"Name": f"{name}-private-{zone}"},
                opts=child,
            )
            nat = self.nat_gateways[index] if args.nat_gateways == "per-az" else self.nat_gateways[0]
            aws.ec2.Route(
                f"{name}-private-{suffix}-default",
                route_table_id=table.id,
                destination_cidr_block="0.0.0.0/0",
                nat_gateway_id=nat.id,
                opts=child,
            )
            aws.ec2.RouteTableAssociation(
                f"{name}-private-{suffix}",
                route_table_id=table.id,
                subnet_id=subnet.id,
                opts=child,
            )
            self.private_route_tables.append(table)

        self._endpoints(name, args, child)
        self.flow_log = self._flow_logs(name, args)

        self.vpc_id = self.vpc.id
        self.private_subnet_ids = pulumi.Output.all(*[s.id for s in self.private_subnets])
        self.public_subnet_ids = pulumi.Output.all(*[s.id for s in self.public_subnets])
        self.register_outputs(
            {
                "vpc_id": self.vpc_id,
                "private_subnet_ids": self.private_subnet_ids,
                "public_subnet_ids": self.public_subnet_ids,
            }
        )

    def _endpoints(self, name: str, args: NetworkArgs, child: pulumi.ResourceOptions) -> None:
        aws.ec2.VpcEndpoint(
            f"{name}-s3",
            vpc_id=self.vpc.id,
            service_name=f"com.amazonaws.{HOME_REGION}.s3",
            vpc_endpoint_type="Gateway",
            route_table_ids=[table.id for table in self.private_route_tables],
            tags={"Name": f"{name}-s3"},
            opts=child,
        )
        # Interface endpoints only answer HTTPS, and only to the VPC itself; no egress rules at all.
        endpoint_sg = aws.ec2.SecurityGroup(
            f"{name}-endpoints",
            description="HTTPS from inside the VPC to the interface endpoints",
            vpc_id=self.vpc.id,
            ingress=[
                aws.ec2.SecurityGroupIngressArgs(
                    description="HTTPS from the VPC",
                    protocol="tcp",
                    from_port=443,
                    to_port=443,
                    cidr_blocks=[args.cidr],
                )
            ],
            egress=[],
            revoke_rules_on_delete=True,
            tags={"Name": f"{name}-endpoints"},
            opts=child,
        )
        for service in INTERFACE_ENDPOINT_SERVICES:
            aws.ec2.VpcEndpoint(
                f"{name}-{service.replace('.', '-')}",
                vpc_id=self.vpc.id,
                service_name=f"com.amazonaws.{HOME_REGION}.{service}",
                vpc_endpoint_type="Interface",
                private_dns_enabled=True,
                subnet_ids=[subnet.id for subnet in self.private_subnets],
                security_group_ids=[endpoint_sg.id],
                tags={"Name": f"{name}-{service}"},
                opts=child,
            )

    def _flow_logs(self, name: str, args: NetworkArgs) -> aws.ec2.FlowLog:
        log_group_name = f"/aws/vpc/{name}/flow-logs"
        # Built from known values so the role policy is readable at preview time (by the gate).
        log_group_arn = pulumi.Output.concat(
            f"arn:{PARTITION}:logs:{HOME_REGION}:", args.account_id, f":log-group:{log_group_name}"
        )
        log_group = aws.cloudwatch.LogGroup(
            f"{name}-flow-logs",
            name=log_group_name,
            kms_key_id=args.flow_logs_key_arn,
            retention_in_days=args.flow_log_retention_days,
            tags={"Name": f"{name}-flow-logs"},
            opts=pulumi.ResourceOptions(parent=self, protect=args.protect),
        )
        role = aws.iam.Role(
            f"{name}-flow-logs",
            description="VPC flow logs delivery to CloudWatch Logs",
            # Only this account's flow logs in this region may assume it.
            assume_role_policy=account_scoped_trust_policy(
                "vpc-flow-logs.amazonaws.com",
                args.account_id,
                source_arn=f"arn:{PARTITION}:ec2:{HOME_REGION}:{{account}}:vpc-flow-log/*",
            ),
            opts=pulumi.ResourceOptions(parent=self),
        )
        aws.iam.RolePolicy(
            f"{name}-flow-logs",
            role=role.id,
            policy=document(
                [
                    {
                        "Sid": "WriteToTheFlowLogGroupOnly",
                        "Effect": "Allow",
                        "Action": ["logs:CreateLogStream", "logs:PutLogEvents", "logs:DescribeLogStreams"],
                        "Resource": [log_group_arn, pulumi.Output.concat(log_group_arn, ":*")],
                    }
                ]
            ),
            opts=pulumi.ResourceOptions(parent=self),
        )
        return aws.ec2.FlowLog(
            f"{name}-flow-log",
            vpc_id=self.vpc.id,
            traffic_type="ALL",
            log_destination_type="cloud-watch-logs",
            log_destination=log_group.arn,
            iam_role_arn=role.arn,
            max_aggregation_interval=60,
            tags={"Name": f"{name}-flow-log"},
            opts=pulumi.ResourceOptions(parent=self),
        )
