package uae.ops.eks_logging_test

import data.lib.fixtures_test as fx
import data.uae.ops.eks_logging

_cluster(types) := fx.aws("aws:eks/cluster:Cluster", "ml", {"version": "1.33", "enabledClusterLogTypes": types})

test_uae_ops_005_allows_required_log_types if {
	count(eks_logging.deny) == 0 with input as fx.prod([
		_cluster(["api", "audit", "authenticator", "controllerManager", "scheduler"]),
	])
}

test_uae_ops_005_denies_missing_audit if {
	count(eks_logging.deny) == 1 with input as fx.prod([_cluster(["api", "authenticator"])])
}
