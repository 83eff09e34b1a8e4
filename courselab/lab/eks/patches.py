"""What the lab changes in moto's EKS: ``CreateCluster`` keeps the Auto Mode settings (see :mod:`courselab.lab.eks`)."""

from __future__ import annotations

from typing import Any

from courselab.lab.patching import Patches

patches = Patches(__name__)

#: The Auto Mode settings of CreateCluster, by request field and the cluster attribute moto's serializer reads.
AUTO_MODE_FIELDS = {"computeConfig": "compute_config", "storageConfig": "storage_config"}


@patches.wrap("moto.eks.responses:EKSResponse.create_cluster")
def create_cluster(original: Any, self: Any) -> Any:
    """moto's create, then the Auto Mode settings kept on the cluster, so its answers show them."""
    result = original(self)
    cluster = self.eks_backend.clusters[self._get_param("name")]
    for field, attribute in AUTO_MODE_FIELDS.items():
        value = self._get_param(field)
        if value is not None:
            setattr(cluster, attribute, value)
    balancing = (self._get_param("kubernetesNetworkConfig") or {}).get("elasticLoadBalancing")
    if balancing is not None and isinstance(cluster.kubernetes_network_config, dict):
        cluster.kubernetes_network_config = {**cluster.kubernetes_network_config, "elasticLoadBalancing": balancing}
    return result
