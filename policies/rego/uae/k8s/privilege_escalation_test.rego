package uae.k8s.privilege_escalation_test

import data.lib.fixtures_test as fx
import data.uae.k8s.privilege_escalation

test_uae_k8s_005_allows_explicit_false if {
	count(privilege_escalation.deny) == 0 with input as fx.prod([fx.deployment("ranker", "serving", fx.good_pod_spec)])
}

test_uae_k8s_005_denies_default_escalation_in_init_container if {
	init := {"name": "migrate", "image": fx.good_container.image, "securityContext": {"runAsNonRoot": true}}
	spec := object.union(fx.good_pod_spec, {"initContainers": [init]})
	count(privilege_escalation.deny) == 1 with input as fx.prod([fx.deployment("ranker", "serving", spec)])
}
