"""Runs one ECS container's command as a local process that never outlives the lab.

``python -m courselab.lab.ecs.container_process <lab pid> <stop timeout s> -- <argv...>`` starts the
command as a child, forwards SIGTERM to it (as ``docker stop`` does), kills it after the stop
timeout, and kills it too if the lab's process goes away, so a crashed notebook kernel leaves no
orphan web servers behind. It exits with the command's exit code, which ECS reports as the
container's ``exitCode``.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time


def main(argv: list[str]) -> int:
    if len(argv) < 4 or argv[2] != "--":
        print(
            "usage: python -m courselab.lab.ecs.container_process <lab pid> <stop timeout s> -- command...",
            file=sys.stderr,
        )
        return 2
    parent, stop_timeout, command = int(argv[0]), float(argv[1]), argv[3:]
    try:
        child = subprocess.Popen(command)
    except OSError as error:
        print(f"CannotStartContainerError: {error}", file=sys.stderr)
        return 127

    def stop(*_: object) -> None:
        if child.poll() is None:
            child.terminate()
            timer = threading.Timer(stop_timeout, child.kill)
            timer.daemon = True
            timer.start()

    signal.signal(signal.SIGTERM, stop)

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(0.5)
        child.kill()
        os._exit(137)

    threading.Thread(target=watch, name="parent-watchdog", daemon=True).start()
    code = child.wait()
    return code if code >= 0 else 128 - code


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
