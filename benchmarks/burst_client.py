"""A light client for the scale benchmark: N signed Invoke requests at once over plain HTTP.

Run by ``benchmarks/scale.py`` in a process of its own, so that the lab's process spends its CPU
on the lab only. Prints one JSON line: wall time, status counts, environments used.
"""

from __future__ import annotations

import http.client
import json
import sys
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import urlsplit

import boto3
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest


def main() -> None:
    endpoint, function, count, sleep_s = sys.argv[1], sys.argv[2], int(sys.argv[3]), float(sys.argv[4])
    url = urlsplit(endpoint)
    path = f"/2015-03-31/functions/{function}/invocations"
    body = json.dumps({"sleep": sleep_s})
    request = AWSRequest(method="POST", url=endpoint + path, data=body)
    SigV4Auth(boto3.Session().get_credentials(), "lambda", boto3.Session().region_name or "us-east-1").add_auth(request)
    headers = dict(request.headers)
    started: list[float] = []  # when the last connection is open: every request goes at once
    gate = threading.Barrier(count + 1, action=lambda: started.append(time.perf_counter()))
    answers: list[tuple[int, bytes]] = []

    def one(_: int) -> None:
        connection = http.client.HTTPConnection(url.hostname, url.port, timeout=120)
        connection.connect()
        gate.wait()
        connection.request("POST", path, body=body, headers=headers)
        response = connection.getresponse()
        answers.append((response.status, response.read()))

    with ThreadPoolExecutor(count) as pool:
        futures = [pool.submit(one, n) for n in range(count)]
        gate.wait()
        for future in futures:
            future.result()
        wall = time.perf_counter() - started[0]
    environments = {json.loads(b).get("environment") for s, b in answers if s == 200}
    statuses = Counter(str(s) for s, _ in answers)
    print(json.dumps({"wall_s": wall, "statuses": statuses, "environments": len(environments - {None})}))


if __name__ == "__main__":
    main()
