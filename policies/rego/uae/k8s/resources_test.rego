package uae.k8s.resources_test

import data.lib.fixtures_test as fx
import data.uae.k8s.resources

_cronjob(container) := fx.k8s("kubernetes:batch/v1:CronJob", "materialize", {
	"metadata": {"name": "materialize", "namespace": "features"},
	"spec": {"schedule": "*/15 * * * *", "jobTemplate": {
		"spec": {"template": {
			"spec": object.union(fx.good_pod_spec, {"containers": [container], "restartPolicy": "OnFailure"}),
		}},
	}},
})

test_uae_k8s_006_allows_full_resources if {
	count(resources.deny) == 0 with input as fx.prod([_cronjob(fx.good_container)])
}

test_uae_k8s_006_denies_missing_limits_in_cronjob if {
	container := object.union(object.remove(fx.good_container, ["resources"]), {
		"resources": {"requests": {"cpu": "1", "memory": "2Gi"}},
	})
	findings := resources.deny with input as fx.prod([_cronjob(container)])
	{f.urn | some f in findings} == {_cronjob(container).urn}
}
