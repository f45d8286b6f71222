"""The generic channel: any system that pushes orders as JSON signed like our webhooks.

The body is signed exactly as Omniloop signs its own webhook deliveries (header
``Omniloop-Signature: t=<unix>,v1=<HMAC-SHA256 of "<t>.<body>">``, 5 minutes' tolerance);
money is in integer minor units (fen), like the rest of the Omniloop API. ``kind`` says
what the push is::

    {"kind": "new_order", "external_id": "A-1001", "store": "S001",
     "lines": [{"code": "TEA-L", "name": "Tea", "qty": 2, "unit_price": 1200}],
     "fees": [{"kind": "shipping", "amount": 500}],
     "discounts": [{"amount": 300, "remark": "coupon"}],
     "total": 2600, "currency": "CNY",
     "customer": {"name": "Li", "phone": "13800000000"},
     "address": {"text": "...", "lat": 31.23, "lng": 121.47},
     "note": "...", "placed_at": "2024-06-10T08:00:00Z", "requested_time": null}
    {"kind": "cancel", "external_id": "A-1001", "reason": "customer changed their mind"}
    {"kind": "refund", "external_id": "A-1001", "stage": "agree", "reason": "...",
     "amount": 1200}
    {"kind": "delivery_status", "external_id": "A-1001", "status": "picked_up",
     "courier_name": "Wang", "courier_phone": "13900000000"}
    {"kind": "status", "external_id": "A-1001", "status": "..."}
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

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
)
from omniloop.channels.fields import coordinate, identifier, text
from omniloop.shared.money import MAX_AMOUNT, UnknownCurrency, normalize_currency
from omniloop.webhooks.domain import SIGNATURE_HEADER, verify

__all__ = ["SIGNATURE_HEADER", "TOLERANCE_SECONDS", "kind_of", "load_body", "parse", "verifies"]

TOLERANCE_SECONDS = 300.0


class MalformedBody(ValueError):
    """The body is not a JSON object."""


def verifies(*, secret: str, header: str | None, body: bytes, now: float) -> bool:
    return bool(header) and verify(secret, header or "", body, TOLERANCE_SECONDS, now)


def load_body(body: bytes) -> dict[str, Any]:
    try:
        data = json.loads(body)
    except (ValueError, UnicodeDecodeError) as exc:
        raise MalformedBody(f"the push is not JSON: {exc}") from None
    if not isinstance(data, dict):
        raise MalformedBody("the push is not a JSON object")
    return data


def kind_of(body: Mapping[str, Any]) -> PushKind:
    try:
        kind = PushKind(str(body.get("kind")))
    except ValueError:
        return PushKind.UNKNOWN
    return PushKind.UNKNOWN if kind is PushKind.HEARTBEAT else kind


def _fen(value: Any, *, field: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_AMOUNT:
        raise PushInvalid(f"{field} must be a whole number of minor units (0 to {MAX_AMOUNT})")
    return value


def _objects(body: Mapping[str, Any], name: str) -> list[Mapping[str, Any]]:
    value = body.get(name) or []
    if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
        raise PushInvalid(f"{name} must be a list of objects")
    return value


def _object(body: Mapping[str, Any], name: str) -> Mapping[str, Any]:
    value = body.get(name)
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise PushInvalid(f"{name} must be an object")
    return value


def _time(value: Any, *, field: str) -> datetime | None:
    if value is None:
        return None
    try:
        moment = datetime.fromisoformat(str(value))
    except ValueError:
        raise PushInvalid(f"{field} is not an ISO 8601 date and time") from None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment


def parse(body: Mapping[str, Any]) -> ParsedPush:
    kind = kind_of(body)
    try:
        if kind is PushKind.UNKNOWN:
            return Unrecognised(f"kind {str(body.get('kind'))[:40]!r} is not one we know")
        if kind is PushKind.NEW_ORDER:
            return NewOrder(parse_order(body))
        external_id = identifier(body.get("external_id"), field="external_id", kind=kind)
        if kind is PushKind.CANCEL:
            return Cancellation(external_id, reason=text(body.get("reason")) or "cancelled")
        if kind is PushKind.REFUND:
            try:
                stage = RefundStage(body.get("stage", "agree"))
            except ValueError:
                raise PushInvalid("stage must be apply, agree, reject or cancelRefund") from None
            amount = body.get("amount")
            return RefundNotice(
                external_id=external_id,
                stage=stage,
                reason=text(body.get("reason")) or "refund",
                amount=None if amount is None else _fen(amount, field="amount"),
            )
        if kind is PushKind.DELIVERY_STATUS:
            raw = text(body.get("status"), limit=40) or ""
            try:
                state = DeliveryState(raw)
            except ValueError:
                state = DeliveryState.UNKNOWN
            return DeliveryUpdate(
                external_id=external_id,
                state=state,
                platform_state=raw,
                courier_name=text(body.get("courier_name"), limit=100),
                courier_phone=text(body.get("courier_phone"), limit=40),
            )
        return StatusReport(external_id, status=text(body.get("status"), limit=40) or "")
    except PushInvalid as exc:
        exc.kind = kind
        exc.external_id = exc.external_id or text(body.get("external_id"), limit=100)
        raise


def parse_order(body: Mapping[str, Any]) -> ParsedOrder:
    external_id = identifier(body.get("external_id"), field="external_id", kind=PushKind.NEW_ORDER)
    items = []
    for n, line in enumerate(_objects(body, "lines")):
        code = identifier(
            line.get("code") or line.get("sku"), field=f"lines[{n}].code", kind=PushKind.NEW_ORDER
        )
        items.append(
            ItemLine(
                codes=(code,),
                name=text(line.get("name"), limit=200) or code,
                qty=quantity(line.get("qty"), field=f"lines[{n}].qty"),
                unit_price=_fen(line.get("unit_price"), field=f"lines[{n}].unit_price"),
                spec=text(line.get("spec"), limit=100),
                note=text(line.get("note"), limit=200),
            )
        )
    if not items:
        raise PushInvalid("the order has no lines")
    fees = []
    for n, fee in enumerate(_objects(body, "fees")):
        try:
            fee_kind = FeeKind(str(fee.get("kind")))
        except ValueError:
            raise PushInvalid(f"fees[{n}].kind must be box, package or shipping") from None
        amount = _fen(fee.get("amount"), field=f"fees[{n}].amount")
        fees.append(FeeLine(fee_kind, amount, text(fee.get("name"), limit=100) or fee_kind.value))
    discounts = [
        DiscountLine(
            amount=_fen(d.get("amount"), field=f"discounts[{n}].amount"),
            remark=text(d.get("remark"), limit=200) or "discount",
            type=text(d.get("type"), limit=40),
        )
        for n, d in enumerate(_objects(body, "discounts"))
    ]
    try:
        currency = normalize_currency(str(body.get("currency") or "CNY"))
    except UnknownCurrency as exc:
        raise PushInvalid(str(exc)) from None
    total = _fen(body.get("total"), field="total")
    customer = _object(body, "customer")
    address = _object(body, "address")
    phone = text(customer.get("phone"), limit=40)
    placed_at = _time(body.get("placed_at"), field="placed_at")
    if placed_at is None:
        raise PushInvalid("placed_at is missing")
    store = identifier(body.get("store"), field="store", kind=PushKind.NEW_ORDER)
    return ParsedOrder(
        platform=Channel.GENERIC,
        external_id=external_id,
        store_codes=(store,),
        items=tuple(items),
        fees=tuple(fees),
        discounts=reconcile(
            items=items,
            fees=fees,
            discounts=discounts,
            total=total,
            external_id=external_id,
            strict=True,
        ),
        total=total,
        customer=Customer(
            name=text(customer.get("name"), limit=100),
            phone=phone,
            phones=(phone,) if phone else (),
        ),
        address=Address(
            text=text(address.get("text")),
            lat=coordinate(address.get("lat"), field="address.lat", limit=90),
            lng=coordinate(address.get("lng"), field="address.lng", limit=180),
        ),
        note=text(body.get("note")),
        placed_at=placed_at,
        requested_time=_time(body.get("requested_time"), field="requested_time"),
        prepaid=body.get("prepaid", True) is not False,
        platform_ids={"external_id": external_id},
        currency=currency,
    )
