# Helpers for pulumi-aws resources in the normalized gate input.

# METADATA
# scope: package
# schemas:
#   - input: schema["gate-input.schema"]
package lib.aws

# Parent-package rules are referenced as data.lib.* (not through `import data.lib`): regorus
# 0.13 mis-resolves the alias from a child package of `lib` in some evaluation orders.
# Packages whose resources a provider places in an AWS region (preview.REGION_CONFIG_KEYS).
region_packages := {"aws", "aws-native"}

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

# What a bucket sub-resource targets, as references: ["urn", u] per `bucket` dependency and
# ["name", n] for a known bucket name (the two ways of targets_bucket). Collect the references of
# the qualifying sub-resources into a set once per rule, then test each bucket with
# referenced_bucket: one lookup per bucket instead of a scan over every sub-resource.
bucket_refs(sub) := {["urn", u] | some u in data.lib.dependency_urns(sub, "bucket")} | {["name", name] |
	name := sub.inputs.bucket
	is_string(name)
	not data.lib.is_unknown(name)
}

referenced_bucket(bucket, refs) if ["urn", bucket.urn] in refs

referenced_bucket(bucket, refs) if ["name", bucket.inputs.bucket] in refs

# True when `sub` (a bucket sub-resource such as a policy or versioning config) targets `bucket`.
targets_bucket(sub, bucket) if referenced_bucket(bucket, bucket_refs(sub))

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

# Types whose resources can carry IAM policy documents (policy_documents).
policy_document_types := _policy_types | {"aws:iam/role:Role"}

# The IAM policy documents carried by a resource: `policy` of policy resources, a role's inlinePolicies.
policy_documents(r) := array.concat(
	[d | r.type in _policy_types; d := r.inputs.policy],
	[p.policy | r.type == "aws:iam/role:Role"; some p in data.lib.as_array(object.get(r.inputs, "inlinePolicies", []))],
)
