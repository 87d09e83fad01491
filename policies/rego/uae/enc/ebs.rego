package uae.enc.ebs

import data.lib

# METADATA
# title: EBS volumes are encrypted
# description: >-
#   EBS volumes, launch template block device mappings and EC2 instance root and data block
#   devices need encrypted true.
# custom:
#   id: UAE-ENC-011
#   severity: high
#   controls: ["UAE-PDPL-Art.20", "ISO27001:A.8.24"]
#   remediation: Set encrypted=True (and kms_key_id) on every volume and block device mapping.
deny contains f if {
	some r in lib.live_of_type("aws:ebs/volume:Volume")
	not lib.is_true(object.get(r.inputs, "encrypted", false))
	f := lib.finding("UAE-ENC-011", r, sprintf("EBS volume %q is not encrypted", [r.name]))
}

deny contains f if {
	some r in lib.live_of_type("aws:ec2/launchTemplate:LaunchTemplate")
	some mapping in lib.as_array(object.get(r.inputs, "blockDeviceMappings", []))
	mapping.ebs
	not lib.is_true(object.get(mapping.ebs, "encrypted", false))
	f := lib.finding("UAE-ENC-011", r, sprintf(
		"launch template %q maps %v to an unencrypted EBS volume",
		[r.name, object.get(mapping, "deviceName", "?")],
	))
}

deny contains f if {
	some r in lib.live_of_type("aws:ec2/instance:Instance")
	some device in array.concat(
		[d | d := r.inputs.rootBlockDevice],
		lib.as_array(object.get(r.inputs, "ebsBlockDevices", [])),
	)
	not lib.is_true(object.get(device, "encrypted", false))
	f := lib.finding("UAE-ENC-011", r, sprintf(
		"EC2 instance %q has an unencrypted block device %v",
		[r.name, object.get(device, "deviceName", "root")],
	))
}
