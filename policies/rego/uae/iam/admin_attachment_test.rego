package uae.iam.admin_attachment_test

import data.lib.fixtures_test as fx
import data.uae.iam.admin_attachment

test_uae_iam_002_allows_scoped_managed_policy if {
	attachment := fx.aws("aws:iam/rolePolicyAttachment:RolePolicyAttachment", "nodes-ecr", {
		"role": "nodes",
		"policyArn": "arn:aws:iam::aws:policy/AmazonEC2ContainerRegistryReadOnly",
	})
	count(admin_attachment.deny) == 0 with input as fx.prod([attachment])
}

test_uae_iam_002_denies_admin_attachment if {
	attachment := fx.aws("aws:iam/rolePolicyAttachment:RolePolicyAttachment", "ci-admin", {
		"role": "ci",
		"policyArn": "arn:aws:iam::aws:policy/AdministratorAccess",
	})
	count(admin_attachment.deny) == 1 with input as fx.prod([attachment])
}

test_uae_iam_002_denies_role_managed_policy_arns if {
	role := fx.aws("aws:iam/role:Role", "ops", {
		"assumeRolePolicy": "{}",
		"managedPolicyArns": ["arn:aws:iam::aws:policy/ReadOnlyAccess", "arn:aws:iam::aws:policy/AdministratorAccess"],
	})
	count(admin_attachment.deny) == 1 with input as fx.prod([role])
}
