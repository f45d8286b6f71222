"""The order side of vouchers, in the caller's transaction: issue them when an order is
paid, void them when it is refunded, and say which SKUs are vouchers.

Orders call these from their own use cases (they never commit here). Vouchers import
nothing from orders: they know an order by its id.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from omniloop.errors import Unavailable
from omniloop.events import record_event
from omniloop.merchants.secrets import existing_merchant_secret, merchant_secret
from omniloop.shared.clock import utcnow
from omniloop.shared.ids import new_id
from omniloop.vouchers.domain import (
    SECRET_PURPOSE,
    RefundPolicy,
    assign_units,
    code_digest,
    is_untouched,
    last4,
    new_code,
    seal,
    unseal,
    valid_until,
)
from omniloop.vouchers.errors import VoucherNonRefundable, VoucherRedeemed
from omniloop.vouchers.models import Voucher, VoucherProduct
from omniloop.vouchers.service import terms_of
from omniloop.vouchers.views import state_of, voucher_out

_CODE_DRAWS = 5


async def is_voucher_sku(
    session: AsyncSession, merchant_id: uuid.UUID, skus: Iterable[str]
) -> set[str]:
    """Which of ``skus`` are sold as vouchers (have a voucher product)."""
    wanted = sorted(set(skus))
    if not wanted:
        return set()
    return set(
        await session.scalars(
            select(VoucherProduct.sku).where(
                VoucherProduct.merchant_id == merchant_id, VoucherProduct.sku.in_(wanted)
            )
        )
    )


async def _fresh_codes(
    session: AsyncSession, merchant_id: uuid.UUID, secret: bytes, count: int
) -> list[tuple[str, str]]:
    """``count`` new codes with their digests, distinct from each other and from every code
    the merchant issued before."""
    chosen: dict[str, str] = {}
    for _ in range(_CODE_DRAWS):
        drawn: dict[str, str] = {}
        while len(drawn) < count - len(chosen):
            code = new_code()
            digest = code_digest(secret, code)
            if digest not in chosen:
                drawn[digest] = code
        taken = set(
            await session.scalars(
                select(Voucher.code_digest).where(
                    Voucher.merchant_id == merchant_id, Voucher.code_digest.in_(sorted(drawn))
                )
            )
        )
        chosen.update({d: c for d, c in drawn.items() if d not in taken})
        if len(chosen) == count:
            return [(c, d) for d, c in chosen.items()]
    raise Unavailable("could not draw unique voucher codes; retry")


async def issue_for_order_in(
    session: AsyncSession,
    *,
    merchant_id: uuid.UUID,
    order_id: uuid.UUID,
    member_id: uuid.UUID | None,
    lines: list[tuple[str, int, int]],
    at: datetime,
) -> list[Voucher]:
    """Issue one voucher per unit of each voucher SKU in ``lines`` ``(sku, qty, net paid per
    unit)`` of a paid order; the units already issued for the order are not issued again."""
    skus = {sku for sku, qty, _ in lines if qty > 0}
    products = {
        p.sku: p
        for p in await session.scalars(
            select(VoucherProduct).where(
                VoucherProduct.merchant_id == merchant_id, VoucherProduct.sku.in_(sorted(skus))
            )
        )
    }
    if not products:
        return []
    rows = await session.execute(
        select(Voucher.sku, func.max(Voucher.unit_no))
        .where(Voucher.merchant_id == merchant_id, Voucher.order_id == order_id)
        .group_by(Voucher.sku)
    )
    issued_before = {sku: int(last) for sku, last in rows.all()}
    units = assign_units(
        [line for line in lines if line[0] in products and line[1] > 0], already=issued_before
    )
    if not units:
        return []
    secret = await merchant_secret(session, merchant_id, SECRET_PURPOSE)
    codes = await _fresh_codes(session, merchant_id, secret, len(units))
    vouchers: list[Voucher] = []
    for (sku, unit_no, paid), (code, digest) in zip(units, codes, strict=True):
        product = products[sku]
        terms = terms_of(product)
        voucher_id = new_id()
        vouchers.append(
            Voucher(
                id=voucher_id,
                merchant_id=merchant_id,
                product_id=product.id,
                order_id=order_id,
                sku=sku,
                unit_no=unit_no,
                member_id=member_id,
                code_digest=digest,
                code_last4=last4(code),
                code_sealed=seal(secret, voucher_id=voucher_id, code=code),
                name=product.name,
                kind=product.kind,
                currency=product.currency,
                face_value=product.face_value,
                balance=product.face_value,
                paid_amount=max(0, paid),
                items=list(product.items or []),
                partial_redemption=product.partial_redemption,
                locations=list(product.locations or []),
                refund_policy=product.refund_policy,
                campaign_id=product.campaign_id,
                valid_until=valid_until(terms, purchased_at=at),
                issued_at=at,
                updated_at=at,
            )
        )
    session.add_all(vouchers)
    await session.flush()
    for v in vouchers:
        record_event(
            session,
            merchant_id=merchant_id,
            type="voucher.issued",
            data={
                "voucher_id": str(v.id),
                "order_id": str(order_id),
                "product_id": str(v.product_id),
                "sku": v.sku,
                "unit_no": v.unit_no,
                "member_id": str(member_id) if member_id else None,
                "campaign_id": str(v.campaign_id) if v.campaign_id else None,
                "kind": v.kind,
                "face_value": v.face_value,
                "paid_amount": v.paid_amount,
                "currency": v.currency,
                "valid_until": v.valid_until.isoformat(),
                "code_last4": v.code_last4,
            },
        )
    return vouchers


async def vouchers_of_order(
    session: AsyncSession,
    merchant_id: uuid.UUID,
    order_id: uuid.UUID,
    *,
    reveal_codes: bool = True,
) -> list[dict[str, Any]]:
    """The order's vouchers as JSON views, by SKU and unit: with their codes for the
    order's customer, owners and integrators (``reveal_codes=False`` for everyone else)."""
    now = utcnow()
    vouchers = list(
        await session.scalars(
            select(Voucher)
            .where(Voucher.merchant_id == merchant_id, Voucher.order_id == order_id)
            .order_by(Voucher.sku, Voucher.unit_no)
        )
    )
    secret = (
        await existing_merchant_secret(session, merchant_id, SECRET_PURPOSE)
        if vouchers and reveal_codes
        else None
    )
    return [
        voucher_out(
            v,
            code=unseal(secret, voucher_id=v.id, sealed=v.code_sealed) if secret else None,
            now=now,
        ).model_dump(mode="json")
        for v in vouchers
    ]


async def void_for_refund_in(
    session: AsyncSession,
    *,
    merchant_id: uuid.UUID,
    order_id: uuid.UUID,
    sku: str,
    qty: int,
    reason: str = "refund",
) -> int:
    """Void ``qty`` untouched vouchers of the order's ``sku`` for a refund; returns how many
    were voided. Refused (409, nothing voided) when fewer than ``qty`` are untouched or the
    product's vouchers are non-refundable. An order that issued no vouchers of ``sku`` (the
    SKU became a voucher after it was paid) voids none and is not refused."""
    if qty <= 0:
        return 0
    vouchers = list(
        await session.scalars(
            select(Voucher)
            .where(
                Voucher.merchant_id == merchant_id,
                Voucher.order_id == order_id,
                Voucher.sku == sku,
            )
            .order_by(Voucher.unit_no.desc())
            .with_for_update()
            .execution_options(populate_existing=True)
        )
    )
    if not vouchers:
        return 0
    if any(v.refund_policy == RefundPolicy.NON_REFUNDABLE.value for v in vouchers):
        raise VoucherNonRefundable(
            f"vouchers of {sku} are not refundable", sku=sku, order_id=str(order_id)
        )
    untouched = [v for v in vouchers if is_untouched(state_of(v))]
    if len(untouched) < qty:
        raise VoucherRedeemed(
            f"cannot refund {qty} of {sku}: only {len(untouched)} of its "
            f"{len(vouchers)} vouchers are unredeemed",
            sku=sku,
            order_id=str(order_id),
            refundable_qty=len(untouched),
        )
    now = utcnow()
    chosen = untouched[:qty]
    for v in chosen:
        v.voided_at, v.void_reason, v.updated_at = now, reason, now
        record_event(
            session,
            merchant_id=merchant_id,
            type="voucher.voided",
            data={
                "voucher_id": str(v.id),
                "order_id": str(order_id),
                "sku": sku,
                "campaign_id": str(v.campaign_id) if v.campaign_id else None,
                "reason": reason,
            },
        )
    return qty


async def merge_vouchers_in(
    session: AsyncSession, merchant_id: uuid.UUID, survivor_id: uuid.UUID, absorbed_id: uuid.UUID
) -> None:
    """Members merge: the absorbed member's vouchers become the survivor's."""
    await session.execute(
        update(Voucher)
        .where(Voucher.merchant_id == merchant_id, Voucher.member_id == absorbed_id)
        .values(member_id=survivor_id)
        .execution_options(synchronize_session=False)
    )
