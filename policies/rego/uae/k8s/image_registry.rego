# METADATA
# title: Images come from ECR in me-central-1
# description: >-
#   Every container image (also `image` values in Helm releases) must come from
#   <account>.dkr.ecr.me-central-1.amazonaws.com. An image that is entirely computed at preview is
#   accepted (it is built from the in-region ECR repository); a partly computed one only when its
#   registry host is literally the in-region ECR.
# scope: package
# schemas:
#   - input: schema["gate-input.schema"]
# custom:
#   id: UAE-K8S-009
#   severity: high
#   controls: ["UAE-PDPL-Art.22-23", "UAE-IAS", "ISO27001:A.5.23", "ISO27001:A.8.9"]
#   remediation: Mirror the image into ECR in me-central-1 and refer to it by that registry.
package uae.k8s.image_registry

import data.lib
import data.lib.k8s

deny contains f if {
	some w in k8s.workload_containers
	c := w.container
	image := c.image
	not _in_region(image)
	f := lib.finding("UAE-K8S-009", w.resource, sprintf(
		"%s %q container %q uses image %q from outside ECR in %s",
		[w.resource.type, w.resource.name, k8s.container_name(c), image, lib.home_region],
	))
}

deny contains f if {
	some h in k8s.helm_values
	some image in k8s.helm_images(h.values)
	not _in_region(image)
	f := lib.finding("UAE-K8S-009", h.resource, sprintf(
		"Helm release %q uses image %q from outside ECR in %s",
		[h.resource.name, image, lib.home_region],
	))
}

_in_region(image) if image == lib.unknown

_in_region(image) if {
	is_string(image)
	regex.match(
		sprintf(`^([0-9]{12}|%s)\.dkr\.ecr\.%s\.amazonaws\.com/.+`, [lib.unknown, lib.home_region]),
		image,
	)
}
