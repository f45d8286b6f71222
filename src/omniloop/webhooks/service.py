"""Webhook fan-out and delivery (placeholder until the webhooks domain lands)."""

from __future__ import annotations

from typing import Any


async def outbox_backlog(*, db: Any) -> tuple[int, float]:
    return 0, 0.0


async def fan_out_events(*, db: Any) -> int:
    return 0


async def deliver_due(*, db: Any, settings: Any, metrics: Any) -> int:
    return 0
