"""S3 in the lab: event notifications invoke Lambda asynchronously, with AWS's record shape.

Stock moto runs a notified Lambda handler inside ``PutObject``; the lab invokes it asynchronously
with the record fields AWS sends (:mod:`courselab.lab.s3.notifications`,
https://docs.aws.amazon.com/AmazonS3/latest/userguide/notification-content-structure.html).
``GetBucketNotificationConfiguration`` shows ``EventBridgeConfiguration``, and bucket policy
statements with a ``Condition`` are not taken as denials (:mod:`courselab.lab.s3.bucket_policies`).
The patches are declared in :mod:`courselab.lab.s3.patches`. Importing this package imports no moto.
"""
