package uae.ops.guardduty_test

import data.lib.fixtures_test as fx
import data.uae.ops.guardduty

test_uae_ops_004_allows_prod_with_detector if {
	detector := fx.aws("aws:guardduty/detector:Detector", "main", {"enable": true})
	count(guardduty.deny) == 0 with input as fx.prod([detector])
}

test_uae_ops_004_denies_prod_without_detector if {
	findings := guardduty.deny with input as fx.prod([_vpc])
	{f.urn | some f in findings} == {fx.stack_resource.urn}
}

test_uae_ops_004_denies_on_first_resource_without_stack if {
	vpc := fx.aws("aws:ec2/vpc:Vpc", "ml", {"cidrBlock": "10.42.0.0/16"})
	doc := object.union(fx.prod([]), {"resources": [vpc]})
	findings := guardduty.deny with input as doc
	{f.urn | some f in findings} == {vpc.urn}
}

_vpc := fx.aws("aws:ec2/vpc:Vpc", "ml", {"cidrBlock": "10.42.0.0/16"})

test_uae_ops_004_allows_prod_stack_without_aws_resources if {
	namespace := fx.k8s("kubernetes:core/v1:Namespace", "serving", {"metadata": {"name": "serving"}})
	count(guardduty.deny) == 0 with input as fx.prod([namespace])
}
