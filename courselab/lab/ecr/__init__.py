"""ECR in the lab: image digests as a registry computes them, and lifecycle policy previews.

:mod:`~courselab.lab.ecr.images` (digests, sizes, PutImage and layer checks) and
:mod:`~courselab.lab.ecr.lifecycle` (AWS's lifecycle policy evaluation rules) say what ECR does;
:mod:`~courselab.lab.ecr.patches` applies them to moto. Nothing runs in the background, so the
extension has no provider. Importing this package imports no moto.
"""
