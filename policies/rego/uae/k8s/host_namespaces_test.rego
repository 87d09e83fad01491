package uae.k8s.host_namespaces_test

import data.lib.fixtures_test as fx
import data.uae.k8s.host_namespaces

test_uae_k8s_002_allows_pod_network if {
	count(host_namespaces.deny) == 0 with input as fx.prod([fx.deployment("ranker", "serving", fx.good_pod_spec)])
}

test_uae_k8s_002_denies_host_network_and_pid if {
	workload := fx.deployment("node-agent", "monitoring", object.union(fx.good_pod_spec, {
		"hostNetwork": true,
		"hostPID": true,
	}))
	count(host_namespaces.deny) == 2 with input as fx.prod([workload])
}

test_uae_k8s_002_denies_host_network_in_helm_values if {
	release := fx.k8s("kubernetes:helm.sh/v3:Release", "node-exporter", {
		"chart": "prometheus-node-exporter",
		"values": {"hostNetwork": true},
	})
	count(host_namespaces.deny) == 1 with input as fx.prod([release])
}

test_uae_k8s_002_denies_host_network_in_every_carrier if {
	every _, r in fx.pod_spec_carriers(object.union(fx.good_pod_spec, {"hostNetwork": true})) {
		findings := host_namespaces.deny with input as fx.prod([r])
		{f.urn | some f in findings} == {r.urn}
	}
}

test_uae_k8s_002_denies_host_network_string_in_helm_values if {
	release := fx.k8s("kubernetes:helm.sh/v3:Release", "cilium-agent", {
		"chart": "agent",
		"values": {"agent": {"hostNetwork": "true"}, "hostPID": false},
	})
	count(host_namespaces.deny) == 1 with input as fx.prod([release])
}

test_uae_k8s_002_denies_unknown_host_pid if {
	workload := fx.deployment("node-agent", "monitoring", object.union(fx.good_pod_spec, {
		"hostPID": fx.unknown,
	}))
	findings := host_namespaces.deny with input as fx.prod([workload])
	[f.message | some f in findings] == [
		`kubernetes:apps/v1:Deployment "node-agent": spec.template.spec.hostPID cannot be verified at preview time (unknown)`,
	]
}
