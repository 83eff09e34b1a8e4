"""The life cycle of CloudFormation's answering URL: the route on the lab's port, installed at start.

The lab's WSGI chain is built once, when the lab starts, from the ``middleware`` hooks of the
extensions installed by then (:func:`courselab.lab.registry.middleware`). The ``cloudformation``
extension itself is installed on the first CloudFormation request, too late to join the chain, and
installing it at start would import ``moto.cloudformation`` (about a second) for every lab. So the
route is its own small extension, ``cloudformation-responses``, installed at start: this module and
:mod:`.response_url` import no moto. ``start`` learns the lab's endpoint (the URLs are on it),
``reset`` forgets every URL handed out, ``middleware`` serves them.
"""

from __future__ import annotations

from typing import Any

from courselab.lab.cloudformation import response_url


def start(context: Any) -> None:
    response_url.configure(context.endpoint)


def reset() -> None:
    response_url.forget_all()


def stop() -> None:
    response_url.forget_all()
    response_url.configure(None)


def middleware(app: Any) -> Any:
    """``app`` with the custom resource and wait condition answers in front of it."""
    return response_url.ResponseRoute(app)
