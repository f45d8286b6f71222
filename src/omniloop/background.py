"""Periodic jobs that run inside each server process (the outbox dispatcher, the
reservation sweeper). Every job claims its work with conditional updates, so any number of
processes can run them side by side."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

log = logging.getLogger("omniloop.background")


@dataclass
class PeriodicJob:
    name: str
    interval_seconds: float
    run: Callable[[], Awaitable[int]]


async def _loop(job: PeriodicJob, stop: asyncio.Event) -> None:
    while not stop.is_set():
        try:
            done = await job.run()
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("background job %s failed; retrying", job.name)
            done = 0
        if done:
            continue  # more work may be waiting: go again at once
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), timeout=job.interval_seconds)


class BackgroundRunner:
    """Starts the jobs as tasks and stops them cleanly on shutdown."""

    def __init__(self, jobs: list[PeriodicJob]) -> None:
        self.jobs = jobs
        self._stop = asyncio.Event()
        self._tasks: list[asyncio.Task[None]] = []

    def start(self) -> None:
        self._tasks = [
            asyncio.create_task(_loop(job, self._stop), name=f"omniloop:{job.name}")
            for job in self.jobs
        ]

    async def stop(self) -> None:
        self._stop.set()
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._tasks = []
