# Helpers to find pod specs and containers in Kubernetes resources of the gate input.

# METADATA
# scope: package
# schemas:
#   - input: schema["gate-input.schema"]
package lib.k8s

# Parent-package rules are referenced as data.lib.* (not through `import data.lib`): regorus
# 0.13 mis-resolves the alias from a child package of `lib` in some evaluation orders.

inference_service_type := "kubernetes:serving.kserve.io/v1beta1:InferenceService"

helm_release_type := "kubernetes:helm.sh/v3:Release"

# Pulumi resources that install a Helm chart: their pods come from the chart and its values.
helm_types := {helm_release_type, "kubernetes:helm.sh/v4:Chart"}

# KServe predictor fields that hold a container-like model server spec.
predictor_frameworks := {
	"model", "sklearn", "xgboost", "tensorflow", "pytorch", "triton", "onnx",
	"pmml", "lightgbm", "paddle", "huggingface",
}

# KServe components: pod-spec-like objects (containers, volumes, securityContext, tolerations)
# whose framework fields above are containers even without an `image` (the runtime supplies it).
_components := {"predictor", "transformer", "explainer"}

# Keys whose single object value is a container of a pod this object defines (Argo templates).
_container_keys := {"container", "script"}

# Fields that only a container has; an object with a string `image` and one of these is a container.
_container_fields := {"command", "args", "securityContext", "resources", "env", "ports", "volumeMounts"}

# Every live Kubernetes object whose inputs may embed pod specs: any kind, any apiVersion, CRDs,
# *Patch kinds and Lists alike. Helm charts are judged through their values (helm_values).
objects := [r |
	some type in data.lib.live_types
	startswith(type, "kubernetes:")
	not type in helm_types
	some r in data.lib.live_of_type(type)
]

# Cheap pre-filters on the inputs' JSON text: walking is the costly part, and most objects
# (Namespaces, NetworkPolicies, ConfigMaps) mention no image, no KServe component, nothing opaque.
_pod_spec_candidates := [r |
	some r in objects
	text := json.marshal(r.inputs)
	count([m | some m in ["\"image\"", "\"predictor\"", "\"transformer\"", "\"explainer\""]; indexof(text, m) >= 0]) > 0
]

_opaque_candidates := [r |
	some r in objects
	text := json.marshal(r.inputs)
	count([m | some m in [data.lib.unknown, data.lib.secret]; indexof(text, m) >= 0]) > 0
]

_component(path) := path[count(path) - 1] if {
	count(path) > 0
	path[count(path) - 1] in _components
} else := null

_path_text(path) := concat(".", [sprintf("%v", [p]) | some p in path])

# Every object node of the candidate objects, walked once per evaluation.
_object_nodes := [{"urn": r.urn, "path": path, "node": node} |
	some r in _pod_spec_candidates
	walk(r.inputs, [path, node])
	is_object(node)
]

_object_by_urn := {r.urn: r | some r in objects}

# Where pod specs may sit, as [urn, path]: the object holding each object with a string `image`
# (the list's owner for a list element), and each KServe component. Finding `image` first and
# judging only those objects is much cheaper than judging every object node.
_spec_refs contains [n.urn, _owner(n.path)] if {
	some n in _object_nodes
	is_string(n.node.image)
	count(n.path) > 0
}

_spec_refs contains [n.urn, n.path] if {
	some n in _object_nodes
	not is_null(_component(n.path))
}

_owner(path) := array.slice(path, 0, count(path) - 2) if {
	count(path) >= 2
	is_number(path[count(path) - 1])
} else := array.slice(path, 0, count(path) - 1)

_at(value, path) := value if {
	count(path) == 0
} else := object.get(value, path, null)

# Pod specs found STRUCTURALLY, not by kind: every object inside a Kubernetes resource's inputs
# that holds containers (a list of objects with an `image`, or a single container under
# container/script or with container fields), plus KServe components. Each is
# {"resource": r, "spec": <the object>, "path": "spec.template.spec", "component": name | null,
#  "containers": [...]}; findings go on the resource that embeds the spec.
# (regorus 0.13: helper rules are defined above the rules that use them; a rule used before its
# definition evaluated as empty when reached from data.gate.findings.)
workloads contains w if {
	some ref in _spec_refs
	r := _object_by_urn[ref[0]]
	node := _at(r.inputs, ref[1])
	is_object(node)
	component := _component(ref[1])
	found := _containers(node, component)
	count(found) > 0
	w := {
		"resource": r,
		"spec": node,
		"path": _path_text(ref[1]),
		"component": component,
		"containers": found,
	}
}

# Pod specs whose containers are unknown or secret at preview time ({"resource", "path", "kind"}),
# and objects whose `spec`/`template` (which may hold a pod spec) is: nothing in them can be judged.
opaque_pod_specs contains {"resource": r, "path": _path_text(array.concat(path, [key])), "kind": kind} if {
	some r in _opaque_candidates
	walk(r.inputs, [path, node])
	is_object(node)
	some key in {"containers", "initContainers", "template", "jobTemplate", "spec"}
	kind := data.lib.opaque_kind(node[key])
}

_containers(node, component) := array.concat(
	array.concat(_listed(node), _single(node)),
	_frameworks(node, component),
)

# Lists under any key (containers, initContainers, ephemeralContainers, steps, sidecars, ...).
# `pod_settings_here`: whether the object that holds the container also defines its pod's security
# settings. False for a container found by shape alone (e.g. a Kubeflow TrainJob `trainer`, whose
# pod settings come from the training runtime): image, privilege and resource rules still apply,
# rules that require a setting to be present (runAsNonRoot, allowPrivilegeEscalation) do not.
_listed(node) := [object.union(c, {"container_path": sprintf("%s[%d]", [key, i]), "pod_settings_here": true}) |
	some key, list in node
	is_array(list)
	some i, c in list
	is_object(c)
	is_string(c.image)
]

_single(node) := [object.union(c, {"container_path": key, "pod_settings_here": key in _container_keys}) |
	some key, c in node
	is_object(c)
	is_string(c.image)
	_single_container(key, c)
]

_single_container(key, _) if key in _container_keys

_single_container(key, c) if {
	not key in _container_keys
	some field in _container_fields
	not is_null(object.get(c, field, null))
}

_frameworks(node, component) := [] if {
	is_null(component)
} else := [object.union(node[fw], {"container_path": fw, "pod_settings_here": true}) |
	some fw in predictor_frameworks
	is_object(node[fw])
]

# Live Kubernetes resources that hold at least one pod spec (an object: urn -> resource).
workload_resources := {w.resource.urn: w.resource | some w in workloads}

# URNs of the Kubernetes objects whose pod specs the rules read (found or opaque), and the types
# that rules read as a whole (Helm charts, ConfigMap, NetworkPolicy).
judged_urns := object.keys(workload_resources) | {o.resource.urn | some o in opaque_pod_specs}

judged_types := helm_types | {"kubernetes:core/v1:ConfigMap", "kubernetes:networking.k8s.io/v1:NetworkPolicy"}

container_name(c) := c.name if {
	is_string(c.name)
} else := c.container_path

namespace(r) := ns if {
	ns := r.inputs.metadata.namespace
	is_string(ns)
	ns != ""
} else := "default"

# Every container of every workload, computed once (functions are not memoized and a dozen rules
# look at containers): {"resource", "spec", "component", "container"} per container.
workload_containers := [{"resource": w.resource, "spec": w.spec, "component": w.component, "container": c} |
	some w in workloads
	some c in w.containers
]

# A setting of a container, the container's own value winning over the pod's securityContext.
effective(spec, container, field) := value if {
	value := object.get(container, ["securityContext", field], null)
	not is_null(value)
} else := object.get(spec, ["securityContext", field], null)

# "unknown"/"secret" when the container's (or else the pod's) securityContext.<field> cannot be
# read at preview time; undefined when it can.
opaque_setting(spec, container, field) := kind if {
	kind := data.lib.opaque_along(container, ["securityContext", field])
} else := kind if {
	is_null(object.get(container, ["securityContext", field], null))
	kind := data.lib.opaque_along(spec, ["securityContext", field])
}

# Live Helm releases/charts and their values, when the values are an object.
helm_values contains {"resource": r, "values": r.inputs.values} if {
	some type in helm_types
	some r in data.lib.live_of_type(type)
	is_object(r.inputs.values)
}

# Paths in Helm values (free-form) whose last key is `key`, with their values: [path text, value].
helm_settings(values, key) := [[_path_text(path), v] |
	walk(values, [path, v])
	count(path) > 0
	path[count(path) - 1] == key
]

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
