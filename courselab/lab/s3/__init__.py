"""The lab's S3 extension: event notifications invoke Lambda asynchronously, with AWS's record shape.

The patches are declared in :mod:`courselab.lab.s3.patches`, the behaviour is in
:mod:`courselab.lab.s3.notifications`. Importing this package imports no moto.
"""
