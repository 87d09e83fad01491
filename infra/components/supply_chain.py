"""Sovereign supply chain: every Helm chart and container image the cluster pulls is in ECR in me-central-1.

Third-party charts and images are copied into in-region ECR repositories by scripts/mirror-artifacts.sh
(same versions as below), and the program refers to them only there: charts as OCI artifacts
(`oci://<account>.dkr.ecr.me-central-1.amazonaws.com/<prefix>/charts/<chart>`), images by digest.
The digest is read from ECR (`ecr:DescribeImages` by the pinned tag) when the program runs, so a
deploy runs exactly the bytes that were mirrored and scanned; tags are IMMUTABLE there, so the tag
-> digest mapping cannot move underneath a running release (ADR 0010).
"""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from infra.components.registry import LIFECYCLE_POLICY
from infra.config import HOME_REGION


@dataclass(frozen=True)
class MirroredChart:
    upstream: str  # where scripts/mirror-artifacts.sh pulls it from (never the cluster)
    version: str


@dataclass(frozen=True)
class MirroredImage:
    upstream: str  # repository without tag
    tag: str


# Pinned chart versions. Bump a row and re-run the mirror script; the program pulls nothing else.
CHARTS: dict[str, MirroredChart] = {
    "cert-manager": MirroredChart("oci://quay.io/jetstack/charts/cert-manager", "v1.19.1"),
    "kserve-crd": MirroredChart("oci://ghcr.io/kserve/charts/kserve-crd", "v0.21.0"),
    "kserve": MirroredChart("oci://ghcr.io/kserve/charts/kserve", "v0.21.0"),
    "karpenter": MirroredChart("oci://public.ecr.aws/karpenter/karpenter", "1.8.1"),
    "nvidia-device-plugin": MirroredChart("https://nvidia.github.io/k8s-device-plugin", "0.18.0"),
    "dcgm-exporter": MirroredChart("https://nvidia.github.io/dcgm-exporter/helm-charts", "4.6.0"),
    "kube-prometheus-stack": MirroredChart("oci://ghcr.io/prometheus-community/charts/kube-prometheus-stack", "79.7.1"),
    "kubeflow-trainer": MirroredChart("oci://ghcr.io/kubeflow/charts/kubeflow-trainer", "2.3.0"),
}

# Pinned third-party images (the charts' own images, overridden to the mirror in each release).
IMAGES: dict[str, MirroredImage] = {
    "cert-manager-controller": MirroredImage("quay.io/jetstack/cert-manager-controller", "v1.19.1"),
    "cert-manager-webhook": MirroredImage("quay.io/jetstack/cert-manager-webhook", "v1.19.1"),
    "cert-manager-cainjector": MirroredImage("quay.io/jetstack/cert-manager-cainjector", "v1.19.1"),
    "cert-manager-startupapicheck": MirroredImage("quay.io/jetstack/cert-manager-startupapicheck", "v1.19.1"),
    "kserve-controller": MirroredImage("docker.io/kserve/kserve-controller", "v0.21.0"),
    "kserve-storage-initializer": MirroredImage("docker.io/kserve/storage-initializer", "v0.21.0"),
    "kserve-agent": MirroredImage("docker.io/kserve/agent", "v0.21.0"),
    "kserve-router": MirroredImage("docker.io/kserve/router", "v0.21.0"),
    "karpenter-controller": MirroredImage("public.ecr.aws/karpenter/controller", "1.8.1"),
    "nvidia-device-plugin": MirroredImage("nvcr.io/nvidia/k8s-device-plugin", "v0.18.0"),
    "dcgm-exporter": MirroredImage("nvcr.io/nvidia/k8s/dcgm-exporter", "4.4.1-4.6.0-ubuntu22.04"),
    "prometheus-operator": MirroredImage("quay.io/prometheus-operator/prometheus-operator", "v0.86.2"),
    "prometheus-config-reloader": MirroredImage("quay.io/prometheus-operator/prometheus-config-reloader", "v0.86.2"),
    "kube-webhook-certgen": MirroredImage("registry.k8s.io/ingress-nginx/kube-webhook-certgen", "v1.6.4"),
    "prometheus": MirroredImage("quay.io/prometheus/prometheus", "v3.7.3"),
    "alertmanager": MirroredImage("quay.io/prometheus/alertmanager", "v0.29.0"),
    "grafana": MirroredImage("docker.io/grafana/grafana", "12.3.0"),
    "grafana-sidecar": MirroredImage("quay.io/kiwigrid/k8s-sidecar", "1.30.10"),
    "kube-state-metrics": MirroredImage("registry.k8s.io/kube-state-metrics/kube-state-metrics", "v2.17.0"),
    "node-exporter": MirroredImage("quay.io/prometheus/node-exporter", "v1.10.2"),
    "trainer-controller-manager": MirroredImage("ghcr.io/kubeflow/trainer/trainer-controller-manager", "v2.3.0"),
    "jobset": MirroredImage("registry.k8s.io/jobset/jobset", "v0.10.1"),
    "mlflow": MirroredImage("ghcr.io/mlflow/mlflow", "v3.17.2"),
}


def registry_host(account_id: pulumi.Input[str]) -> pulumi.Output[str]:
    return pulumi.Output.concat(account_id, f".dkr.ecr.{HOME_REGION}.amazonaws.com")


@dataclass(frozen=True)
class ImageRef:
    """One in-region image: the parts Helm charts take separately, and the whole reference."""

    registry: pulumi.Output[str]
    repository: pulumi.Output[str]
    tag: str
    digest: pulumi.Output[str]  # "sha256:<hex>"

    @property
    def ref(self) -> pulumi.Output[str]:
        """`<registry>/<repository>@sha256:...`: what a pod spec's `image` holds."""
        return pulumi.Output.concat(self.registry, "/", self.repository, "@", self.digest)

    @property
    def repository_url(self) -> pulumi.Output[str]:
        return pulumi.Output.concat(self.registry, "/", self.repository)

    @property
    def sha(self) -> pulumi.Output[str]:
        """The hex digest alone, for charts that template `@sha256:{{ sha }}` themselves."""
        return self.digest.apply(lambda d: d.removeprefix("sha256:"))

    def helm(self, digest_key: str = "digest") -> dict[str, pulumi.Input[str]]:
        """The `{registry, repository, tag, digest}` object most charts read an image from."""
        value = self.sha if digest_key == "sha" else self.digest
        return {"registry": self.registry, "repository": self.repository, "tag": self.tag, digest_key: value}


@dataclass(frozen=True)
class MirrorArgs:
    repository_prefix: str  # e.g. "uae-ml-prod" -> uae-ml-prod/charts/kserve, uae-ml-prod/mirror/grafana
    account_id: pulumi.Input[str]
    kms_key_arn: pulumi.Input[str]
    protect: bool
    # The platform's own images (infra/components/registry.py repositories) and the release tag to run.
    workload_repositories: dict[str, pulumi.Input[str]] | None = None
    workload_tag: str = "0.1.0"


class Mirror(pulumi.ComponentResource):
    """ECR repositories for the mirrored charts and images, and in-region references to them."""

    def __init__(self, name: str, args: MirrorArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("uae:registry:Mirror", name, None, opts)
        self._args = args
        self.host = registry_host(args.account_id)
        self.repositories: dict[str, aws.ecr.Repository] = {}
        for kind, names in (("charts", CHARTS), ("mirror", IMAGES)):
            for item in names:
                path = f"{args.repository_prefix}/{kind}/{item}"
                repository = aws.ecr.Repository(
                    f"{name}-{kind}-{item}",
                    name=path,
                    image_tag_mutability="IMMUTABLE",
                    image_scanning_configuration=aws.ecr.RepositoryImageScanningConfigurationArgs(scan_on_push=True),
                    encryption_configurations=[
                        aws.ecr.RepositoryEncryptionConfigurationArgs(encryption_type="KMS", kms_key=args.kms_key_arn)
                    ],
                    force_delete=False,
                    tags={"Name": path, "mirrored-from": names[item].upstream},
                    opts=pulumi.ResourceOptions(parent=self, protect=args.protect),
                )
                aws.ecr.LifecyclePolicy(
                    f"{name}-{kind}-{item}",
                    repository=repository.name,
                    policy=LIFECYCLE_POLICY,
                    opts=pulumi.ResourceOptions(parent=self),
                )
                self.repositories[f"{kind}/{item}"] = repository
        self._images: dict[str, ImageRef] = {}
        self.register_outputs({"host": self.host, "repositories": {k: r.name for k, r in self.repositories.items()}})

    def chart(self, chart: str) -> tuple[pulumi.Output[str], str]:
        """(`oci://` chart reference in the in-region ECR, pinned version)."""
        pinned = CHARTS[chart]
        return pulumi.Output.concat("oci://", self.host, "/", self.repositories[f"charts/{chart}"].name), pinned.version

    def image(self, image: str) -> ImageRef:
        """A mirrored third-party image, by digest."""
        if image not in self._images:
            # By name, not by the repository's output: the image must already be mirrored when the
            # platform is previewed (bootstrap order in ADR 0010), so the preview shows its digest.
            path = f"{self._args.repository_prefix}/mirror/{image}"
            self._images[image] = self._resolve(path, IMAGES[image].tag)
        return self._images[image]

    def workload(self, workload: str) -> ImageRef:
        """One of the platform's own images (built by CI, pushed with an immutable release tag)."""
        repositories = self._args.workload_repositories or {}
        if workload not in repositories:
            raise KeyError(f"no ECR repository for workload image {workload!r}; known: {sorted(repositories)}")
        key = f"workload/{workload}"
        if key not in self._images:
            self._images[key] = self._resolve(repositories[workload], self._args.workload_tag)
        return self._images[key]

    def _resolve(self, repository: pulumi.Input[str], tag: str) -> ImageRef:
        found = aws.ecr.get_image_output(
            repository_name=repository, image_tag=tag, opts=pulumi.InvokeOutputOptions(parent=self)
        )
        name = pulumi.Output.from_input(repository)
        return ImageRef(registry=self.host, repository=name, tag=tag, digest=found.image_digest)


def mirror_plan(account_id: str, repository_prefix: str) -> list[tuple[str, str, str, str]]:
    """(kind, upstream, version or tag, in-region destination) for every artifact to mirror."""
    host = f"{account_id}.dkr.ecr.{HOME_REGION}.amazonaws.com"
    plan = [
        ("chart", chart.upstream if chart.upstream.startswith("oci://") else f"{chart.upstream}#{name}",
         chart.version, f"oci://{host}/{repository_prefix}/charts")
        for name, chart in sorted(CHARTS.items())
    ]  # fmt: skip
    plan += [
        ("image", image.upstream, image.tag, f"{host}/{repository_prefix}/mirror/{name}:{image.tag}")
        for name, image in sorted(IMAGES.items())
    ]
    return plan


if __name__ == "__main__":  # `python -m infra.components.supply_chain <account> <prefix>`: the mirror plan as TSV
    import sys

    for row in mirror_plan(sys.argv[1], sys.argv[2]):
        print("\t".join(row))
