"""Meituan Waimai pushes in plain Python: decoding, verifying, recognising and parsing.

**Decoding.** Pushes arrive as form fields (POST ``application/x-www-form-urlencoded``,
sometimes GET with the same fields in the query; both are merged, form winning). Text and
JSON values are URL-encoded twice on the wire, so after the form decode they still read
``%5B%7B%22app_food_code...``: they are decoded once more (``+`` is a space, as Java's
``URLEncoder`` writes it). The signature is over the fully decoded values; a push signed
over the once-decoded values is accepted too (:func:`verified_fields`).

**Recognising.** One URL receives every kind; the fields tell them apart: ``detail`` -> a
new (or confirmed) order, ``notify_type`` -> refund, ``logistics_status`` -> delivery,
``reason_code`` -> cancel, ``status`` alone -> a status report; nothing but the system
fields -> a heartbeat (the platform checking the URL).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any
from urllib.parse import parse_qsl, unquote_plus

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
from omniloop.channels.signatures import MEITUAN_SIGNATURE_FIELD, meituan_verifies

SYSTEM_FIELDS = frozenset({"app_id", "timestamp", MEITUAN_SIGNATURE_FIELD})
MAX_FIELDS = 300

REPLY_OK: dict[str, Any] = {"data": "ok"}
REPLY_BAD_SIGNATURE: dict[str, Any] = {"data": "ng", "error": {"code": 703, "msg": "签名验证错误"}}

_LOGISTICS = {
    "0": DeliveryState.REQUESTED,  # 配送单发往配送
    "5": DeliveryState.REQUESTED,  # 配送侧压单
    "10": DeliveryState.ASSIGNED,  # 骑手已接单
    "15": DeliveryState.ARRIVED_AT_STORE,  # 骑手已到店
    "20": DeliveryState.PICKED_UP,  # 骑手已取餐
    "40": DeliveryState.DELIVERED,  # 骑手已送达
    "100": DeliveryState.CANCELLED,  # 配送单已取消
}


class MalformedForm(ValueError):
    """The body is not a form we can read (not UTF-8, too many fields)."""


def form_fields(query: str, body: bytes) -> dict[str, str]:
    """Query and form fields after the ordinary (single) URL decode; form wins."""
    try:
        form = body.decode("utf-8")
        pairs = parse_qsl(query, keep_blank_values=True, max_num_fields=MAX_FIELDS)
        pairs += parse_qsl(form, keep_blank_values=True, max_num_fields=MAX_FIELDS)
    except (UnicodeDecodeError, ValueError) as exc:
        raise MalformedForm(f"the push is not a UTF-8 form: {exc}") from None
    fields: dict[str, str] = {}
    for name, value in pairs:
        fields[name] = value
    return fields


def decoded_once_more(fields: Mapping[str, str]) -> dict[str, str]:
    """The second URL decode of every value (a no-op for values that were not encoded)."""
    return {name: unquote_plus(value) for name, value in fields.items()}


def is_heartbeat(fields: Mapping[str, str]) -> bool:
    """No business field at all: the platform checking that the URL answers."""
    return not (set(fields) - SYSTEM_FIELDS)


def verified_fields(fields: Mapping[str, str], *, url: str, secret: str) -> dict[str, str] | None:
    """The decoded fields (without ``sig``) when the signature verifies, else None.

    Tries the fully decoded values first (what the platform signs), then the values after
    the single form decode.
    """
    for candidate in (decoded_once_more(fields), dict(fields)):
        if meituan_verifies(url, candidate, secret):
            return {k: v for k, v in candidate.items() if k != MEITUAN_SIGNATURE_FIELD}
    return None


def kind_of(fields: Mapping[str, str]) -> PushKind:
    if "detail" in fields:
        return PushKind.NEW_ORDER
    if "notify_type" in fields:
        return PushKind.REFUND
    if "logistics_status" in fields:
        return PushKind.DELIVERY_STATUS
    if "reason_code" in fields:
        return PushKind.CANCEL
    if "order_id" in fields and "status" in fields:
        return PushKind.STATUS
    if is_heartbeat(fields):
        return PushKind.HEARTBEAT
    return PushKind.UNKNOWN


def parse(fields: Mapping[str, str]) -> ParsedPush:
    """What a verified push says; PushInvalid when it cannot be read."""
    kind = kind_of(fields)
    external_id = text(fields.get("order_id"))
    try:
        if kind is PushKind.NEW_ORDER:
            return NewOrder(parse_order(fields))
        if kind is PushKind.UNKNOWN or kind is PushKind.HEARTBEAT:
            named = ", ".join(sorted(set(fields) - SYSTEM_FIELDS)[:10]) or "no fields"
            return Unrecognised(f"a Meituan push with {named}", external_id=external_id)
        order_id = identifier(fields.get("order_id"), field="order_id", kind=kind)
        if kind is PushKind.CANCEL:
            return Cancellation(
                external_id=order_id,
                reason=text(fields.get("reason")) or "cancelled on Meituan",
                reason_code=text(fields.get("reason_code"), limit=40),
            )
        if kind is PushKind.REFUND:
            return _refund(fields, order_id)
        if kind is PushKind.DELIVERY_STATUS:
            raw = text(fields.get("logistics_status"), limit=40) or ""
            return DeliveryUpdate(
                external_id=order_id,
                state=_LOGISTICS.get(raw, DeliveryState.UNKNOWN),
                platform_state=raw,
                courier_name=text(fields.get("dispatcher_name"), limit=100),
                courier_phone=text(fields.get("dispatcher_mobile"), limit=40),
            )
        return StatusReport(external_id=order_id, status=text(fields.get("status"), limit=40) or "")
    except PushInvalid as exc:
        exc.kind, exc.external_id = kind, exc.external_id or external_id
        raise


def _refund(fields: Mapping[str, str], order_id: str) -> RefundNotice:
    notify_type = text(fields.get("notify_type"), limit=40) or ""
    try:
        stage = RefundStage(notify_type)
    except ValueError:
        allowed = ", ".join(s.value for s in RefundStage)
        raise PushInvalid(f"notify_type {notify_type!r} is not one of {allowed}") from None
    money = fields.get("money") or fields.get("refund_amount")
    return RefundNotice(
        external_id=order_id,
        stage=stage,
        reason=text(fields.get("reason")) or f"refund {stage.value} on Meituan",
        amount=yuan_to_fen(money, field="money") if money else None,
    )


def json_field(fields: Mapping[str, str], name: str) -> Any:
    """A JSON-valued field, decoded once more if it still reads URL-encoded."""
    raw = fields.get(name) or ""
    if not raw.strip():
        return []
    for candidate in (raw, unquote_plus(raw)):
        try:
            return json.loads(candidate, parse_float=Decimal)
        except ValueError:
            continue
    raise PushInvalid(f"{name} is not JSON")


def _unix(value: str | None, *, field: str) -> datetime | None:
    if not value or value.strip() in {"", "0"}:
        return None
    seconds = to_decimal(value, field=field)
    if not 0 < seconds < 10**10:
        raise PushInvalid(f"{field} {value!r} is not a unix time in seconds")
    return datetime.fromtimestamp(int(seconds), UTC)


def parse_order(fields: Mapping[str, str]) -> ParsedOrder:
    """A new-order (or confirmed-order) push."""
    external_id = identifier(fields.get("order_id"), field="order_id", kind=PushKind.NEW_ORDER)
    detail = json_field(fields, "detail")
    if not isinstance(detail, list) or not detail:
        raise PushInvalid("detail has no items")
    items: list[ItemLine] = []
    box_total = Decimal(0)
    for n, entry in enumerate(detail):
        if not isinstance(entry, dict):
            raise PushInvalid(f"detail[{n}] is not an object")
        qty = quantity(entry.get("quantity"), field=f"detail[{n}].quantity")
        codes = tuple(
            dict.fromkeys(
                c
                for c in (text(entry.get("sku_id"), limit=100), text(entry.get("app_food_code")))
                if c
            )
        )
        items.append(
            ItemLine(
                codes=codes,
                name=text(entry.get("food_name"), limit=200) or (codes[0] if codes else "?"),
                qty=qty,
                unit_price=yuan_to_fen(entry.get("price"), field=f"detail[{n}].price"),
                spec=text(entry.get("spec"), limit=100),
                note=text(entry.get("food_property"), limit=200),
            )
        )
        box_num = to_decimal(entry.get("box_num") or 0, field=f"detail[{n}].box_num")
        box_price = to_decimal(entry.get("box_price") or 0, field=f"detail[{n}].box_price")
        box_total += box_num * box_price * qty
    fees = []
    boxes = yuan_to_fen(box_total, field="box fees")
    if boxes:
        fees.append(FeeLine(FeeKind.BOX, boxes, "餐盒费"))
    shipping = yuan_to_fen(fields.get("shipping_fee") or 0, field="shipping_fee")
    if shipping:
        fees.append(FeeLine(FeeKind.SHIPPING, shipping, "配送费"))
    extras = json_field(fields, "extras")
    if not isinstance(extras, list):
        raise PushInvalid("extras is not a list")
    discounts = []
    for n, extra in enumerate(extras):
        if not isinstance(extra, dict) or not extra.get("reduce_fee"):
            continue
        discounts.append(
            DiscountLine(
                amount=yuan_to_fen(extra["reduce_fee"], field=f"extras[{n}].reduce_fee"),
                remark=text(extra.get("remark"), limit=200) or "美团优惠",
                type=text(extra.get("type"), limit=40),
            )
        )
    total = yuan_to_fen(fields.get("total"), field="total")
    name, salutation = split_recipient_name(text(fields.get("recipient_name"), limit=100))
    phone = text(fields.get("recipient_phone"), limit=40)
    typed, geocoded = split_address(text(fields.get("recipient_address")))
    placed_at = _unix(fields.get("ctime"), field="ctime")
    if placed_at is None:
        raise PushInvalid("ctime is missing")
    platform_ids = {
        key: value
        for key in ("order_id", "wm_order_id_view", "day_seq", "app_poi_code", "city_id")
        if (value := text(fields.get(key), limit=100))
    }
    return ParsedOrder(
        platform=Channel.MEITUAN,
        external_id=external_id,
        store_codes=tuple(c for c in (text(fields.get("app_poi_code"), limit=100),) if c),
        items=tuple(items),
        fees=tuple(fees),
        discounts=reconcile(
            items=items, fees=fees, discounts=discounts, total=total, external_id=external_id
        ),
        total=total,
        customer=Customer(
            name=name, phone=phone, salutation=salutation, phones=(phone,) if phone else ()
        ),
        address=Address(
            text=typed,
            geocoded=geocoded,
            lat=coordinate(fields.get("latitude"), field="latitude", limit=90),
            lng=coordinate(fields.get("longitude"), field="longitude", limit=180),
        ),
        note=text(fields.get("caution")),
        placed_at=placed_at,
        requested_time=_unix(fields.get("delivery_time"), field="delivery_time"),
        prepaid=(fields.get("pay_type") or "2").strip() != "1",
        platform_ids=platform_ids,
    )
