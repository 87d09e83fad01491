# METADATA
# title: S3 replication stays in me-central-1
# description: >-
#   S3 replication (BucketReplicationConfig, or a bucket's legacy inline replicationConfiguration)
#   copies objects to the destination bucket. Each destination must resolve to a bucket created in
#   this stack in me-central-1; a bucket elsewhere, or one whose region cannot be established, is a
#   cross-border transfer.
# scope: package
# schemas:
#   - input: schema["gate-input.schema"]
# custom:
#   id: UAE-RES-005
#   severity: critical
#   controls: ["UAE-PDPL-Art.22-23", "UAE-ICT-Health-Law", "ISO27001:A.8.13"]
#   remediation: >-
#     Replicate only to a bucket in me-central-1 created in this stack; use AWS Backup in-region
#     vaults and versioning for recovery instead of cross-region replication.
package uae.res.s3_replication

import data.lib
import data.lib.aws

deny contains f if {
	some source in _replications
	some d in lib.dependencies_of_types(source.resource, source.property, aws.bucket_types)
	d.urn != source.bucket_urn
	aws.outside_home(object.get(d, "region", null))
	f := lib.finding("UAE-RES-005", source.resource, sprintf(
		"%s %q replicates to bucket %q in region %v",
		[source.resource.type, source.resource.name, d.name, object.get(d, "region", null)],
	))
}

deny contains f if {
	some source in _replications
	some rule in lib.as_array(source.rules)
	destination := rule.destination.bucket
	not _resolves_home(source, destination)
	f := lib.finding("UAE-RES-005", source.resource, sprintf(
		"%s %q replicates to %v, which is not a bucket of this stack in %s",
		[source.resource.type, source.resource.name, destination, lib.home_region],
	))
}

_replications contains {
	"resource": r,
	"property": "rules",
	"rules": r.inputs.rules,
	"bucket_urn": _source_bucket(r),
} if {
	some r in lib.live_of_type("aws:s3/bucketReplicationConfig:BucketReplicationConfig")
}

_replications contains {
	"resource": r,
	"property": "replicationConfiguration",
	"rules": r.inputs.replicationConfiguration.rules,
	"bucket_urn": r.urn,
} if {
	some r in lib.live_of_types(aws.bucket_types)
	lib.has_value(r.inputs.replicationConfiguration)
}

_source_bucket(r) := urn if {
	some urn in lib.dependency_urns(r, "bucket")
} else := ""

# ARNs of the stack's home-region buckets, computed once.
_home_bucket_arns := {sprintf("arn:aws:s3:::%s", [b.inputs.bucket]) |
	some b in lib.live_of_types(aws.bucket_types)
	b.region == lib.home_region
}

# A literal ARN naming a home-region bucket of this stack.
_resolves_home(_, destination) if {
	not lib.is_unknown(destination)
	destination in _home_bucket_arns
}

# A computed ARN whose bucket dependencies are all in the home region.
_resolves_home(source, destination) if {
	lib.is_unknown(destination)
	buckets := {d |
		some d in lib.dependencies_of_types(source.resource, source.property, aws.bucket_types)
		d.urn != source.bucket_urn
	}
	count(buckets) > 0
	every d in buckets {
		d.region == lib.home_region
	}
}
