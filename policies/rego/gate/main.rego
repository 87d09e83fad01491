# METADATA
# title: Gate entrypoint
# description: >-
#   The gate's single entrypoint over the normalized gate input: `findings` collects the `deny`
#   set of every rule package under data.uae (uae.<domain>.<concern>), so a new rule file is
#   evaluated without being registered here. This package lives outside data.uae: a rule inside
#   data.uae that iterates data.uae would depend on itself, which OPA rejects as recursion.
# scope: package
# schemas:
#   - input: schema["gate-input.schema"]
package gate

import data.lib

# METADATA
# title: Findings of every rule package
# description: >-
#   The `deny` set of every package uae.<domain>.<concern>. Test packages (*_test) define no
#   `deny`, so they add nothing even when the tests are loaded (tests/policy/test_rego_rules.py).
# entrypoint: true
findings contains finding if {
	package_findings := data.uae[_][_].deny
	some finding in package_findings
}

# METADATA
# title: Live custom resources no rule judges
# description: >-
#   URNs of live custom resources that no rule here judges. The gate lists those that Checkov has
#   no check for either as "unchecked" in every report (neither an error nor a silent pass). Every
#   aws resource is judged (residency reads each one's region); Kubernetes objects when they embed
#   pod specs or are of a kind a rule reads (lib/k8s.rego judged_urns).
# entrypoint: true
unjudged contains r.urn if {
	some r in lib.live_resources
	r.custom
	not _judged(r)
}

_judged(r) if r.package in data.lib.aws.region_packages

_judged(r) if r.type in data.lib.k8s.judged_types

_judged(r) if r.urn in data.lib.k8s.judged_urns
