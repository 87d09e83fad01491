# METADATA
# title: Subnets are placed in me-central-1 availability zones
# description: >-
#   A subnet's availabilityZone must be one of me-central-1a/b/c and its availabilityZoneId one
#   of mec1-az1/2/3. A computed zone cannot be shown to be in the UAE.
# scope: package
# schemas:
#   - input: schema["gate-input.schema"]
# custom:
#   id: UAE-RES-004
#   severity: high
#   controls: ["UAE-PDPL-Art.22-23", "ISO27001:A.8.22"]
#   remediation: Set availability_zone to me-central-1a, me-central-1b or me-central-1c.
package uae.res.subnets

import data.lib

deny contains f if {
	some r in lib.live_of_type("aws:ec2/subnet:Subnet")
	zone := r.inputs.availabilityZone
	not zone in data.uae_data.region.availability_zones
	f := lib.finding("UAE-RES-004", r, sprintf(
		"subnet %q is in availability zone %v, outside %v",
		[r.name, zone, data.uae_data.region.availability_zones],
	))
}

deny contains f if {
	some r in lib.live_of_type("aws:ec2/subnet:Subnet")
	zone_id := r.inputs.availabilityZoneId
	not zone_id in data.uae_data.region.availability_zone_ids
	f := lib.finding("UAE-RES-004", r, sprintf(
		"subnet %q is in availability zone id %v, outside %v",
		[r.name, zone_id, data.uae_data.region.availability_zone_ids],
	))
}
