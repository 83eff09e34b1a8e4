"""IAM in the lab: AWS managed policies (``arn:aws:iam::aws:policy/...``) can be attached.

Stock moto knows AWS's managed policies (``moto/iam/aws_managed_policies.py``) but loads them only
when ``iam.load_aws_managed_policies`` is set, and then builds all ~1,600 of them on every reset
of an IAM backend (about 0.25 s, which would cost every test and every notebook reset). Without
them, every AWS tutorial's first step, attaching ``AWSLambdaBasicExecutionRole`` or
``AmazonECSTaskExecutionRolePolicy`` to a role, fails with ``NoSuchEntity``.

The lab makes a managed policy exist from the moment a call names it: attaching, detaching or
reading it by ARN builds it from moto's copy of AWS's policy documents, and ``ListPolicies`` with
``Scope`` ``AWS`` or ``All`` builds them all first, so what a learner sees is what moto's full list
holds (https://docs.aws.amazon.com/IAM/latest/UserGuide/access_policies_managed-vs-inline.html).
Lab difference: moto's copy of the documents is as old as the pinned moto release, and the lab,
like moto, never evaluates a policy: permissions are stored, not enforced.
"""
