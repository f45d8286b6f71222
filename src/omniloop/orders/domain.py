"""The order state machine, channels, totals and pickup codes, in plain Python.

One state machine for every channel::

    pending_payment ──pay──> paid ──accept──> accepted ──start──> preparing ──ready──> ready
          │                   │                  │                    │                  │
          └──cancel/expire──> cancelled <────────┴────────cancel──────┘                  │
    ready ──pick_up (redeem code)──> picked_up ──complete──> completed                 │
    ready ──dispatch──> out_for_delivery ──deliver──> delivered ──complete──> completed │
    ready ──complete (dine-in, or pickup without a code)──> completed <────────────────┘

A full refund ends any paid order in ``refunded``; a partial refund of an order already handed
over marks it ``partially_refunded``; one in progress keeps its status (its payment status says
partially refunded).
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from enum import StrEnum


class OrderStatus(StrEnum):
    PENDING_PAYMENT = "pending_payment"
    PAID = "paid"
    ACCEPTED = "accepted"
    PREPARING = "preparing"
    READY = "ready"
    PICKED_UP = "picked_up"
    OUT_FOR_DELIVERY = "out_for_delivery"
    DELIVERED = "delivered"
    COMPLETED = "completed"
    CANCELLED = "cancelled"
    REFUNDED = "refunded"
    PARTIALLY_REFUNDED = "partially_refunded"


OPEN_STATUSES = frozenset(
    {
        OrderStatus.PENDING_PAYMENT,
        OrderStatus.PAID,
        OrderStatus.ACCEPTED,
        OrderStatus.PREPARING,
        OrderStatus.READY,
        OrderStatus.OUT_FOR_DELIVERY,
    }
)
"""Orders a location still has to work on (what ``under_capacity`` counts)."""

HANDED_OVER = frozenset({OrderStatus.PICKED_UP, OrderStatus.DELIVERED, OrderStatus.COMPLETED})


class Action(StrEnum):
    """What staff and integrators ask for (``POST /orders/{id}/transitions``)."""

    ACCEPT = "accept"
    START = "start"
    READY = "ready"
    DISPATCH = "dispatch"
    DELIVER = "deliver"
    COMPLETE = "complete"
    CANCEL = "cancel"


class Internal(StrEnum):
    """Transitions only the system makes (payment, expiry, redemption)."""

    PAY = "pay"
    EXPIRE = "expire"
    PICK_UP = "pick_up"


class FulfillmentType(StrEnum):
    PICKUP = "pickup"
    DELIVERY = "delivery"
    DINE_IN = "dine_in"


class PaymentStatus(StrEnum):
    UNPAID = "unpaid"
    PAID = "paid"
    PARTIALLY_REFUNDED = "partially_refunded"
    REFUNDED = "refunded"


FIRST_PARTY_ONLINE = frozenset({"own_app", "web", "mini_program"})
POS = "pos"
CHANNEL_PATTERN = re.compile(r"^[a-z][a-z0-9_]{1,39}$")


MEMBER_PRICE_CHANNELS = FIRST_PARTY_ONLINE | {POS}
"""Channels whose prices are ours, so a member's tier discount applies (platforms price
their own orders)."""


def enters_paid(channel: str) -> bool:
    """POS sales and third-party orders arrive already paid; our own online channels prepay."""
    return channel not in FIRST_PARTY_ONLINE


_S = OrderStatus
_TRANSITIONS: dict[tuple[OrderStatus, str], OrderStatus] = {
    (_S.PENDING_PAYMENT, Internal.PAY): _S.PAID,
    (_S.PENDING_PAYMENT, Action.CANCEL): _S.CANCELLED,
    (_S.PENDING_PAYMENT, Internal.EXPIRE): _S.CANCELLED,
    (_S.PAID, Action.ACCEPT): _S.ACCEPTED,
    (_S.PAID, Action.CANCEL): _S.CANCELLED,
    (_S.ACCEPTED, Action.START): _S.PREPARING,
    (_S.ACCEPTED, Action.CANCEL): _S.CANCELLED,
    (_S.PREPARING, Action.READY): _S.READY,
    (_S.PREPARING, Action.CANCEL): _S.CANCELLED,
    (_S.READY, Internal.PICK_UP): _S.PICKED_UP,
    (_S.READY, Action.DISPATCH): _S.OUT_FOR_DELIVERY,
    (_S.READY, Action.COMPLETE): _S.COMPLETED,
    (_S.READY, Action.CANCEL): _S.CANCELLED,
    (_S.OUT_FOR_DELIVERY, Action.DELIVER): _S.DELIVERED,
    (_S.PICKED_UP, Action.COMPLETE): _S.COMPLETED,
    (_S.DELIVERED, Action.COMPLETE): _S.COMPLETED,
}


class TransitionRefused(ValueError):
    """The action is not allowed from the order's status (or for its kind of fulfilment)."""


def next_status(
    status: OrderStatus,
    action: str,
    *,
    fulfillment: FulfillmentType,
    has_pickup_code: bool = False,
) -> OrderStatus:
    """The status ``action`` leads to, or TransitionRefused saying why not."""
    target = _TRANSITIONS.get((status, action))
    if target is None:
        raise TransitionRefused(f"cannot {action} an order that is {status.value}")
    if action == Action.DISPATCH and fulfillment is not FulfillmentType.DELIVERY:
        raise TransitionRefused(f"only delivery orders are dispatched (this is {fulfillment})")
    if action == Internal.PICK_UP and fulfillment is FulfillmentType.DELIVERY:
        raise TransitionRefused("delivery orders are delivered, not picked up")
    if status is _S.READY and action == Action.COMPLETE:
        if fulfillment is FulfillmentType.DELIVERY:
            raise TransitionRefused("a delivery order is dispatched and delivered first")
        if has_pickup_code:
            raise TransitionRefused("hand the order over by redeeming its pickup code")
    return target


def event_type(target: OrderStatus, action: str) -> str:
    """The outbox event a transition emits (past tense)."""
    if action == Internal.EXPIRE:
        return "order.expired"
    return f"order.{target.value}"


def after_refund(status: OrderStatus, *, paid: int, refunded: int) -> OrderStatus:
    """The status once ``refunded`` of ``paid`` has gone back to the customer."""
    if paid > 0 and refunded >= paid:
        return OrderStatus.REFUNDED
    if refunded > 0 and status in HANDED_OVER:
        return OrderStatus.PARTIALLY_REFUNDED
    return status


def payment_status(*, paid: int, refunded: int) -> PaymentStatus:
    if paid <= 0:
        return PaymentStatus.UNPAID
    if refunded <= 0:
        return PaymentStatus.PAID
    if refunded >= paid:
        return PaymentStatus.REFUNDED
    return PaymentStatus.PARTIALLY_REFUNDED


# --------------------------------------------------------------------------- totals


@dataclass(frozen=True)
class PricedLine:
    sku: str
    name: str
    qty: int
    unit_price: int
    discount: int = 0
    price_rule: str = "base"

    @property
    def subtotal(self) -> int:
        return self.unit_price * self.qty

    @property
    def total(self) -> int:
        return self.subtotal - self.discount


@dataclass(frozen=True)
class Totals:
    subtotal: int
    discount_total: int
    total: int


def totals(lines: list[PricedLine], *, order_discount: int = 0) -> Totals:
    """Order totals from its lines; an order-level discount comes on top of line discounts."""
    subtotal = sum(line.subtotal for line in lines)
    discount = sum(line.discount for line in lines) + order_discount
    return Totals(subtotal=subtotal, discount_total=discount, total=subtotal - discount)


def member_price(lines: list[PricedLine], *, percent: int, tier: str) -> list[PricedLine]:
    """Lines with a member tier's discount of ``percent`` taken off each (rounded down, so
    the discount never exceeds the percentage)."""
    if not 0 < percent <= 100:
        return lines
    return [
        PricedLine(
            sku=ln.sku,
            name=ln.name,
            qty=ln.qty,
            unit_price=ln.unit_price,
            discount=ln.discount + (ln.subtotal - ln.discount) * percent // 100,
            price_rule=f"tier:{tier}"[:24],
        )
        for ln in lines
    ]


# --------------------------------------------------------------------------- codes

PICKUP_CODE_DIGITS = 10


def new_pickup_code() -> str:
    """A 10-digit pickup code: 10^10 possibilities, drawn from the OS's secure generator."""
    return "".join(secrets.choice("0123456789") for _ in range(PICKUP_CODE_DIGITS))


def new_order_number(day: str) -> str:
    """A human order number: the day and 10 random digits (``2611230123456789``)."""
    return day + "".join(secrets.choice("0123456789") for _ in range(10))


def refund_for_units(*, line_total: int, line_qty: int, already_refunded: int, qty: int) -> int:
    """What refunding ``qty`` units of a line gives back: its paid total shared per unit,
    rounded down, with the last unit carrying the remainder so a full refund is exact."""
    if qty <= 0 or already_refunded + qty > line_qty:
        raise ValueError("refund quantity out of range")
    before = line_total * already_refunded // line_qty
    after = line_total * (already_refunded + qty) // line_qty
    return after - before


# --------------------------------------------------------------------------- tenders


class TenderKind(StrEnum):
    """How part of an order is paid. Refunds go back to the tender they came from."""

    POINTS = "points"
    WALLET = "wallet"
    PROVIDER = "provider"
    EXTERNAL = "external"


MEMBER_TENDERS = frozenset({TenderKind.POINTS, TenderKind.WALLET})
REFUND_PRIORITY = (TenderKind.PROVIDER, TenderKind.EXTERNAL, TenderKind.WALLET, TenderKind.POINTS)
"""Who gets the odd minor unit when a refund does not split evenly."""


def split_refund(amount: int, remaining: list[tuple[TenderKind, int]]) -> list[int]:
    """Share a refund of ``amount`` over tenders in proportion to what each still has to
    give back (rounded down), the leftover units going to tenders in REFUND_PRIORITY order.
    No tender gets more than it has left; refunding everything left returns each in full."""
    room = [r for _, r in remaining]
    if amount < 0 or amount > sum(room):
        raise ValueError("refund amount out of range")
    left_total = sum(room)
    if left_total == 0:
        return [0 for _ in remaining]
    shares = [amount * r // left_total for r in room]
    leftover = amount - sum(shares)
    order = sorted(range(len(remaining)), key=lambda i: (REFUND_PRIORITY.index(remaining[i][0]), i))
    while leftover:
        for i in order:
            if leftover and shares[i] < room[i]:
                shares[i] += 1
                leftover -= 1
    return shares


def returned_part(*, taken: int, of_amount: int, refunded_before: int, refunded_now: int) -> int:
    """How much of ``taken`` (points spent, or a wallet bonus share) goes back when a tender
    worth ``of_amount`` has ``refunded_before`` and now ``refunded_now`` more refunded:
    cumulative and rounded down, so a full refund gives all of it back exactly."""
    if of_amount <= 0:
        return 0
    after = taken * (refunded_before + refunded_now) // of_amount
    before = taken * refunded_before // of_amount
    return after - before
