"""A real Omniloop server in worker processes, for tests that need several processes."""

from omniloop.bench.support import free_port, running_server, worker_pids

__all__ = ["free_port", "running_server", "worker_pids"]
