"""The platform's Pulumi components; each owns one concern and registers its own outputs."""

from infra.components.audit import Audit, AuditArgs
from infra.components.cluster import Cluster, ClusterAddons, ClusterAddonsArgs, ClusterArgs, UnpinnedAddonVersionError
from infra.components.keys import Keys, KeysArgs
from infra.components.network import Network, NetworkArgs
from infra.components.nodepools import NodePools, NodePoolsArgs
from infra.components.registry import Registry, RegistryArgs

__all__ = [
    "Audit",
    "AuditArgs",
    "Cluster",
    "ClusterAddons",
    "ClusterAddonsArgs",
    "ClusterArgs",
    "Keys",
    "KeysArgs",
    "Network",
    "NetworkArgs",
    "NodePools",
    "NodePoolsArgs",
    "Registry",
    "RegistryArgs",
    "UnpinnedAddonVersionError",
]
