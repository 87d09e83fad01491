# METADATA
# title: Every namespace with workloads has a default-deny ingress NetworkPolicy
# description: >-
#   Each namespace that runs a workload (any Kubernetes object that embeds a pod spec:
#   Deployment, Job, InferenceService, PyTorchJob, ...; namespace "default" when unset) needs a
#   NetworkPolicy with an empty podSelector, policyTypes including Ingress and no ingress rules.
# scope: package
# schemas:
#   - input: schema["gate-input.schema"]
# custom:
#   id: UAE-NET-003
#   severity: high
#   controls: ["UAE-IAS", "ISO27001:A.8.20", "ISO27001:A.8.22"]
#   remediation: >-
#     Add a NetworkPolicy in the namespace with podSelector {} and policyTypes ["Ingress",
#     "Egress"], then allow the required flows with narrower policies.
package uae.net.k8s_default_deny

import data.lib
import data.lib.k8s

deny contains f if {
	some r in k8s.workload_resources
	namespace := _namespace_key(r)
	not namespace in _protected_namespaces
	f := lib.finding("UAE-NET-003", r, sprintf(
		"%s %q runs in namespace %q, which has no default-deny ingress NetworkPolicy",
		[r.type, r.name, namespace],
	))
}

_protected_namespaces contains namespace if {
	some p in lib.live_of_type("kubernetes:networking.k8s.io/v1:NetworkPolicy")
	count(object.get(p.inputs, ["spec", "podSelector"], {"missing": true})) == 0
	"Ingress" in lib.as_array(object.get(p.inputs, ["spec", "policyTypes"], []))
	count(lib.as_array(object.get(p.inputs, ["spec", "ingress"], []))) == 0
	namespace := _namespace_key(p)
}

# The literal namespace, or, when it is computed from a Namespace resource, that resource's name.
_namespace_key(r) := k8s.namespace(r) if {
	not lib.is_unknown(k8s.namespace(r))
} else := name if {
	some u in lib.dependency_urns(r, "metadata")
	ns := lib.resource_by_urn[u]
	ns.type == "kubernetes:core/v1:Namespace"
	name := ns.inputs.metadata.name
	not lib.is_unknown(name)
} else := k8s.namespace(r)
