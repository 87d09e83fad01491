package uae.k8s.privileged_test

import data.lib.fixtures_test as fx
import data.uae.k8s.privileged

_release(values) := fx.k8s("kubernetes:helm.sh/v3:Release", "dcgm-exporter", {"chart": "dcgm-exporter", "namespace": "monitoring", "values": values})

test_uae_k8s_001_allows_unprivileged_workload_and_release if {
	release := _release({"securityContext": {"privileged": false}, "image": {"repository": "123456789012.dkr.ecr.me-central-1.amazonaws.com/dcgm-exporter", "tag": "4.1.1"}})
	count(privileged.deny) == 0 with input as fx.prod([fx.deployment("ranker", "serving", fx.good_pod_spec), release])
}

test_uae_k8s_001_denies_privileged_container if {
	container := object.union(fx.good_container, {"securityContext": {"privileged": true}})
	workload := fx.deployment("ranker", "serving", object.union(fx.good_pod_spec, {"containers": [container]}))
	findings := privileged.deny with input as fx.prod([workload])
	{f.urn | some f in findings} == {workload.urn}
}

test_uae_k8s_001_denies_privileged_in_nested_helm_values if {
	release := _release({"daemonset": {"containers": {"exporter": {"securityContext": {"privileged": true}}}}})
	count(privileged.deny) == 1 with input as fx.prod([release])
}
