# METADATA
# title: GPU instance types are from families offered in me-central-1
# description: >-
#   Only the g5, g6, g6e and p5en accelerated families are offered in me-central-1; asking for
#   another accelerated family (p4d, p5, g4dn, inf2, trn1, ...) fails or tempts a move to another
#   region. A computed instance type cannot be checked and is reported.
# scope: package
# schemas:
#   - input: schema["gate-input.schema"]
# custom:
#   id: UAE-RES-012
#   severity: high
#   controls: ["UAE-PDPL-Art.22-23", "ISO27001:A.8.9"]
#   remediation: Use g5, g6, g6e or p5en instance types (p5en only in me-central-1a and c).
package uae.res.gpu_families

import data.lib

deny contains f if {
	some r in lib.live_of_types(_instance_type_types)
	some instance_type in _instance_types(r)
	not _allowed(instance_type)
	f := lib.finding("UAE-RES-012", r, sprintf(
		"%s %q uses instance type %v, not from a family offered in %s (GPU: %v)",
		[r.type, r.name, instance_type, lib.home_region, data.uae_data.instance_families.gpu_families_offered],
	))
}

# The types _instance_types knows.
_instance_type_types := {
	"aws:eks/nodeGroup:NodeGroup",
	"aws:ec2/launchTemplate:LaunchTemplate",
	"aws:ec2/instance:Instance",
	"aws:ec2/spotInstanceRequest:SpotInstanceRequest",
	"aws:sagemaker/notebookInstance:NotebookInstance",
	"aws:sagemaker/endpointConfiguration:EndpointConfiguration",
}

_instance_types(r) := lib.as_array(object.get(r.inputs, "instanceTypes", [])) if r.type == "aws:eks/nodeGroup:NodeGroup"

_instance_types(r) := [t | t := r.inputs.instanceType] if r.type in {
	"aws:ec2/launchTemplate:LaunchTemplate",
	"aws:ec2/instance:Instance",
	"aws:ec2/spotInstanceRequest:SpotInstanceRequest",
	"aws:sagemaker/notebookInstance:NotebookInstance",
}

_instance_types(r) := [v.instanceType | some v in lib.as_array(r.inputs.productionVariants)] if {
	r.type == "aws:sagemaker/endpointConfiguration:EndpointConfiguration"
}

_allowed(instance_type) if {
	not lib.is_unknown(instance_type)
	not _family(instance_type) in data.uae_data.instance_families.accelerated_families
}

_allowed(instance_type) if _family(instance_type) in data.uae_data.instance_families.gpu_families_offered

# "g6e.xlarge" -> "g6e"; SageMaker "ml.g5.2xlarge" -> "g5".
_family(instance_type) := split(trim_prefix(instance_type, "ml."), ".")[0]
