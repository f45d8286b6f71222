"""Ele.me order pushes in plain Python: the envelope, its signature and its messages.

A push is a JSON envelope ``{requestId, type, appId, message, shopId, timestamp, userId,
signature}`` whose ``message`` is itself a JSON string. Numbers in the envelope are kept as
the exact text they were sent as (``userId`` exceeds 2^53; the signature is over the wire
text), and ids in the message become strings. A GET, or an empty body, is a heartbeat.

Types: 10 new order; 12 accepted and 18 completed (status reports); 14, 15, 17 cancelled or
invalid; 20-26 the cancel-request flow (23 and 25 cancel, the rest are reports); 30-36 the
refund flow; 51-76 delivery status.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from omniloop.channels.domain import (
    Address,
    Cancellation,
    Channel,
    Customer,
    DeliveryState,
    DeliveryUpdate,
    DiscountLine,
    FeeKind,
    FeeLine,
    ItemLine,
    NewOrder,
    ParsedOrder,
    ParsedPush,
    PushInvalid,
    PushKind,
    RefundNotice,
    RefundStage,
    StatusReport,
    Unrecognised,
    quantity,
    reconcile,
    to_decimal,
    yuan_to_fen,
)
from omniloop.channels.fields import (
    coordinate,
    identifier,
    split_address,
    split_recipient_name,
    text,
)

PLATFORM_TIMEZONE = ZoneInfo("Asia/Shanghai")
REPLY_OK: dict[str, Any] = {"message": "ok"}
REPLY_BAD_SIGNATURE: dict[str, Any] = {"message": "signature verification failed"}

NEW_ORDER = 10
_STATUS = {12: "accepted", 18: "completed"}
_CANCELLED = {
    14: "order cancelled on Ele.me",
    15: "order made invalid on Ele.me",
    17: "order forcibly made invalid on Ele.me",
    23: "the merchant agreed to the customer's cancel request",
    25: "Ele.me customer service upheld the cancel request",
}
_CANCEL_REQUEST_FLOW = {
    20: "cancel_requested",
    21: "cancel_request_withdrawn",
    22: "cancel_request_rejected",
    24: "cancel_arbitration_requested",
    26: "cancel_arbitration_rejected",
}
_REFUND = {
    30: RefundStage.APPLY,
    31: RefundStage.CANCEL_REFUND,
    32: RefundStage.REJECT,
    33: RefundStage.AGREE,
    34: RefundStage.APPLY,  # the customer asks Ele.me to arbitrate
    35: RefundStage.AGREE,  # arbitration: refund upheld
    36: RefundStage.REJECT,  # arbitration: refund refused
}
_DELIVERY_TYPES = range(51, 77)
_DELIVERY_STATES = {
    "tobeAssignedMerchant": DeliveryState.REQUESTED,
    "tobeAssignedCourier": DeliveryState.REQUESTED,
    "tobeFetched": DeliveryState.ASSIGNED,
    "arrived": DeliveryState.ARRIVED_AT_STORE,
    "delivering": DeliveryState.PICKED_UP,
    "completed": DeliveryState.DELIVERED,
    "cancelled": DeliveryState.CANCELLED,
    "reject": DeliveryState.CANCELLED,
    "noMoreDelivery": DeliveryState.CANCELLED,
    "exception": DeliveryState.EXCEPTION,
    "selfDelivery": DeliveryState.SELF_DELIVERY,
}


class MalformedEnvelope(ValueError):
    """The body is not an Ele.me envelope."""


def _wire_text(value: Any) -> str:
    if isinstance(value, str):
        return value
    if value is True or value is False:
        return "true" if value else "false"
    if value is None:
        return "null"
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


def load_envelope(body: bytes) -> dict[str, str]:
    """The envelope's fields as wire text (numbers exactly as sent)."""
    try:
        data = json.loads(body, parse_int=str, parse_float=str)
    except (ValueError, UnicodeDecodeError) as exc:
        raise MalformedEnvelope(f"the push is not JSON: {exc}") from None
    if not isinstance(data, dict):
        raise MalformedEnvelope("the push is not a JSON object")
    return {str(key): _wire_text(value) for key, value in data.items()}


def type_of(envelope: Mapping[str, str]) -> int | None:
    raw = envelope.get("type", "")
    return int(raw) if raw.isdigit() and len(raw) < 6 else None


def kind_of(envelope: Mapping[str, str]) -> PushKind:
    push_type = type_of(envelope)
    if push_type == NEW_ORDER:
        return PushKind.NEW_ORDER
    if push_type in _CANCELLED:
        return PushKind.CANCEL
    if push_type in _REFUND:
        return PushKind.REFUND
    if push_type in _DELIVERY_TYPES:
        return PushKind.DELIVERY_STATUS
    if push_type in _STATUS or push_type in _CANCEL_REQUEST_FLOW:
        return PushKind.STATUS
    return PushKind.UNKNOWN


def message_of(envelope: Mapping[str, str]) -> dict[str, Any]:
    """The decoded ``message``: money as Decimal, integers exact."""
    try:
        message = json.loads(envelope.get("message") or "{}", parse_float=Decimal)
    except ValueError:
        raise PushInvalid("message is not JSON") from None
    if not isinstance(message, dict):
        raise PushInvalid("message is not a JSON object")
    return message


def parse(envelope: Mapping[str, str]) -> ParsedPush:
    """What a verified envelope says; PushInvalid when it cannot be read."""
    kind = kind_of(envelope)
    push_type = type_of(envelope)
    message = message_of(envelope)
    external_id = text(message.get("orderId") or message.get("id"), limit=100)
    try:
        if kind is PushKind.NEW_ORDER:
            return NewOrder(parse_order(message))
        if kind is PushKind.UNKNOWN or push_type is None:
            return Unrecognised(f"Ele.me push type {envelope.get('type')!r}", external_id)
        order_id = identifier(message.get("orderId"), field="orderId", kind=kind)
        if push_type in _CANCELLED:
            reason = text(message.get("reason")) or _CANCELLED[push_type]
            return Cancellation(order_id, reason=reason, reason_code=str(push_type))
        if push_type in _REFUND:
            amount = message.get("totalPrice")
            return RefundNotice(
                external_id=order_id,
                stage=_REFUND[push_type],
                reason=text(message.get("reason")) or f"Ele.me refund flow, type {push_type}",
                amount=yuan_to_fen(amount, field="totalPrice") if amount else None,
            )
        if push_type in _DELIVERY_TYPES:
            state = text(message.get("state"), limit=40) or str(push_type)
            return DeliveryUpdate(
                external_id=order_id,
                state=_DELIVERY_STATES.get(state, DeliveryState.UNKNOWN),
                platform_state=state,
                courier_name=text(message.get("name"), limit=100),
                courier_phone=text(message.get("phone"), limit=40),
            )
        status = _STATUS.get(push_type) or _CANCEL_REQUEST_FLOW[push_type]
        return StatusReport(external_id=order_id, status=status)
    except PushInvalid as exc:
        exc.kind, exc.external_id = kind, exc.external_id or external_id
        raise


def _local_time(value: Any, *, field: str) -> datetime | None:
    """Ele.me writes local (Beijing) time without an offset: ``2017-10-30T20:08:07``."""
    raw = text(value, limit=40)
    if raw is None:
        return None
    try:
        moment = datetime.fromisoformat(raw)
    except ValueError:
        raise PushInvalid(f"{field} {raw!r} is not a date and time") from None
    return moment.replace(tzinfo=PLATFORM_TIMEZONE) if moment.tzinfo is None else moment


def _labels(entries: Any) -> str | None:
    """``[{"name": "规格", "value": "大杯"}, ...]`` -> ``"大杯"``."""
    if not isinstance(entries, list):
        return None
    values = [text(e.get("value"), limit=50) for e in entries if isinstance(e, dict)]
    return text(", ".join(v for v in values if v), limit=200)


def _geo(value: Any) -> tuple[float | None, float | None]:
    """``"lng,lat"`` (Ele.me writes longitude first)."""
    raw = text(value, limit=60)
    if not raw or "," not in raw:
        return None, None
    lng, _, lat = raw.partition(",")
    return (
        coordinate(lat, field="deliveryGeo latitude", limit=90),
        coordinate(lng, field="deliveryGeo longitude", limit=180),
    )


def _items(message: Mapping[str, Any]) -> list[ItemLine]:
    items: list[ItemLine] = []
    groups = message.get("groups")
    if not isinstance(groups, list):
        raise PushInvalid("groups is not a list")
    for g, group in enumerate(groups):
        entries = group.get("items") if isinstance(group, dict) else None
        if not isinstance(entries, list):
            raise PushInvalid(f"groups[{g}].items is not a list")
        for n, item in enumerate(entries):
            where = f"groups[{g}].items[{n}]"
            if not isinstance(item, dict):
                raise PushInvalid(f"{where} is not an object")
            sku_id = item.get("skuId")
            codes = tuple(
                dict.fromkeys(
                    c
                    for c in (
                        text(item.get("extendCode"), limit=100),
                        text(sku_id, limit=100) if sku_id not in (None, -1, "-1") else None,
                    )
                    if c
                )
            )
            items.append(
                ItemLine(
                    codes=codes,
                    name=text(item.get("name"), limit=200) or (codes[0] if codes else "?"),
                    qty=quantity(item.get("quantity"), field=f"{where}.quantity"),
                    unit_price=yuan_to_fen(item.get("price"), field=f"{where}.price"),
                    spec=_labels(item.get("newSpecs")),
                    note=_labels(item.get("attributes")),
                )
            )
    if not items:
        raise PushInvalid("the order has no items")
    return items


def parse_order(message: Mapping[str, Any]) -> ParsedOrder:
    """A type-10 new-order message."""
    external_id = identifier(
        message.get("id") or message.get("orderId"), field="id", kind=PushKind.NEW_ORDER
    )
    items = _items(message)
    fees = []
    for key, kind, label in (
        ("packageFee", FeeKind.PACKAGE, "包装费"),
        ("coldBoxFee", FeeKind.PACKAGE, "冷链保温箱费"),
        ("deliverFee", FeeKind.SHIPPING, "配送费"),
    ):
        amount = yuan_to_fen(message.get(key) or 0, field=key)
        if amount:
            fees.append(FeeLine(kind, amount, label))
    activities = message.get("orderActivities") or []
    if not isinstance(activities, list):
        raise PushInvalid("orderActivities is not a list")
    discounts = []
    for n, activity in enumerate(activities):
        if not isinstance(activity, dict):
            continue
        amount = yuan_to_fen(
            to_decimal(activity.get("amount") or 0, field=f"orderActivities[{n}].amount"),
            field=f"orderActivities[{n}].amount",
            allow_negative=True,
        )
        if amount:
            discounts.append(
                DiscountLine(
                    amount=abs(amount),
                    remark=text(activity.get("name"), limit=200) or "饿了么优惠",
                    type=text(activity.get("categoryId"), limit=40),
                )
            )
    total = yuan_to_fen(message.get("totalPrice"), field="totalPrice")
    name, salutation = split_recipient_name(text(message.get("consignee"), limit=100))
    phone_list = message.get("phoneList")
    listed = phone_list if isinstance(phone_list, list) else []
    phones = tuple(p for p in (text(x, limit=40) for x in listed) if p)
    typed, geocoded = split_address(
        text(message.get("deliveryPoiAddress")) or text(message.get("address"))
    )
    lat, lng = _geo(message.get("deliveryGeo"))
    placed_at = _local_time(message.get("createdAt"), field="createdAt")
    if placed_at is None:
        raise PushInvalid("createdAt is missing")
    platform_ids = {
        key: value
        for key in ("id", "orderId", "daySn", "shopId", "openId")
        if (value := text(message.get(key), limit=100))
    }
    return ParsedOrder(
        platform=Channel.ELEME,
        external_id=external_id,
        store_codes=tuple(
            c for c in (text(message.get("openId"), limit=100), text(message.get("shopId"))) if c
        ),
        items=tuple(items),
        fees=tuple(fees),
        discounts=reconcile(
            items=items, fees=fees, discounts=discounts, total=total, external_id=external_id
        ),
        total=total,
        customer=Customer(
            name=name, phone=phones[0] if phones else None, salutation=salutation, phones=phones
        ),
        address=Address(text=typed, geocoded=geocoded, lat=lat, lng=lng),
        note=text(message.get("description")),
        placed_at=placed_at,
        requested_time=_local_time(message.get("deliverTime"), field="deliverTime"),
        prepaid=message.get("onlinePaid", True) is not False,
        platform_ids=platform_ids,
    )
