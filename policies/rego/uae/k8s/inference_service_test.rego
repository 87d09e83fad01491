package uae.k8s.inference_service_test

import data.lib.fixtures_test as fx
import data.uae.k8s.inference_service

_isvc(predictor) := fx.k8s("kubernetes:serving.kserve.io/v1beta1:InferenceService", "ranker", {
	"apiVersion": "serving.kserve.io/v1beta1",
	"kind": "InferenceService",
	"metadata": {"name": "ranker", "namespace": "serving"},
	"spec": {"predictor": predictor},
})

_model := {
	"modelFormat": {"name": "sklearn"},
	"storageUri": "s3://uae-ml-models/ranker/3",
	"resources": {"requests": {"cpu": "1", "memory": "2Gi"}, "limits": {"cpu": "2", "memory": "4Gi"}},
}

test_uae_k8s_012_allows_limited_replicated_predictor if {
	count(inference_service.deny) == 0 with input as fx.prod([
		_isvc({"minReplicas": 2, "maxReplicas": 6, "model": _model}),
	])
}

test_uae_k8s_012_allows_single_replica_in_dev if {
	count(inference_service.deny) == 0 with input as fx.doc("dev", [_isvc({"model": _model})])
}

test_uae_k8s_012_denies_single_replica_in_prod if {
	count(inference_service.deny) == 1 with input as fx.prod([_isvc({"minReplicas": 1, "model": _model})])
}

test_uae_k8s_012_denies_model_without_limits if {
	model := object.remove(_model, ["resources"])
	count(inference_service.deny) == 2 with input as fx.doc("staging", [_isvc({"minReplicas": 2, "model": model})])
}
