# Helpers for pulumi-aws resources in the normalized gate input.
package lib.aws

# Parent-package rules are referenced as data.lib.* (not through `import data.lib`): regorus
# 0.13 mis-resolves the alias from a child package of `lib` in some evaluation orders.
bucket_types := {"aws:s3/bucket:Bucket", "aws:s3/bucketV2:BucketV2"}

# The region field of an ARN (arn:PARTITION:SERVICE:REGION:ACCOUNT:RESOURCE), when it names a region.
arn_region(arn) := region if {
	is_string(arn)
	startswith(arn, "arn:")
	parts := split(arn, ":")
	count(parts) >= 6
	region := parts[3]
	regex.match(`^[a-z]{2}(-[a-z]+)+-[0-9]+$`, region)
}

# Every region named by an ARN anywhere inside a string (also ARNs embedded in JSON policy text).
embedded_arn_regions(text) := {m[1] |
	some m in regex.find_all_string_submatch_n(`arn:aws[a-z-]*:[a-z0-9-]+:([a-z]{2}(?:-[a-z]+)+-[0-9]+):`, text, -1)
}

# True when the value's effective region is not the home region (unknown or null never is).
outside_home(region) if region != data.lib.home_region

# True when `sub` (a bucket sub-resource such as a policy or versioning config) targets `bucket`.
targets_bucket(sub, bucket) if bucket.urn in data.lib.dependency_urns(sub, "bucket")

targets_bucket(sub, bucket) if {
	name := sub.inputs.bucket
	is_string(name)
	not data.lib.is_unknown(name)
	name == bucket.inputs.bucket
}

# Statements of an IAM policy document given as a JSON string or an object.
policy_statements(document) := [s | some s in data.lib.as_array(_parsed(document).Statement)]

_parsed(document) := json.unmarshal(document) if {
	is_string(document)
	json.is_valid(document)
} else := document if is_object(document)

_policy_types := {
	"aws:iam/policy:Policy",
	"aws:iam/rolePolicy:RolePolicy",
	"aws:iam/userPolicy:UserPolicy",
	"aws:iam/groupPolicy:GroupPolicy",
}

# The IAM policy documents carried by a resource: `policy` of policy resources, a role's inlinePolicies.
policy_documents(r) := array.concat(
	[d | r.type in _policy_types; d := r.inputs.policy],
	[p.policy | r.type == "aws:iam/role:Role"; some p in data.lib.as_array(object.get(r.inputs, "inlinePolicies", []))],
)
