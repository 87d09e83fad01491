package uae.k8s.readable_specs_test

import data.lib.fixtures_test as fx
import data.uae.k8s.readable_specs

_release(inputs) := fx.k8s(
	"kubernetes:helm.sh/v3:Release",
	"dcgm-exporter",
	object.union({"chart": "dcgm-exporter", "namespace": "monitoring"}, inputs),
)

test_uae_k8s_014_allows_inline_values_and_literal_pod_specs if {
	release := _release({
		"values": {"securityContext": {"privileged": false}, "image": {"tag": "4.1.1"}},
		"valueYamlFiles": [],
	})
	count(readable_specs.deny) == 0 with input as fx.prod([release, fx.deployment("ranker", "serving", fx.good_pod_spec)])
}

test_uae_k8s_014_denies_value_yaml_files if {
	count(readable_specs.deny) == 1 with input as fx.prod([_release({"valueYamlFiles": [{"asset": true}]})])
}

test_uae_k8s_014_denies_secret_or_unknown_values if {
	count(readable_specs.deny) == 1 with input as fx.prod([_release({"values": fx.secret})])
	count(readable_specs.deny) == 1 with input as fx.prod([_release({"values": fx.unknown})])
}

test_uae_k8s_014_denies_unknown_security_value_in_helm_values if {
	release := _release({
		"values": {"daemonset": {"securityContext": {"privileged": fx.unknown}}},
	})
	findings := readable_specs.deny with input as fx.prod([release])
	[f.message | some f in findings] == [concat(" ", [
		`Helm release "dcgm-exporter" value daemonset.securityContext.privileged`,
		"cannot be verified at preview time (unknown)",
	])]
}

test_uae_k8s_014_denies_secret_containers_or_template if {
	containers := fx.deployment("ranker", "serving", object.union(fx.good_pod_spec, {"containers": fx.secret}))
	template := fx.k8s("kubernetes:kubeflow.org/v1:PyTorchJob", "finetune", {
		"spec": {"pytorchReplicaSpecs": {"Worker": {"template": fx.unknown}}},
	})
	findings := readable_specs.deny with input as fx.prod([containers, template])
	{f.urn | some f in findings} == {containers.urn, template.urn}
}
