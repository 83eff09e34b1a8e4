"""An EKS Auto Mode cluster keeps its settings (lab.eks): CreateCluster and DescribeCluster show them."""

from __future__ import annotations

import boto3

import courselab

ROLE = "arn:aws:iam::123456789012:role/eks-cluster"
NODE_ROLE = "arn:aws:iam::123456789012:role/eks-nodes"


def test_auto_mode_settings_are_kept_and_returned(lab: courselab.Lab) -> None:
    eks = boto3.client("eks")
    compute = {"enabled": True, "nodePools": ["general-purpose", "system"], "nodeRoleArn": NODE_ROLE}
    created = eks.create_cluster(
        name="auto",
        roleArn=ROLE,
        resourcesVpcConfig={"subnetIds": ["subnet-1", "subnet-2"]},
        computeConfig=compute,
        storageConfig={"blockStorage": {"enabled": True}},
        kubernetesNetworkConfig={"elasticLoadBalancing": {"enabled": True}},
        accessConfig={"authenticationMode": "API"},
    )["cluster"]
    described = eks.describe_cluster(name="auto")["cluster"]
    for cluster in (created, described):
        assert cluster["computeConfig"] == compute
        assert cluster["storageConfig"] == {"blockStorage": {"enabled": True}}
        assert cluster["kubernetesNetworkConfig"]["elasticLoadBalancing"] == {"enabled": True}
    # A cluster without Auto Mode shows none of it, as before.
    eks.create_cluster(name="classic", roleArn=ROLE, resourcesVpcConfig={"subnetIds": ["subnet-1"]})
    assert "computeConfig" not in eks.describe_cluster(name="classic")["cluster"]
