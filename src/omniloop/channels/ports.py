"""The two boundaries of the channels domain, as protocols.

**Inbound — :class:`OrderSink`.** Channels verifies, parses, maps and records platform
pushes; the orders domain turns them into orders through this protocol (the real sink
lives in ``orders``; :class:`omniloop.channels.fakes.InMemoryOrderSink` is the fake the
channel tests use). Every method is idempotent by ``(channel, external_id)`` and owns its
own transaction. Errors carry meaning:

- ``omniloop.errors.NotFound`` (or a subclass) from ``cancel`` / ``refund`` /
  ``delivery_status``: no order has this external id (yet) — the push is held and replayed
  automatically when its order arrives;
- any other ``OmniloopError`` with a 4xx status (``insufficient_stock``,
  ``invalid_transition``, ``no_fulfillment_location``...): the order cannot take it — the
  push is recorded as *failed* with the error, the platform is told "ok" (retrying would
  not help) and a person reviews it;
- anything else (``Unavailable``, database errors): transient — nothing is recorded and the
  platform gets an error, so it pushes again later.

**Outbound — :class:`PlatformClient`.** Status changes flow back to the platform (confirm,
cancel) through a client per channel (:mod:`omniloop.channels.clients`).
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Protocol

from omniloop.channels.domain import DeliveryState, MappedOrder, RefundStage


@dataclass(frozen=True)
class SinkResult:
    """What the orders domain did: the order concerned, and whether it was a repeat."""

    order_id: uuid.UUID | None
    duplicate: bool = False
    status: str | None = None  # the order's status afterwards, when known


class OrderSink(Protocol):
    async def place(
        self, *, merchant_id: uuid.UUID, connection_id: uuid.UUID, order: MappedOrder
    ) -> SinkResult:
        """Create the order (paid, at ``order.location_code``); a repeat of the same
        ``(order.channel, order.external_id)`` returns the existing order, duplicate=True."""
        ...

    async def cancel(
        self, *, merchant_id: uuid.UUID, channel: str, external_id: str, reason: str
    ) -> SinkResult:
        """Cancel the order; an order already cancelled returns duplicate=True."""
        ...

    async def refund(
        self,
        *,
        merchant_id: uuid.UUID,
        channel: str,
        external_id: str,
        reason: str,
        notify_type: RefundStage,
        amount: int | None,
    ) -> SinkResult:
        """A step of the platform's refund flow: ``agree`` refunds ``amount`` fen (the
        whole order when None); ``apply`` / ``reject`` / ``cancelRefund`` are recorded."""
        ...

    async def delivery_status(
        self,
        *,
        merchant_id: uuid.UUID,
        channel: str,
        external_id: str,
        status: DeliveryState,
        courier_name: str | None,
        courier_phone: str | None,
    ) -> SinkResult:
        """The platform's courier moved the order along (picked_up, delivered, ...)."""
        ...


@dataclass(frozen=True)
class OrderRef:
    """An order as a platform knows it."""

    channel: str
    external_id: str
    platform_ids: Mapping[str, str] = field(default_factory=dict)


class PlatformCallFailed(Exception):
    """The platform did not take the call; ``retryable`` when trying later may help."""

    def __init__(self, message: str, *, retryable: bool) -> None:
        super().__init__(message)
        self.retryable = retryable


class PlatformClient(Protocol):
    async def confirm(self, order: OrderRef) -> None:
        """Tell the platform the store accepted the order (接单)."""
        ...

    async def cancel(self, order: OrderRef, reason: str) -> None:
        """Tell the platform the store cannot fulfil the order."""
        ...
