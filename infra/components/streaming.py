"""Amazon MSK for the feature event stream: private, TLS everywhere, SASL/IAM only, CMK at rest.

Clients authenticate with IAM (SASL/IAM on port 9098), so access is granted per role, topic and
consumer group by IRSA policies (infra/components/workload_roles.py) instead of shared passwords;
unauthenticated and plaintext listeners are off. Brokers sit in the private subnets of every zone
and admit only the cluster's node security group.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from infra.config import StreamingConfig

IAM_TLS_PORT = 9098  # SASL/IAM over TLS inside the VPC
# Broker defaults that protect acknowledged writes: three copies, two of which must confirm
# (acks=all), so one broker or zone can fail without data loss or a halted producer.
HA_SERVER_PROPERTIES = {
    "default.replication.factor": "3",
    "min.insync.replicas": "2",
    "num.partitions": "3",
    "unclean.leader.election.enable": "false",
    "auto.create.topics.enable": "false",
    "allow.everyone.if.no.acl.found": "false",
}


def server_properties(prod: bool, brokers: int) -> str:
    """The broker configuration; outside prod the factors shrink only if there are too few brokers."""
    settings = dict(HA_SERVER_PROPERTIES)
    if not prod and brokers < 3:
        settings |= {"default.replication.factor": str(brokers), "min.insync.replicas": "1"}
    return "".join(f"{key}={value}\n" for key, value in sorted(settings.items()))


@dataclass(frozen=True)
class StreamingArgs:
    cluster_name: str
    settings: StreamingConfig
    zones: int
    vpc_id: pulumi.Input[str]
    private_subnet_ids: pulumi.Input[Sequence[str]]
    node_security_group_id: pulumi.Input[str]
    kms_key_arn: pulumi.Input[str]
    logs_key_arn: pulumi.Input[str]
    log_retention_days: int
    prod: bool
    protect: bool


class Streaming(pulumi.ComponentResource):
    """The MSK cluster, its configuration, broker log group and security group."""

    cluster: aws.msk.Cluster

    def __init__(self, name: str, args: StreamingArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("uae:streaming:Streaming", name, None, opts)
        if args.zones < 2:
            raise ValueError("MSK needs brokers in at least two zones")
        child = pulumi.ResourceOptions(parent=self)
        brokers = args.settings.brokers_per_zone * args.zones

        self.security_group = aws.ec2.SecurityGroup(
            f"{name}-brokers",
            description=f"MSK brokers of {args.cluster_name}: SASL/IAM over TLS from the cluster nodes only",
            vpc_id=args.vpc_id,
            ingress=[
                aws.ec2.SecurityGroupIngressArgs(
                    description="Kafka SASL/IAM (TLS) from the EKS nodes",
                    protocol="tcp",
                    from_port=IAM_TLS_PORT,
                    to_port=IAM_TLS_PORT,
                    security_groups=[args.node_security_group_id],
                )
            ],
            # Brokers only answer; replication between them uses MSK's own network, not this group.
            egress=[],
            revoke_rules_on_delete=True,
            tags={"Name": f"{args.cluster_name}-brokers"},
            opts=child,
        )
        log_group = aws.cloudwatch.LogGroup(
            f"{name}-broker-logs",
            name=f"/aws/msk/{args.cluster_name}/brokers",
            kms_key_id=args.logs_key_arn,
            retention_in_days=args.log_retention_days,
            opts=pulumi.ResourceOptions(parent=self, protect=args.protect),
        )
        configuration = aws.msk.Configuration(
            f"{name}-config",
            name=f"{args.cluster_name}-brokers",
            description=f"Broker defaults of {args.cluster_name}: no topic auto-creation, durable writes",
            kafka_versions=[args.settings.kafka_version],
            server_properties=server_properties(args.prod, brokers),
            opts=child,
        )
        self.cluster = aws.msk.Cluster(
            f"{name}-msk",
            cluster_name=args.cluster_name,
            kafka_version=args.settings.kafka_version,
            number_of_broker_nodes=brokers,
            broker_node_group_info=aws.msk.ClusterBrokerNodeGroupInfoArgs(
                instance_type=args.settings.broker_instance_type,
                client_subnets=args.private_subnet_ids,
                security_groups=[self.security_group.id],
                storage_info=aws.msk.ClusterBrokerNodeGroupInfoStorageInfoArgs(
                    ebs_storage_info=aws.msk.ClusterBrokerNodeGroupInfoStorageInfoEbsStorageInfoArgs(
                        volume_size=args.settings.broker_volume_gib
                    )
                ),
                connectivity_info=aws.msk.ClusterBrokerNodeGroupInfoConnectivityInfoArgs(
                    public_access=aws.msk.ClusterBrokerNodeGroupInfoConnectivityInfoPublicAccessArgs(type="DISABLED")
                ),
            ),
            client_authentication=aws.msk.ClusterClientAuthenticationArgs(
                sasl=aws.msk.ClusterClientAuthenticationSaslArgs(iam=True, scram=False),
                unauthenticated=False,
            ),
            encryption_info=aws.msk.ClusterEncryptionInfoArgs(
                encryption_at_rest_kms_key_arn=args.kms_key_arn,
                encryption_in_transit=aws.msk.ClusterEncryptionInfoEncryptionInTransitArgs(
                    client_broker="TLS",
                    in_cluster=True,
                ),
            ),
            configuration_info=aws.msk.ClusterConfigurationInfoArgs(
                arn=configuration.arn,
                revision=configuration.latest_revision,
            ),
            logging_info=aws.msk.ClusterLoggingInfoArgs(
                broker_logs=aws.msk.ClusterLoggingInfoBrokerLogsArgs(
                    cloudwatch_logs=aws.msk.ClusterLoggingInfoBrokerLogsCloudwatchLogsArgs(
                        enabled=True,
                        log_group=log_group.name,
                    )
                )
            ),
            enhanced_monitoring="PER_TOPIC_PER_BROKER" if args.prod else "DEFAULT",
            tags={"Name": args.cluster_name},
            opts=pulumi.ResourceOptions(parent=self, protect=args.protect),
        )
        self.bootstrap_brokers = self.cluster.bootstrap_brokers_sasl_iam
        self.register_outputs(
            {
                "cluster_arn": self.cluster.arn,
                "bootstrap_brokers_sasl_iam": self.bootstrap_brokers,
                "security_group_id": self.security_group.id,
            }
        )
