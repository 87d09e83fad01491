package uae.enc.ebs_test

import data.lib.fixtures_test as fx
import data.uae.enc.ebs

_template(encrypted) := fx.aws("aws:ec2/launchTemplate:LaunchTemplate", "gpu-nodes", {
	"instanceType": "g6e.xlarge",
	"blockDeviceMappings": [{"deviceName": "/dev/xvda", "ebs": {"volumeSize": 200, "volumeType": "gp3", "encrypted": encrypted}}],
})

test_uae_enc_011_allows_encrypted_volume_and_template if {
	volume := fx.aws("aws:ebs/volume:Volume", "scratch", {"availabilityZone": "me-central-1a", "size": 100, "encrypted": true})
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
	instance := fx.aws("aws:ec2/instance:Instance", "bastion", {"instanceType": "t3.micro", "rootBlockDevice": {"volumeSize": 20}})
	count(ebs.deny) == 1 with input as fx.prod([instance])
}
