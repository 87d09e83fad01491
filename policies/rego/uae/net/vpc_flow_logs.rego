# METADATA
# title: Every VPC has flow logs
# description: >-
#   Each VPC needs an aws:ec2/flowLog:FlowLog whose vpcId refers to it, so network traffic can be
#   investigated.
# scope: package
# schemas:
#   - input: schema["gate-input.schema"]
# custom:
#   id: UAE-NET-002
#   severity: medium
#   controls: ["UAE-IAS", "ISO27001:A.8.15", "ISO27001:A.8.16"]
#   remediation: Add an ec2.FlowLog with vpc_id=vpc.id, traffic_type="ALL", to a log group or bucket in me-central-1.
package uae.net.vpc_flow_logs

import data.lib

deny contains f if {
	some vpc in lib.live_of_type("aws:ec2/vpc:Vpc")
	not _has_flow_log(vpc)
	f := lib.finding("UAE-NET-002", vpc, sprintf("VPC %q has no flow log", [vpc.name]))
}

_has_flow_log(vpc) if {
	some log in lib.live_of_type("aws:ec2/flowLog:FlowLog")
	vpc.urn in lib.dependency_urns(log, "vpcId")
}
