package uae.k8s.privilege_escalation

import data.lib
import data.lib.k8s

# METADATA
# title: Containers disallow privilege escalation
# description: >-
#   Each container must set securityContext.allowPrivilegeEscalation false; the default (true)
#   lets setuid binaries gain privileges.
# custom:
#   id: UAE-K8S-005
#   severity: high
#   controls: ["UAE-IAS", "ISO27001:A.8.2"]
#   remediation: Set securityContext.allowPrivilegeEscalation=false on every container.
deny contains f if {
	some w in k8s.workload_containers
	c := w.container
	object.get(c, ["securityContext", "allowPrivilegeEscalation"], true) != false
	f := lib.finding("UAE-K8S-005", w.resource, sprintf(
		"%s %q container %q does not set allowPrivilegeEscalation: false",
		[w.resource.type, w.resource.name, k8s.container_name(c)],
	))
}
