"""Which member an order belongs to: the signed-in customer, the member a POS scanned, the
member named, or the one with the customer's own phone (made on their first order)."""

from __future__ import annotations

import uuid

from omniloop.db import UnitOfWork
from omniloop.member_codes.service import claim_scan_in
from omniloop.members.identity import load_member, member_for_phone_in
from omniloop.orders.schemas import OrderCreate
from omniloop.shared.phone import InvalidPhone, normalize_phone


async def member_of(
    uow: UnitOfWork, merchant_id: uuid.UUID, body: OrderCreate, member_id: uuid.UUID | None
) -> uuid.UUID | None:
    if member_id is None and body.member_scan_id is not None:
        member_id = await claim_scan_in(
            uow.session,
            merchant_id=merchant_id,
            scan_id=body.member_scan_id,
            location=body.fulfillment.location or "",
        )
    if member_id is None:
        member_id = body.member_id
    if member_id is None:
        return None
    return (await load_member(uow.session, merchant_id, member_id)).id


async def member_by_phone(
    uow: UnitOfWork,
    merchant_id: uuid.UUID,
    phone: str,
    name: str | None,
    channel: str,
    location: str | None,
) -> uuid.UUID | None:
    try:
        e164 = normalize_phone(phone, allow_extension=False)
    except InvalidPhone:
        return None  # a platform's masked or virtual number: no member to attach
    member, _ = await member_for_phone_in(
        uow.session,
        merchant_id=merchant_id,
        phone=e164,
        name=name,
        channel=channel,
        location=location,
    )
    return member.id
