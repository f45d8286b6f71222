"""Codes are unique across merchants, and a visitor belongs to one member, under races too."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from omniloop.marketing import codes
from omniloop.marketing.models import TrackingCodeLookup, VisitorLink
from omniloop.marketing.tracking import link_visitor_in, record_exposure
from tests.integration.marketing.conftest import add_campaign, add_code, add_member

NOW = datetime.now(UTC)


async def running_campaign(db, merchant_id):
    return await add_campaign(
        db, merchant_id, starts_at=NOW - timedelta(days=1), ends_at=NOW + timedelta(days=1)
    )


async def test_a_code_drawn_twice_is_drawn_again_even_for_another_merchant(
    db, tenant, other_tenant, monkeypatch
):
    draws = iter(["SAME2345", "SAME2345", "SAME2345", "NEXT2345"])
    monkeypatch.setattr(codes, "new_tracking_code", lambda: next(draws))
    mine = await running_campaign(db, tenant.merchant_id)
    theirs = await running_campaign(db, other_tenant.merchant_id)
    assert await add_code(db, tenant.merchant_id, mine.id) == "SAME2345"
    assert await add_code(db, other_tenant.merchant_id, theirs.id) == "NEXT2345"
    async with db.uow() as uow:
        owners = {
            row.code: row.merchant_id
            for row in await uow.session.scalars(
                select(TrackingCodeLookup).where(
                    TrackingCodeLookup.code.in_(["SAME2345", "NEXT2345"])
                )
            )
        }
    assert owners == {"SAME2345": tenant.merchant_id, "NEXT2345": other_tenant.merchant_id}
    visit = await record_exposure(uow=db.uow(), code="next2345", visitor_id=None,
                                  user_agent="Mozilla/5.0", referer=None, at=NOW,
                                  base_url="https://x.example")  # fmt: skip
    assert visit.new_visitor and visit.landing_url == "https://example.com/landing"


async def test_two_members_racing_for_one_visitor_leave_one_link(db, tenant):
    m = tenant.merchant_id
    first, second = await add_member(db, m, NOW), await add_member(db, m, NOW)
    visitor = "racing-visitor-0123456789"

    async def claim(member_id):
        async with db.uow() as uow:
            linked = await link_visitor_in(
                uow.session, merchant_id=m, visitor_id=visitor, member_id=member_id, at=NOW
            )
            await asyncio.sleep(0.05)  # hold the transaction open while the other one tries
            await uow.commit()
        return linked

    results = await asyncio.gather(claim(first), claim(second))
    async with db.uow() as uow:
        rows = list(
            await uow.session.scalars(select(VisitorLink).where(VisitorLink.merchant_id == m))
        )
    assert len(rows) == 1 and results == [rows[0].member_id] * 2
