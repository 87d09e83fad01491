package uae.k8s.privileged_test

import data.lib.fixtures_test as fx
import data.uae.k8s.privileged

_release(values) := fx.k8s("kubernetes:helm.sh/v3:Release", "dcgm-exporter", {
	"chart": "dcgm-exporter",
	"namespace": "monitoring",
	"values": values,
})

test_uae_k8s_001_allows_unprivileged_workload_and_release if {
	release := _release({
		"securityContext": {"privileged": false},
		"image": {"repository": "123456789012.dkr.ecr.me-central-1.amazonaws.com/dcgm-exporter", "tag": "4.1.1"},
	})
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

_privileged_spec := object.union(fx.good_pod_spec, {
	"containers": [object.union(fx.good_container, {
		"securityContext": object.union(fx.good_container.securityContext, {"privileged": true}),
	})],
})

test_uae_k8s_001_allows_unprivileged_pod_specs_in_every_carrier if {
	every _, r in fx.pod_spec_carriers(fx.good_pod_spec) {
		count(privileged.deny) == 0 with input as fx.prod([r])
	}
}

test_uae_k8s_001_denies_privileged_pod_spec_in_every_carrier if {
	count(fx.pod_spec_carriers(_privileged_spec)) == 11
	every _, r in fx.pod_spec_carriers(_privileged_spec) {
		findings := privileged.deny with input as fx.prod([r])
		{f.urn | some f in findings} == {r.urn}
	}
}

test_uae_k8s_001_denies_privileged_kserve_model_spec if {
	model := {"modelFormat": {"name": "pytorch"}, "storageUri": "s3://m/r", "securityContext": {"privileged": true}}
	isvc := fx.k8s("kubernetes:serving.kserve.io/v1beta1:InferenceService", "r", {"spec": {"predictor": {"model": model}}})
	count(privileged.deny) == 1 with input as fx.prod([isvc])
}

test_uae_k8s_001_denies_privileged_unknown_or_secret if {
	unknown := object.union(fx.good_container, {
		"securityContext": object.union(fx.good_container.securityContext, {
			"privileged": fx.unknown,
		}),
	})
	secret := object.union(fx.good_container, {"name": "sidecar", "securityContext": fx.secret})
	workload := fx.deployment("ranker", "serving", object.union(fx.good_pod_spec, {"containers": [unknown, secret]}))
	findings := privileged.deny with input as fx.prod([workload])
	prefix := `kubernetes:apps/v1:Deployment "ranker" container`
	{f.message | some f in findings} == {
		sprintf(`%s "server": securityContext.privileged cannot be verified at preview time (unknown)`, [prefix]),
		sprintf(`%s "sidecar": securityContext.privileged cannot be verified at preview time (secret)`, [prefix]),
	}
}

test_uae_k8s_001_denies_container_security_context_privileged_in_helm_values if {
	release := _release({
		"controller": {"containerSecurityContext": {"privileged": true}},
		"agent": {"privileged": "true"},
	})
	count(privileged.deny) == 2 with input as fx.prod([release])
}
