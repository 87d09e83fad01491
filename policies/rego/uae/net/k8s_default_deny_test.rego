package uae.net.k8s_default_deny_test

import data.lib.fixtures_test as fx
import data.uae.net.k8s_default_deny

test_uae_net_003_allows_namespace_with_default_deny if {
	count(k8s_default_deny.deny) == 0 with input as fx.prod([
		fx.deployment("ranker", "serving", fx.good_pod_spec),
		fx.default_deny("serving"),
	])
}

test_uae_net_003_allows_namespace_resolved_through_namespace_resource if {
	ns := fx.k8s("kubernetes:core/v1:Namespace", "serving", {"metadata": {"name": "serving"}})
	workload := object.union(fx.deployment("ranker", fx.unknown, fx.good_pod_spec), {
		"property_dependencies": {"metadata": [ns.urn]},
	})
	count(k8s_default_deny.deny) == 0 with input as fx.prod([ns, workload, fx.default_deny("serving")])
}

test_uae_net_003_denies_namespace_without_policy if {
	workload := fx.deployment("ranker", "serving", fx.good_pod_spec)
	findings := k8s_default_deny.deny with input as fx.prod([workload, fx.default_deny("training")])
	{f.urn | some f in findings} == {workload.urn}
}

test_uae_net_003_denies_default_namespace_with_allow_all_policy if {
	pod := fx.k8s("kubernetes:core/v1:Pod", "debug", {"metadata": {"name": "debug"}, "spec": fx.good_pod_spec})
	allow_all := fx.k8s("kubernetes:networking.k8s.io/v1:NetworkPolicy", "allow-all", {
		"metadata": {"name": "allow-all"},
		"spec": {"podSelector": {}, "policyTypes": ["Ingress"], "ingress": [{}]},
	})
	count(k8s_default_deny.deny) == 1 with input as fx.prod([pod, allow_all])
}
