"""The lab's API Gateway extension: REST and HTTP APIs answer HTTP on the lab's port and invoke Lambda.

The data plane is a WSGI middleware (:mod:`courselab.lab.apigateway.proxy`, installed by
:mod:`courselab.lab.apigateway.provider`); routing in :mod:`~courselab.lab.apigateway.rest` and
:mod:`~courselab.lab.apigateway.http_api`, events in :mod:`~courselab.lab.apigateway.payloads`,
the invoke in :mod:`~courselab.lab.apigateway.integration`; the one patch (werkzeug's request
headers) in :mod:`courselab.lab.apigateway.patches`. Importing this package imports no moto.
"""
