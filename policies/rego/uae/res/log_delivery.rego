# METADATA
# title: Logs are delivered only to destinations in me-central-1
# description: >-
#   CloudTrail, CloudWatch Logs subscriptions/destinations and Firehose streams ship records to a
#   destination bucket, stream or function. Where the destination is a resource of this stack (found
#   through the property's dependencies, or a CloudTrail bucket name), that resource must be in
#   me-central-1.
# scope: package
# schemas:
#   - input: schema["gate-input.schema"]
# custom:
#   id: UAE-RES-010
#   severity: high
#   controls: ["UAE-PDPL-Art.22-23", "ISO27001:A.8.15"]
#   remediation: Deliver logs to a bucket, stream or function created in me-central-1.
package uae.res.log_delivery

import data.lib
import data.lib.aws

deny contains f if {
	some type, properties in _destination_properties
	some r in lib.live_of_type(type)
	some property in properties
	some u in lib.dependency_urns(r, property)
	d := lib.resource_by_urn[u]
	d.package == "aws"
	aws.outside_home(object.get(d, "region", null))
	f := lib.finding("UAE-RES-010", r, sprintf(
		"%s %q delivers to %s %q in region %v",
		[r.type, r.name, d.type, d.name, object.get(d, "region", null)],
	))
}

# CloudTrail names its bucket by name: resolve a literal name to a bucket of this stack.
deny contains f if {
	some r in lib.live_of_type("aws:cloudtrail/trail:Trail")
	name := r.inputs.s3BucketName
	not lib.is_unknown(name)
	some b in object.get(_buckets_by_name, name, {})
	not b.urn in lib.dependency_urns(r, "s3BucketName")
	aws.outside_home(object.get(b, "region", null))
	f := lib.finding("UAE-RES-010", r, sprintf(
		"trail %q delivers to bucket %q in region %v",
		[r.name, name, object.get(b, "region", null)],
	))
}

# The stack's buckets by their `bucket` input: name -> {position: bucket}, computed once.
_buckets_by_name := object.union_n([{b.inputs.bucket: {i: b}} | some i, b in lib.live_of_types(aws.bucket_types)])

_destination_properties := {
	"aws:cloudtrail/trail:Trail": ["s3BucketName", "cloudWatchLogsGroupArn", "snsTopicName"],
	"aws:cloudwatch/logSubscriptionFilter:LogSubscriptionFilter": ["destinationArn"],
	"aws:cloudwatch/logDestination:LogDestination": ["targetArn"],
	"aws:kinesis/firehoseDeliveryStream:FirehoseDeliveryStream": [
		"extendedS3Configuration", "redshiftConfiguration", "opensearchConfiguration",
		"elasticsearchConfiguration", "httpEndpointConfiguration", "splunkConfiguration",
		"snowflakeConfiguration", "icebergConfiguration",
	],
}
