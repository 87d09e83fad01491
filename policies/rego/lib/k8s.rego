# Helpers to find pod specs and containers in Kubernetes resources of the gate input.
package lib.k8s

# Parent-package rules are referenced as data.lib.* (not through `import data.lib`): regorus
# 0.13 mis-resolves the alias from a child package of `lib` in some evaluation orders.
workload_types := {
	"kubernetes:apps/v1:Deployment",
	"kubernetes:apps/v1:StatefulSet",
	"kubernetes:apps/v1:DaemonSet",
	"kubernetes:apps/v1:ReplicaSet",
	"kubernetes:batch/v1:Job",
	"kubernetes:batch/v1:CronJob",
	"kubernetes:core/v1:Pod",
	"kubernetes:serving.kserve.io/v1beta1:InferenceService",
}

inference_service_type := "kubernetes:serving.kserve.io/v1beta1:InferenceService"

helm_release_type := "kubernetes:helm.sh/v3:Release"

# KServe predictor fields that hold a container-like model server spec.
predictor_frameworks := {
	"model", "sklearn", "xgboost", "tensorflow", "pytorch", "triton", "onnx",
	"pmml", "lightgbm", "paddle", "huggingface",
}

_template_types := {
	"kubernetes:apps/v1:Deployment",
	"kubernetes:apps/v1:StatefulSet",
	"kubernetes:apps/v1:DaemonSet",
	"kubernetes:apps/v1:ReplicaSet",
	"kubernetes:batch/v1:Job",
}

# Live workloads: {"resource": r, "spec": <pod spec>}. A KServe component (predictor,
# transformer, explainer) is pod-spec-like: containers, volumes, securityContext, tolerations.
workloads contains {"resource": r, "spec": spec} if {
	some r in data.lib.live_of_types(workload_types)
	spec := pod_spec(r)
}

pod_spec(r) := r.inputs.spec.template.spec if r.type in _template_types

pod_spec(r) := r.inputs.spec.jobTemplate.spec.template.spec if r.type == "kubernetes:batch/v1:CronJob"

pod_spec(r) := r.inputs.spec if r.type == "kubernetes:core/v1:Pod"

pod_spec(r) := object.union(component, {"_component": name}) if {
	r.type == inference_service_type
	some name in ["predictor", "transformer", "explainer"]
	component := r.inputs.spec[name]
}

# Containers of a pod spec (init and ephemeral included; KServe model servers too), each with a
# "_path" naming where it came from.
containers(spec) := array.concat(
	[object.union(c, {"_path": sprintf("%s[%d]", [key, i])}) |
		some key in ["initContainers", "containers", "ephemeralContainers"]
		some i, c in object.get(spec, key, [])
	],
	[object.union(spec[fw], {"_path": fw}) |
		spec._component
		some fw in predictor_frameworks
		is_object(spec[fw])
	],
)

container_name(c) := c.name if is_string(c.name)
else := c._path

namespace(r) := ns if {
	ns := r.inputs.metadata.namespace
	is_string(ns)
	ns != ""
} else := "default"

# Every container of every workload, computed once (functions are not memoized and a dozen rules
# look at containers): {"resource", "spec", "container"} per container of `containers(spec)`.
workload_containers := [{"resource": w.resource, "spec": w.spec, "container": c} |
	some w in workloads
	some c in containers(w.spec)
]

# Live Helm releases with their values.
helm_values contains {"resource": r, "values": r.inputs.values} if {
	some r in data.lib.live_of_type(helm_release_type)
	is_object(r.inputs.values)
}

# Paths in Helm values where `<parent>.<key>` has `value`, e.g. securityContext.privileged == true.
helm_paths_with(values, parent, key, value) := {concat(".", [sprintf("%v", [p]) | some p in path]) |
	walk(values, [path, v])
	count(path) >= 2
	path[count(path) - 1] == key
	path[count(path) - 2] == parent
	v == value
}

# Image references in Helm values: `image: "repo:tag"` strings, `image: "repo"` beside a sibling
# `tag` (charts that template "{{ image }}:{{ tag }}", e.g. KServe), and
# `image: {registry, repository, tag, digest}` objects (`sha` for charts that add "@sha256:").
helm_images(values) := {img |
	walk(values, [path, v])
	count(path) >= 1
	path[count(path) - 1] == "image"
	parent := object.get(values, array.slice(path, 0, count(path) - 1), {})
	img := _image_ref_in(v, parent)
}

_image_ref_in(v, parent) := concat(":", [v, parent.tag]) if {
	is_string(v)
	is_string(parent.tag)
	parent.tag != ""
	not _has_tag_or_digest(v)
} else := _image_ref(v)

_has_tag_or_digest(image) if contains(image, "@")

_has_tag_or_digest(image) if {
	segments := split(image, "/")
	contains(segments[count(segments) - 1], ":")
}

_image_ref(v) := v if is_string(v)

_image_ref(v) := ref if {
	is_object(v)
	is_string(v.repository)
	registry := object.get(v, "registry", "")
	repo := concat("/", [x | some x in [registry, v.repository]; x != ""])
	ref := concat("", [repo, _tag_suffix(v), _digest_suffix(v)])
}

_tag_suffix(v) := sprintf(":%v", [v.tag]) if {
	v.tag != ""
	not is_null(v.tag)
} else := ""

_digest_suffix(v) := sprintf("@%v", [v.digest]) if {
	is_string(v.digest)
	v.digest != ""
} else := sprintf("@sha256:%v", [v.sha]) if {
	is_string(v.sha)
	v.sha != ""
} else := ""
