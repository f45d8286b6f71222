"""Use cases: redeem a code at a location, build an order's delivery note."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from omniloop.db import UnitOfWork
from omniloop.errors import OmniloopError, ValidationFailed
from omniloop.fulfilment.domain import (
    LOOKBACK,
    CodeKind,
    Outcome,
    RecognisedCode,
    UnrecognisedCode,
    attempts_left,
    code_hint,
    estimate_eta,
    locked_until,
    navigation_url,
    recognise,
    retry_after_seconds,
)
from omniloop.fulfilment.errors import (
    CodeAlreadyUsed,
    InvalidCode,
    NotADeliveryOrder,
    RedemptionLocked,
)
from omniloop.fulfilment.models import RedemptionAttempt
from omniloop.fulfilment.schemas import DeliveryNoteOut
from omniloop.locations.errors import LocationNotFound
from omniloop.locations.models import Location
from omniloop.orders.domain import FulfillmentType, Internal, OrderStatus
from omniloop.orders.errors import InvalidTransition
from omniloop.orders.lifecycle import apply_transition
from omniloop.orders.models import Order, OrderLine, OrderTransition
from omniloop.orders.views import load_order, load_view
from omniloop.shared.clock import ensure_utc, utcnow
from omniloop.shared.geo import distance_km
from omniloop.shared.ids import new_id
from omniloop.shared.phone import mask_phone
from omniloop.vouchers.errors import (
    UnknownVoucherCode,
    VoucherExpired,
    VoucherNotValidHere,
    VoucherRefused,
    VoucherUsedUp,
    VoucherVoid,
)
from omniloop.vouchers.redemption import redeem_in as redeem_voucher_in


async def _location(
    session: AsyncSession, merchant_id: uuid.UUID, code: str, *, lock: bool = False
) -> Location:
    query = select(Location).where(Location.merchant_id == merchant_id, Location.code == code)
    if lock:
        query = query.with_for_update()
    location = await session.scalar(query)
    if location is None:
        raise LocationNotFound(code)
    return location


async def _recent_wrong_codes(
    session: AsyncSession, merchant_id: uuid.UUID, location: str, now: datetime
) -> list[datetime]:
    rows = await session.scalars(
        select(RedemptionAttempt.created_at).where(
            RedemptionAttempt.merchant_id == merchant_id,
            RedemptionAttempt.location_code == location,
            RedemptionAttempt.outcome == Outcome.WRONG_CODE.value,
            RedemptionAttempt.created_at >= now - LOOKBACK,
        )
    )
    return [ensure_utc(t) for t in rows]


async def _was_picked_up(session: AsyncSession, order: Order) -> bool:
    found = await session.scalar(
        select(OrderTransition.id)
        .where(
            OrderTransition.merchant_id == order.merchant_id,
            OrderTransition.order_id == order.id,
            OrderTransition.action == Internal.PICK_UP.value,
        )
        .limit(1)
    )
    return found is not None


async def _redeem_pickup(
    uow: UnitOfWork,
    *,
    merchant_id: uuid.UUID,
    location: str,
    code: RecognisedCode,
    actor: str,
    wrong_before: list[datetime],
    now: datetime,
) -> tuple[Outcome, Order | None, OmniloopError | None]:
    order = await uow.session.scalar(
        select(Order)
        .where(
            Order.merchant_id == merchant_id,
            Order.location_code == location,
            Order.pickup_code == code.value,
        )
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    scanned_elsewhere = code.location is not None and code.location != location
    if (
        order is None
        or scanned_elsewhere
        or (code.order_number is not None and code.order_number != order.number)
    ):
        wrong = [*wrong_before, now]
        left = attempts_left(wrong, now=now)
        detail = "no order at this location has that pickup code"
        if locked_until(wrong, now=now) is not None:
            detail += "; too many wrong codes, redemption here is locked for a while"
        return Outcome.WRONG_CODE, None, InvalidCode(detail, attempts_left=left)
    if await _was_picked_up(uow.session, order):
        used = CodeAlreadyUsed(
            f"order {order.number} was already picked up with this code",
            order_id=str(order.id),
            status_now=order.status,
        )
        return Outcome.USED, order, used
    if order.status != OrderStatus.READY.value:
        error = InvalidTransition(
            f"order {order.number} is {order.status}: hand it over once it is ready",
            status_now=order.status,
            action=Internal.PICK_UP.value,
        )
        return Outcome.NOT_READY, order, error
    await apply_transition(
        uow, order, action=Internal.PICK_UP.value, actor=actor, reason="pickup code redeemed"
    )
    return Outcome.SUCCESS, order, None


_VOUCHER_OUTCOMES: dict[type[VoucherRefused], Outcome] = {
    VoucherUsedUp: Outcome.USED,
    VoucherVoid: Outcome.VOID,
    VoucherExpired: Outcome.EXPIRED,
    VoucherNotValidHere: Outcome.NOT_VALID_HERE,
}


async def _redeem_voucher(
    uow: UnitOfWork,
    *,
    merchant_id: uuid.UUID,
    location: str,
    code: RecognisedCode,
    amount: int | None,
    actor: str,
    wrong_before: list[datetime],
    now: datetime,
) -> tuple[Outcome, uuid.UUID | None, OmniloopError | None, dict[str, Any]]:
    try:
        redeemed = await redeem_voucher_in(
            uow.session,
            merchant_id=merchant_id,
            location=location,
            code=code.value,
            amount=amount,
            actor=actor,
            at=now,
        )
    except UnknownVoucherCode:
        wrong = [*wrong_before, now]
        detail = "no voucher has that code"
        if locked_until(wrong, now=now) is not None:
            detail += "; too many wrong codes, redemption here is locked for a while"
        return (
            Outcome.WRONG_CODE,
            None,
            InvalidCode(detail, attempts_left=attempts_left(wrong, now=now)),
            {},
        )
    except VoucherRefused as exc:
        return _VOUCHER_OUTCOMES.get(type(exc), Outcome.REFUSED), exc.order_id, exc, {}
    return Outcome.SUCCESS, redeemed.order_id, None, redeemed.view


async def redeem(
    *,
    uow: UnitOfWork,
    merchant_id: uuid.UUID,
    location: str,
    raw_code: str,
    actor: str,
    amount: int | None = None,
) -> tuple[CodeKind, dict[str, Any]]:
    """Redeem what a customer shows at ``location`` (``amount``: part of a cash voucher's
    balance); every attempt is logged, even refused ones."""
    now = utcnow()
    failure: OmniloopError | None = None
    order: Order | None = None
    order_id: uuid.UUID | None = None
    kind: CodeKind | None = None
    view: dict[str, Any] = {}
    async with uow:
        # One redemption per location at a time, so the wrong-code count cannot be outrun.
        await _location(uow.session, merchant_id, location, lock=True)
        wrong_before = await _recent_wrong_codes(uow.session, merchant_id, location, now)
        until = locked_until(wrong_before, now=now)
        if until is not None:
            outcome = Outcome.LOCKED
            failure = RedemptionLocked(
                f"too many wrong codes at {location}; try again after {until.isoformat()}",
                retry_after=retry_after_seconds(until, now=now),
                locked_until=until.isoformat(),
            )
        else:
            try:
                code = recognise(raw_code)
            except UnrecognisedCode as exc:
                outcome, failure = Outcome.MALFORMED, ValidationFailed(str(exc), field="code")
            else:
                kind = code.kind
                if kind is CodeKind.VOUCHER:
                    outcome, order_id, failure, view = await _redeem_voucher(
                        uow,
                        merchant_id=merchant_id,
                        location=location,
                        code=code,
                        amount=amount,
                        actor=actor,
                        wrong_before=wrong_before,
                        now=now,
                    )
                elif amount is not None:
                    outcome = Outcome.MALFORMED
                    failure = ValidationFailed(
                        "amount is for cash vouchers; a pickup code hands the whole order over",
                        field="amount",
                    )
                else:
                    outcome, order, failure = await _redeem_pickup(
                        uow,
                        merchant_id=merchant_id,
                        location=location,
                        code=code,
                        actor=actor,
                        wrong_before=wrong_before,
                        now=now,
                    )
                    order_id = order.id if order is not None else None
        uow.session.add(
            RedemptionAttempt(
                id=new_id(),
                merchant_id=merchant_id,
                location_code=location,
                kind=kind.value if kind else None,
                code_hint=code_hint(raw_code),
                outcome=outcome.value,
                order_id=order_id,
                actor=actor,
                created_at=now,
            )
        )
        if failure is None and order is not None:
            view = await load_view(uow.session, order)
        await uow.commit()
    if failure is not None:
        raise failure
    assert kind is not None
    return kind, view


async def list_attempts(
    *, uow: UnitOfWork, merchant_id: uuid.UUID, location: str, limit: int
) -> list[RedemptionAttempt]:
    """The latest redemption attempts at a location, newest first."""
    async with uow.read_only():
        await _location(uow.session, merchant_id, location)
        return list(
            await uow.session.scalars(
                select(RedemptionAttempt)
                .where(
                    RedemptionAttempt.merchant_id == merchant_id,
                    RedemptionAttempt.location_code == location,
                )
                .order_by(RedemptionAttempt.created_at.desc(), RedemptionAttempt.id)
                .limit(limit)
            )
        )


def _address(order: Order) -> dict[str, Any]:
    address = (order.fulfillment or {}).get("address") or {}
    return address if isinstance(address, dict) else {}


async def delivery_note(
    *,
    uow: UnitOfWork,
    merchant_id: uuid.UUID,
    order_id: uuid.UUID,
    full_phone: bool,
    authorize: Callable[[Order], None] | None = None,
) -> DeliveryNoteOut:
    """The delivery note of a routed delivery order (phone masked unless ``full_phone``)."""
    now = utcnow()
    async with uow.read_only():
        session = uow.session
        order = await load_order(session, merchant_id, order_id)
        if authorize is not None:
            authorize(order)
        if order.fulfillment_type != FulfillmentType.DELIVERY.value:
            raise NotADeliveryOrder(
                f"order {order.number} is a {order.fulfillment_type} order, not a delivery",
                fulfillment=order.fulfillment_type,
            )
        address = _address(order)
        if order.location_code is None or "lat" not in address or "lng" not in address:
            raise NotADeliveryOrder(f"order {order.number} has no routed delivery yet")
        location = await _location(session, merchant_id, order.location_code)
        lines = list(
            await session.scalars(
                select(OrderLine)
                .where(OrderLine.merchant_id == merchant_id, OrderLine.order_id == order.id)
                .order_by(OrderLine.line_no)
            )
        )
        dispatched_at = await session.scalar(
            select(OrderTransition.created_at)
            .where(
                OrderTransition.merchant_id == merchant_id,
                OrderTransition.order_id == order.id,
                OrderTransition.action == "dispatch",
            )
            .order_by(OrderTransition.created_at.desc())
            .limit(1)
        )
    lat, lng = float(address["lat"]), float(address["lng"])
    km = distance_km(location.lat, location.lng, lat, lng)
    eta = estimate_eta(
        status=order.status,
        units=sum(ln.qty for ln in lines),
        distance_km=km,
        now=now,
        dispatched_at=ensure_utc(dispatched_at) if dispatched_at else None,
    )
    phone = order.customer_phone if full_phone else mask_phone(order.customer_phone)
    return DeliveryNoteOut.model_validate(
        {
            "order_id": order.id,
            "number": order.number,
            "status": order.status,
            "channel": order.channel,
            "created_at": order.created_at,
            "requested_time": (order.fulfillment or {}).get("requested_time"),
            "note": order.note,
            "location": {
                "code": location.code,
                "name": location.name,
                "address": location.address,
                "lat": location.lat,
                "lng": location.lng,
            },
            "items": [
                {"sku": ln.sku, "name": ln.name, "qty": ln.qty, "location": ln.location_code}
                for ln in lines
            ],
            "customer": {
                "name": order.customer_name,
                "phone": phone,
                "phone_masked": not full_phone and order.customer_phone is not None,
            },
            "address": {"text": address.get("text"), "lat": lat, "lng": lng},
            "distance_km": round(km, 3),
            "eta": {
                "preparation_minutes": eta.preparation_minutes,
                "travel_minutes": eta.travel_minutes,
                "minutes": eta.minutes,
                "at": eta.at,
            },
            "navigation_url": navigation_url(location.lat, location.lng, lat, lng),
            "generated_at": now,
        }
    )
