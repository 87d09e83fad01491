# METADATA
# title: EBS volumes are encrypted
# description: >-
#   EBS volumes and every block device that creates one need encrypted true: launch template and
#   launch configuration mappings, EC2 instance and spot instance request root and data devices,
#   and the aws-native Volume, Instance and LaunchTemplate. An `encrypted` setting (or a whole
#   device mapping) that is unknown or secret cannot be verified at preview time (ADR 0006).
# scope: package
# schemas:
#   - input: schema["gate-input.schema"]
# custom:
#   id: UAE-ENC-011
#   severity: high
#   controls: ["UAE-PDPL-Art.20", "ISO27001:A.8.24"]
#   remediation: Set encrypted=True (and kms_key_id) on every volume and block device mapping.
package uae.enc.ebs

import data.lib

deny contains f if {
	some device in _devices
	not lib.is_true(_encrypted(device.ebs))
	f := lib.finding("UAE-ENC-011", device.resource, sprintf(
		"%s %q: %s %s",
		[device.resource.type, device.resource.name, device.label, _problem(device.ebs)],
	))
}

_problem(ebs) := sprintf("encryption %s", [lib.cannot_verify_text(lib.unverifiable(ebs))]) if {
	lib.unverifiable(ebs)
} else := sprintf("encryption %s", [lib.cannot_verify_text(lib.unverifiable(ebs.encrypted))]) if {
	lib.unverifiable(ebs.encrypted)
} else := "is not encrypted"

# The `encrypted` value of a device; a device that is not an object has none.
_encrypted(ebs) := object.get(ebs, "encrypted", false) if {
	is_object(ebs)
} else := false

_volume_types := {"aws:ebs/volume:Volume", "aws-native:ec2:Volume"}

# {"resource", "label", "ebs"} for every EBS volume a resource creates.
_devices contains {"resource": r, "label": "volume", "ebs": r.inputs} if {
	some type in _volume_types
	some r in lib.live_of_type(type)
}

_devices contains {"resource": r, "label": sprintf("volume mapped at %v", [_device_name(m)]), "ebs": _ebs(m)} if {
	some r in lib.live_of_type("aws:ec2/launchTemplate:LaunchTemplate")
	some m in lib.as_array(object.get(r.inputs, "blockDeviceMappings", []))
	_has_ebs(m)
}

_devices contains {"resource": r, "label": sprintf("volume mapped at %v", [_device_name(m)]), "ebs": _ebs(m)} if {
	some r in lib.live_of_types(["aws-native:ec2:Instance", "aws-native:ec2:LaunchTemplate"])
	mappings := object.get(
		r.inputs,
		"blockDeviceMappings",
		object.get(r.inputs, ["launchTemplateData", "blockDeviceMappings"], []),
	)
	some m in lib.as_array(mappings)
	_has_ebs(m)
}

_devices contains {"resource": r, "label": sprintf("block device %v", [_device_name(d)]), "ebs": d} if {
	some r in lib.live_of_types(_instance_types)
	some d in array.concat(
		[d | d := r.inputs.rootBlockDevice],
		lib.as_array(object.get(r.inputs, "ebsBlockDevices", [])),
	)
}

_instance_types := [
	"aws:ec2/instance:Instance",
	"aws:ec2/spotInstanceRequest:SpotInstanceRequest",
	"aws:ec2/launchConfiguration:LaunchConfiguration",
]

# A mapping with an `ebs` entry (instance-store `virtualName` mappings create no EBS volume); a
# mapping hidden whole (secret or unknown) may hold one.
_has_ebs(m) if {
	is_object(m)
	not is_null(object.get(m, "ebs", null))
}

_has_ebs(m) if lib.unverifiable(m)

_ebs(m) := m.ebs if {
	is_object(m)
} else := m

_device_name(m) := m.deviceName if {
	is_object(m)
	is_string(m.deviceName)
} else := "root" if {
	is_object(m)
} else := "an unreadable mapping"
