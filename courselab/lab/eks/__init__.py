"""EKS in the lab: the control plane only, and an Auto Mode cluster keeps its settings.

Stock moto stores EKS clusters, node groups and Fargate profiles (the control plane's records:
there is no Kubernetes API and no node). Its ``CreateCluster`` reads no ``computeConfig``,
``storageConfig`` or ``kubernetesNetworkConfig.elasticLoadBalancing``, the three settings that turn
on EKS Auto Mode (https://docs.aws.amazon.com/eks/latest/userguide/automode.html,
https://docs.aws.amazon.com/eks/latest/APIReference/API_CreateCluster.html), so a learner's Auto
Mode cluster came back as if it had none. The lab keeps them and ``CreateCluster`` and
``DescribeCluster`` return them (:mod:`courselab.lab.eks.patches`). Lab difference: as for every
EKS cluster in the lab, nothing runs: no node pool is created and no pod is scheduled.
"""
