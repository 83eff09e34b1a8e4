"""Cognito user pools in the lab: ID tokens carry the user's attributes, as Cognito's do.

Stock moto signs ID tokens for a user pool client with only the attributes listed in the client's
``ReadAttributes``, so a client created without that list (the usual case, and what SAM and most
samples do) gets ID tokens with no ``email``, ``name`` or other standard claims. On AWS a client
with no ``ReadAttributes`` may read every attribute, and the ID token carries the user's standard
and custom attributes (https://docs.aws.amazon.com/cognito/latest/developerguide/amazon-cognito-user-pools-using-the-id-token.html,
https://docs.aws.amazon.com/cognito/latest/developerguide/user-pool-settings-attributes.html#user-pool-settings-attribute-permissions-and-scopes).

The lab changes only that default (:mod:`courselab.lab.cognitoidp.patches`): a client without
``ReadAttributes`` reads all of the user's attributes; a client with the list keeps it. Lab
differences: boolean attributes such as ``email_verified`` are the strings moto stores, and the
tokens are signed with moto's fixed key, which the lab's API Gateway JWT authorizers trust.
"""
