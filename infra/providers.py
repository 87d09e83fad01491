"""Explicit providers: every AWS resource goes through one provider pinned to me-central-1.

The stacks set ``pulumi:disable-default-providers: ["*"]``, so a resource that forgets
``provider=`` fails at preview time instead of silently landing in whatever region the
environment of the person running ``pulumi up`` points to.
"""

from __future__ import annotations

import json

import pulumi
import pulumi_aws as aws
import pulumi_kubernetes as k8s

from infra.config import HOME_REGION, PlatformConfig


def aws_provider(cfg: PlatformConfig) -> aws.Provider:
    """The one AWS provider, with the platform's tags applied to every taggable resource."""
    if cfg.region != HOME_REGION:  # config validation refuses this already; belt and braces
        raise ValueError(f"refusing to build an AWS provider for {cfg.region}")
    return aws.Provider(
        "uae",
        region=HOME_REGION,
        default_tags=aws.ProviderDefaultTagsArgs(tags=cfg.base_tags),
        # STS regional endpoint: the global one is served outside the UAE.
        sts_region=HOME_REGION,
    )


def kubeconfig(
    cluster_name: pulumi.Input[str], endpoint: pulumi.Input[str], ca_data: pulumi.Input[str]
) -> pulumi.Output[str]:
    """A kubeconfig that authenticates with `aws eks get-token` against the regional STS endpoint."""

    def render(args: list[str]) -> str:
        name, server, ca = args
        return json.dumps(
            {
                "apiVersion": "v1",
                "kind": "Config",
                "clusters": [{"name": name, "cluster": {"server": server, "certificate-authority-data": ca}}],
                "contexts": [{"name": name, "context": {"cluster": name, "user": name}}],
                "current-context": name,
                "users": [
                    {
                        "name": name,
                        "user": {
                            "exec": {
                                "apiVersion": "client.authentication.k8s.io/v1beta1",
                                "command": "aws",
                                "args": ["eks", "get-token", "--cluster-name", name, "--region", HOME_REGION],
                                "env": [{"name": "AWS_STS_REGIONAL_ENDPOINTS", "value": "regional"}],
                            }
                        },
                    }
                ],
            }
        )

    return pulumi.Output.all(cluster_name, endpoint, ca_data).apply(render)


def kubernetes_provider(
    name: str,
    cluster_name: pulumi.Input[str],
    endpoint: pulumi.Input[str],
    ca_data: pulumi.Input[str],
    opts: pulumi.ResourceOptions | None = None,
) -> k8s.Provider:
    """A Kubernetes provider bound to the platform's own cluster (never the ambient kubeconfig)."""
    return k8s.Provider(
        name,
        kubeconfig=kubeconfig(cluster_name, endpoint, ca_data),
        enable_server_side_apply=True,
        delete_unreachable=False,
        opts=opts,
    )
