# METADATA
# title: EKS control plane logs api, audit and authenticator
# description: >-
#   An EKS cluster's enabledClusterLogTypes must include api, audit and authenticator so that
#   access to the cluster can be reconstructed.
# scope: package
# schemas:
#   - input: schema["gate-input.schema"]
# custom:
#   id: UAE-OPS-005
#   severity: medium
#   controls: ["UAE-IAS", "ISO27001:A.8.15", "ISO27001:A.8.16"]
#   remediation: Set enabled_cluster_log_types to include "api", "audit" and "authenticator".
package uae.ops.eks_logging

import data.lib

deny contains f if {
	some r in lib.live_of_type("aws:eks/cluster:Cluster")
	enabled := {t | some t in lib.as_array(object.get(r.inputs, "enabledClusterLogTypes", []))}
	missing := {"api", "audit", "authenticator"} - enabled
	count(missing) > 0
	f := lib.finding("UAE-OPS-005", r, sprintf("EKS cluster %q does not log %v", [r.name, sort(missing)]))
}
