package uae.enc.ebs_test

import data.lib.fixtures_test as fx
import data.uae.enc.ebs

_template(encrypted) := fx.aws("aws:ec2/launchTemplate:LaunchTemplate", "gpu-nodes", {
	"instanceType": "g6e.xlarge",
	"blockDeviceMappings": [{
		"deviceName": "/dev/xvda",
		"ebs": {"volumeSize": 200, "volumeType": "gp3", "encrypted": encrypted},
	}],
})

test_uae_enc_011_allows_encrypted_volume_and_template if {
	volume := fx.aws("aws:ebs/volume:Volume", "scratch", {
		"availabilityZone": "me-central-1a",
		"size": 100,
		"encrypted": true,
	})
	count(ebs.deny) == 0 with input as fx.prod([volume, _template("true")])
}

test_uae_enc_011_denies_unencrypted_volume if {
	volume := fx.aws("aws:ebs/volume:Volume", "scratch", {"availabilityZone": "me-central-1a", "size": 100})
	count(ebs.deny) == 1 with input as fx.prod([volume])
}

test_uae_enc_011_denies_unencrypted_launch_template if {
	count(ebs.deny) == 1 with input as fx.prod([_template("false")])
}

test_uae_enc_011_denies_instance_root_device if {
	instance := fx.aws("aws:ec2/instance:Instance", "bastion", {
		"instanceType": "t3.micro",
		"rootBlockDevice": {"volumeSize": 20},
	})
	count(ebs.deny) == 1 with input as fx.prod([instance])
}

test_uae_enc_011_denies_unencrypted_spot_instance_request if {
	spot := fx.aws("aws:ec2/spotInstanceRequest:SpotInstanceRequest", "batch", {
		"instanceType": "g6e.xlarge",
		"rootBlockDevice": {"volumeSize": 200, "encrypted": false},
	})
	count(ebs.deny) == 1 with input as fx.prod([spot])
}

test_uae_enc_011_denies_unencrypted_aws_native_volume if {
	volume := object.union(
		fx.aws("aws-native:ec2:Volume", "scratch", {"availabilityZone": "me-central-1a", "size": 100}),
		{"package": "aws-native"},
	)
	count(ebs.deny) == 1 with input as fx.prod([volume])
	encrypted := object.union(volume, {"inputs": {"availabilityZone": "me-central-1a", "size": 100, "encrypted": true}})
	count(ebs.deny) == 0 with input as fx.prod([encrypted])
}

test_uae_enc_011_denies_secret_or_unknown_encryption if {
	hidden := fx.aws("aws:ec2/launchTemplate:LaunchTemplate", "hidden", {
		"blockDeviceMappings": [fx.unknown],
	})
	secret_findings := ebs.deny with input as fx.prod([_template(fx.secret)])
	unknown_findings := ebs.deny with input as fx.prod([hidden])
	some f in secret_findings
	contains(f.message, "cannot be verified at preview time (secret)")
	some g in unknown_findings
	contains(g.message, "cannot be verified at preview time (unknown)")
}
