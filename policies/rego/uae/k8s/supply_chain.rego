# METADATA
# title: In prod, Helm charts and custom-resource images come from ECR in me-central-1
# description: >-
#   A prod deploy must pull nothing from outside the UAE region. A Helm release's chart must be an
#   OCI artifact in <account>.dkr.ecr.me-central-1.amazonaws.com (or a chart path inside the
#   repository), never an https chart repository, a repository alias such as bitnami/redis, or a
#   repositoryOpts.repo elsewhere. Images named in custom resources (training jobs and runtimes,
#   node classes, any CRD with an `image` field) must come from that registry too; containers the
#   gate recognises as pod specs and Helm values are judged by UAE-K8S-009. A chart or image that is entirely
#   computed at preview is accepted; a partly computed one only when its host is literally the
#   in-region ECR.
# scope: package
# schemas:
#   - input: schema["gate-input.schema"]
# custom:
#   id: UAE-K8S-015
#   severity: high
#   controls: ["UAE-PDPL-Art.22-23", "UAE-IAS", "ISO27001:A.5.23", "ISO27001:A.8.9", "ISO27001:A.8.32"]
#   remediation: >-
#     Mirror the chart (helm push) and images into ECR in me-central-1 and refer to them there:
#     chart="oci://<account>.dkr.ecr.me-central-1.amazonaws.com/<prefix>/charts/<name>", images by digest.
package uae.k8s.supply_chain

import data.lib
import data.lib.k8s

deny contains f if {
	lib.prod_like
	some r in lib.live_of_type(k8s.helm_release_type)
	chart := object.get(r.inputs, "chart", "")
	is_string(chart)
	_foreign_chart(chart)
	f := lib.finding("UAE-K8S-015", r, sprintf(
		"Helm release %q installs chart %q from outside ECR in %s",
		[r.name, chart, lib.home_region],
	))
}

deny contains f if {
	lib.prod_like
	some r in lib.live_of_type(k8s.helm_release_type)
	repo := object.get(r.inputs, ["repositoryOpts", "repo"], "")
	is_string(repo)
	repo != ""
	not _in_region_oci(repo)
	f := lib.finding("UAE-K8S-015", r, sprintf(
		"Helm release %q pulls from chart repository %q outside ECR in %s",
		[r.name, repo, lib.home_region],
	))
}

deny contains f if {
	lib.prod_like
	some r in lib.live_resources
	r.package == "kubernetes"
	not r.type in k8s.helm_types
	not startswith(r.type, "pulumi:")
	contains(lib.inputs_text[r.urn], "image")
	walk(r.inputs, [path, image])
	count(path) >= 1
	path[count(path) - 1] == "image"
	is_string(image)
	not _in_region_image(image)
	not _judged_container_image(r.urn, image)
	f := lib.finding("UAE-K8S-015", r, sprintf(
		"%s %q names image %q (at %s) from outside ECR in %s",
		[r.type, r.name, image, concat(".", [sprintf("%v", [p]) | some p in path]), lib.home_region],
	))
}

# Images of containers the structural pod-spec finder already hands to UAE-K8S-009 (every environment).
_container_images := {urn: images |
	some urn, _ in k8s.workload_resources
	images := {w.container.image | some w in k8s.workload_containers; w.resource.urn == urn}
}

_ecr_host := sprintf(`([0-9]{12}|%s)\.dkr\.ecr\.%s\.amazonaws\.com`, [lib.unknown, lib.home_region])

_in_region_oci(url) if regex.match(sprintf(`^oci://%s/.+`, [_ecr_host]), url)

_in_region_image(image) if image == lib.unknown

_in_region_image(image) if regex.match(sprintf(`^%s/.+`, [_ecr_host]), image)

# Local chart paths in the repository (./charts/x, /abs/path) pull nothing.
_local_path(chart) if startswith(chart, ".")

_local_path(chart) if startswith(chart, "/")

_foreign_chart(chart) if {
	chart != lib.unknown
	contains(chart, "://")
	not _in_region_oci(chart)
}

# `repo/chart` resolves through whatever Helm repositories the deploying machine has configured.
_foreign_chart(chart) if {
	not contains(chart, "://")
	not _local_path(chart)
	chart != lib.unknown
	contains(chart, "/")
}

_judged_container_image(urn, image) if image in _container_images[urn]
