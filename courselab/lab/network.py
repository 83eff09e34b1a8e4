"""The lab's network: where a registered target really listens on this machine.

On AWS a target group's target is an address its load balancer can reach: an instance id and a
port (``instance`` targets) or a private IP and a port (``ip`` targets), and the target answers on
that address. In the lab every task listens on a loopback port of its own, so a target
``(10.0.1.23, 8080)`` or ``(i-0abc..., 32768)`` is only a name: this table maps it to the loopback
address that answers for it.

ECS writes it (:mod:`courselab.lab.ecs.targets` binds a task's targets before registering them, and
unbinds them when it deregisters them); the ALB reads it (:mod:`courselab.lab.elbv2.listeners`
forwards there, :mod:`courselab.lab.elbv2.health` checks there). A target nobody bound (a server a
notebook started itself, say) is reached at ``127.0.0.1:{port}``. Importing this module imports no
moto, so both sides may depend on it without depending on each other.
"""

from __future__ import annotations

import threading

_lock = threading.Lock()
#: (target id, port) as registered in a target group → the loopback address that answers for it.
_addresses: dict[tuple[str, int], tuple[str, int]] = {}


def bind(target_id: str, port: int, address: tuple[str, int]) -> None:
    """From now on the target ``target_id:port`` is answered at ``address``."""
    with _lock:
        _addresses[(str(target_id), int(port))] = (str(address[0]), int(address[1]))


def unbind(target_id: str, port: int) -> None:
    """Forget where ``target_id:port`` listens (no error if it was never bound)."""
    with _lock:
        _addresses.pop((str(target_id), int(port)), None)


def address(target_id: str, port: int) -> tuple[str, int]:
    """Where the lab reaches a registered target: its bound address, else ``127.0.0.1:port``."""
    with _lock:
        return _addresses.get((str(target_id), int(port)), ("127.0.0.1", int(port)))
