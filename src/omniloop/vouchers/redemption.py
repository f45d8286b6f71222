"""Redeeming a voucher at a store (核销), in the caller's transaction, and what the campaign
report counts of it.

The store-facing endpoint is ``POST /locations/{code}/redemptions`` (fulfilment): it
recognises the code, applies the wrong-code lockout, logs the attempt, and calls
:func:`redeem_in` for voucher codes.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from omniloop.events import record_event
from omniloop.merchants.secrets import existing_merchant_secret
from omniloop.shared.ids import new_id
from omniloop.vouchers.domain import (
    SECRET_PURPOSE,
    RedemptionRefused,
    code_digest,
    paid_share,
    redemption_amount,
    status,
)
from omniloop.vouchers.errors import REFUSALS, UnknownVoucherCode
from omniloop.vouchers.models import Voucher, VoucherRedemption
from omniloop.vouchers.schemas import RedemptionEntryOut, VoucherRedemptionOut
from omniloop.vouchers.views import state_of, voucher_out


@dataclass(frozen=True)
class Redeemed:
    order_id: uuid.UUID
    """The order the voucher was sold on (what the attempt log links to)."""
    view: dict[str, Any]
    """:class:`VoucherRedemptionOut` as JSON, code included: callers redact it per role."""


async def _find(
    session: AsyncSession, merchant_id: uuid.UUID, code: str
) -> tuple[Voucher | None, bytes | None]:
    secret = await existing_merchant_secret(session, merchant_id, SECRET_PURPOSE)
    if secret is None:
        return None, None  # the merchant never issued a voucher
    voucher = await session.scalar(
        select(Voucher)
        .where(Voucher.merchant_id == merchant_id, Voucher.code_digest == code_digest(secret, code))
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    return voucher, secret


async def redeem_in(
    session: AsyncSession,
    *,
    merchant_id: uuid.UUID,
    location: str,
    code: str,
    amount: int | None,
    actor: str,
    at: datetime,
) -> Redeemed:
    """Redeem ``amount`` of the voucher with ``code`` at ``location`` (None: what is left);
    :class:`UnknownVoucherCode` or a :class:`VoucherRefused` leave nothing written."""
    voucher, _ = await _find(session, merchant_id, code)
    if voucher is None:
        raise UnknownVoucherCode("no voucher has that code")
    state = state_of(voucher)
    try:
        take = redemption_amount(state, location=location, amount=amount, now=at)
    except RedemptionRefused as exc:
        raise REFUSALS[exc.reason](
            str(exc),
            order_id=voucher.order_id,
            voucher_id=str(voucher.id),
            status_now=status(state, now=at).value,
            balance=voucher.balance,
            currency=voucher.currency,
        ) from None
    redeemed_before = voucher.face_value - voucher.balance
    share = paid_share(
        paid=voucher.paid_amount,
        face_value=voucher.face_value,
        redeemed_before=redeemed_before,
        redeemed_after=redeemed_before + take,
    )
    voucher.balance -= take
    voucher.updated_at = at
    entry = VoucherRedemption(
        id=new_id(),
        merchant_id=merchant_id,
        voucher_id=voucher.id,
        order_id=voucher.order_id,
        campaign_id=voucher.campaign_id,
        location_code=location,
        amount=take,
        paid_share=share,
        balance_after=voucher.balance,
        currency=voucher.currency,
        actor=actor,
        created_at=at,
    )
    session.add(entry)
    record_event(
        session,
        merchant_id=merchant_id,
        type="voucher.redeemed",
        data={
            "voucher_id": str(voucher.id),
            "redemption_id": str(entry.id),
            "order_id": str(voucher.order_id),
            "campaign_id": str(voucher.campaign_id) if voucher.campaign_id else None,
            "member_id": str(voucher.member_id) if voucher.member_id else None,
            "location": location,
            "amount": take,
            "paid_share": share,
            "balance": voucher.balance,
            "currency": voucher.currency,
        },
    )
    await session.flush()
    view = VoucherRedemptionOut(
        amount=take,
        balance=voucher.balance,
        currency=voucher.currency,
        redemption=RedemptionEntryOut.model_validate(entry),
        voucher=voucher_out(voucher, code=code, now=at),
    )
    return Redeemed(order_id=voucher.order_id, view=view.model_dump(mode="json"))


@dataclass(frozen=True)
class CampaignRedemption:
    """One voucher redemption in a store, for a campaign's report."""

    redemption_id: uuid.UUID
    voucher_id: uuid.UUID
    order_id: uuid.UUID
    location: str
    amount: int
    paid_share: int
    currency: str
    created_at: datetime


async def redemptions_by_campaign(
    session: AsyncSession,
    *,
    merchant_id: uuid.UUID,
    campaign_id: uuid.UUID,
    since: datetime | None = None,
    until: datetime | None = None,
) -> list[CampaignRedemption]:
    """The campaign's voucher redemptions in ``[since, until)``, oldest first: what its
    report counts as redemptions in stores (``voucher_redemption`` rows whose voucher was
    sold under the campaign; voided vouchers were never redeemed, so none appear)."""
    query = select(VoucherRedemption).where(
        VoucherRedemption.merchant_id == merchant_id,
        VoucherRedemption.campaign_id == campaign_id,
    )
    if since is not None:
        query = query.where(VoucherRedemption.created_at >= since)
    if until is not None:
        query = query.where(VoucherRedemption.created_at < until)
    rows = await session.scalars(query.order_by(VoucherRedemption.created_at, VoucherRedemption.id))
    return [
        CampaignRedemption(
            redemption_id=r.id,
            voucher_id=r.voucher_id,
            order_id=r.order_id,
            location=r.location_code,
            amount=r.amount,
            paid_share=r.paid_share,
            currency=r.currency,
            created_at=r.created_at,
        )
        for r in rows
    ]
