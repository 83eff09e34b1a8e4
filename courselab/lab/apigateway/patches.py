"""What the lab changes for API Gateway: werkzeug keeps each request's header lines.

Werkzeug's development server (the lab's server) folds repeated headers into one comma-joined
``HTTP_*`` variable and drops their spelling; API Gateway keeps both for the event's
``multiValueHeaders``. The wrap of ``WSGIRequestHandler.make_environ`` adds
``environ[RAW_HEADERS]`` (:data:`courselab.lab.apigateway.proxy.RAW_HEADERS`) and changes nothing
else. Moto's ``MotoRequestHandler.make_environ`` calls it through ``super()``, so the lab's
server gets it too. Stock moto's API Gateway needs no other patch: the data plane is a middleware.
"""

from __future__ import annotations

from typing import Any

from courselab.lab.apigateway.proxy import RAW_HEADERS
from courselab.lab.patching import Patches

patches = Patches(__name__)


@patches.wrap("werkzeug.serving:WSGIRequestHandler.make_environ")
def make_environ(original: Any, self: Any) -> dict[str, Any]:
    environ = original(self)
    environ[RAW_HEADERS] = [(k, v.replace("\r\n", "")) for k, v in self.headers.items()]
    return environ
