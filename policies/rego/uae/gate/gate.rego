# The single entrypoint, data.uae.gate.findings: the union of every rule package's `deny`.
# Packages are listed explicitly: iterating data.uae[_][_].deny would include this package, which
# real OPA rejects as recursive. tests/policy/test_rego_rules.py fails when a package is missing.
package uae.gate

import data.lib
import data.uae.enc
import data.uae.iam
import data.uae.k8s
import data.uae.net
import data.uae.ops
import data.uae.res

findings := (((((_residency | _encryption) | _network) | _identity) | _kubernetes) | _operations)

_residency := ((((((((((((((res.providers.deny | res.resource_region.deny) | res.default_provider.deny)
	| res.subnets.deny) | res.s3_replication.deny) | res.dynamodb_replicas.deny)
	| res.kms_multi_region.deny) | res.ecr_replication.deny) | res.backup_copy.deny)
	| res.log_delivery.deny) | res.global_edge.deny) | res.gpu_families.deny) | res.arn_regions.deny) | res.provider_endpoints.deny) | res.nested_regions.deny) | res.kubernetes_cluster_region.deny

_encryption := ((((((((((enc.s3_encryption.deny | enc.s3_public_access.deny) | enc.s3_versioning.deny)
	| enc.s3_bucket_policy.deny) | enc.s3_acl.deny) | enc.eks_secrets.deny) | enc.msk.deny)
	| enc.elasticache.deny) | enc.kms_rotation.deny) | enc.rds.deny) | enc.ebs.deny)

_network := ((((net.security_group_ingress.deny | net.vpc_flow_logs.deny) | net.k8s_default_deny.deny)
	| net.eks_endpoint.deny) | net.rds_public.deny) | net.network_acl_admin_ports.deny

_identity := ((iam.wildcard_policy.deny | iam.admin_attachment.deny) | iam.access_keys.deny) | iam.msk_client_auth.deny

_kubernetes := ((((((((((((((k8s.privileged.deny | k8s.host_namespaces.deny) | k8s.host_path.deny)
	| k8s.non_root.deny) | k8s.privilege_escalation.deny) | k8s.resources.deny)
	| k8s.gpu_taints.deny) | k8s.gpu_tolerations.deny) | k8s.image_registry.deny)
	| k8s.image_tags.deny) | k8s.secret_literals.deny) | k8s.inference_service.deny)
	| k8s.capabilities.deny) | k8s.readable_specs.deny) | k8s.supply_chain.deny)

_operations := (((ops.required_tags.deny | ops.stateful_deletion.deny) | ops.cloudtrail.deny)
	| ops.guardduty.deny) | ops.eks_logging.deny

# URNs of live custom resources that no rule here judges. The gate lists those that Checkov has no
# check for either as "unchecked" in every report (neither an error nor a silent pass). Every aws
# resource is judged (residency reads each one's region); Kubernetes objects when they embed pod
# specs or are of a kind a rule reads (lib/k8s.rego judged_urns).
unjudged contains r.urn if {
	some r in lib.live_resources
	r.custom
	not _judged(r)
}

_judged(r) if r.package in data.lib.aws.region_packages

_judged(r) if r.type in data.lib.k8s.judged_types

_judged(r) if r.urn in data.lib.k8s.judged_urns
