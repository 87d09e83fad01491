package uae.k8s.host_namespaces_test

import data.lib.fixtures_test as fx
import data.uae.k8s.host_namespaces

test_uae_k8s_002_allows_pod_network if {
	count(host_namespaces.deny) == 0 with input as fx.prod([fx.deployment("ranker", "serving", fx.good_pod_spec)])
}

test_uae_k8s_002_denies_host_network_and_pid if {
	workload := fx.deployment("node-agent", "monitoring", object.union(fx.good_pod_spec, {"hostNetwork": true, "hostPID": true}))
	count(host_namespaces.deny) == 2 with input as fx.prod([workload])
}

test_uae_k8s_002_denies_host_network_in_helm_values if {
	release := fx.k8s("kubernetes:helm.sh/v3:Release", "node-exporter", {"chart": "prometheus-node-exporter", "values": {"hostNetwork": true}})
	count(host_namespaces.deny) == 1 with input as fx.prod([release])
}
