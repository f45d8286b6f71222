"""What every benchmark needs: a fresh database, a server in worker processes, a load loop
with latency percentiles."""

from __future__ import annotations

import asyncio
import os
import platform
import socket
import statistics
import subprocess
import sys
import time
import uuid
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import asyncpg
import httpx
from sqlalchemy.engine import make_url

DEFAULT_BENCH_URL = "postgresql+asyncpg://postgres@127.0.0.1:5432/omniloop_bench"


def bench_database_url() -> str:
    return os.environ.get("OMNILOOP_BENCH_DATABASE_URL", DEFAULT_BENCH_URL)


async def recreate_database(url: str) -> None:
    """Drop and create the benchmark database (PostgreSQL) or delete the file (SQLite)."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        for suffix in ("", "-wal", "-shm"):
            Path(f"{parsed.database}{suffix}").unlink(missing_ok=True)
        return
    name = parsed.database
    if not name or not name.replace("_", "").isalnum():
        raise ValueError(f"refusing to recreate database {name!r}")
    admin = parsed.set(drivername="postgresql", database="postgres").render_as_string(
        hide_password=False
    )
    conn = await asyncpg.connect(admin, timeout=10)
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()


def machine_state() -> str:
    load = os.getloadavg() if hasattr(os, "getloadavg") else (0.0, 0.0, 0.0)
    return (
        f"{os.cpu_count()} cpu, load {load[0]:.2f}, python {platform.python_version()}, "
        f"{platform.system().lower()} {platform.machine()}"
    )


class ServerUrl(str):
    """The server's base URL, also carrying the pid of its supervising process."""

    pid: int


def worker_pids(parent: int) -> set[int]:
    """The worker processes a supervising server process has started (Linux /proc)."""
    found = set()
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == parent:
                found.add(int(entry.name))
    return found


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def running_server(
    database_url: str,
    *,
    workers: int,
    log: Path,
    pool_size: int = 8,
    extra_env: dict[str, str] | None = None,
) -> Iterator[ServerUrl]:
    """Start ``omniloop serve --workers N`` on a free loopback port; stop it afterwards."""
    port = free_port()
    env = {
        **os.environ,
        "OMNILOOP_DATABASE_URL": database_url,
        "OMNILOOP_LOG_LEVEL": "warning",
        "OMNILOOP_DB_POOL_SIZE": str(pool_size),
        **(extra_env or {}),
    }
    command = [
        sys.executable, "-m", "omniloop", "serve", "--no-migrate",
        "--host", "127.0.0.1", "--port", str(port), "--workers", str(workers),
    ]  # fmt: skip
    with log.open("wb") as out:
        process = subprocess.Popen(command, env=env, stdout=out, stderr=subprocess.STDOUT)
        base = ServerUrl(f"http://127.0.0.1:{port}")
        base.pid = process.pid
        try:
            deadline = time.monotonic() + 60
            while True:
                if process.poll() is not None:
                    raise RuntimeError(f"server exited: {log.read_text()[-2000:]}")
                try:
                    if httpx.get(f"{base}/readyz", timeout=1).status_code == 200:
                        break
                except httpx.HTTPError:
                    pass
                if time.monotonic() > deadline:
                    raise RuntimeError(f"server did not start: {log.read_text()[-2000:]}")
                time.sleep(0.2)
            yield base
        finally:
            process.terminate()
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


@dataclass
class LoadResult:
    name: str
    clients: int
    seconds: float
    latencies: list[float] = field(default_factory=list)
    statuses: dict[int, int] = field(default_factory=dict)

    def percentile(self, q: float) -> float:
        if not self.latencies:
            return 0.0
        ordered = sorted(self.latencies)
        index = min(len(ordered) - 1, max(0, round(q / 100 * (len(ordered) - 1))))
        return ordered[index] * 1000

    def summary(self, **extra: object) -> str:
        total = len(self.latencies)
        parts = [
            f"scenario={self.name}",
            f"clients={self.clients}",
            f"seconds={self.seconds:.1f}",
            f"requests={total}",
            f"rps={total / self.seconds:.0f}" if self.seconds else "rps=0",
            f"p50_ms={self.percentile(50):.1f}",
            f"p95_ms={self.percentile(95):.1f}",
            f"p99_ms={self.percentile(99):.1f}",
            f"max_ms={(max(self.latencies) * 1000 if self.latencies else 0):.1f}",
            "status=" + ",".join(f"{k}:{v}" for k, v in sorted(self.statuses.items())),
        ]
        parts += [f"{k}={v}" for k, v in extra.items()]
        return " ".join(parts)


async def run_load(
    name: str,
    *,
    clients: int,
    seconds: float,
    request: Callable[[int], Awaitable[int]],
    max_requests: int | None = None,
) -> LoadResult:
    """``clients`` loops calling ``request`` until ``seconds`` pass (or ``max_requests``)."""
    result = LoadResult(name=name, clients=clients, seconds=seconds)
    deadline = time.perf_counter() + seconds
    issued = 0
    started = time.perf_counter()

    async def client(worker: int) -> None:
        nonlocal issued
        while time.perf_counter() < deadline:
            if max_requests is not None and issued >= max_requests:
                return
            issued += 1
            t0 = time.perf_counter()
            status = await request(worker)
            result.latencies.append(time.perf_counter() - t0)
            result.statuses[status] = result.statuses.get(status, 0) + 1

    await asyncio.gather(*(client(i) for i in range(clients)))
    result.seconds = time.perf_counter() - started
    return result


def median(values: list[float]) -> float:
    return statistics.median(values) if values else 0.0


def new_reference() -> str:
    return uuid.uuid4().hex
