"""Fixtures of the ECS tests: a VPC subnet and a cluster for standalone tasks."""

from __future__ import annotations

import boto3
import pytest


@pytest.fixture
def subnet(lab) -> str:
    """A subnet of a new VPC (its default security group is the tasks'), and the cluster ``jobs``."""
    ec2 = boto3.client("ec2")
    vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    boto3.client("ecs").create_cluster(clusterName="jobs")
    return ec2.create_subnet(VpcId=vpc, CidrBlock="10.0.1.0/24")["Subnet"]["SubnetId"]
