package uae.k8s.host_path_test

import data.lib.fixtures_test as fx
import data.uae.k8s.host_path

test_uae_k8s_003_allows_empty_dir if {
	spec := object.union(fx.good_pod_spec, {"volumes": [{"name": "cache", "emptyDir": {"sizeLimit": "1Gi"}}]})
	count(host_path.deny) == 0 with input as fx.prod([fx.deployment("ranker", "serving", spec)])
}

test_uae_k8s_003_denies_host_path_volume if {
	spec := object.union(fx.good_pod_spec, {"volumes": [{"name": "docker", "hostPath": {"path": "/var/run/docker.sock"}}]})
	count(host_path.deny) == 1 with input as fx.prod([fx.deployment("builder", "ci", spec)])
}

test_uae_k8s_003_denies_host_path_in_helm_values if {
	release := fx.k8s("kubernetes:helm.sh/v3:Release", "fluent-bit", {
		"chart": "fluent-bit",
		"values": {"daemonSetVolumes": [], "extraVolumes": [], "volumes": [
			{"name": "varlog", "hostPath": {"path": "/var/log"}},
		]},
	})
	count(host_path.deny) == 1 with input as fx.prod([release])
}
