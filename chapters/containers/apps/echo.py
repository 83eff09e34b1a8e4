"""A tiny line-based TCP server that is not HTTP: the "container" behind the NLB of the ECS chapter.

Each line a client sends comes back as ``{task} {SERVICE_NAME}: {LINE IN UPPER CASE}``. An HTTP
listener could not carry it (there is no request line, no path, no host), but a TCP listener
forwards its bytes unread. In the lab the task runs it with the lab's Python and sets ``PORT``.
"""

import os
import socketserver

PORT = int(os.environ.get("PORT", "7000"))
SERVICE = os.environ.get("SERVICE_NAME", "echo")
TASK = os.environ.get("ECS_TASK_ARN", "local").rsplit("/", 1)[-1][:8]


class Echo(socketserver.StreamRequestHandler):
    def handle(self) -> None:
        for line in self.rfile:
            self.wfile.write(f"{TASK} {SERVICE}: {line.decode(errors='replace').strip().upper()}\n".encode())
            self.wfile.flush()


class Server(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True


print(f"{SERVICE} listening on TCP port {PORT}", flush=True)
Server(("0.0.0.0", PORT), Echo).serve_forever()
