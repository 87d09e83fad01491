package uae.k8s.capabilities_test

import data.lib.fixtures_test as fx
import data.uae.k8s.capabilities

_with_caps(caps) := object.union(fx.good_pod_spec, {
	"containers": [object.union(fx.good_container, {
		"securityContext": object.union(fx.good_container.securityContext, {"capabilities": caps}),
	})],
})

test_uae_k8s_013_allows_drop_all_and_narrow_add if {
	every _, r in fx.pod_spec_carriers(_with_caps({"drop": ["ALL"], "add": ["NET_BIND_SERVICE"]})) {
		count(capabilities.deny) == 0 with input as fx.prod([r])
	}
}

test_uae_k8s_013_denies_sys_admin_in_every_carrier if {
	every _, r in fx.pod_spec_carriers(_with_caps({"add": ["cap_sys_admin"]})) {
		findings := capabilities.deny with input as fx.prod([r])
		{f.urn | some f in findings} == {r.urn}
	}
}

test_uae_k8s_013_denies_secret_add_list if {
	workload := fx.deployment("ranker", "serving", _with_caps({"drop": ["ALL"], "add": fx.secret}))
	count(capabilities.deny) == 1 with input as fx.prod([workload])
}

test_uae_k8s_013_denies_all_in_helm_values if {
	release := fx.k8s("kubernetes:helm.sh/v3:Release", "csi", {
		"chart": "csi",
		"values": {"node": {"securityContext": {"capabilities": {"add": ["ALL"]}}}},
	})
	count(capabilities.deny) == 1 with input as fx.prod([release])
}
