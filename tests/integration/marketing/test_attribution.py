"""``attribute_in`` (which campaign an order is credited to) and ``link_visitor_in``."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from omniloop.marketing.attribution import attribute_in
from omniloop.marketing.domain import (
    Attribution,
    AttributionModel,
    AttributionRule,
    Medium,
    new_visitor_id,
)
from omniloop.marketing.models import VisitorLink
from omniloop.marketing.tracking import link_visitor_in, merge_visitor_links_in
from tests.integration.marketing.conftest import add_campaign, add_code, add_exposure, add_member
from tests.support.factories import add_location

NOW = datetime.now(UTC).replace(microsecond=0)
DAY = timedelta(days=1)


@pytest.fixture
async def loop(db, tenant):
    """Campaigns A (last touch) and B (first touch), running since 30 days, one code each."""
    merchant_id = tenant.merchant_id
    await add_location(db, merchant_id, "S1")
    await add_location(db, merchant_id, "S2")
    window = {"starts_at": NOW - 30 * DAY, "ends_at": NOW + 30 * DAY}
    a = await add_campaign(db, merchant_id, name="A", **window)
    b = await add_campaign(db, merchant_id, name="B", attribution_model="first_touch", **window)

    class Loop:
        pass

    loop = Loop()
    loop.merchant_id, loop.a, loop.b = merchant_id, a, b
    loop.code_a = await add_code(db, merchant_id, a.id, location="S1")
    loop.code_b = await add_code(db, merchant_id, b.id, medium=Medium.LINK)
    return loop


async def attribute(db, merchant_id, *, code=None, visitor=None, member=None, channel="own_app",
                    location="S1", at=NOW):  # fmt: skip
    async with db.uow() as uow:
        return await attribute_in(
            uow.session,
            merchant_id=merchant_id,
            tracking_code=code,
            visitor_id=visitor,
            member_id=member,
            channel=channel,
            location=location,
            at=at,
        )


async def link(db, merchant_id, visitor, member_id, at=NOW):
    async with db.uow() as uow:
        linked = await link_visitor_in(
            uow.session, merchant_id=merchant_id, visitor_id=visitor, member_id=member_id, at=at
        )
        await uow.commit()
    return linked


async def test_an_explicit_code_wins_even_without_an_exposure(db, loop):
    visitor = await add_exposure(db, loop.merchant_id, loop.code_b, loop.b.id, NOW - DAY)
    found = await attribute(db, loop.merchant_id, code=loop.code_a.lower(), visitor=visitor)
    assert found == Attribution(loop.code_a, loop.a.id, AttributionRule.EXPLICIT, None)


async def test_an_unknown_or_excluded_explicit_code_falls_back_to_the_visitors_touches(db, loop):
    visitor = await add_exposure(db, loop.merchant_id, loop.code_b, loop.b.id, NOW - DAY)
    for code in ("ZZZZZZZZ", "utm_spring", None):
        found = await attribute(db, loop.merchant_id, code=code, visitor=visitor)
        assert (found.campaign_id, found.rule) == (loop.b.id, AttributionRule.FIRST_TOUCH)
    only_s2 = await add_campaign(db, loop.merchant_id, name="S2 only", locations=["S2"],
                                 starts_at=NOW - DAY, ends_at=NOW + DAY)  # fmt: skip
    code = await add_code(db, loop.merchant_id, only_s2.id)
    found = await attribute(db, loop.merchant_id, code=code, visitor=visitor, location="S1")
    assert found.campaign_id == loop.b.id
    found = await attribute(db, loop.merchant_id, code=code, visitor=visitor, location="S2")
    assert (found.campaign_id, found.rule) == (only_s2.id, AttributionRule.EXPLICIT)


async def test_the_visitors_last_touch_within_the_window_credits_the_order(db, loop):
    m = loop.merchant_id
    visitor = await add_exposure(db, m, loop.code_a, loop.a.id, NOW - 10 * DAY)
    assert await attribute(db, m, visitor=visitor) is None  # ten days > the 7-day window
    await add_exposure(db, m, loop.code_a, loop.a.id, NOW - 3 * DAY, visitor=visitor)
    latest = NOW - 2 * DAY
    await add_exposure(db, m, loop.code_a, loop.a.id, latest, visitor=visitor)
    found = await attribute(db, m, visitor=visitor)
    assert found == Attribution(loop.code_a, loop.a.id, AttributionRule.LAST_TOUCH, latest)
    assert await attribute(db, m, visitor=visitor, at=NOW - 11 * DAY) is None


async def test_bots_openings_outside_the_campaign_and_other_merchants_never_credit(
    db, loop, other_tenant
):
    m = loop.merchant_id
    visitor = await add_exposure(db, m, loop.code_a, loop.a.id, NOW - DAY, bot=True)
    await add_exposure(db, m, loop.code_a, loop.a.id, NOW - DAY, visitor=visitor, outside=True)
    assert await attribute(db, m, visitor=visitor) is None
    assert await attribute(db, other_tenant.merchant_id, visitor=visitor) is None
    await add_exposure(db, m, loop.code_a, loop.a.id, NOW - DAY, visitor=visitor)
    assert await attribute(db, other_tenant.merchant_id, visitor=visitor) is None
    assert await attribute(db, other_tenant.merchant_id, code=loop.code_a) is None
    assert (await attribute(db, m, visitor=visitor)).campaign_id == loop.a.id


async def test_a_members_touches_on_every_linked_device_count(db, loop):
    m = loop.merchant_id
    member = await add_member(db, m, NOW - 20 * DAY)
    phone, laptop = new_visitor_id(), new_visitor_id()
    await link(db, m, phone, member)
    await link(db, m, laptop, member)
    await add_exposure(db, m, loop.code_a, loop.a.id, NOW - 2 * DAY, visitor=phone)
    assert (await attribute(db, m, member=member)).campaign_id == loop.a.id
    await add_exposure(db, m, loop.code_b, loop.b.id, NOW - 4 * DAY, visitor=laptop)
    # B (first touch) touched the member first, on the laptop: B wins, whatever device orders.
    found = await attribute(db, m, member=member, visitor=new_visitor_id())
    assert (found.campaign_id, found.tracking_code) == (loop.b.id, loop.code_b)
    assert await attribute(db, m, member=uuid.uuid4()) is None


async def test_nothing_to_go_by_is_no_attribution(db, loop):
    assert await attribute(db, loop.merchant_id) is None
    assert await attribute(db, loop.merchant_id, visitor="not a visitor id") is None


async def test_campaign_channels_and_locations_limit_what_it_is_credited_with(db, loop):
    m = loop.merchant_id
    pos_only = await add_campaign(db, m, name="POS", channels=["pos"], starts_at=NOW - DAY,
                                  ends_at=NOW + DAY)  # fmt: skip
    code = await add_code(db, m, pos_only.id)
    visitor = await add_exposure(db, m, code, pos_only.id, NOW - DAY / 2)
    assert await attribute(db, m, visitor=visitor, channel="own_app") is None
    assert (await attribute(db, m, visitor=visitor, channel="pos")).campaign_id == pos_only.id


async def test_a_visitor_is_linked_once_and_the_first_member_keeps_it(db, loop):
    m = loop.merchant_id
    first, second = await add_member(db, m, NOW), await add_member(db, m, NOW)
    visitor = new_visitor_id()
    assert await link(db, m, visitor, first) == first
    assert await link(db, m, visitor, first) == first
    assert await link(db, m, visitor, second) == first
    assert await link(db, m, "forged id!", second) is None
    async with db.uow() as uow:
        rows = list(
            await uow.session.scalars(select(VisitorLink).where(VisitorLink.merchant_id == m))
        )
    assert [(r.visitor_id, r.member_id) for r in rows] == [(visitor, first)]


async def test_a_merged_members_visitors_become_the_survivors(db, loop):
    m = loop.merchant_id
    survivor, absorbed = await add_member(db, m, NOW), await add_member(db, m, NOW)
    visitor = new_visitor_id()
    await link(db, m, visitor, absorbed)
    await add_exposure(db, m, loop.code_a, loop.a.id, NOW - DAY, visitor=visitor)
    async with db.uow() as uow:
        await merge_visitor_links_in(uow.session, m, survivor, absorbed)
        await uow.commit()
    assert (await attribute(db, m, member=survivor)).campaign_id == loop.a.id
    assert await attribute(db, m, member=absorbed) is None


async def test_every_attribution_model_is_recorded_with_its_touch(db, loop):
    m = loop.merchant_id
    visitor = await add_exposure(db, m, loop.code_b, loop.b.id, NOW - 5 * DAY)
    await add_exposure(db, m, loop.code_b, loop.b.id, NOW - DAY, visitor=visitor)
    found = await attribute(db, m, visitor=visitor)
    assert found.rule == AttributionRule.FIRST_TOUCH == AttributionModel.FIRST_TOUCH.value
    assert found.exposed_at == NOW - 5 * DAY
