# Builders for realistic normalized gate inputs (docs/gate-input.md), shared by the *_test.rego files.
# A _test file so it is loaded only with the tests, never by the gate.
package lib.fixtures_test

project := "uae-ml-platform"

# What normalization leaves of a value Pulumi does not know at preview time, and of a secret: the
# same strings as data.lib.unknown and data.lib.secret (lib_test.rego checks they agree). Spelt out
# here because regorus 0.13 can read a data.lib rule as undefined while it builds a
# `with input as` value (OPA does not), and the fixtures build every test's input.
unknown := "04da6b54-80e4-46f7-96ec-b56ff0331ba9"

secret := "[secret]"

provider_urn := "urn:pulumi:prod::uae-ml-platform::pulumi:providers:aws::uae"

k8s_provider_urn := "urn:pulumi:prod::uae-ml-platform::pulumi:providers:kubernetes::eks"

required_tags := {"environment": "prod", "owner": "ml-platform-team", "data-classification": "confidential"}

uae_provider := {
	"urn": provider_urn,
	"name": "uae",
	"package": "aws",
	"default": false,
	"op": "create",
	"region": "me-central-1",
	"inputs": {"region": "me-central-1", "defaultTags": "{\"tags\":{\"owner\":\"ml-platform-team\"}}"},
	"default_tags": {"owner": "ml-platform-team"},
}

urn(type, name) := sprintf("urn:pulumi:prod::uae-ml-platform::%s::%s", [type, name])

stack_resource := {
	"urn": "urn:pulumi:prod::uae-ml-platform::pulumi:pulumi:Stack::uae-ml-platform-prod",
	"name": "uae-ml-platform-prod",
	"type": "pulumi:pulumi:Stack",
	"package": "pulumi",
	"op": "same",
	"custom": false,
	"inputs": {},
	"old_inputs": null,
	"parent": null,
	"protect": false,
	"provider": null,
	"region": null,
	"region_source": "n/a",
	"tags": null,
	"dependencies": [],
	"property_dependencies": {},
	"replace_reasons": [],
	"diff_reasons": [],
}

# The normalized document for `env` holding `resources` (plus the stack resource).
doc(env, resources) := {
	"schema": "uae-ml-platform/gate-input/v1",
	"stack": env,
	"project": project,
	"environment": env,
	"home_region": "me-central-1",
	"config": {"aws:region": "me-central-1", "uae-ml-platform:environment": env},
	"providers": [uae_provider],
	"resources": array.concat([stack_resource], resources),
}

prod(resources) := doc("prod", resources)

# An aws resource created through the explicit me-central-1 provider, tagged as required.
aws(type, name, inputs) := {
	"urn": urn(type, name),
	"name": name,
	"type": type,
	"package": "aws",
	"op": "create",
	"custom": true,
	"inputs": inputs,
	"old_inputs": null,
	"parent": null,
	"protect": false,
	"provider": provider_urn,
	"region": "me-central-1",
	"region_source": "provider",
	"tags": object.union(required_tags, object.get(inputs, "tags", {})),
	"dependencies": [],
	"property_dependencies": {},
	"replace_reasons": [],
	"diff_reasons": [],
}

# `r` placed in `region` by its own `region` input (pulumi-aws v7), as the reader records it.
in_region(r, region) := object.union(r, {"region": region, "region_source": "resource"})

# An aws resource whose `property` depends on the resources `deps`.
aws_deps(type, name, inputs, deps) := object.union(aws(type, name, inputs), {
	"dependencies": sort({u | some urns in deps; some u in urns}),
	"property_dependencies": deps,
})

k8s(type, name, inputs) := {
	"urn": urn(type, name),
	"name": name,
	"type": type,
	"package": "kubernetes",
	"op": "create",
	"custom": true,
	"inputs": inputs,
	"old_inputs": null,
	"parent": null,
	"protect": false,
	"provider": k8s_provider_urn,
	"region": null,
	"region_source": "n/a",
	"tags": null,
	"dependencies": [],
	"property_dependencies": {},
	"replace_reasons": [],
	"diff_reasons": [],
}

# The stack's private registry in the home region (ECR), where every image must come from.
ecr_registry := "123456789012.dkr.ecr.me-central-1.amazonaws.com"

# A hardened container that satisfies every Kubernetes rule.
good_container := {
	"name": "server",
	"image": sprintf("%s/serving@sha256:%s", [
		ecr_registry,
		"3f5ad4d7c0e1b2a3f4e5d6c7b8a9f0e1d2c3b4a5f6e7d8c9b0a1f2e3d4c5b6a7",
	]),
	"resources": {
		"requests": {"cpu": "500m", "memory": "1Gi"},
		"limits": {"cpu": "2", "memory": "4Gi"},
	},
	"securityContext": {
		"allowPrivilegeEscalation": false,
		"runAsNonRoot": true,
		"runAsUser": 10001,
		"capabilities": {"drop": ["ALL"]},
		"readOnlyRootFilesystem": true,
	},
}

good_pod_spec := {
	"securityContext": {"runAsNonRoot": true, "runAsUser": 10001, "seccompProfile": {"type": "RuntimeDefault"}},
	"containers": [good_container],
}

deployment(name, namespace, pod_spec) := k8s("kubernetes:apps/v1:Deployment", name, {
	"apiVersion": "apps/v1",
	"kind": "Deployment",
	"metadata": {"name": name, "namespace": namespace, "labels": {"app": name}},
	"spec": {
		"replicas": 2,
		"selector": {"matchLabels": {"app": name}},
		"template": {"metadata": {"labels": {"app": name}}, "spec": pod_spec},
	},
})

default_deny(namespace) := k8s(
	"kubernetes:networking.k8s.io/v1:NetworkPolicy",
	sprintf("default-deny-%s", [namespace]),
	{
		"apiVersion": "networking.k8s.io/v1",
		"kind": "NetworkPolicy",
		"metadata": {"name": "default-deny", "namespace": namespace},
		"spec": {"podSelector": {}, "policyTypes": ["Ingress", "Egress"]},
	},
)

# Findings of `rule_id` among `findings`.
of_rule(findings, rule_id) := {f | some f in findings; f.rule_id == rule_id}

# The reader's `network` fact for one CIDR rule (platformctl/gate/input/exposure.py derives it from the
# rule's CIDR strings; tests/unit/test_exposure.py proves that part).
net_rule(direction, protocol, from, to, exposure) := {
	"direction": direction,
	"protocol": protocol,
	"from": from,
	"to": to,
	"exposure": exposure,
	"sources": [exposure],
	"action": "allow",
}

# `r` with the `network` fact of a security group ("security_group") or network ACL ("network_acl").
with_rules(r, kind, rules) := object.union(r, {"network": {"kind": kind, "rules": rules}})

# One resource per shape that embeds a pod spec outside the built-in workload kinds: CRDs, older
# apiVersions, *Patch kinds, Lists, Argo templates, KServe components. Rules find pod specs by
# structure, so each must be judged like a Deployment (findings on the embedding resource).
pod_spec_carriers(spec) := {
	"replication-controller": k8s("kubernetes:core/v1:ReplicationController", "rc", {
		"metadata": {"name": "rc", "namespace": "serving"},
		"spec": {"replicas": 1, "template": {"metadata": {"labels": {"app": "rc"}}, "spec": spec}},
	}),
	"pod-template": k8s("kubernetes:core/v1:PodTemplate", "tmpl", {
		"metadata": {"name": "tmpl", "namespace": "serving"},
		"template": {"spec": spec},
	}),
	"deployment-patch": k8s("kubernetes:apps/v1:DeploymentPatch", "patch", {
		"metadata": {"name": "ranker", "namespace": "serving"},
		"spec": {"template": {"spec": spec}},
	}),
	"old-api-version": k8s("kubernetes:extensions/v1beta1:Deployment", "legacy", {
		"metadata": {"name": "legacy", "namespace": "serving"},
		"spec": {"template": {"spec": spec}},
	}),
	"list": k8s("kubernetes:core/v1:List", "bundle", {
		"items": [{
			"apiVersion": "apps/v1",
			"kind": "Deployment",
			"metadata": {"name": "a", "namespace": "serving"},
			"spec": {"template": {"spec": spec}},
		}],
	}),
	"pytorch-job": k8s("kubernetes:kubeflow.org/v1:PyTorchJob", "finetune", {
		"metadata": {"name": "finetune", "namespace": "training"},
		"spec": {"pytorchReplicaSpecs": {
			"Master": {"replicas": 1, "template": {"spec": good_pod_spec}},
			"Worker": {"replicas": 2, "template": {"spec": spec}},
		}},
	}),
	"ray-cluster": k8s("kubernetes:ray.io/v1:RayCluster", "ray", {
		"metadata": {"name": "ray", "namespace": "training"},
		"spec": {"headGroupSpec": {"template": {"spec": good_pod_spec}}, "workerGroupSpecs": [
			{"groupName": "gpu", "template": {"spec": spec}},
		]},
	}),
	"argo-workflow": k8s("kubernetes:argoproj.io/v1alpha1:Workflow", "pipeline", {
		"metadata": {"name": "pipeline", "namespace": "training"},
		"spec": {"entrypoint": "train", "templates": [
			object.union(object.remove(spec, ["containers"]), {"name": "train", "container": spec.containers[0]}),
		]},
	}),
	"serving-runtime": k8s("kubernetes:serving.kserve.io/v1alpha1:ServingRuntime", "torchserve", {
		"metadata": {"name": "torchserve", "namespace": "serving"},
		"spec": object.union(spec, {"supportedModelFormats": [{"name": "pytorch", "version": "2"}]}),
	}),
	"inference-service-containers": k8s("kubernetes:serving.kserve.io/v1beta1:InferenceService", "custom", {
		"metadata": {"name": "custom", "namespace": "serving"},
		"spec": {"predictor": object.union(spec, {"minReplicas": 2})},
	}),
	"inference-service-worker": k8s("kubernetes:serving.kserve.io/v1beta1:InferenceService", "llm", {
		"metadata": {"name": "llm", "namespace": "serving"},
		"spec": {"predictor": {
			"minReplicas": 2,
			"model": {
				"modelFormat": {"name": "huggingface"},
				"storageUri": "s3://models/llm",
				"resources": good_container.resources,
				"securityContext": good_container.securityContext,
			},
			"workerSpec": spec,
		}},
	}),
}
