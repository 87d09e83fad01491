"""MLflow tracking and model registry on the cluster: backend store in RDS PostgreSQL, artifacts in
the in-region S3 bucket (proxied by the server, so clients need no S3 access of their own).

The database password is RDS-managed in Secrets Manager: an init container reads it with the pod's
IRSA role into a memory-backed volume and builds the backend URI there; the server takes it from
its environment (MLFLOW_BACKEND_STORE_URI), never from its command line. Reachable only from the
training, serving and pipelines namespaces (k8s_baseline NetworkPolicies).
"""

from __future__ import annotations

from dataclasses import dataclass

import pulumi

from infra.components._k8s import (
    SECRET_FILE,
    SecretReadingServerSpec,
    fetch_secret_init_container,
    regional_aws_env,
    resources,
    secret_reading_server,
)
from infra.components.k8s_baseline import MLFLOW_PORT
from infra.components.supply_chain import Mirror


@dataclass(frozen=True)
class MlflowServerArgs:
    environment: str
    mirror: Mirror
    artifact_bucket: pulumi.Input[str]
    database_endpoint: pulumi.Input[str]  # host:port of the RDS instance
    database_name: str
    database_secret_id: pulumi.Input[str]  # the RDS-managed master user secret
    namespace: str = "registry"
    service_account: str = "mlflow"
    after: tuple[pulumi.Resource, ...] = ()


def server_command() -> list[str]:
    return [
        "sh",
        "-c",
        f'MLFLOW_BACKEND_STORE_URI="$(cat {SECRET_FILE})"; export MLFLOW_BACKEND_STORE_URI; '
        f'exec mlflow server --host 0.0.0.0 --port "{MLFLOW_PORT}" --serve-artifacts',
    ]


class MlflowServer(pulumi.ComponentResource):
    """Deployment and Service of the MLflow server in `registry`."""

    def __init__(self, name: str, args: MlflowServerArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("uae:registry:MlflowServer", name, None, opts)
        image = args.mirror.image("mlflow").ref
        artifacts = pulumi.Output.concat("s3://", args.artifact_bucket, "/mlflow")
        fetch = fetch_secret_init_container(
            image,
            args.database_secret_id,
            {"FETCH_AS": "postgres-uri", "DB_ENDPOINT": args.database_endpoint, "DB_NAME": args.database_name},
        )
        self.deployment, self.service = secret_reading_server(
            name,
            SecretReadingServerSpec(
                app="mlflow",
                component="tracking-server",
                container_name="mlflow",
                namespace=args.namespace,
                service_account=args.service_account,
                replicas=1 if args.environment == "dev" else 2,
                image=image,
                command=server_command(),
                env=[
                    {"name": "MLFLOW_ARTIFACTS_DESTINATION", "value": artifacts},
                    *regional_aws_env(default_region=True),
                    {"name": "HOME", "value": "/tmp"},
                ],
                port=MLFLOW_PORT,
                resources=resources("250m", "1Gi", "1") if args.environment == "dev" else resources("500m", "2Gi", "2"),
                fetch_secret=fetch,
                liveness_initial_delay=30,
                tmp_size="1Gi",
            ),
            parent=self,
            after=args.after,
        )
        self.tracking_uri = f"http://mlflow.{args.namespace}.svc.cluster.local:{MLFLOW_PORT}"
        self.register_outputs({"tracking_uri": self.tracking_uri})
