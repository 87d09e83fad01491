# METADATA
# title: AWS Backup copy actions stay in me-central-1
# description: >-
#   A backup plan rule's copy action copies recovery points to the destination vault. DR here is
#   in-region: the vault must be in me-central-1, either by the region in its ARN or, when the ARN
#   is computed, by the vault resource it refers to.
# scope: package
# schemas:
#   - input: schema["gate-input.schema"]
# custom:
#   id: UAE-RES-009
#   severity: critical
#   controls: ["UAE-PDPL-Art.22-23", "UAE-ICT-Health-Law", "ISO27001:A.8.13"]
#   remediation: Copy recovery points only to backup vaults in me-central-1.
package uae.res.backup_copy

import data.lib
import data.lib.aws

deny contains f if {
	some r in lib.live_of_type("aws:backup/plan:Plan")
	some rule in lib.as_array(r.inputs.rules)
	some action in lib.as_array(object.get(rule, "copyActions", []))
	not _in_home(r, object.get(action, "destinationVaultArn", null))
	f := lib.finding("UAE-RES-009", r, sprintf(
		"backup plan %q rule %q copies recovery points to %v, not a vault in %s",
		[r.name, object.get(rule, "ruleName", "?"), action.destinationVaultArn, lib.home_region],
	))
}

_in_home(_, arn) if aws.arn_region(arn) == lib.home_region

_in_home(r, arn) if {
	lib.is_unknown(arn)
	vaults := lib.dependencies_of_types(r, "rules", {"aws:backup/vault:Vault"})
	count(vaults) > 0
	every v in vaults {
		v.region == lib.home_region
	}
}
