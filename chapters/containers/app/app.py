"""A tiny web app to put in a container: answers every GET with a greeting and its hostname.

It uses only the Python standard library, so its image needs no `pip install`.
The port comes from the PORT environment variable (the Dockerfile sets 8080).
"""

import json
import os
import socket
from http.server import BaseHTTPRequestHandler, HTTPServer


class Hello(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        body = json.dumps({"message": "hello from a container", "host": socket.gethostname(), "path": self.path})
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(body.encode())


if __name__ == "__main__":
    port = int(os.environ.get("PORT", "8080"))
    print(f"listening on 0.0.0.0:{port}", flush=True)
    HTTPServer(("0.0.0.0", port), Hello).serve_forever()
