# METADATA
# title: S3 buckets use SSE-KMS with a customer managed key
# description: >-
#   Every bucket needs default encryption with aws:kms (or aws:kms:dsse) and a customer managed
#   key, set by a BucketServerSideEncryptionConfiguration for the bucket or the bucket's inline
#   serverSideEncryptionConfiguration. A computed key id counts as set; the AWS managed alias
#   alias/aws/s3 does not.
# scope: package
# schemas:
#   - input: schema["gate-input.schema"]
# custom:
#   id: UAE-ENC-001
#   severity: high
#   controls: ["UAE-PDPL-Art.20", "UAE-ICT-Health-Law", "UAE-IAS", "ISO27001:A.8.24"]
#   remediation: >-
#     Add a BucketServerSideEncryptionConfiguration with sse_algorithm "aws:kms" and
#     kms_master_key_id set to a KMS key created in this stack.
package uae.enc.s3_encryption

import data.lib
import data.lib.aws

deny contains f if {
	some bucket in lib.live_of_types(aws.bucket_types)
	not _encrypted(bucket)
	f := lib.finding(
		"UAE-ENC-001",
		bucket,
		sprintf("bucket %q has no SSE-KMS default encryption with a customer managed key", [bucket.name]),
	)
}

_config_types := {
	"aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
	"aws:s3/bucketServerSideEncryptionConfigurationV2:BucketServerSideEncryptionConfigurationV2",
}

# Buckets targeted by an SSE configuration with KMS rules (aws.bucket_refs), computed once.
_kms_configured := {ref |
	some config in lib.live_of_types(_config_types)
	_kms_rules(config.inputs.rules)
	some ref in aws.bucket_refs(config)
}

_encrypted(bucket) if aws.referenced_bucket(bucket, _kms_configured)

_encrypted(bucket) if {
	inline := bucket.inputs.serverSideEncryptionConfiguration
	_kms_rules(array.concat(lib.as_array(object.get(inline, "rule", [])), lib.as_array(object.get(inline, "rules", []))))
}

_kms_rules(rules) if {
	count(lib.as_array(rules)) > 0
	every rule in lib.as_array(rules) {
		_kms_default(rule.applyServerSideEncryptionByDefault)
	}
}

_kms_default(by_default) if {
	by_default.sseAlgorithm in {"aws:kms", "aws:kms:dsse"}
	lib.has_value(by_default.kmsMasterKeyId)
	by_default.kmsMasterKeyId != "alias/aws/s3"
}
