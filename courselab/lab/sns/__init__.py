"""The lab's SNS extension: ``lambda`` subscriptions invoke asynchronously, with AWS's record shape.

The patches are declared in :mod:`courselab.lab.sns.patches`, the behaviour is in
:mod:`courselab.lab.sns.lambda_subscriptions`. Importing this package imports no moto.
"""
