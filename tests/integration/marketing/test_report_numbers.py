"""The campaign report agrees exactly with the rows it summarises.

A seeded random history (exposures of two campaigns, bots, openings outside the campaign,
members joining before and after, several devices per member, orders in every state,
refunds, pickups) is written straight into the tables; every number of the report is then
recomputed here in plain Python from those rows and compared, for every grouping. The
merchant's time zone has summer time inside the campaign, so local days are tested across
the change on both databases.
"""

from __future__ import annotations

import random
import uuid
from collections import defaultdict
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select, update

from omniloop.marketing.domain import GroupBy, Medium, new_visitor_id, ratio, roi
from omniloop.marketing.models import Campaign, Exposure, TrackingCode
from omniloop.marketing.report import campaign_report, report_csv
from omniloop.marketing.tracking import link_visitor_in
from omniloop.members.models import Member
from omniloop.merchants.models import Merchant
from omniloop.orders.models import Order, OrderTransition
from tests.integration.marketing.conftest import (
    add_campaign,
    add_code,
    add_exposure,
    add_member,
    add_order,
)
from tests.support.factories import add_location

ZONE = "Europe/Berlin"  # summer time starts 2026-03-29 01:00 UTC
STARTS = datetime(2026, 3, 20, 8, 0, tzinfo=UTC)
ENDS = datetime(2026, 4, 5, 8, 0, tzinfo=UTC)
METRICS = (
    "exposures",
    "unique_visitors",
    "new_members",
    "orders",
    "paid_revenue",
    "refunds",
    "net_revenue",
    "redemptions",
)


def some_time(rng: random.Random, start: datetime, end: datetime) -> datetime:
    seconds = int((end - start).total_seconds())
    return start + timedelta(seconds=rng.randrange(seconds), microseconds=rng.randrange(10**6))


@pytest.fixture
async def history(db, tenant):
    """Campaign A (cost 2000.00) with three codes, campaign B with one, and their history."""
    rng = random.Random(20260329)
    m = tenant.merchant_id
    async with db.uow() as uow:
        await uow.session.execute(
            update(Merchant).where(Merchant.merchant_id == m).values(timezone=ZONE)
        )
        await uow.commit()
    for code in ("S1", "S2", "S3"):
        await add_location(db, m, code)
    a = await add_campaign(db, m, name="A", cost=200_000, starts_at=STARTS, ends_at=ENDS,
                           attribution_window_days=3)  # fmt: skip
    b = await add_campaign(db, m, name="B", cost=1, starts_at=STARTS, ends_at=ENDS)
    codes_a = [
        await add_code(db, m, a.id, medium=Medium.POSTER, location="S1"),
        await add_code(db, m, a.id, medium=Medium.POSTER, location="S2"),
        await add_code(db, m, a.id, medium=Medium.LINK),
    ]
    code_b = await add_code(db, m, b.id, medium=Medium.QR, location="S3")
    visitors = [new_visitor_id() for _ in range(40)]
    for visitor in visitors:
        for _ in range(rng.randint(1, 4)):
            at = some_time(rng, STARTS - timedelta(days=2), ENDS + timedelta(days=1))
            campaign, code = (b, code_b) if rng.random() < 0.2 else (a, rng.choice(codes_a))
            outside = not STARTS <= at <= ENDS
            await add_exposure(db, m, code, campaign.id, at, visitor=visitor,
                               bot=rng.random() < 0.1, outside=outside)  # fmt: skip
    # Local midnight on both sides of the summer time change.
    for at in (
        datetime(2026, 3, 28, 23, 30, tzinfo=UTC),  # 00:30 on the 29th, CET
        datetime(2026, 3, 29, 21, 59, tzinfo=UTC),  # 23:59 on the 29th, CEST
        datetime(2026, 3, 29, 22, 0, tzinfo=UTC),  # 00:00 on the 30th, CEST
    ):
        await add_exposure(db, m, codes_a[0], a.id, at)
    members = []
    for visitor in rng.sample(visitors, 25):
        joined = some_time(rng, STARTS - timedelta(days=3), ENDS + timedelta(days=6))
        member = await add_member(db, m, joined)
        members.append(member)
        async with db.uow() as uow:
            await link_visitor_in(uow.session, merchant_id=m, visitor_id=visitor,
                                  member_id=member, at=joined)  # fmt: skip
            if rng.random() < 0.3:  # a second device of the same member
                other = rng.choice(visitors)
                await link_visitor_in(uow.session, merchant_id=m, visitor_id=other,
                                      member_id=member, at=joined)  # fmt: skip
            await uow.commit()
    statuses = ["completed", "paid", "picked_up", "cancelled", "pending_payment", "refunded",
                "partially_refunded"]  # fmt: skip
    for _ in range(60):
        status = rng.choice(statuses)
        paid = 0 if status == "pending_payment" else rng.randrange(100, 50_000)
        refunded = {"refunded": paid, "partially_refunded": paid // 3}.get(status, 0)
        if status == "cancelled" and rng.random() < 0.5:
            paid = refunded = rng.randrange(100, 5_000)  # cancelled after payment
        campaign_id, code = rng.choice(
            [(a.id, rng.choice(codes_a)), (a.id, None), (b.id, code_b), (None, None)]
        )
        created = some_time(rng, STARTS, ENDS + timedelta(days=3))
        picked = None
        if status in ("picked_up", "completed", "partially_refunded") and rng.random() < 0.7:
            picked = created + timedelta(hours=rng.randint(1, 40))
        await add_order(db, m, created, paid=paid, refunded=refunded, status=status,
                        channel=rng.choice(["own_app", "pos", "meituan"]),
                        location=rng.choice(["S1", "S2", None]), campaign_id=campaign_id,
                        tracking_code=code, picked_up_at=picked)  # fmt: skip
    return a


async def raw_rows(db, merchant_id) -> dict[str, Any]:
    async with db.uow() as uow:
        s = uow.session

        async def every(model):
            return list(await s.scalars(select(model).where(model.merchant_id == merchant_id)))

        from omniloop.marketing.models import VisitorLink

        return {
            "exposures": await every(Exposure),
            "codes": {c.code: c for c in await every(TrackingCode)},
            "links": {v.visitor_id: v.member_id for v in await every(VisitorLink)},
            "members": await every(Member),
            "orders": await every(Order),
            "transitions": await every(OrderTransition),
        }


def recompute(campaign: Campaign, rows: dict[str, Any], group_by: GroupBy | None):
    """The report, from the raw rows, the way the module docstring of report.py says."""
    zone = ZoneInfo(ZONE)
    codes = rows["codes"]
    groups: dict[Any, dict[str, Any]] = defaultdict(lambda: defaultdict(int))
    visitors: dict[Any, set[str]] = defaultdict(set)

    def day(at: datetime) -> str:
        return at.astimezone(zone).date().isoformat()

    def exposure_key(code: str, at: datetime):
        return {
            GroupBy.DAY: day(at),
            GroupBy.LOCATION: codes[code].location_code,
            GroupBy.MEDIUM: codes[code].medium,
        }.get(group_by)

    counted = [
        e
        for e in rows["exposures"]
        if e.campaign_id == campaign.id and not e.is_bot and not e.outside_window
    ]
    for e in counted:
        groups[exposure_key(e.code, e.exposed_at)]["exposures"] += 1
        visitors[exposure_key(e.code, e.exposed_at)].add(e.visitor_id)
    for key, seen in visitors.items():
        groups[key]["unique_visitors"] = len(seen)
    until = campaign.ends_at + timedelta(days=campaign.attribution_window_days)
    for member in rows["members"]:
        touches = [
            e
            for e in counted
            if rows["links"].get(e.visitor_id) == member.id
            and e.exposed_at <= member.created_at <= until
        ]
        if touches:
            first = min(touches, key=lambda e: (e.exposed_at, str(e.id)))
            key = exposure_key(first.code, member.created_at)
            groups[key]["new_members"] += 1

    def order_key(order: Order, at: datetime):
        code = codes.get(order.tracking_code or "")
        return {
            GroupBy.DAY: day(at),
            GroupBy.CHANNEL: order.channel,
            GroupBy.LOCATION: order.location_code,
            GroupBy.MEDIUM: code.medium if code else None,
        }.get(group_by)

    orders = {
        o.id: o
        for o in rows["orders"]
        if o.campaign_id == campaign.id and o.status != "cancelled" and o.paid_total > 0
    }
    for o in orders.values():
        group = groups[order_key(o, o.created_at)]
        group["orders"] += 1
        group["paid_revenue"] += o.paid_total
        group["refunds"] += o.refunded_total
    redeemed: dict[Any, set[uuid.UUID]] = defaultdict(set)
    for t in rows["transitions"]:
        if t.action == "pick_up" and t.order_id in orders:
            redeemed[order_key(orders[t.order_id], t.created_at)].add(t.order_id)
    for key, ids in redeemed.items():
        groups[key]["redemptions"] = len(ids)
    result = {}
    for key, g in groups.items():
        numbers = {name: g[name] for name in METRICS if name != "net_revenue"}
        numbers["net_revenue"] = g["paid_revenue"] - g["refunds"]
        numbers["conversions"] = {
            "visitors_to_members": ratio(g["new_members"], g["unique_visitors"]),
            "visitors_to_orders": ratio(g["orders"], g["unique_visitors"]),
            "orders_to_redemptions": ratio(g["redemptions"], g["orders"]),
        }
        result[key] = numbers
    return result


def as_numbers(funnel) -> dict[str, Any]:
    numbers = {name: getattr(funnel, name) for name in METRICS}
    c = funnel.conversions
    numbers["conversions"] = {
        "visitors_to_members": c.visitors_to_members,
        "visitors_to_orders": c.visitors_to_orders,
        "orders_to_redemptions": c.orders_to_redemptions,
    }
    return numbers


@pytest.mark.parametrize("group_by", list(GroupBy))
async def test_every_number_agrees_with_the_raw_rows(db, tenant, history, group_by):
    report = await campaign_report(
        uow=db.uow(), merchant_id=tenant.merchant_id, campaign_id=history.id, group_by=group_by
    )
    rows = await raw_rows(db, tenant.merchant_id)
    expected_rows = recompute(history, rows, group_by)
    [expected_totals] = recompute(history, rows, None).values()
    assert {row.key: as_numbers(row) for row in report.rows} == expected_rows
    assert as_numbers(report.totals) == expected_totals
    totals = report.totals
    assert totals.cost == 200_000 and report.currency == "CNY" and report.timezone == ZONE
    assert totals.roi == roi(net_revenue=expected_totals["net_revenue"], cost=200_000)
    # The history is rich enough for every step to be tested, refunds and all.
    assert min(expected_totals[name] for name in METRICS if name != "net_revenue") > 0
    assert expected_totals["refunds"] > 0
    assert len(report.rows) > 1
    for name in ("exposures", "new_members", "orders", "paid_revenue", "refunds", "redemptions"):
        assert sum(getattr(row, name) for row in report.rows) == getattr(totals, name)


async def test_days_are_the_merchants_local_days_across_summer_time(db, tenant, history):
    report = await campaign_report(
        uow=db.uow(), merchant_id=tenant.merchant_id, campaign_id=history.id,
        group_by=GroupBy.DAY,
    )  # fmt: skip
    keys = [row.key for row in report.rows]
    assert keys == sorted(keys) and "2026-03-29" in keys and "2026-03-30" in keys
    rows = await raw_rows(db, tenant.merchant_id)
    berlin = ZoneInfo(ZONE)
    on_29th = [
        e
        for e in rows["exposures"]
        if e.campaign_id == history.id
        and not e.is_bot
        and not e.outside_window
        and e.exposed_at.astimezone(berlin).date().isoformat() == "2026-03-29"
    ]
    assert next(r for r in report.rows if r.key == "2026-03-29").exposures == len(on_29th)


async def test_the_csv_holds_the_same_rows_and_the_totals(db, tenant, history):
    report = await campaign_report(
        uow=db.uow(), merchant_id=tenant.merchant_id, campaign_id=history.id,
        group_by=GroupBy.CHANNEL,
    )  # fmt: skip
    lines = report_csv(report).splitlines()
    header = lines[0].split(",")
    assert header[:3] == ["row", "channel", "exposures"]
    assert header[-3:] == ["cost", "roi", "currency"]
    body = [dict(zip(header, line.split(","), strict=True)) for line in lines[1:]]
    assert [b["row"] for b in body] == ["group"] * len(report.rows) + ["total"]
    for line, row in zip(body, report.rows, strict=False):
        assert line["channel"] == (row.key or "")
        assert int(line["net_revenue"]) == row.net_revenue
        assert line["visitors_to_orders"] == (row.conversions.visitors_to_orders or "")
    total = body[-1]
    assert int(total["orders"]) == report.totals.orders
    assert (total["cost"], total["roi"], total["currency"]) == ("200000", report.totals.roi, "CNY")
