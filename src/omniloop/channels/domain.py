"""Third-party channel rules in plain Python: what a platform push means for Omniloop.

This module holds the vocabulary (kinds, statuses, parsed orders, money); a push travels
four steps, each pure, in the modules around it (the per-platform ones :mod:`.meituan`,
:mod:`.eleme`, :mod:`.generic` are dispatched by :mod:`.platforms`; fields are read by
:mod:`.fields`):

1. **authenticate** against the URL *as registered with the platform* (:mod:`.signatures`);
2. **parse** the platform's fields into a :data:`ParsedPush` — a new order, a cancellation,
   a refund notice, a delivery update, a status report, or something we do not act on;
3. **map** store and item codes to our location codes and SKUs (:mod:`.mapping`):
   an explicit entry of the connection's map wins, otherwise a code that already is one of
   ours is taken as is; anything else leaves the push *held* for review, never dropped;
4. **hand over** the result to the orders domain through :class:`.ports.OrderSink`.

**Money.** Platforms speak yuan, as decimal strings or JSON numbers. :func:`yuan_to_fen`
converts exactly through :class:`~decimal.Decimal` (never float arithmetic) and refuses
fractions of a fen. A parsed order keeps the platform's discounts as order-level discount
lines and reconciles: items + fees - discounts == what the customer paid, exactly. Whatever
the platform took off without itemising it becomes one more discount line (an
"unitemised platform discount"); a customer who paid *more* than the items and fees add up
to is not something we can explain, so such a push is held.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from typing import ClassVar

from omniloop.shared.money import MAX_AMOUNT

CURRENCY = "CNY"
MAX_QUANTITY = 1_000_000
MAX_CODE_LENGTH = 100
MAX_TEXT_LENGTH = 500
UNITEMISED_DISCOUNT = "平台其他优惠 (unitemised platform discount)"


class Channel(StrEnum):
    GENERIC = "generic"
    MEITUAN = "meituan"
    ELEME = "eleme"


class PushKind(StrEnum):
    NEW_ORDER = "new_order"
    CANCEL = "cancel"
    REFUND = "refund"
    DELIVERY_STATUS = "delivery_status"
    STATUS = "status"
    HEARTBEAT = "heartbeat"
    UNKNOWN = "unknown"


FOLLOW_UPS = frozenset({PushKind.CANCEL, PushKind.REFUND, PushKind.DELIVERY_STATUS})
"""Pushes about an order that must already exist."""


class PushStatus(StrEnum):
    ACCEPTED = "accepted"  # handed to the orders domain, which acted on it
    DUPLICATE = "duplicate"  # a repeat: acknowledged, nothing changed
    HELD = "held"  # waits for a person (unknown codes, unreadable fields) or for its order
    FAILED = "failed"  # the orders domain refused it (e.g. out of stock); reviewable
    REJECTED = "rejected"  # the signature did not verify; nothing was processed
    IGNORED = "ignored"  # authentic, but nothing for Omniloop to do (status reports, ...)
    DISMISSED = "dismissed"  # a person (or a platform cancel) closed a held push


REVIEWABLE = frozenset({PushStatus.HELD, PushStatus.FAILED})


class RefundStage(StrEnum):
    """Meituan's ``notify_type`` vocabulary, used for every platform."""

    APPLY = "apply"
    AGREE = "agree"
    REJECT = "reject"
    CANCEL_REFUND = "cancelRefund"


class DeliveryState(StrEnum):
    REQUESTED = "requested"
    ASSIGNED = "assigned"
    ARRIVED_AT_STORE = "arrived_at_store"
    PICKED_UP = "picked_up"
    DELIVERED = "delivered"
    CANCELLED = "cancelled"
    EXCEPTION = "exception"
    SELF_DELIVERY = "self_delivery"
    UNKNOWN = "unknown"


class FeeKind(StrEnum):
    BOX = "box"  # Meituan 餐盒费, per item
    PACKAGE = "package"  # Ele.me 包装费, per order
    SHIPPING = "shipping"


class PushInvalid(ValueError):
    """An authentic push we cannot read; it is held for review with this message."""

    def __init__(
        self,
        message: str,
        *,
        kind: PushKind = PushKind.UNKNOWN,
        external_id: str | None = None,
    ) -> None:
        super().__init__(message)
        self.kind = kind
        self.external_id = external_id


# ------------------------------------------------------------------------------- money


def to_decimal(value: object, *, field: str) -> Decimal:
    """A decimal from a JSON number or decimal string, exactly as written."""
    if isinstance(value, bool) or value is None:
        raise PushInvalid(f"{field} is not a number: {value!r}")
    if isinstance(value, Decimal):
        number = value
    elif isinstance(value, int | float | str):
        text = str(value).strip()
        if not text or len(text) > 40:
            raise PushInvalid(f"{field} is not a number: {value!r}")
        try:
            number = Decimal(text)
        except InvalidOperation:
            raise PushInvalid(f"{field} is not a number: {value!r}") from None
    else:
        raise PushInvalid(f"{field} is not a number: {value!r}")
    if not number.is_finite():
        raise PushInvalid(f"{field} is not a finite number: {value!r}")
    return number


def yuan_to_fen(value: object, *, field: str = "amount", allow_negative: bool = False) -> int:
    """Yuan (``"25.5"``, ``25.5``, ``Decimal("25.50")``) to fen (2550), exactly.

    Floats are read through their shortest repr, so ``25.5`` is 25.5, never 25.4999...;
    amounts with a fraction of a fen (``"1.005"``) are refused, not rounded.
    """
    fen = to_decimal(value, field=field) * 100
    if fen != fen.to_integral_value():
        raise PushInvalid(f"{field} {value!r} has more than 2 decimals")
    if fen < 0 and not allow_negative:
        raise PushInvalid(f"{field} must not be negative (got {value!r})")
    if abs(fen) > MAX_AMOUNT:
        raise PushInvalid(f"{field} {value!r} is out of range")
    return int(fen)


def quantity(value: object, *, field: str = "quantity") -> int:
    """A whole positive quantity (``2``, ``"2"``, ``2.0``)."""
    number = to_decimal(value, field=field)
    if number != number.to_integral_value() or not 1 <= number <= MAX_QUANTITY:
        raise PushInvalid(f"{field} must be a whole number from 1 to {MAX_QUANTITY}")
    return int(number)


# ------------------------------------------------------------------------------ people


@dataclass(frozen=True)
class Customer:
    """The recipient as the platform gives them; privacy numbers are kept as given."""

    name: str | None
    phone: str | None
    salutation: str | None = None
    phones: tuple[str, ...] = ()

    @property
    def is_privacy_number(self) -> bool:
        """``13812345678_1234`` / ``13812345678,1234``: a relay number with an extension."""
        return bool(self.phone) and any(sep in (self.phone or "") for sep in ("_", ",", "#"))


@dataclass(frozen=True)
class Address:
    text: str | None
    lat: float | None
    lng: float | None
    geocoded: str | None = None


# ------------------------------------------------------------------------------ orders


@dataclass(frozen=True)
class ItemLine:
    """A line as the platform sent it; ``codes`` are its candidate item codes, most
    specific first (Meituan ``sku_id`` then ``app_food_code``; Ele.me ``extendCode``
    then ``skuId``)."""

    codes: tuple[str, ...]
    name: str
    qty: int
    unit_price: int
    spec: str | None = None
    note: str | None = None


@dataclass(frozen=True)
class FeeLine:
    kind: FeeKind
    amount: int
    name: str


@dataclass(frozen=True)
class DiscountLine:
    """An order-level discount: its amount (positive fen) and the platform's remark."""

    amount: int
    remark: str
    type: str | None = None


@dataclass(frozen=True)
class ParsedOrder:
    """A platform order in the platform's vocabulary (store and item codes unmapped)."""

    platform: Channel
    external_id: str
    store_codes: tuple[str, ...]
    items: tuple[ItemLine, ...]
    fees: tuple[FeeLine, ...]
    discounts: tuple[DiscountLine, ...]
    total: int
    customer: Customer
    address: Address
    note: str | None
    placed_at: datetime
    requested_time: datetime | None
    prepaid: bool = True
    platform_ids: Mapping[str, str] = field(default_factory=dict)
    currency: str = CURRENCY


def reconcile(
    *,
    items: Iterable[ItemLine],
    fees: Iterable[FeeLine],
    discounts: Iterable[DiscountLine],
    total: int,
    external_id: str,
    strict: bool = False,
) -> tuple[DiscountLine, ...]:
    """The discount lines that make items + fees - discounts equal ``total`` exactly.

    ``strict`` (our own generic format) refuses any difference instead of explaining a
    shortfall as an unitemised platform discount.
    """
    lines = tuple(d for d in discounts if d.amount > 0)
    expected = (
        sum(i.unit_price * i.qty for i in items)
        + sum(f.amount for f in fees)
        - sum(d.amount for d in lines)
    )
    if expected == total:
        return lines
    if expected > total and not strict:
        return (*lines, DiscountLine(amount=expected - total, remark=UNITEMISED_DISCOUNT))
    raise PushInvalid(
        f"the customer paid {total} fen but items and fees less discounts come to {expected} fen",
        kind=PushKind.NEW_ORDER,
        external_id=external_id,
    )


@dataclass(frozen=True)
class MappedLine:
    sku: str
    qty: int
    unit_price: int
    name: str
    platform_code: str
    spec: str | None = None
    note: str | None = None

    @property
    def total(self) -> int:
        return self.unit_price * self.qty


@dataclass(frozen=True)
class MappedOrder:
    """A platform order in Omniloop's vocabulary, ready for the orders domain.

    Always a delivery order, already paid on the platform (unless ``prepaid`` is false:
    cash on delivery). ``subtotal + fee_total - discount_total == total``, exactly.
    """

    channel: str
    external_id: str
    location_code: str
    lines: tuple[MappedLine, ...]
    fees: tuple[FeeLine, ...]
    discounts: tuple[DiscountLine, ...]
    total: int
    customer: Customer
    address: Address
    note: str | None
    placed_at: datetime
    requested_time: datetime | None
    prepaid: bool
    platform: Channel
    store_code: str
    platform_ids: Mapping[str, str] = field(default_factory=dict)
    currency: str = CURRENCY
    fulfillment: str = "delivery"

    def __post_init__(self) -> None:
        if self.subtotal + self.fee_total - self.discount_total != self.total:
            raise ValueError("a mapped order's lines, fees and discounts must add up to total")

    @property
    def subtotal(self) -> int:
        return sum(line.total for line in self.lines)

    @property
    def fee_total(self) -> int:
        return sum(fee.amount for fee in self.fees)

    def fee(self, kind: FeeKind) -> int:
        return sum(fee.amount for fee in self.fees if fee.kind is kind)

    @property
    def discount_total(self) -> int:
        return sum(discount.amount for discount in self.discounts)

    @property
    def original_total(self) -> int:
        """What the order came to before discounts (Meituan's ``original_price``)."""
        return self.subtotal + self.fee_total


# ------------------------------------------------------------------------ parsed pushes


@dataclass(frozen=True)
class NewOrder:
    kind: ClassVar[PushKind] = PushKind.NEW_ORDER
    order: ParsedOrder

    @property
    def external_id(self) -> str:
        return self.order.external_id


@dataclass(frozen=True)
class Cancellation:
    kind: ClassVar[PushKind] = PushKind.CANCEL
    external_id: str
    reason: str
    reason_code: str | None = None


@dataclass(frozen=True)
class RefundNotice:
    kind: ClassVar[PushKind] = PushKind.REFUND
    external_id: str
    stage: RefundStage
    reason: str
    amount: int | None = None  # fen; None when the platform does not say (a full refund)


@dataclass(frozen=True)
class DeliveryUpdate:
    kind: ClassVar[PushKind] = PushKind.DELIVERY_STATUS
    external_id: str
    state: DeliveryState
    platform_state: str
    courier_name: str | None = None
    courier_phone: str | None = None


@dataclass(frozen=True)
class StatusReport:
    """The platform tells us something about an order that Omniloop does not act on."""

    kind: ClassVar[PushKind] = PushKind.STATUS
    external_id: str
    status: str


@dataclass(frozen=True)
class Unrecognised:
    kind: ClassVar[PushKind] = PushKind.UNKNOWN
    description: str
    external_id: str | None = None


ParsedPush = NewOrder | Cancellation | RefundNotice | DeliveryUpdate | StatusReport | Unrecognised
