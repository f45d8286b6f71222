"""Reservation use cases: reserve all lines or none, commit, release, expire.

Reserving runs one conditional ``UPDATE ... SET reserved = reserved + q WHERE available >= q``
per line, in SKU order (one global lock order, so concurrent multi-line reservations cannot
deadlock). If any line is short the whole transaction rolls back and the caller learns which
lines were short. Before refusing, overdue reservations on those rows are expired once, so a
customer is never refused for units that are only held by an abandoned cart.
"""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.engine import CursorResult
from sqlalchemy.ext.asyncio import AsyncSession

from omniloop.db import UnitOfWork
from omniloop.events import record_event
from omniloop.idempotency import Outcome, run_once
from omniloop.inventory.domain import Line, ReservationStatus, ShortLine, available, merge_lines
from omniloop.inventory.errors import (
    InsufficientStock,
    LocationInactive,
    ReservationClosed,
    ReservationNotFound,
)
from omniloop.inventory.models import Reservation, ReservationLine, StockLevel
from omniloop.inventory.schemas import ReservationLineOut, ReservationOut
from omniloop.inventory.service import _location, _movement, _require_skus, _row_key
from omniloop.shared.clock import utcnow
from omniloop.shared.ids import new_id


def _view(reservation: Reservation, lines: list[ReservationLine]) -> dict[str, Any]:
    return ReservationOut(
        id=reservation.id,
        location=reservation.location_code,
        status=ReservationStatus(reservation.status),
        reference=reservation.reference,
        lines=[
            ReservationLineOut(sku=ln.sku, qty=ln.qty) for ln in sorted(lines, key=lambda x: x.sku)
        ],
        expires_at=reservation.expires_at,
        created_at=reservation.created_at,
        closed_at=reservation.closed_at,
    ).model_dump(mode="json")


async def _lines_of(
    session: AsyncSession, merchant_id: uuid.UUID, reservation_id: uuid.UUID
) -> list[ReservationLine]:
    return list(
        await session.scalars(
            select(ReservationLine)
            .where(
                ReservationLine.merchant_id == merchant_id,
                ReservationLine.reservation_id == reservation_id,
            )
            .order_by(ReservationLine.sku)
        )
    )


async def _hold(
    session: AsyncSession, merchant_id: uuid.UUID, location: str, lines: list[Line]
) -> list[ShortLine]:
    """Try to hold every line; return the lines that were short (empty when all held)."""
    short: list[ShortLine] = []
    for line in lines:
        result: CursorResult[Any] = await session.execute(  # type: ignore[assignment]
            update(StockLevel)
            .where(
                _row_key(merchant_id, location, line.sku),
                StockLevel.on_hand - StockLevel.reserved - StockLevel.safety_stock >= line.qty,
            )
            .values(reserved=StockLevel.reserved + line.qty, updated_at=utcnow())
            .execution_options(synchronize_session=False)
        )
        if result.rowcount != 1:
            row = (
                await session.execute(
                    select(StockLevel.on_hand, StockLevel.reserved, StockLevel.safety_stock).where(
                        _row_key(merchant_id, location, line.sku)
                    )
                )
            ).first()
            left = max(0, available(*row)) if row is not None else 0
            short.append(ShortLine(sku=line.sku, requested=line.qty, available=left))
    return short


async def hold_in(
    session: AsyncSession,
    *,
    merchant_id: uuid.UUID,
    location: str,
    lines: list[Line],
    ttl_seconds: int,
    reference: str | None,
    actor: str,
) -> dict[str, Any]:
    """Hold ``lines`` (merged, SKU-ordered) at ``location`` inside the caller's transaction.

    Raises InsufficientStock (naming the short lines), LocationInactive or an unknown-reference
    error; the caller's rollback then undoes every partial hold.
    """
    place = await _location(session, merchant_id, location)
    if not place.active:
        raise LocationInactive(f"location {location} is inactive")
    short = await _hold(session, merchant_id, location, lines)
    if short:
        # Only a failed hold pays for this check: a SKU with no stock row at all may
        # be one the merchant does not sell, which deserves its own answer.
        await _require_skus(session, merchant_id, [s.sku for s in short])
        raise InsufficientStock(location, short)
    now = utcnow()
    reservation = Reservation(
        id=new_id(),
        merchant_id=merchant_id,
        location_code=location,
        status=ReservationStatus.ACTIVE.value,
        reference=reference,
        actor=actor,
        expires_at=now + timedelta(seconds=ttl_seconds),
        created_at=now,
    )
    session.add(reservation)
    rows = [
        ReservationLine(
            merchant_id=merchant_id, reservation_id=reservation.id, sku=ln.sku, qty=ln.qty
        )
        for ln in lines
    ]
    session.add_all(rows)
    view = _view(reservation, rows)
    record_event(session, merchant_id=merchant_id, type="inventory.reserved", data=view)
    return view


async def reserve(
    *,
    uow: UnitOfWork,
    merchant_id: uuid.UUID,
    location: str,
    lines: list[Line],
    ttl_seconds: int,
    reference: str | None,
    actor: str,
    idempotency_key: str | None = None,
) -> Outcome:
    """Reserve every line at ``location`` or none (409 insufficient_stock names the short)."""
    try:
        merged = merge_lines(lines)
    except ValueError as exc:
        from omniloop.errors import ValidationFailed

        raise ValidationFailed(str(exc), field="lines") from None

    async def action(uow: UnitOfWork) -> tuple[int, Any]:
        view = await hold_in(
            uow.session,
            merchant_id=merchant_id,
            location=location,
            lines=merged,
            ttl_seconds=ttl_seconds,
            reference=reference,
            actor=actor,
        )
        return 201, view

    payload = {
        "location": location,
        "lines": [[ln.sku, ln.qty] for ln in merged],
        "ttl_seconds": ttl_seconds,
        "reference": reference,
    }
    for attempt in range(2):
        try:
            return await run_once(
                uow=uow,
                merchant_id=merchant_id,
                scope="inventory.reservation",
                key=idempotency_key,
                payload=payload,
                action=action,
            )
        except InsufficientStock:
            if attempt == 0 and await _expire_overdue_at(
                uow=uow, merchant_id=merchant_id, location=location, skus=[ln.sku for ln in merged]
            ):
                continue
            raise
    raise AssertionError("unreachable")  # pragma: no cover


async def get_reservation(
    *, uow: UnitOfWork, merchant_id: uuid.UUID, reservation_id: uuid.UUID
) -> dict[str, Any]:
    """One reservation with its lines."""
    async with uow.read_only():
        reservation = await uow.session.get(Reservation, (merchant_id, reservation_id))
        if reservation is None:
            raise ReservationNotFound(f"no reservation {reservation_id}")
        return _view(reservation, await _lines_of(uow.session, merchant_id, reservation_id))


async def _close(
    session: AsyncSession,
    *,
    merchant_id: uuid.UUID,
    reservation_id: uuid.UUID,
    to: ReservationStatus,
) -> bool:
    """Move an active reservation to ``to``; False when it was not active (someone else won)."""
    result: CursorResult[Any] = await session.execute(  # type: ignore[assignment]
        update(Reservation)
        .where(
            Reservation.merchant_id == merchant_id,
            Reservation.id == reservation_id,
            Reservation.status == ReservationStatus.ACTIVE.value,
        )
        .values(status=to.value, closed_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    return result.rowcount == 1


async def _give_back(
    session: AsyncSession, merchant_id: uuid.UUID, location: str, lines: list[ReservationLine]
) -> None:
    for line in lines:
        await session.execute(
            update(StockLevel)
            .where(_row_key(merchant_id, location, line.sku))
            .values(reserved=StockLevel.reserved - line.qty, updated_at=utcnow())
            .execution_options(synchronize_session=False)
        )


async def close_in(
    session: AsyncSession,
    *,
    merchant_id: uuid.UUID,
    reservation_id: uuid.UUID,
    to: ReservationStatus,
    actor: str,
    honour_expiry: bool = True,
) -> tuple[dict[str, Any], ReservationStatus]:
    """Commit or release a reservation inside the caller's transaction.

    Returns the reservation's view and the status applied: committing a reservation past its
    expiry expires it instead (unless ``honour_expiry`` is False, for an owner such as an
    order that decides its own deadline). Repeating the same close is harmless; closing it
    the other way raises ReservationClosed.
    """
    reservation = await session.get(Reservation, (merchant_id, reservation_id))
    if reservation is None:
        raise ReservationNotFound(f"no reservation {reservation_id}")
    lines = await _lines_of(session, merchant_id, reservation_id)
    to_apply = to
    if honour_expiry and to is ReservationStatus.COMMITTED and reservation.expires_at <= utcnow():
        to_apply = ReservationStatus.EXPIRED
    if not await _close(
        session, merchant_id=merchant_id, reservation_id=reservation_id, to=to_apply
    ):
        await session.refresh(reservation)
        if reservation.status == to.value:
            return _view(reservation, lines), to  # repeating a commit or release is harmless
        raise ReservationClosed(
            f"reservation {reservation_id} is already {reservation.status}",
            status_now=reservation.status,
        )
    location = reservation.location_code
    if to_apply is ReservationStatus.COMMITTED:
        for line in lines:
            result = await session.execute(
                update(StockLevel)
                .where(_row_key(merchant_id, location, line.sku))
                .values(
                    on_hand=StockLevel.on_hand - line.qty,
                    reserved=StockLevel.reserved - line.qty,
                    updated_at=utcnow(),
                )
                .returning(StockLevel.on_hand)
                .execution_options(synchronize_session=False)
            )
            _movement(
                session,
                merchant_id=merchant_id,
                location=location,
                sku=line.sku,
                delta=-line.qty,
                on_hand_after=result.scalar_one(),
                reason="sale",
                reference=reservation.reference or f"reservation:{reservation_id}",
                actor=actor,
            )
    else:
        await _give_back(session, merchant_id, location, lines)
    await session.refresh(reservation)
    view = _view(reservation, lines)
    record_event(session, merchant_id=merchant_id, type=f"inventory.{to_apply.value}", data=view)
    return view, to_apply


async def _finish(
    *,
    uow: UnitOfWork,
    merchant_id: uuid.UUID,
    reservation_id: uuid.UUID,
    to: ReservationStatus,
    actor: str,
) -> dict[str, Any]:
    async with uow:
        view, applied = await close_in(
            uow.session, merchant_id=merchant_id, reservation_id=reservation_id, to=to, actor=actor
        )
        await uow.commit()
    if applied is not to:
        raise ReservationClosed(
            f"reservation {reservation_id} expired at {view['expires_at']}",
            status_now=applied.value,
        )
    return view


async def commit_reservation(
    *, uow: UnitOfWork, merchant_id: uuid.UUID, reservation_id: uuid.UUID, actor: str
) -> dict[str, Any]:
    """Turn a reservation into a sale: ``on_hand`` and ``reserved`` drop, the ledger says so."""
    return await _finish(
        uow=uow,
        merchant_id=merchant_id,
        reservation_id=reservation_id,
        to=ReservationStatus.COMMITTED,
        actor=actor,
    )


async def release_reservation(
    *, uow: UnitOfWork, merchant_id: uuid.UUID, reservation_id: uuid.UUID, actor: str
) -> dict[str, Any]:
    """Give a reservation's units back."""
    return await _finish(
        uow=uow,
        merchant_id=merchant_id,
        reservation_id=reservation_id,
        to=ReservationStatus.RELEASED,
        actor=actor,
    )


async def _expire_one(uow: UnitOfWork, merchant_id: uuid.UUID, reservation_id: uuid.UUID) -> bool:
    async with uow:
        session = uow.session
        reservation = await session.get(Reservation, (merchant_id, reservation_id))
        if reservation is None or reservation.expires_at > utcnow():
            return False
        if not await _close(
            session,
            merchant_id=merchant_id,
            reservation_id=reservation_id,
            to=ReservationStatus.EXPIRED,
        ):
            return False
        lines = await _lines_of(session, merchant_id, reservation_id)
        await _give_back(session, merchant_id, reservation.location_code, lines)
        await session.refresh(reservation)
        record_event(
            session,
            merchant_id=merchant_id,
            type="inventory.expired",
            data=_view(reservation, lines),
        )
        await uow.commit()
    return True


async def expire_reservations(*, uow: UnitOfWork, batch: int = 200) -> int:
    """Expire overdue reservations of every merchant, one transaction each; returns how many."""
    async with uow.read_only():
        due = (
            await uow.session.execute(
                select(Reservation.merchant_id, Reservation.id)
                .where(
                    Reservation.status == ReservationStatus.ACTIVE.value,
                    Reservation.expires_at <= utcnow(),
                )
                .order_by(Reservation.expires_at)
                .limit(batch)
            )
        ).all()
    done = 0
    for merchant_id, reservation_id in due:
        done += await _expire_one(uow, merchant_id, reservation_id)
    return done


async def _expire_overdue_at(
    *, uow: UnitOfWork, merchant_id: uuid.UUID, location: str, skus: list[str]
) -> int:
    """Expire this merchant's overdue reservations holding any of ``skus`` at ``location``."""
    async with uow.read_only():
        due = list(
            await uow.session.scalars(
                select(Reservation.id)
                .join(
                    ReservationLine,
                    (ReservationLine.merchant_id == Reservation.merchant_id)
                    & (ReservationLine.reservation_id == Reservation.id),
                )
                .where(
                    Reservation.merchant_id == merchant_id,
                    Reservation.location_code == location,
                    Reservation.status == ReservationStatus.ACTIVE.value,
                    Reservation.expires_at <= utcnow(),
                    ReservationLine.sku.in_(skus),
                )
                .distinct()
                .limit(500)
            )
        )
    done = 0
    for reservation_id in due:
        done += await _expire_one(uow, merchant_id, reservation_id)
    return done
