"""``python -m courselab``: run the lab from a terminal.

``serve`` runs the same lab a notebook starts, in the foreground, so the AWS CLI, scripts and IDEs
can use it through ``AWS_ENDPOINT_URL``.
"""

from __future__ import annotations

import argparse
import signal
import sys
import threading
from typing import NoReturn


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        """A wrong argument gets one line, not a usage dump."""
        self.exit(2, f"{self.prog}: {message} (see '{self.prog} --help')\n")


def _parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="python -m courselab", description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)
    serve = commands.add_parser("serve", help="run the local AWS lab in the foreground until Ctrl-C")
    serve.add_argument("--port", type=int, default=0, help="port on 127.0.0.1 (default: a free port)")
    serve.add_argument("--region", default=None, help="default region (default: us-east-1)")
    return parser


def serve(port: int, region: str | None) -> int:
    import os

    from courselab import lab

    if not 0 <= port <= 65535:
        print(f"python -m courselab serve: --port must be 0-65535, not {port}", file=sys.stderr)
        return 2
    os.environ.pop("AWS_ENDPOINT_URL", None)  # serve always starts its own lab
    os.environ["COURSELAB_TARGET"] = "local"
    running = lab.start(port=port, region=region, quiet=True)
    print(f"courselab: local AWS lab serving on {running.endpoint} (region {running.region}).")
    print("Use it from another terminal with:\n")
    print(f"  export AWS_ENDPOINT_URL={running.endpoint}")
    print("  export AWS_ACCESS_KEY_ID=testing AWS_SECRET_ACCESS_KEY=testing")
    print(f"  export AWS_DEFAULT_REGION={running.region}\n")
    print("Press Ctrl-C to stop.", flush=True)
    stopped = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stopped.set())
    while not stopped.wait(0.5):
        pass
    lab.stop()
    print("\ncourselab: lab stopped.")
    return 0


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.command == "serve":
        return serve(args.port, args.region)
    return 2


if __name__ == "__main__":
    sys.exit(main())
