package uae.res.arn_regions_test

import data.lib.fixtures_test as fx
import data.uae.res.arn_regions

test_uae_res_013_allows_home_and_global_arns if {
	policy := fx.aws("aws:iam/policy:Policy", "reader", {
		"policy": json.marshal({"Version": "2012-10-17", "Statement": [
			{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::uae-ml-lake/*"},
			{
				"Effect": "Allow",
				"Action": "kms:Decrypt",
				"Resource": "arn:aws:kms:me-central-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab",
			},
		]}),
	})
	count(arn_regions.deny) == 0 with input as fx.prod([policy])
}

test_uae_res_013_denies_key_in_other_region if {
	topic := fx.aws("aws:sns/topic:Topic", "alerts", {
		"kmsMasterKeyId": "arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab",
	})
	findings := arn_regions.deny with input as fx.prod([topic])
	{f.urn | some f in findings} == {topic.urn}
}

test_uae_res_013_denies_arn_inside_policy_json if {
	policy := fx.aws("aws:iam/policy:Policy", "writer", {
		"policy": json.marshal({"Statement": [{
			"Effect": "Allow",
			"Action": "sqs:SendMessage",
			"Resource": "arn:aws:sqs:us-east-1:123456789012:ingest",
		}]}),
	})
	count(arn_regions.deny) == 1 with input as fx.prod([policy])
}

test_uae_res_013_denies_foreign_arn_after_home_arn_and_control_characters if {
	text := "arn:aws:kms:me-central-1:123456789012:key/a\n\u001aarn:aws:sns:eu-west-1:123456789012:alerts"
	topic := fx.aws("aws:sns/topic:Topic", "fanout", {"deliveryPolicy": {"targets": [{"note": text}]}})
	findings := arn_regions.deny with input as fx.prod([topic])
	[f.message | some f in findings] == [
		`aws:sns/topic:Topic "fanout" input deliveryPolicy.targets.0.note refers to an ARN in region eu-west-1`,
	]
}

test_uae_res_013_allows_only_home_arns_in_nested_inputs if {
	topic := fx.aws("aws:sns/topic:Topic", "local", {
		"subscriptions": [{"endpoint": "arn:aws:sqs:me-central-1:123456789012:q"}],
	})
	count(arn_regions.deny) == 0 with input as fx.prod([topic])
}
