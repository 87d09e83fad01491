"""Security-relevant inputs of the AWS data services (infra/services.py), on the real program under mocks."""

from __future__ import annotations

import json
from typing import Any

import pytest
import yaml
from pulumi.runtime import rpc

from infra.components.feature_store import render_feature_store_yaml
from infra.components.streaming import server_properties
from infra.services import SERVICE_ACCOUNTS

from .conftest import ACCOUNT_ID, MOCK_GENERATED_PASSWORD, OIDC_ISSUER

STACKS = ("dev", "staging", "prod")
NODE_SG = "sg-cluster"  # the cluster security group the mocks give the EKS cluster
DATA_BUCKETS = {
    "features-offline": "offline-store",
    "features-registry": "feast-registry",
    "model-registry-artifacts": "model-artifacts",
    "checkpoints": "training-checkpoints",
    "pipelines-dags": "dags",
}


def key_arn(domain: str) -> str:
    return f"arn:aws:mock:me-central-1:{ACCOUNT_ID}:keys-{domain}"


def policy(value: Any) -> dict:
    return json.loads(value) if isinstance(value, str) else value


def statements(synth, name: str) -> dict[str, dict]:
    document = policy(synth.one("aws:iam/rolePolicy:RolePolicy", name).inputs["policy"])
    return {s["Sid"]: s for s in document["Statement"]}


def as_list(value: Any) -> list:
    return value if isinstance(value, list) else [value]


@pytest.fixture(params=STACKS)
def synth(request, infra_mocks):
    return infra_mocks(request.param)


def prefix(synth) -> str:
    return f"uae-ml-{synth.cfg.environment}"


def only_from_nodes(group, port: int) -> None:
    [rule] = group.inputs["ingress"]
    assert (rule["protocol"], rule["fromPort"], rule["toPort"]) == ("tcp", port, port)
    assert rule["securityGroups"] == [NODE_SG]
    assert "cidrBlocks" not in rule and "ipv6CidrBlocks" not in rule
    assert group.inputs.get("egress", []) == []


# --- streaming (MSK) ---------------------------------------------------------------------------


def test_msk_is_tls_only_iam_only_and_encrypted_with_the_streaming_key(synth):
    msk = synth.one("aws:msk/cluster:Cluster").inputs
    assert msk["encryptionInfo"] == {
        "encryptionAtRestKmsKeyArn": key_arn("streaming"),
        "encryptionInTransit": {"clientBroker": "TLS", "inCluster": True},
    }
    assert msk["clientAuthentication"] == {"sasl": {"iam": True, "scram": False}, "unauthenticated": False}
    assert msk["brokerNodeGroupInfo"]["connectivityInfo"]["publicAccess"] == {"type": "DISABLED"}


def test_msk_brokers_span_every_zone_in_private_subnets_sized_per_environment(synth):
    settings = synth.cfg.data_services.streaming
    msk = synth.one("aws:msk/cluster:Cluster").inputs
    zones = synth.cfg.network.availability_zones
    assert msk["numberOfBrokerNodes"] == settings.brokers_per_zone * len(zones)
    assert msk["numberOfBrokerNodes"] % len(zones) == 0
    nodes = msk["brokerNodeGroupInfo"]
    assert nodes["instanceType"] == settings.broker_instance_type
    assert nodes["clientSubnets"] == [f"network-private-{z[-1]}-id" for z in zones]
    assert nodes["storageInfo"]["ebsStorageInfo"]["volumeSize"] == settings.broker_volume_gib
    assert nodes["securityGroups"] == ["streaming-brokers-id"]
    expected_type = {"dev": "kafka.t3.small", "staging": "kafka.m5.large", "prod": "kafka.m5.xlarge"}
    assert nodes["instanceType"] == expected_type[synth.cfg.environment]


def test_msk_admits_only_the_cluster_nodes_on_the_iam_tls_port(synth):
    only_from_nodes(synth.one("aws:ec2/securityGroup:SecurityGroup", "streaming-brokers"), 9098)


def test_msk_broker_logs_go_to_an_encrypted_log_group(synth):
    logs = synth.one("aws:msk/cluster:Cluster").inputs["loggingInfo"]["brokerLogs"]["cloudwatchLogs"]
    group = synth.one("aws:cloudwatch/logGroup:LogGroup", "streaming-broker-logs").inputs
    assert logs == {"enabled": True, "logGroup": group["name"]}
    assert group["kmsKeyId"] == key_arn("logs")
    assert group["retentionInDays"] == (365 if synth.cfg.is_prod else 90)


def test_msk_configuration_is_durable_and_never_creates_topics(synth):
    configuration = synth.one("aws:msk/configuration:Configuration").inputs
    properties = dict(line.split("=", 1) for line in configuration["serverProperties"].splitlines())
    assert properties["auto.create.topics.enable"] == "false"
    assert properties["unclean.leader.election.enable"] == "false"
    assert properties["default.replication.factor"] == "3"
    assert properties["min.insync.replicas"] == "2"
    msk = synth.one("aws:msk/cluster:Cluster").inputs
    assert msk["configurationInfo"]["arn"] == f"arn:aws:mock:me-central-1:{ACCOUNT_ID}:streaming-config"
    assert configuration["kafkaVersions"] == [msk["kafkaVersion"]]


def test_replication_shrinks_outside_prod_only_when_brokers_are_too_few():
    prod_two = dict(line.split("=", 1) for line in server_properties(True, 2).splitlines())
    dev_two = dict(line.split("=", 1) for line in server_properties(False, 2).splitlines())
    assert (prod_two["default.replication.factor"], prod_two["min.insync.replicas"]) == ("3", "2")
    assert (dev_two["default.replication.factor"], dev_two["min.insync.replicas"]) == ("2", "1")


# --- feature store (S3 + ElastiCache Redis) ---------------------------------------------------


def test_redis_encrypts_in_transit_and_at_rest_and_requires_a_generated_secret_token(synth):
    redis = synth.one("aws:elasticache/replicationGroup:ReplicationGroup")
    inputs = redis.inputs
    assert inputs["transitEncryptionEnabled"] is True and inputs["transitEncryptionMode"] == "required"
    assert inputs["atRestEncryptionEnabled"] is True and inputs["kmsKeyId"] == key_arn("data-lake")
    # The generated password, wrapped as a Pulumi secret on its way to the engine.
    assert inputs["authToken"] == {rpc._special_sig_key: rpc._special_secret_sig, "value": MOCK_GENERATED_PASSWORD}
    assert "authToken" in redis.secret_inputs  # sent to the engine as a secret, never in plain state
    token = synth.one("random:index/randomPassword:RandomPassword").inputs
    assert token["length"] >= 32 and token["special"] is False
    version = synth.one("aws:secretsmanager/secretVersion:SecretVersion")
    assert "secretString" in version.secret_inputs
    secret = synth.one("aws:secretsmanager/secret:Secret").inputs
    assert secret["kmsKeyId"] == key_arn("data-lake")
    assert secret["name"] == f"{prefix(synth)}/feature-store/redis-auth-token"
    assert "replicas" not in secret  # no replica of the secret outside the region


@pytest.mark.parametrize(("stack", "nodes", "ha"), [("dev", 1, False), ("staging", 2, True), ("prod", 3, True)])
def test_redis_is_multi_az_with_failover_where_the_environment_needs_it(infra_mocks, stack, nodes, ha):
    inputs = infra_mocks(stack).one("aws:elasticache/replicationGroup:ReplicationGroup").inputs
    assert inputs["numCacheClusters"] == nodes
    assert inputs["automaticFailoverEnabled"] is ha and inputs["multiAzEnabled"] is ha


def test_redis_lives_in_private_subnets_and_admits_only_the_nodes(synth):
    group = synth.one("aws:elasticache/subnetGroup:SubnetGroup").inputs
    assert group["subnetIds"] == [f"network-private-{z[-1]}-id" for z in synth.cfg.network.availability_zones]
    only_from_nodes(synth.one("aws:ec2/securityGroup:SecurityGroup", "features-redis"), 6379)
    redis = synth.one("aws:elasticache/replicationGroup:ReplicationGroup").inputs
    assert redis["securityGroupIds"] == ["features-redis-id"]
    logs = {c["logType"]: c for c in redis["logDeliveryConfigurations"]}
    assert set(logs) == {"slow-log", "engine-log"}
    for log_type, config in logs.items():
        group = synth.one("aws:cloudwatch/logGroup:LogGroup", f"features-redis-{log_type}").inputs
        assert config["destination"] == group["name"] and group["kmsKeyId"] == key_arn("logs")


def test_feature_store_yaml_points_feast_at_s3_and_tls_redis_without_the_token():
    text = render_feature_store_yaml("offline-bucket", "registry-bucket", "master.example.cache.amazonaws.com")
    config = yaml.safe_load(text)
    assert config["registry"]["path"] == "s3://registry-bucket/registry.pb"
    assert config["offline_store"] == {"type": "file"}
    online = config["online_store"]
    assert online["type"] == "redis"
    assert (
        online["connection_string"] == "master.example.cache.amazonaws.com:6379,ssl=true,password=${REDIS_AUTH_TOKEN}"
    )
    assert "s3://offline-bucket/" in text
    assert MOCK_GENERATED_PASSWORD not in text


# --- buckets ----------------------------------------------------------------------------------


def _by_name(synth, typ: str) -> dict[str, Any]:
    return {r.name: r.inputs for r in synth.of_type(typ)}


def test_every_data_bucket_is_kms_encrypted_versioned_private_tls_only_and_expires_old_versions(synth):
    env = prefix(synth)
    buckets = _by_name(synth, "aws:s3/bucket:Bucket")
    encryption = _by_name(
        synth, "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration"
    )
    versioning = _by_name(synth, "aws:s3/bucketVersioning:BucketVersioning")
    blocks = _by_name(synth, "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock")
    ownership = _by_name(synth, "aws:s3/bucketOwnershipControls:BucketOwnershipControls")
    lifecycle = _by_name(synth, "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration")
    policies = _by_name(synth, "aws:s3/bucketPolicy:BucketPolicy")
    expected_keys = {"pipelines-dags": "pipelines", "model-registry-artifacts": "model-registry"}
    for name, purpose in DATA_BUCKETS.items():
        assert purpose in buckets[name]["bucket"] and buckets[name]["bucket"].endswith(ACCOUNT_ID)
        assert env in buckets[name]["bucket"]
        assert buckets[name]["forceDestroy"] is False
        [rule] = encryption[name]["rules"]
        assert rule["applyServerSideEncryptionByDefault"] == {
            "sseAlgorithm": "aws:kms",
            "kmsMasterKeyId": key_arn(expected_keys.get(name, "data-lake")),
        }
        assert versioning[name]["versioningConfiguration"] == {"status": "Enabled"}
        assert all(
            blocks[name][flag] is True
            for flag in ("blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets")
        )
        assert ownership[name]["rule"] == {"objectOwnership": "BucketOwnerEnforced"}
        [expiry] = lifecycle[name]["rules"]
        assert expiry["status"] == "Enabled"
        assert expiry["noncurrentVersionExpiration"]["noncurrentDays"] >= 7
        assert expiry["abortIncompleteMultipartUpload"]["daysAfterInitiation"] == 7
        document = {s["Sid"]: s for s in policy(policies[name]["policy"])["Statement"]}
        arn = f"arn:aws:s3:::{buckets[name]['bucket']}"
        assert document["DenyInsecureTransport"] == {
            "Sid": "DenyInsecureTransport",
            "Effect": "Deny",
            "Principal": "*",
            "Action": "s3:*",
            "Resource": [arn, f"{arn}/*"],
            "Condition": {"Bool": {"aws:SecureTransport": "false"}},
        }
        assert document["DenyUploadsWithoutKms"]["Effect"] == "Deny"
        assert not [s for s in document.values() if s["Effect"] == "Allow"]
    assert buckets["pipelines-dags"]["bucket"].startswith("airflow-")  # MWAA's naming requirement
    assert synth.of_type("aws:s3/bucketReplicationConfig:BucketReplicationConfig") == []


# --- model registry (RDS) ---------------------------------------------------------------------


def test_mlflow_database_is_private_encrypted_tls_only_and_its_password_is_managed_by_rds(synth):
    db = synth.one("aws:rds/instance:Instance").inputs
    assert db["publiclyAccessible"] is False
    assert db["storageEncrypted"] is True and db["kmsKeyId"] == key_arn("model-registry")
    assert db["manageMasterUserPassword"] is True and db["masterUserSecretKmsKeyId"] == key_arn("model-registry")
    assert "password" not in db and "passwordWo" not in db
    assert db["iamDatabaseAuthenticationEnabled"] is True
    assert db["performanceInsightsKmsKeyId"] == key_arn("model-registry")
    assert db["vpcSecurityGroupIds"] == ["model-registry-db-id"]
    assert db["dbSubnetGroupName"] == f"{prefix(synth)}-mlflow"
    subnets = synth.one("aws:rds/subnetGroup:SubnetGroup").inputs["subnetIds"]
    assert all("private" in subnet for subnet in subnets)
    parameters = {
        p["name"]: p["value"] for p in synth.one("aws:rds/parameterGroup:ParameterGroup").inputs["parameters"]
    }
    assert parameters["rds.force_ssl"] == "1"
    only_from_nodes(synth.one("aws:ec2/securityGroup:SecurityGroup", "model-registry-db"), 5432)


@pytest.mark.parametrize(
    ("stack", "multi_az", "retention"), [("dev", False, 3), ("staging", True, 7), ("prod", True, 35)]
)
def test_mlflow_database_availability_and_backups_follow_the_environment(infra_mocks, stack, multi_az, retention):
    db = infra_mocks(stack).one("aws:rds/instance:Instance").inputs
    prod = stack == "prod"
    assert db["multiAz"] is multi_az
    assert db["backupRetentionPeriod"] == retention
    assert db["deletionProtection"] is prod
    assert db["skipFinalSnapshot"] is not prod
    assert db["copyTagsToSnapshot"] is True


# --- pipelines (MWAA) -------------------------------------------------------------------------


def test_airflow_is_private_encrypted_logged_and_in_two_private_subnets(synth):
    mwaa = synth.one("aws:mwaa/environment:Environment").inputs
    assert mwaa["webserverAccessMode"] == "PRIVATE_ONLY"
    assert mwaa["kmsKey"] == key_arn("pipelines")
    subnets = mwaa["networkConfiguration"]["subnetIds"]
    assert len(subnets) == 2 and all("private" in s for s in subnets)
    logging = mwaa["loggingConfiguration"]
    assert set(logging) == {"dagProcessingLogs", "schedulerLogs", "taskLogs", "webserverLogs", "workerLogs"}
    assert all(entry["enabled"] is True for entry in logging.values())
    assert mwaa["sourceBucketArn"].startswith("arn:aws:s3:::airflow-")
    group = synth.one("aws:ec2/securityGroup:SecurityGroup", "pipelines-airflow").inputs
    [ingress] = group["ingress"]
    assert ingress["self"] is True and "cidrBlocks" not in ingress


def test_airflow_execution_role_is_trusted_by_mwaa_only_and_scoped_to_its_environment(synth):
    env_name = f"{prefix(synth)}-airflow"
    [trust] = policy(synth.one("aws:iam/role:Role", "pipelines-execution").inputs["assumeRolePolicy"])["Statement"]
    assert trust["Principal"] == {"Service": ["airflow.amazonaws.com", "airflow-env.amazonaws.com"]}
    assert trust["Condition"]["StringEquals"] == {"aws:SourceAccount": ACCOUNT_ID}
    granted = statements(synth, "pipelines-execution")
    assert (
        granted["PublishOwnMetrics"]["Resource"] == f"arn:aws:airflow:me-central-1:{ACCOUNT_ID}:environment/{env_name}"
    )
    assert granted["WriteOwnLogGroups"]["Resource"] == [
        f"arn:aws:logs:me-central-1:{ACCOUNT_ID}:log-group:airflow-{env_name}-*"
    ]
    wildcard = {sid for sid, s in granted.items() if "*" in as_list(s["Resource"])}
    assert wildcard == {"DescribeLogGroupsAndPublicAccessBlock", "AirflowMetrics"}
    key = granted["UsePipelinesKeyThroughSqsAndS3"]
    assert key["Condition"]["ForAnyValue:StringEquals"]["kms:ResourceAliases"] == [f"alias/{prefix(synth)}/pipelines"]


# --- IRSA workload roles ----------------------------------------------------------------------


@pytest.mark.parametrize("role", sorted(SERVICE_ACCOUNTS))
def test_each_workload_role_trusts_exactly_its_service_account(infra_mocks, role):
    synth = infra_mocks("prod")
    namespace, service_account = SERVICE_ACCOUNTS[role]
    inputs = synth.one("aws:iam/role:Role", f"workload-roles-{role}").inputs
    assert inputs["name"] == f"uae-ml-prod-{role}"
    [trust] = policy(inputs["assumeRolePolicy"])["Statement"]
    host = OIDC_ISSUER.removeprefix("https://")
    assert trust["Principal"] == {"Federated": f"arn:aws:mock:me-central-1:{ACCOUNT_ID}:cluster-oidc"}
    assert trust["Action"] == "sts:AssumeRoleWithWebIdentity"
    assert trust["Condition"] == {
        "StringEquals": {
            f"{host}:sub": f"system:serviceaccount:{namespace}:{service_account}",
            f"{host}:aud": "sts.amazonaws.com",
        }
    }


def _actions(statement: dict) -> set[str]:
    return set(as_list(statement["Action"]))


def _resources(granted: dict[str, dict]) -> set[str]:
    return {r for s in granted.values() for r in as_list(s["Resource"])}


def test_workload_policies_name_their_resources_and_never_everything(synth):
    for role in SERVICE_ACCOUNTS:
        granted = statements(synth, f"workload-roles-{role}")
        for statement in granted.values():
            assert statement["Effect"] == "Allow"
            assert "*" not in as_list(statement["Resource"]), (role, statement)
            assert not any(a.endswith(":*") or a == "*" for a in _actions(statement)), (role, statement)
            if any(a.startswith("kms:") for a in _actions(statement)):
                assert statement["Condition"]["StringEquals"]["kms:ViaService"].endswith(".me-central-1.amazonaws.com")
                assert statement["Condition"]["ForAnyValue:StringEquals"]["kms:ResourceAliases"]


def test_feast_server_and_predictor_only_read(synth):
    env = prefix(synth)
    feast = statements(synth, "workload-roles-feast-server")
    assert not any("s3:PutObject" in _actions(s) or "s3:DeleteObject" in _actions(s) for s in feast.values())
    assert {r for r in _resources(feast) if r.startswith("arn:aws:s3")} == {
        f"arn:aws:s3:::{env}-offline-store-{ACCOUNT_ID}",
        f"arn:aws:s3:::{env}-offline-store-{ACCOUNT_ID}/*",
        f"arn:aws:s3:::{env}-feast-registry-{ACCOUNT_ID}",
        f"arn:aws:s3:::{env}-feast-registry-{ACCOUNT_ID}/*",
    }
    assert feast["ReadOnlineStoreToken"]["Resource"] == (
        f"arn:aws:secretsmanager:me-central-1:{ACCOUNT_ID}:secret:{env}/feature-store/redis-auth-token-??????"
    )
    predictor = statements(synth, "workload-roles-predictor")
    assert {a for s in predictor.values() for a in _actions(s)} == {
        "s3:ListBucket", "s3:GetBucketLocation", "s3:GetObject", "s3:GetObjectVersion", "kms:Decrypt", "kms:DescribeKey"
    }  # fmt: skip
    assert {r for r in _resources(predictor) if r.startswith("arn:aws:s3")} == {
        f"arn:aws:s3:::{env}-model-artifacts-{ACCOUNT_ID}",
        f"arn:aws:s3:::{env}-model-artifacts-{ACCOUNT_ID}/*",
    }


def test_stream_consumer_reads_its_topic_in_its_group_and_writes_only_the_dead_letter_topic(synth):
    env = prefix(synth)
    kafka = f"arn:aws:kafka:me-central-1:{ACCOUNT_ID}"
    granted = statements(synth, "workload-roles-stream-consumer")
    assert granted["KafkaConnect"]["Resource"] == f"{kafka}:cluster/{env}-events/*"
    assert granted["KafkaReadTopics"]["Resource"] == [f"{kafka}:topic/{env}-events/*/credit-activity"]
    assert _actions(granted["KafkaReadTopics"]) == {"kafka-cluster:DescribeTopic", "kafka-cluster:ReadData"}
    assert granted["KafkaWriteTopics"]["Resource"] == [f"{kafka}:topic/{env}-events/*/credit-activity-dlq"]
    assert _actions(granted["KafkaWriteTopics"]) == {"kafka-cluster:DescribeTopic", "kafka-cluster:WriteData"}
    assert granted["KafkaConsumerGroups"]["Resource"] == [f"{kafka}:group/{env}-events/*/credit-activity-feast"]
    kafka_actions = {a for s in granted.values() for a in _actions(s) if a.startswith("kafka-cluster:")}
    assert not kafka_actions & {"kafka-cluster:CreateTopic", "kafka-cluster:DeleteTopic", "kafka-cluster:AlterCluster"}


def test_mlflow_reads_only_its_own_database_secret_and_trainer_keeps_checkpoints(synth):
    env = prefix(synth)
    mlflow = statements(synth, "workload-roles-mlflow")
    secret = mlflow["ReadDatabaseSecret"]
    assert secret["Resource"] == f"arn:aws:secretsmanager:me-central-1:{ACCOUNT_ID}:secret:rds!db-*"
    assert secret["Condition"] == {
        "StringEquals": {
            "secretsmanager:ResourceTag/aws:rds:primaryDBInstanceArn": f"arn:aws:rds:me-central-1:{ACCOUNT_ID}:db:{env}-mlflow"
        }
    }
    trainer = statements(synth, "workload-roles-trainer")
    assert trainer["CheckpointsPut"]["Resource"] == [f"arn:aws:s3:::{env}-training-checkpoints-{ACCOUNT_ID}/*"]
    assert trainer["ModelArtifactsPut"]["Resource"] == [f"arn:aws:s3:::{env}-model-artifacts-{ACCOUNT_ID}/*"]
    assert "s3:DeleteObject" not in _actions(trainer["ModelArtifactsPut"])
    assert "OfflineStorePut" not in trainer  # features are read, never written, by training


# --- backup -----------------------------------------------------------------------------------


def test_backup_vault_is_encrypted_in_region_and_the_plan_never_copies_elsewhere(synth):
    env = prefix(synth)
    vault = synth.one("aws:backup/vault:Vault").inputs
    assert vault["kmsKeyArn"] == key_arn("backup") and vault["forceDestroy"] is False
    [rule] = synth.one("aws:backup/plan:Plan").inputs["rules"]
    assert rule["targetVaultName"] == vault["name"]
    assert rule.get("copyActions", []) == []
    assert rule["lifecycle"]["deleteAfter"] == synth.cfg.data_services.backup.daily_retention_days
    assert rule["enableContinuousBackup"] is True
    selections = {s.name: s.inputs for s in synth.of_type("aws:backup/selection:Selection")}
    stateful = set(selections["backup-stateful"]["resources"])
    assert f"arn:aws:rds:me-central-1:{ACCOUNT_ID}:db:{env}-mlflow" in stateful
    assert {f"arn:aws:s3:::{bucket}" for bucket in _bucket_names(synth)} <= stateful
    volumes = selections["backup-volumes"]
    assert volumes["resources"] == [f"arn:aws:ec2:me-central-1:{ACCOUNT_ID}:volume/*"]
    assert volumes["selectionTags"] == [{"type": "STRINGEQUALS", "key": "platform.uae/backup", "value": "daily"}]
    [trust] = policy(synth.one("aws:iam/role:Role", "backup-service").inputs["assumeRolePolicy"])["Statement"]
    assert trust["Principal"] == {"Service": "backup.amazonaws.com"}
    granted = statements(synth, "backup-source-keys")
    source = granted["UseSourceKeysThroughS3"]["Condition"]
    assert source["StringEquals"] == {"kms:ViaService": "s3.me-central-1.amazonaws.com"}
    assert source["ForAnyValue:StringEquals"]["kms:ResourceAliases"] == [
        f"alias/{env}/data-lake",
        f"alias/{env}/model-registry",
        f"alias/{env}/pipelines",
    ]
    assert granted["GrantsForAwsResourcesOnly"]["Condition"]["Bool"] == {"kms:GrantIsForAWSResource": True}


def _bucket_names(synth) -> list[str]:
    return [r.inputs["bucket"] for r in synth.of_type("aws:s3/bucket:Bucket") if r.name in DATA_BUCKETS]


# --- keys and protection ----------------------------------------------------------------------


def test_each_service_gets_its_own_rotating_key(synth):
    keys = {k.name for k in synth.of_type("aws:kms/key:Key")}
    assert {"keys-model-registry", "keys-pipelines", "keys-backup", "keys-streaming", "keys-data-lake"} <= keys
    statements_ = policy(synth.one("aws:kms/key:Key", "keys-pipelines").inputs["policy"])["Statement"]
    [logs] = [s for s in statements_ if s.get("Sid") == "CloudWatchLogsForAirflowLogGroups"]
    assert logs["Condition"]["ArnLike"]["kms:EncryptionContext:aws:logs:arn"].endswith(":log-group:airflow-*")


@pytest.mark.parametrize("stack", STACKS)
def test_stateful_data_services_are_protected_in_prod_only(infra_mocks, stack):
    synth = infra_mocks(stack)
    stateful = [
        synth.one("aws:msk/cluster:Cluster"),
        synth.one("aws:elasticache/replicationGroup:ReplicationGroup"),
        synth.one("aws:rds/instance:Instance"),
        synth.one("aws:backup/vault:Vault"),
        synth.one("aws:secretsmanager/secret:Secret"),
        *[r for r in synth.of_type("aws:s3/bucket:Bucket") if r.name in DATA_BUCKETS],
    ]
    assert len(stateful) == 10
    assert {r.protect for r in stateful} == {stack == "prod"}


def test_irsa_stream_names_are_the_consumers_defaults() -> None:
    """The consumer's IAM policy names topics and group: they must be the ones the consumer uses."""
    from infra import services
    from workloads.features import names

    assert services.FEATURE_EVENTS_TOPIC == names.STREAM_TOPIC
    assert services.DEAD_LETTER_TOPIC == names.DLQ_TOPIC
    assert services.INGEST_CONSUMER_GROUP == names.CONSUMER_GROUP
