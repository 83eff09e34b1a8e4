"""Layers: a function imports what its layers put under python/, as on AWS."""

from __future__ import annotations

import io
import json
import zipfile

import boto3


def archive(files: dict[str, str]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as zipped:
        for name, text in files.items():
            zipped.writestr(name, text)
    return buffer.getvalue()


def test_a_function_imports_its_layers_modules_and_a_later_layer_wins(lambda_role, lab):
    lambda_ = boto3.client("lambda")
    shared = lambda_.publish_layer_version(
        LayerName="shared",
        Content={"ZipFile": archive({"python/pricing.py": "RATE = 1\n", "python/greeting.py": "WORD = 'hello'\n"})},
        CompatibleRuntimes=["python3.12"],
    )["LayerVersionArn"]
    override = lambda_.publish_layer_version(
        LayerName="override",
        Content={"ZipFile": archive({"python/pricing.py": "RATE = 2\n"})},  # the same file: extracted later, it wins
    )["LayerVersionArn"]
    code = archive(
        {"app.py": "import greeting, pricing\ndef handler(event, context):\n    return [greeting.WORD, pricing.RATE]\n"}
    )
    lambda_.create_function(
        FunctionName="uses-layers",
        Runtime="python3.12",
        Role=lambda_role,
        Handler="app.handler",
        Code={"ZipFile": code},
        Layers=[shared],
    )
    assert json.load(lambda_.invoke(FunctionName="uses-layers")["Payload"]) == ["hello", 1]
    lambda_.update_function_configuration(FunctionName="uses-layers", Layers=[shared, override])
    assert json.load(lambda_.invoke(FunctionName="uses-layers")["Payload"]) == ["hello", 2]
