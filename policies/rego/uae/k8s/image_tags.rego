# METADATA
# title: Images are tagged, never latest, and pinned by digest in prod
# description: >-
#   A container image must have an explicit tag that is not "latest"; in prod it must be pinned by
#   an @sha256: digest so that what was reviewed is what runs. A computed image or digest counts
#   as pinned. Also checked for `image` values in Helm releases.
# scope: package
# schemas:
#   - input: schema["gate-input.schema"]
# custom:
#   id: UAE-K8S-010
#   severity: medium
#   controls: ["ISO27001:A.8.9", "ISO27001:A.8.32"]
#   remediation: Refer to images as <repo>:<version>@sha256:<digest> (digest required in prod).
package uae.k8s.image_tags

import data.lib
import data.lib.k8s

deny contains f if {
	some w in k8s.workload_containers
	c := w.container
	some problem in _container_image_problems[c.image]
	f := lib.finding("UAE-K8S-010", w.resource, sprintf(
		"%s %q container %q image %q %s",
		[w.resource.type, w.resource.name, k8s.container_name(c), c.image, problem],
	))
}

deny contains f if {
	some h in k8s.helm_values
	some image in k8s.helm_images(h.values)
	some problem in _problems(image)
	f := lib.finding("UAE-K8S-010", h.resource, sprintf("Helm release %q image %q %s", [h.resource.name, image, problem]))
}

# Problems of each distinct container image, computed once: replicated workloads share images.
_container_image_problems := {image: _problems(image) |
	some image in {w.container.image | some w in k8s.workload_containers}
}

_problems(image) := {p |
	is_string(image)
	image != lib.unknown
	some check, p in {
		"untagged": "has neither a tag nor a digest",
		"latest": "uses the mutable tag latest",
		"unpinned": "is not pinned by digest (required in prod)",
	}
	_fails(check, image)
}

_fails("untagged", image) if {
	not _tag(image)
	not _digest(image)
}

_fails("latest", image) if _tag(image) == "latest"

_fails("unpinned", image) if {
	lib.prod_like
	not _pinned(image)
}

_digest(image) := split(image, "@")[1] if contains(image, "@")

_tag(image) := tag if {
	segments := split(split(image, "@")[0], "/")
	last := segments[count(segments) - 1]
	contains(last, ":")
	tag := split(last, ":")[1]
}

_pinned(image) if startswith(_digest(image), "sha256:")

_pinned(image) if startswith(_digest(image), lib.unknown)
