"""ECR in the lab: image digests as a registry computes them, pulls ECS can run, lifecycle previews.

Stock moto stores manifests and the sizes of uploaded layers (not their bytes), with digests no
client can reproduce. :mod:`~courselab.lab.ecr.images` (digests, sizes, PutImage and layer checks),
:mod:`~courselab.lab.ecr.pulls` (the uploaded blobs, and an image pulled back as the ECS agent
pulls it, with ECS's ``CannotPullContainerError`` reasons) and
:mod:`~courselab.lab.ecr.lifecycle` (AWS's lifecycle policy evaluation rules) say what ECR does;
:mod:`~courselab.lab.ecr.patches` applies them to moto. Nothing runs in the background, so the
extension has no provider. Importing this package imports no moto.
"""
