"""The lab's API Gateway extension: REST and HTTP APIs answer HTTP on the lab's port.

The data plane is a WSGI middleware (:mod:`courselab.lab.apigateway.proxy`, installed by
:mod:`courselab.lab.apigateway.provider`): routing in :mod:`~courselab.lab.apigateway.rest` and
:mod:`~courselab.lab.apigateway.http_api`; Lambda proxy events in
:mod:`~courselab.lab.apigateway.payloads` and the invoke in
:mod:`~courselab.lab.apigateway.integration`; REST ``AWS`` integrations with VTL mapping templates
in :mod:`~courselab.lab.apigateway.aws_integration` (templates: :mod:`~courselab.lab.apigateway.vtl`,
the service call: :mod:`~courselab.lab.apigateway.service_calls`); HTTP API first-class
integrations in :mod:`~courselab.lab.apigateway.first_class`; request validators in
:mod:`~courselab.lab.apigateway.validation`; API keys, usage plans and throttling in
:mod:`~courselab.lab.apigateway.usage`; stage access logs in
:mod:`~courselab.lab.apigateway.access_logs`; Lambda authorizers in
:mod:`~courselab.lab.apigateway.authorizers` and HTTP API JWT authorizers in
:mod:`~courselab.lab.apigateway.jwt`; HTTP API CORS in :mod:`~courselab.lab.apigateway.cors`;
``$context`` in
:mod:`~courselab.lab.apigateway.exchange`. The control-plane calls moto lacks (HTTP API quick
create and ``UpdateStage``, REST ``TestInvokeMethod``) are in
:mod:`~courselab.lab.apigateway.http_api_control` and :mod:`~courselab.lab.apigateway.testinvoke`,
connected to moto in :mod:`courselab.lab.apigateway.patches`. Importing this package imports no moto.

Where the lab still differs from AWS, in short: IAM is not enforced (an integration's
``credentials`` role is not assumed, ``AWS_IAM`` authorization fails loudly), JWTs are verified
only for the lab's Cognito user pools, gateway responses and ``MOCK``/``HTTP`` integrations are
not served, and HTTP API stages need no deployment. Each module says the rest.
"""
