"""The lab's shape, checked: one registry, one patch mechanism, one scheduler, no cycles, small modules."""

from __future__ import annotations

import ast
import importlib
import json
import subprocess
import sys
from pathlib import Path

import pytest

from courselab import paths
from courselab.lab import registry
from courselab.lab.patching import Patches
from courselab.lab.server import isolated_environment

MODULES = sorted(p for p in paths.PACKAGE_ROOT.rglob("*.py") if "__pycache__" not in p.parts)
#: Programs that run inside an execution environment or a task's process, not in the lab: they may
#: start threads of their own (a watchdog of their parent).
OUTSIDE_THE_LAB = {"lab/awslambda/bootstrap.py", "lab/ecs/container_process.py"}
MAX_LINES = 500


def module_name(path: Path) -> str:
    parts = path.relative_to(paths.SOURCE_ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def relative(path: Path) -> str:
    return str(path.relative_to(paths.PACKAGE_ROOT))


def imports_of(path: Path, known: set[str]) -> set[str]:
    """Every courselab module ``path`` imports, at module level or inside a function."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            # ``from package import submodule`` depends on the submodule, not on the package's __init__
            submodules = {f"{node.module}.{alias.name}" for alias in node.names} & known
            found.update(submodules or {node.module})
            if len(submodules) < len(node.names):
                found.add(node.module)
    return {name for name in found if name in known}


def test_importing_courselab_imports_no_moto_and_no_boto3():
    code = (
        "import sys, json, courselab, courselab.lab.awslambda.bootstrap; "
        "print(json.dumps(sorted({m.split('.')[0] for m in sys.modules} & {'moto', 'boto3', 'botocore'})))"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=isolated_environment())
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == []


def test_no_import_cycles():
    names = {module_name(p): p for p in MODULES}
    graph = {name: imports_of(path, set(names)) - {name} for name, path in names.items()}
    cycles = []

    def visit(name: str, trail: list[str], done: set[str]) -> None:
        for nxt in sorted(graph[name]):
            if nxt in trail:
                cycles.append(" -> ".join(trail[trail.index(nxt) :] + [nxt]))
            elif nxt not in done:
                visit(nxt, trail + [nxt], done)
        done.add(name)

    done: set[str] = set()
    for name in sorted(graph):
        if name not in done:
            visit(name, [name], done)
    assert cycles == []


@pytest.mark.parametrize("path", MODULES, ids=relative)
def test_modules_are_small(path):
    assert len(path.read_text().splitlines()) <= MAX_LINES


@pytest.mark.parametrize("path", MODULES, ids=relative)
def test_files_are_found_through_courselab_paths(path):
    text = path.read_text()
    if path.name == "paths.py":
        return
    assert "parents[" not in text and ".parent.parent" not in text


@pytest.mark.parametrize("path", [p for p in MODULES if relative(p).startswith("lab/")], ids=relative)
def test_only_the_scheduler_starts_threads(path):
    if relative(path) in OUTSIDE_THE_LAB or path.name == "scheduler.py":
        return
    tree = ast.parse(path.read_text())
    used = {
        ast.unparse(node.func)
        for node in ast.walk(tree)
        if isinstance(node, ast.Call) and isinstance(node.func, (ast.Attribute, ast.Name))
    }
    used |= {ast.unparse(base) for node in ast.walk(tree) if isinstance(node, ast.ClassDef) for base in node.bases}
    assert not {name for name in used if name.split(".")[-1] in ("Thread", "Timer", "ThreadPoolExecutor")}


def test_every_registry_row_names_modules_that_exist():
    for row in registry.EXTENSIONS:
        if row.patches:
            assert isinstance(importlib.import_module(row.patches).patches, Patches), row.name
        if row.provider:
            importlib.import_module(row.provider)
        for name in row.requires:
            assert registry.extension(name).name == name
        for target in row.calls.values():
            module, _, function = target.partition(":")
            assert callable(getattr(importlib.import_module(module), function)), target


def test_every_patches_module_belongs_to_a_registry_row():
    declared = {row.patches for row in registry.EXTENSIONS if row.patches}
    for path in MODULES:
        text = path.read_text()
        if "= Patches(" in text and path.name != "patching.py":
            assert module_name(path) in declared, f"{relative(path)} declares patches no registry row applies"


def test_no_module_keeps_originals_of_its_own():
    for path in MODULES:
        assert "_originals" not in path.read_text(), relative(path)


STOCK_CHECK = r"""
import importlib, json, sys, boto3
from courselab.lab import registry, patching

def snapshot():
    found = {}
    for row in registry.EXTENSIONS:
        if not row.patches:
            continue
        for patch in importlib.import_module(row.patches).patches.declared:
            owner, name = patch.resolve()
            found[patch.target] = owner.__dict__.get(name, "<missing>") if hasattr(owner, "__dict__") else None
    return found

from moto.cloudformation import parsing
before, model_map = snapshot(), dict(parsing.get_model_map())
import courselab
courselab.start(quiet=True)
# the first-request extensions install on their service's first request: one cheap call each
FIRST_CALLS = {
    "ecs": ("ecs", "list_clusters"),
    "elasticloadbalancing": ("elbv2", "describe_load_balancers"),
    "ecr": ("ecr", "describe_repositories"),
    "cloudformation": ("cloudformation", "list_stacks"),
    "ec2": ("ec2", "describe_regions"),
    "states": ("stepfunctions", "list_state_machines"),
    "cognito-idp": ("cognito-idp", "list_user_pools", {"MaxResults": 1}),
    "eks": ("eks", "list_clusters"),
    "pipes": ("pipes", "list_pipes"),
    "codedeploy": ("codedeploy", "list_applications"),
    "application-autoscaling": ("application-autoscaling", "describe_scalable_targets", {"ServiceNamespace": "ecs"}),
}
for row in registry.EXTENSIONS:
    for service in row.services:
        if service not in FIRST_CALLS:
            sys.exit(f"tests/lab/test_architecture.py: add a cheap first call for the service {service!r}")
        client, call, *kwargs = FIRST_CALLS[service]
        getattr(boto3.client(client), call)(**(kwargs[0] if kwargs else {}))
installed = registry.installed()
during = snapshot()
courselab.stop()
after = snapshot()
print(json.dumps({
    "installed": installed,
    "changed_while_running": sorted(t for t in before if during[t] is not before[t]),
    "not_restored": sorted(t for t in before if after[t] is not before[t]),
    "model_map_restored": dict(parsing.get_model_map()) == model_map,
    "left_installed": registry.installed(),
}))
"""


def test_stop_puts_stock_moto_back():
    result = subprocess.run(
        [sys.executable, "-c", STOCK_CHECK], capture_output=True, text=True, env=isolated_environment(), timeout=120
    )
    assert result.returncode == 0, result.stderr
    outcome = json.loads(result.stdout.strip().splitlines()[-1])
    assert set(outcome["installed"]) == {
        row.name for row in registry.EXTENSIONS if row.when not in (registry.AWS, registry.IN_PROCESS)
    }
    declared = [
        patch.target
        for row in registry.EXTENSIONS
        if row.patches and row.when not in (registry.AWS, registry.IN_PROCESS)
        for patch in importlib.import_module(row.patches).patches.declared
    ]
    assert sorted(outcome["changed_while_running"]) == sorted(set(declared))
    assert outcome["not_restored"] == []
    assert outcome["model_map_restored"] is True
    assert outcome["left_installed"] == []
