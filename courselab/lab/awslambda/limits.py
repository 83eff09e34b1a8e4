"""The lab's own caps on Lambda execution environments, which protect the machine the lab runs on.

AWS gives an account 1,000 concurrent executions by default and lets a function add up to 1,000
execution environments every 10 seconds; each environment has the memory it was configured with
(128 MB to 10,240 MB) and 512 MB to 10,240 MB of ``/tmp``
(https://docs.aws.amazon.com/lambda/latest/dg/lambda-concurrency.html,
https://docs.aws.amazon.com/lambda/latest/dg/scaling-behavior.html,
https://docs.aws.amazon.com/lambda/latest/dg/gettingstarted-limits.html). A laptop has less, so the
lab adds caps of its own, each set from the machine's memory unless an environment variable says:

* ``COURSELAB_LAMBDA_MEMORY_MB``: the memory all live environments may use together (default:
  half of the machine's memory);
* ``COURSELAB_LAMBDA_MAX_ENVIRONMENTS``: how many environments may be live at once (default: that
  memory divided by what one environment of the runtime in use costs);
* ``COURSELAB_LAMBDA_TMP_MB``: the most ``/tmp`` one environment may fill (default 10,240, AWS's
  maximum; the function's ``EphemeralStorage`` when that is smaller);
* ``COURSELAB_LAMBDA_LOG_SPILL_MB``: how much output a request may pile up before the lab drops it
  (default 8; CloudWatch Logs keeps the first ``MAX_LOG_BYTES`` of each request either way).

A cold start past either cap first stops the least recently used idle environment; when none is
idle the invoke is throttled as AWS throttles, ``TooManyRequestsException`` (HTTP 429) with
``Reason`` ``ConcurrentInvocationLimitExceeded``, and a message that names the lab's cap and the
variable that raises it. Under memory pressure (the machine's available memory below a tenth, or
the environments past 80 % of their cap) idle environments are stopped after
``PRESSURE_IDLE_SECONDS`` instead of ``IDLE_SECONDS``.
"""

from __future__ import annotations

import os
import select
from dataclasses import dataclass

from courselab.lab.awslambda.errors import TooManyRequestsException

#: What one idle environment costs, in MB of memory, by how it is started (measured: benchmarks/scale.py).
ENVIRONMENT_COST_MB = {"fork": 8, "spawn": 40}
#: Idle environments are stopped this soon under memory pressure.
PRESSURE_IDLE_SECONDS = 5.0
#: The machine is under memory pressure below this share of its memory available.
PRESSURE_AVAILABLE_SHARE = 0.10


def _meminfo_mb(field: str) -> int | None:
    try:
        with open("/proc/meminfo", encoding="ascii") as meminfo:
            for line in meminfo:
                if line.startswith(field + ":"):
                    return int(line.split()[1]) // 1024
    except OSError:
        pass
    return None


def machine_memory_mb() -> int:
    """The machine's memory (Linux's MemTotal; 8 GB where /proc is missing)."""
    total = _meminfo_mb("MemTotal")
    if total is None and hasattr(os, "sysconf"):
        try:
            total = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") // (1024 * 1024)
        except (ValueError, OSError):
            total = None
    return total or 8192


def _env_int(name: str, default: int) -> int:
    value = os.environ.get(name, "").strip()
    if not value:
        return default
    try:
        number = int(value)
    except ValueError:
        raise ValueError(f"{name}={value!r}: the lab needs a whole number here (or unset it)") from None
    if number < 1:
        raise ValueError(f"{name}={value!r}: the lab needs a number of at least 1 here (or unset it)")
    return number


@dataclass(frozen=True)
class Limits:
    """The caps one lab runs with; :meth:`from_environment` reads them at start."""

    memory_mb: int
    max_environments: int
    tmp_mb: int
    log_spill_bytes: int
    machine_mb: int
    memory_from: str
    environments_from: str

    @classmethod
    def from_environment(cls, launcher: str) -> Limits:
        machine = machine_memory_mb()
        memory = _env_int("COURSELAB_LAMBDA_MEMORY_MB", machine // 2)
        per_environment = ENVIRONMENT_COST_MB[launcher]
        environments = _env_int("COURSELAB_LAMBDA_MAX_ENVIRONMENTS", max(10, memory // per_environment))
        return cls(
            memory_mb=memory,
            max_environments=environments,
            tmp_mb=_env_int("COURSELAB_LAMBDA_TMP_MB", 10240),
            log_spill_bytes=_env_int("COURSELAB_LAMBDA_LOG_SPILL_MB", 8) * 1024 * 1024,
            machine_mb=machine,
            memory_from=(
                "set by COURSELAB_LAMBDA_MEMORY_MB"
                if "COURSELAB_LAMBDA_MEMORY_MB" in os.environ
                else f"half of this machine's {machine / 1024:.0f} GB"
            ),
            environments_from=(
                "set by COURSELAB_LAMBDA_MAX_ENVIRONMENTS"
                if "COURSELAB_LAMBDA_MAX_ENVIRONMENTS" in os.environ
                else f"{memory} MB at about {per_environment} MB each"
            ),
        )

    def tmp_bytes(self, ephemeral_storage_mb: int) -> int:
        return min(self.tmp_mb, ephemeral_storage_mb) * 1024 * 1024

    def too_many(self) -> TooManyRequestsException:
        return TooManyRequestsException(
            "ConcurrentInvocationLimitExceeded",
            f"Rate Exceeded. The course lab runs at most {self.max_environments} Lambda execution "
            f"environments at once ({self.environments_from}) and every one is busy. Retry later, or "
            "set COURSELAB_LAMBDA_MAX_ENVIRONMENTS higher before the lab starts (AWS's own limit is "
            "the account's concurrency).",
        )

    def out_of_memory(self, used_mb: float) -> TooManyRequestsException:
        return TooManyRequestsException(
            "ConcurrentInvocationLimitExceeded",
            f"Rate Exceeded. The course lab's Lambda execution environments use {used_mb:.0f} MB, its "
            f"cap of {self.memory_mb} MB ({self.memory_from}), and none is idle to stop. Retry later, "
            "or set COURSELAB_LAMBDA_MEMORY_MB higher before the lab starts.",
        )

    def under_pressure(self, used_mb: float) -> bool:
        """Memory is short: the environments near their cap, or the machine nearly out."""
        available = _meminfo_mb("MemAvailable")
        short = available is not None and available < self.machine_mb * PRESSURE_AVAILABLE_SHARE
        return short or used_mb > 0.8 * self.memory_mb


def _rollup_kb(pid: int, *fields: str) -> int:
    total = 0
    try:
        with open(f"/proc/{pid}/smaps_rollup", encoding="ascii") as rollup:
            for line in rollup:
                name, _, rest = line.partition(":")
                if name in fields:
                    total += int(rest.split()[0])
    except (OSError, ValueError, IndexError):
        pass
    return total


def pss_mb(pid: int) -> float:
    """A process's proportional share of memory (/proc/<pid>/smaps_rollup): these add up across processes."""
    return _rollup_kb(pid, "Pss") / 1024


def private_mb(pid: int) -> float:
    """The memory only this process holds (USS: private clean and dirty pages)."""
    return _rollup_kb(pid, "Private_Clean", "Private_Dirty") / 1024


def folder_bytes(path: str, skip: str = "") -> int:
    """Disk space the files under ``path`` take (``skip`` names one file not to count)."""
    total = 0
    try:
        entries = list(os.scandir(path))
    except OSError:
        return 0
    for entry in entries:
        try:
            if entry.is_dir(follow_symlinks=False):
                total += folder_bytes(entry.path)
            elif entry.name != skip:
                total += entry.stat(follow_symlinks=False).st_blocks * 512
        except OSError:
            continue
    return total


def readable(fd: int, timeout: float | None) -> bool:
    """Whether ``fd`` becomes readable within ``timeout`` seconds (poll, so descriptors past 1024 work)."""
    poller = select.poll()
    poller.register(fd, select.POLLIN)
    return bool(poller.poll(None if timeout is None else max(0, round(timeout * 1000))))
