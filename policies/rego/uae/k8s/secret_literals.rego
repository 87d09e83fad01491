# METADATA
# title: No secrets as literal values in ConfigMaps or env
# description: >-
#   ConfigMap data keys and container env entries with a literal `value` whose names look like
#   secrets (password, passwd, token, secret, apikey, api_key, access_key, private_key; any case)
#   put credentials in plain Kubernetes objects and in Pulumi state. env valueFrom is fine.
# scope: package
# schemas:
#   - input: schema["gate-input.schema"]
# custom:
#   id: UAE-K8S-011
#   severity: high
#   controls: ["UAE-PDPL-Art.20", "UAE-IAS", "ISO27001:A.5.15", "ISO27001:A.8.24"]
#   remediation: >-
#     Store the value in AWS Secrets Manager (or a Kubernetes Secret synced from it) and use
#     env valueFrom.secretKeyRef.
package uae.k8s.secret_literals

import data.lib
import data.lib.k8s

deny contains f if {
	some r in lib.live_of_type("kubernetes:core/v1:ConfigMap")
	some key, _ in object.get(r.inputs, "data", {})
	_secret_like(key)
	f := lib.finding("UAE-K8S-011", r, sprintf("ConfigMap %q has a secret-looking key %q", [r.name, key]))
}

deny contains f if {
	some w in k8s.workload_containers
	c := w.container
	some entry in lib.as_array(object.get(c, "env", []))
	_secret_like(entry.name)
	lib.has_value(object.get(entry, "value", null))
	f := lib.finding("UAE-K8S-011", w.resource, sprintf(
		"%s %q container %q sets env %q to a literal value",
		[w.resource.type, w.resource.name, k8s.container_name(c), entry.name],
	))
}

_secret_like(name) if regex.match(`(?i)(password|passwd|token|secret|api[-_]?key|access[-_]?key|private[-_]?key)`, name)
