"""What a container runs: its image, pulled from the lab's ECR and unpacked into the task's own root.

On ECS a container runs its image: the image's layers make its root file system, and the image
config's ``Entrypoint``, ``Cmd``, ``WorkingDir`` and ``Env`` say what runs where, unless the
container definition's ``entryPoint``, ``command``, ``workingDirectory`` and ``environment`` (or a
``RunTask`` container override) say otherwise
(https://docs.aws.amazon.com/AmazonECS/latest/developerguide/task_definition_parameters.html).
Docker's rule applies when they meet: an ``entryPoint`` given in the definition drops the image's
``Cmd`` as well (https://docs.docker.com/reference/dockerfile/#understand-how-cmd-and-entrypoint-interact).

:func:`prepare` pulls the image (:func:`courselab.lab.ecr.pulls.pull`), unpacks its layers in
order into the container's folder under the task's root, with the OCI whiteouts (``.wh.name``
deletes ``name``, ``.wh..wh..opq`` empties a folder;
https://github.com/opencontainers/image-spec/blob/main/layer.md#whiteouts), and merges the config
with the definition into a :class:`Launch`.

An **image built for the course** (:mod:`courselab.images`) holds only the app's files; the lab's
machine stands in for its base image: the system folders (``/usr``, ``/bin``, ``/lib`` ...) are
mounted read-only where the image has none, and ``python``/``python3`` as the command's first word
is the lab's own Python (:mod:`courselab.lab.ecs.sandbox`). An image that brings its own
operating system (its layers hold ``/usr``) runs its own programs, in a namespace sandbox only.
"""

from __future__ import annotations

import gzip
import io
import os
import posixpath
import shutil
import sys
import tarfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from courselab.lab.ecr.pulls import PulledImage, PullError, pull

#: The lab machine's folders an image built for the course gets, read-only, where it has none.
SYSTEM_FOLDERS = ("/usr", "/bin", "/sbin", "/lib", "/lib64", "/lib32", "/libx32")
#: Files of the machine's ``/etc`` a container gets read-only where its image has none.
ETC_FILES = ("/etc/hosts", "/etc/resolv.conf", "/etc/nsswitch.conf", "/etc/passwd", "/etc/group", "/etc/ssl")
#: The PATH a container gets when its image sets none (Docker's default).
DEFAULT_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
_PYTHON_NAMES = ("python", "python3", f"python3.{sys.version_info.minor}")


class ContainerError(Exception):
    """The container cannot start; the message is the task's ``stoppedReason``."""


@dataclass
class Launch:
    """What to run for one container: the command, its environment and folder, inside ``root``."""

    argv: list[str]
    env: dict[str, str]
    workdir: str
    root: Path
    image_digest: str
    #: The image has an operating system of its own (its layers hold ``/usr``).
    own_os: bool = False
    exposed: list[int] = field(default_factory=list)
    #: Which of :data:`SYSTEM_FOLDERS` and :data:`ETC_FILES` the image itself holds.
    provided: frozenset[str] = frozenset()


def with_override(definition: dict[str, Any], override: dict[str, Any] | None) -> dict[str, Any]:
    """The container definition with a RunTask ``containerOverrides`` entry applied."""
    if not override:
        return definition
    merged = dict(definition)
    if override.get("command") is not None:
        merged["command"] = list(override["command"])
    if override.get("environment"):
        names = {item["name"] for item in override["environment"]}
        merged["environment"] = [
            *(e for e in definition.get("environment") or [] if e["name"] not in names),
            *override["environment"],
        ]
    for key in ("cpu", "memory", "memoryReservation"):
        if override.get(key) is not None:
            merged[key] = override[key]
    return merged


def prepare(definition: dict[str, Any], root: Path) -> Launch:
    """Pull the container's image into ``root`` and say what runs; raises on a pull or start failure."""
    image = str(definition.get("image") or "")
    try:
        pulled = pull(image)
    except PullError as error:
        raise ContainerError(str(error)) from None
    unpack(pulled, root)
    return merge(definition, pulled, root)


def unpack(pulled: PulledImage, root: Path) -> None:
    """Unpack the image's layers, bottom first, into ``root`` (emptied first), applying whiteouts."""
    if root.exists():
        shutil.rmtree(root)
    root.mkdir(parents=True)
    for kind, blob in pulled.layers:
        data = gzip.decompress(blob) if kind == "gz" else blob
        with tarfile.open(fileobj=io.BytesIO(data), mode="r:") as tar:
            members = []
            for member in tar.getmembers():
                name = posixpath.normpath(member.name.lstrip("/"))
                folder, base = posixpath.split(name)
                if base == ".wh..wh..opq":
                    target = root / folder
                    for child in target.iterdir() if target.is_dir() else []:
                        _remove(child)
                elif base.startswith(".wh."):
                    _remove(root / folder / base[4:])
                elif not (member.ischr() or member.isblk() or member.isfifo()):
                    members.append(member)
            try:
                tar.extractall(root, members=members, filter="tar")
            except (tarfile.TarError, OSError) as error:
                raise ContainerError(
                    f"CannotPullContainerError: failed to unpack image {pulled.reference}: {error}"
                ) from None


def _remove(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path)
    elif path.exists() or path.is_symlink():
        path.unlink()


def merge(definition: dict[str, Any], pulled: PulledImage, root: Path) -> Launch:
    """The image config merged with the container definition, as ECS and Docker merge them."""
    config = pulled.config.get("config") or {}
    if definition.get("entryPoint"):
        entrypoint, cmd = list(definition["entryPoint"]), list(definition.get("command") or [])
    else:
        entrypoint = list(config.get("Entrypoint") or [])
        cmd = list(definition["command"]) if definition.get("command") else list(config.get("Cmd") or [])
    argv = [str(part) for part in entrypoint + cmd]
    env = dict(item.split("=", 1) for item in config.get("Env") or [] if "=" in item)
    env.update({str(item["name"]): str(item.get("value", "")) for item in definition.get("environment") or []})
    env.setdefault("PATH", DEFAULT_PATH)
    workdir = str(definition.get("workingDirectory") or config.get("WorkingDir") or "/")
    exposed = [int(port.split("/")[0]) for port in (config.get("ExposedPorts") or {})]
    if not argv:
        raise ContainerError(
            f"CannotStartContainerError: the image {pulled.reference} has no Entrypoint or Cmd and the container "
            f"definition {definition.get('name')!r} no entryPoint or command: nothing to run"
        )
    own_os = (root / "usr").is_dir()
    argv[0] = executable(argv[0], env["PATH"], root, own_os)
    provided = frozenset(
        p for p in SYSTEM_FOLDERS + ETC_FILES if (root / p.lstrip("/")).exists() or (root / p.lstrip("/")).is_symlink()
    )
    return Launch(argv, env, workdir, root, pulled.digest, own_os, exposed, provided)


def executable(name: str, path: str, root: Path, own_os: bool) -> str:
    """The program ``name`` as the container sees it, found as ``execvp`` finds it; else the start fails."""
    if not own_os and name in _PYTHON_NAMES:
        return sys.executable
    if "/" in name:
        candidates = [name]
    else:
        candidates = [posixpath.join(folder, name) for folder in path.split(":") if folder]
    for candidate in candidates:
        inside = root / candidate.lstrip("/")
        host = Path(candidate)
        if _is_executable(inside) or (not own_os and not inside.exists() and _system(candidate) and host.exists()):
            return candidate
    raise ContainerError(
        "CannotStartContainerError: ResourceInitializationError: failed to create new container runtime task: "
        f'exec: "{name}": executable file not found in $PATH: unknown (the image\'s root and, for an image '
        "built for the course, the lab machine's system folders were searched)"
    )


def _is_executable(path: Path) -> bool:
    return path.is_file() and os.access(path, os.X_OK)


def _system(path: str) -> bool:
    """Whether ``path`` is under a system folder the lab lends an image built for the course."""
    return any(path == folder or path.startswith(folder + "/") for folder in SYSTEM_FOLDERS)
