"""What the lab changes for API Gateway: request headers, quick create, UpdateStage, TestInvokeMethod, authorizers.

* ``werkzeug.serving:WSGIRequestHandler.make_environ`` (wrap): werkzeug's development server (the
  lab's server) folds repeated headers into one comma-joined ``HTTP_*`` variable and drops their
  spelling; API Gateway keeps both for the event's ``multiValueHeaders``. The wrap adds
  ``environ[RAW_HEADERS]`` (:data:`courselab.lab.apigateway.proxy.RAW_HEADERS`) and changes
  nothing else. Moto's ``MotoRequestHandler.make_environ`` calls it through ``super()``.
* ``moto.apigatewayv2.responses:ApiGatewayV2Response.create_api`` (wrap): HTTP API quick create
  (``Target``, ``RouteKey``, ``CredentialsArn``), :mod:`courselab.lab.apigateway.http_api_control`.
* ``…ApiGatewayV2Response.update_stage`` (add): HTTP API ``UpdateStage``, which moto lacks.
* ``moto.apigateway.responses:APIGatewayResponse.test_invoke_method`` (add): REST
  ``TestInvokeMethod``, which moto lacks, :mod:`courselab.lab.apigateway.testinvoke`.
* ``moto.apigateway.models:Authorizer.__init__`` (wrap): moto passes a REST authorizer's
  ``identityValidationExpression`` as ``identiy_validation_expression`` (sic) and so drops it; the
  wrap keeps it, for :mod:`courselab.lab.apigateway.authorizers`.

The data plane itself (calls to an API, ``GetUsage``) is a middleware, not a patch
(:mod:`courselab.lab.apigateway.proxy`).
"""

from __future__ import annotations

from typing import Any

from courselab.lab.apigateway import http_api_control, testinvoke
from courselab.lab.apigateway.proxy import RAW_HEADERS
from courselab.lab.patching import Patches

patches = Patches(__name__)


@patches.wrap("werkzeug.serving:WSGIRequestHandler.make_environ")
def make_environ(original: Any, self: Any) -> dict[str, Any]:
    environ = original(self)
    environ[RAW_HEADERS] = [(k, v.replace("\r\n", "")) for k, v in self.headers.items()]
    return environ


@patches.wrap("moto.apigateway.models:Authorizer.__init__")
def authorizer_init(original: Any, self: Any, *args: Any, **kwargs: Any) -> None:
    original(self, *args, **kwargs)
    if self.identity_validation_expression is None:
        self.identity_validation_expression = kwargs.get("identiy_validation_expression")


patches.wrap("moto.apigatewayv2.responses:ApiGatewayV2Response.create_api")(http_api_control.quick_create)
patches.add("moto.apigatewayv2.responses:ApiGatewayV2Response.update_stage", http_api_control.update_stage)
patches.add("moto.apigateway.responses:APIGatewayResponse.test_invoke_method", testinvoke.invoke_method_action)
