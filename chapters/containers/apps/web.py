"""A tiny web app, the "container" of the ECS chapters.

Its image holds it in ``/app`` with ``CMD ["python", "web.py"]``, listening on its container port;
in the lab the image is one built for the course (the lab's Python stands in for the base image)
and the task sets ``PORT`` to the loopback port it got. It needs the
``MESSAGE`` setting: a task definition that forgets it makes every task exit at start, which is
what the deployment circuit breaker is for.
"""

import json
import os
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

PORT = int(os.environ.get("PORT", "8080"))
SERVICE = os.environ.get("SERVICE_NAME", "web")
VERSION = os.environ.get("APP_VERSION", "1")
TASK = os.environ.get("ECS_TASK_ARN", "local").rsplit("/", 1)[-1][:8]
try:
    MESSAGE = os.environ["MESSAGE"]
except KeyError:
    print("configuration error: the MESSAGE environment variable is not set", file=sys.stderr)
    sys.exit(1)


class Handler(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        if self.path == "/health":
            body = b"ok"
        else:
            answer = {"service": SERVICE, "version": VERSION, "task": TASK, "path": self.path, "message": MESSAGE}
            body = json.dumps(answer).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        if self.path != "/health":  # keep health checks out of the logs
            print(f"{SERVICE} v{VERSION} {self.command} {self.path}", flush=True)


print(f"{SERVICE} v{VERSION} listening on port {PORT}", flush=True)
ThreadingHTTPServer(("0.0.0.0", PORT), Handler).serve_forever()
