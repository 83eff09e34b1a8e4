"""The SAM transform: a template with ``Transform: AWS::Serverless-2016-10-31``, expanded.

CloudFormation expands a SAM template into plain resources before creating them
(https://docs.aws.amazon.com/serverless-application-model/latest/developerguide/sam-specification.html).
The lab does it with ``aws-sam-translator``, the library AWS's transform is built on, and answers a
template it rejects with ``ValidationError`` (HTTP 400), as CloudFormation does. Difference: the
translator is not given the account's list of managed policies; a managed policy name that is not
in the map bundled with the translator is passed on as it is, not as an ARN.
"""

from __future__ import annotations

import json
import logging
from typing import Any

__all__ = ["SAM_TRANSFORM", "declares_sam", "sam_transform"]

SAM_TRANSFORM = "AWS::Serverless-2016-10-31"


class _NoManagedPolicies:
    """samtranslator asks IAM for managed policy ARNs it does not know; its bundled map covers SAM's own."""

    def load(self) -> dict[str, str]:
        return {}


def declares_sam(template: dict[str, Any]) -> bool:
    """Whether the template's ``Transform`` (one name or a list) includes the SAM transform."""
    transform = template.get("Transform") if isinstance(template, dict) else None
    names = transform if isinstance(transform, list) else [transform]
    return SAM_TRANSFORM in names


def sam_transform(template: dict[str, Any], region: str, parameters: dict[str, Any] | None = None) -> dict[str, Any]:
    """The CloudFormation template a SAM template expands to, as CloudFormation's transform makes it.

    Raises moto's ``ValidationError`` (HTTP 400, as AWS answers) naming what samtranslator rejected.
    """
    import boto3
    from moto.cloudformation.exceptions import ValidationError
    from samtranslator.model.exceptions import InvalidDocumentException
    from samtranslator.parser.parser import Parser
    from samtranslator.translator.translator import Translator

    logging.getLogger("samtranslator").setLevel(logging.ERROR)  # it warns about its internal feature flags
    translator = Translator(None, Parser(), boto_session=boto3.session.Session(region_name=region))
    try:
        return translator.translate(
            json.loads(json.dumps(template)),  # a copy: the translator edits its input
            parameter_values=dict(parameters or {}),
            get_managed_policy_map=_NoManagedPolicies().load,
        )
    except InvalidDocumentException as bad:
        causes = "; ".join(str(cause) for cause in bad.causes) or str(bad)
        raise ValidationError(message=f"Transform {SAM_TRANSFORM} failed with: {causes}") from None
