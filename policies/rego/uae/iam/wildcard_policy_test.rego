package uae.iam.wildcard_policy_test

import data.lib.fixtures_test as fx
import data.uae.iam.wildcard_policy

test_uae_iam_001_allows_scoped_policy if {
	policy := fx.aws("aws:iam/policy:Policy", "feature-reader", {
		"policy": json.marshal({
			"Version": "2012-10-17",
			"Statement": [{"Effect": "Allow", "Action": ["dynamodb:GetItem", "dynamodb:BatchGetItem"], "Resource": "*"}],
		}),
	})
	count(wildcard_policy.deny) == 0 with input as fx.prod([policy])
}

test_uae_iam_001_denies_admin_policy_json_string if {
	policy := fx.aws("aws:iam/policy:Policy", "admin", {
		"policy": "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Allow\",\"Action\":\"*\",\"Resource\":\"*\"}]}",
	})
	count(wildcard_policy.deny) == 1 with input as fx.prod([policy])
}

test_uae_iam_001_denies_role_inline_policy_object if {
	role := fx.aws("aws:iam/role:Role", "ci", {
		"assumeRolePolicy": "{}",
		"inlinePolicies": [{
			"name": "all",
			"policy": {"Statement": [{"Effect": "Allow", "Action": ["*"], "Resource": ["*"]}]},
		}],
	})
	count(wildcard_policy.deny) == 1 with input as fx.prod([role])
}
