# METADATA
# title: EKS clusters encrypt Kubernetes secrets with KMS
# description: >-
#   An EKS cluster needs encryptionConfig with resources including "secrets" and a KMS key ARN,
#   so secrets in etcd are envelope-encrypted with a key in me-central-1.
# scope: package
# schemas:
#   - input: schema["gate-input.schema"]
# custom:
#   id: UAE-ENC-006
#   severity: high
#   controls: ["UAE-PDPL-Art.20", "UAE-IAS", "ISO27001:A.8.24"]
#   remediation: Set encryption_config with resources=["secrets"] and provider.key_arn of a KMS key.
package uae.enc.eks_secrets

import data.lib

deny contains f if {
	some r in lib.live_of_type("aws:eks/cluster:Cluster")
	not _secrets_encrypted(object.get(r.inputs, "encryptionConfig", {}))
	f := lib.finding("UAE-ENC-006", r, sprintf("EKS cluster %q does not encrypt secrets with a KMS key", [r.name]))
}

_secrets_encrypted(config) if {
	"secrets" in lib.as_array(config.resources)
	lib.has_value(config.provider.keyArn)
}
