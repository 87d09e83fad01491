package uae.k8s.non_root_test

import data.lib.fixtures_test as fx
import data.uae.k8s.non_root

test_uae_k8s_004_allows_pod_level_non_root if {
	container := object.remove(fx.good_container, ["securityContext"])
	spec := object.union(fx.good_pod_spec, {"containers": [container]})
	count(non_root.deny) == 0 with input as fx.prod([fx.deployment("ranker", "serving", spec)])
}

test_uae_k8s_004_denies_missing_run_as_non_root if {
	container := object.remove(fx.good_container, ["securityContext"])
	count(non_root.deny) == 1 with input as fx.prod([fx.deployment("ranker", "serving", {"containers": [container]})])
}

test_uae_k8s_004_denies_container_override_to_root if {
	container := object.union(fx.good_container, {
		"securityContext": {"runAsUser": 0, "runAsNonRoot": false, "allowPrivilegeEscalation": false},
	})
	spec := object.union(fx.good_pod_spec, {"containers": [container]})
	count(non_root.deny) == 2 with input as fx.prod([fx.deployment("ranker", "serving", spec)])
}

test_uae_k8s_004_allows_trainjob_trainer_whose_pod_settings_live_in_the_runtime if {
	trainer := {
		"image": fx.good_container.image,
		"command": ["torchrun", "train.py"],
		"resourcesPerNode": {"requests": {"cpu": "8", "memory": "64Gi"}, "limits": {"cpu": "8", "memory": "64Gi"}},
	}
	job := fx.k8s("kubernetes:trainer.kubeflow.org/v1alpha1:TrainJob", "tune", {
		"spec": {"runtimeRef": {"name": "torch-distributed"}, "trainer": trainer},
	})
	count(non_root.deny) == 0 with input as fx.prod([job])
}

test_uae_k8s_004_denies_root_uid_in_helm_values if {
	release := fx.k8s("kubernetes:helm.sh/v3:Release", "ingest", {
		"chart": "ingest",
		"values": {"worker": {"podSecurityContext": {"runAsUser": 0}}, "api": {"securityContext": {"runAsNonRoot": "false"}}},
	})
	count(non_root.deny) == 2 with input as fx.prod([release])
}
