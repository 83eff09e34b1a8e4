"""The Cloud Control API in the lab: GetResource for the resource types tools ask it about.

Cloud Control (https://docs.aws.amazon.com/cloudcontrolapi/latest/APIReference/API_GetResource.html)
reads any resource by its CloudFormation type and identifier; the SAM CLI's ``sam list endpoints``
asks it for each function's ``AWS::Lambda::Url``. Stock moto has no Cloud Control API at all and
answers its requests with an HTML error page. The lab answers ``GetResource`` for
``AWS::Lambda::Url`` from moto's Lambda backend (``ResourceNotFoundException`` for a function
without a URL) and, for every other action or type, AWS's ``UnsupportedActionException`` with a
sentence saying what the lab answers, never a silent success.
"""
