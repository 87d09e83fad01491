# METADATA
# title: Pod specs and Helm values can be read at preview time
# description: >-
#   A chart's values and an object's pod spec decide what runs with which privileges. When they
#   cannot be read at preview time the gate cannot judge them, so they deny (fail closed,
#   docs/adr/0006-unknown-and-secret-values.md): Helm values given through valueYamlFiles (file
#   assets the preview does not show), values that are unknown or secret (or not an object), a
#   security-relevant Helm value (securityContext, privileged, host namespaces, capabilities,
#   hostPath, runAsUser, ...) that is unknown or secret, and a Kubernetes object whose
#   containers, template or spec is unknown or secret.
# scope: package
# schemas:
#   - input: schema["gate-input.schema"]
# custom:
#   id: UAE-K8S-014
#   severity: high
#   controls: ["UAE-IAS", "ISO27001:A.8.2", "ISO27001:A.8.9"]
#   remediation: >-
#     Pass Helm values inline as a literal object (not valueYamlFiles, secrets or computed
#     outputs) for security settings; keep credentials in a Kubernetes Secret referenced by name;
#     write pod specs with literal security settings.
package uae.k8s.readable_specs

import data.lib
import data.lib.k8s

deny contains f if {
	some r in _helm_releases
	files := object.get(r.inputs, "valueYamlFiles", [])
	count(lib.as_array(files)) > 0
	f := lib.finding("UAE-K8S-014", r, sprintf(
		"Helm release %q takes values from valueYamlFiles: values cannot be verified at preview time",
		[r.name],
	))
}

deny contains f if {
	some r in _helm_releases
	kind := lib.opaque_kind(r.inputs.values)
	f := lib.finding("UAE-K8S-014", r, sprintf(
		"Helm release %q values cannot be verified at preview time (%s)",
		[r.name, kind],
	))
}

deny contains f if {
	some r in _helm_releases
	values := r.inputs.values
	not is_object(values)
	not is_null(values)
	not lib.is_opaque(values)
	f := lib.finding("UAE-K8S-014", r, sprintf(
		"Helm release %q values are a %s, not an object: values cannot be verified at preview time",
		[r.name, type_name(values)],
	))
}

deny contains f if {
	some h in k8s.helm_values
	walk(h.values, [path, value])
	count(path) > 0
	path[count(path) - 1] in _security_keys
	kind := lib.opaque_kind(value)
	f := lib.finding("UAE-K8S-014", h.resource, sprintf(
		"Helm release %q value %s cannot be verified at preview time (%s)",
		[h.resource.name, concat(".", [sprintf("%v", [p]) | some p in path]), kind],
	))
}

deny contains f if {
	some o in k8s.opaque_pod_specs
	f := lib.finding("UAE-K8S-014", o.resource, sprintf(
		"%s %q: %s cannot be verified at preview time (%s), and it may hold a pod spec",
		[o.resource.type, o.resource.name, o.path, o.kind],
	))
}

_helm_releases := [r | some type in k8s.helm_types; some r in lib.live_of_type(type)]

_security_keys := {
	"securityContext", "containerSecurityContext", "podSecurityContext", "privileged",
	"hostNetwork", "hostPID", "hostIPC", "allowPrivilegeEscalation", "runAsUser", "runAsNonRoot",
	"capabilities", "add", "hostPath", "volumes",
}
