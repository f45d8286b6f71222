"""An in-memory :class:`~omniloop.channels.ports.OrderSink`, for tests of channels and of
anything built on them: it keeps orders by ``(merchant, channel, external_id)`` and answers
like the real one (duplicates, NotFound for unknown orders, refusals on request)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any

from omniloop.channels.domain import DeliveryState, MappedOrder, RefundStage
from omniloop.channels.ports import SinkResult
from omniloop.errors import NotFound, OmniloopError


@dataclass
class FakeOrder:
    id: uuid.UUID
    order: MappedOrder
    status: str = "paid"
    refunds: list[tuple[RefundStage, int | None]] = field(default_factory=list)
    delivery: DeliveryState | None = None


class InMemoryOrderSink:
    def __init__(self) -> None:
        self.orders: dict[tuple[uuid.UUID, str, str], FakeOrder] = {}
        self.calls: list[tuple[str, dict[str, Any]]] = []
        self.refusals: dict[str, OmniloopError] = {}  # external_id -> error to raise

    def _refuse_if_asked(self, external_id: str) -> None:
        error = self.refusals.get(external_id)
        if error is not None:
            raise error

    def _order(self, merchant_id: uuid.UUID, channel: str, external_id: str) -> FakeOrder:
        found = self.orders.get((merchant_id, channel, external_id))
        if found is None:
            raise NotFound(f"no {channel} order {external_id}")
        return found

    async def place(
        self, *, merchant_id: uuid.UUID, connection_id: uuid.UUID, order: MappedOrder
    ) -> SinkResult:
        self.calls.append(("place", {"merchant_id": merchant_id, "order": order}))
        self._refuse_if_asked(order.external_id)
        key = (merchant_id, order.channel, order.external_id)
        if key in self.orders:
            return SinkResult(self.orders[key].id, duplicate=True, status=self.orders[key].status)
        self.orders[key] = FakeOrder(id=uuid.uuid4(), order=order)
        return SinkResult(self.orders[key].id, status="paid")

    async def cancel(
        self, *, merchant_id: uuid.UUID, channel: str, external_id: str, reason: str
    ) -> SinkResult:
        self.calls.append(("cancel", {"external_id": external_id, "reason": reason}))
        self._refuse_if_asked(external_id)
        found = self._order(merchant_id, channel, external_id)
        duplicate = found.status == "cancelled"
        found.status = "cancelled"
        return SinkResult(found.id, duplicate=duplicate, status=found.status)

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
        self.calls.append(("refund", {"external_id": external_id, "stage": notify_type}))
        self._refuse_if_asked(external_id)
        found = self._order(merchant_id, channel, external_id)
        duplicate = (notify_type, amount) in found.refunds
        if not duplicate:
            found.refunds.append((notify_type, amount))
            if notify_type is RefundStage.AGREE and amount is None:
                found.status = "refunded"
        return SinkResult(found.id, duplicate=duplicate, status=found.status)

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
        self.calls.append(("delivery_status", {"external_id": external_id, "status": status}))
        self._refuse_if_asked(external_id)
        found = self._order(merchant_id, channel, external_id)
        duplicate = found.delivery is status
        found.delivery = status
        return SinkResult(found.id, duplicate=duplicate, status=found.status)

    def placed(self, merchant_id: uuid.UUID) -> list[MappedOrder]:
        """The orders placed for one merchant, in arrival order."""
        return [o.order for (m, _, _), o in self.orders.items() if m == merchant_id]

    def calls_for(self, external_id: str) -> list[str]:
        return [
            name
            for name, args in self.calls
            if args.get("external_id") == external_id
            or getattr(args.get("order"), "external_id", None) == external_id
        ]
