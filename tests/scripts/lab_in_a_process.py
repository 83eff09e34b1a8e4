"""Starts the lab the way a notebook's hidden cell does, runs one function, prints its pid and exits.

Used to check that nothing the lab started outlives the process (a kernel) that started it.
"""

import io
import json
import sys
import zipfile

import boto3

import courselab

courselab.start(quiet=True)
package = io.BytesIO()
with zipfile.ZipFile(package, "w") as archive:
    archive.writestr("app.py", "import os\ndef handler(event, context):\n    return os.getpid()\n")
role = boto3.client("iam").create_role(
    RoleName="r",
    AssumeRolePolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": []}),
)["Role"]["Arn"]
boto3.client("lambda").create_function(
    FunctionName="f", Runtime="python3.12", Role=role, Handler="app.handler", Code={"ZipFile": package.getvalue()}
)
print(json.load(boto3.client("lambda").invoke(FunctionName="f")["Payload"]))
sys.stdout.flush()
