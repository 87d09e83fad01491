package uae.k8s.secret_literals_test

import data.lib.fixtures_test as fx
import data.uae.k8s.secret_literals

_with_env(env) := fx.deployment("ranker", "serving", object.union(fx.good_pod_spec, {
	"containers": [object.union(fx.good_container, {"env": env})],
}))

test_uae_k8s_011_allows_value_from_secret_and_plain_config if {
	workload := _with_env([
		{"name": "REDIS_PASSWORD", "valueFrom": {"secretKeyRef": {"name": "redis-auth", "key": "password"}}},
		{"name": "LOG_LEVEL", "value": "info"},
	])
	config := fx.k8s("kubernetes:core/v1:ConfigMap", "ranker-config", {
		"metadata": {"namespace": "serving"},
		"data": {"FEAST_REPO": "/feast", "MODEL_NAME": "ranker"},
	})
	count(secret_literals.deny) == 0 with input as fx.prod([workload, config])
}

test_uae_k8s_011_denies_literal_api_key_env if {
	count(secret_literals.deny) == 1 with input as fx.prod([_with_env([{"name": "HF_Api_Key", "value": "hf_abc"}])])
}

test_uae_k8s_011_denies_secret_in_configmap if {
	config := fx.k8s("kubernetes:core/v1:ConfigMap", "mlflow", {
		"metadata": {"namespace": "mlops"},
		"data": {"db_password": fx.secret},
	})
	count(secret_literals.deny) == 1 with input as fx.prod([config])
}
