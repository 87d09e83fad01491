# METADATA
# title: ECR replication stays in me-central-1
# description: >-
#   ECR registry replication copies images (which embed code and often model weights) to each
#   destination region. Every destination must be me-central-1 (cross-account, same region).
# scope: package
# schemas:
#   - input: schema["gate-input.schema"]
# custom:
#   id: UAE-RES-008
#   severity: high
#   controls: ["UAE-PDPL-Art.22-23", "ISO27001:A.5.23"]
#   remediation: Remove destinations outside me-central-1 from the replication configuration.
package uae.res.ecr_replication

import data.lib

deny contains f if {
	some r in lib.live_of_type("aws:ecr/replicationConfiguration:ReplicationConfiguration")
	some rule in lib.as_array(r.inputs.replicationConfiguration.rules)
	some destination in lib.as_array(rule.destinations)
	region := object.get(destination, "region", null)
	region != lib.home_region
	f := lib.finding("UAE-RES-008", r, sprintf("ECR replication %q copies images to region %v", [r.name, region]))
}
