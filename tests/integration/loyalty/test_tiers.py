"""Tiers follow rolling net spend: upgraded when spend grows, downgraded when old spend
leaves the window, for one member at a time and for every member at once."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

from omniloop.loyalty.domain import DEFAULT_PROGRAM, Tier
from omniloop.loyalty.program import put_program
from omniloop.loyalty.tiers import TierRun, recompute_all_tiers, recompute_tier_in
from tests.integration.loyalty.conftest import account, add_member, add_spend
from tests.support.events import events_of

NOW = datetime.now(UTC)
THIRTEEN_MONTHS_AGO = NOW - timedelta(days=395)


async def recompute_one(db, t, member_id, now=NOW):
    async with db.uow() as uow:
        tier = await recompute_tier_in(
            uow.session,
            merchant_id=t.merchant_id,
            member_id=member_id,
            program=DEFAULT_PROGRAM,
            now=now,
        )
        await uow.commit()
    return tier


async def test_a_new_member_starts_in_the_first_tier_without_an_event(db, tenant):
    member = await add_member(db, tenant, 1)
    assert await recompute_one(db, tenant, member) == "normal"
    assert (await account(db, tenant, member)).tier == "normal"
    assert await events_of(db, tenant, "member.tier_changed") == []


async def test_spend_reaching_a_threshold_upgrades_with_an_event(db, tenant):
    member = await add_member(db, tenant, 1)
    await add_spend(db, tenant, member, 60_000, NOW - timedelta(days=10))
    assert await recompute_one(db, tenant, member) == "normal"
    await add_spend(db, tenant, member, 50_000, NOW - timedelta(days=1))
    assert await recompute_one(db, tenant, member) == "silver"
    assert await recompute_one(db, tenant, member) == "silver"  # no second event
    changed = (await account(db, tenant, member)).tier_changed_at
    assert changed is not None
    assert await events_of(db, tenant, "member.tier_changed") == [
        {"member_id": str(member), "from": "normal", "to": "silver", "rolling_spend": 110_000}
    ]


async def test_a_refund_below_the_threshold_downgrades(db, tenant):
    member = await add_member(db, tenant, 1)
    await add_spend(db, tenant, member, 520_000, NOW - timedelta(days=3))
    assert await recompute_one(db, tenant, member) == "gold"
    await add_spend(db, tenant, member, -30_000, NOW - timedelta(days=1))
    assert await recompute_one(db, tenant, member) == "silver"
    events = await events_of(db, tenant, "member.tier_changed")
    assert [(e["from"], e["to"]) for e in events] == [(None, "gold"), ("gold", "silver")]


async def test_the_job_downgrades_members_whose_spend_left_the_window(db, tenant):
    lapsed = await add_member(db, tenant, 1)
    await add_spend(db, tenant, lapsed, 600_000, THIRTEEN_MONTHS_AGO)
    await add_spend(db, tenant, lapsed, 20_000, NOW - timedelta(days=30))
    a_year_ago = NOW - timedelta(days=300)
    assert await recompute_one(db, tenant, lapsed, now=a_year_ago) == "gold"
    run = await recompute_all_tiers(db=db, merchant_id=tenant.merchant_id, now=NOW)
    assert run == TierRun(members=1, changed=1)
    assert (await account(db, tenant, lapsed)).tier == "normal"
    events = await events_of(db, tenant, "member.tier_changed")
    assert events[-1] == {
        "member_id": str(lapsed),
        "from": "gold",
        "to": "normal",
        "rolling_spend": 20_000,
    }


async def test_the_job_sets_every_members_tier_and_gives_accounts_to_those_without(db, tenant):
    quiet = await add_member(db, tenant, 1)  # no spend, no account
    silver = await add_member(db, tenant, 2)
    black = await add_member(db, tenant, 3)
    gold = await add_member(db, tenant, 4)
    await add_spend(db, tenant, silver, 150_000, NOW - timedelta(days=100))
    await add_spend(db, tenant, black, 1_500_000, NOW - timedelta(days=200))
    await add_spend(db, tenant, black, 600_000, NOW - timedelta(days=2))
    await add_spend(db, tenant, gold, 499_999, NOW - timedelta(days=2))
    await add_spend(db, tenant, gold, 1, NOW - timedelta(days=1))
    assert await account(db, tenant, quiet) is None
    run = await recompute_all_tiers(db=db, merchant_id=tenant.merchant_id, now=NOW)
    assert run == TierRun(members=4, changed=3)
    tiers = {m: (await account(db, tenant, m)).tier for m in (quiet, silver, black, gold)}
    assert tiers == {quiet: "normal", silver: "silver", black: "black", gold: "gold"}
    events = await events_of(db, tenant, "member.tier_changed")
    assert sorted(
        (e["member_id"], e["from"], e["to"], e["rolling_spend"]) for e in events
    ) == sorted(
        [
            (str(silver), "normal", "silver", 150_000),
            (str(black), "normal", "black", 2_100_000),
            (str(gold), "normal", "gold", 500_000),
        ]
    )
    again = await recompute_all_tiers(db=db, merchant_id=tenant.merchant_id, now=NOW)
    assert again == TierRun(members=4, changed=0)
    assert len(await events_of(db, tenant, "member.tier_changed")) == 3


async def test_the_job_applies_a_changed_program(db, tenant):
    member = await add_member(db, tenant, 1)
    await add_spend(db, tenant, member, 150_000, NOW - timedelta(days=5))
    await recompute_all_tiers(db=db, merchant_id=tenant.merchant_id, now=NOW)
    assert (await account(db, tenant, member)).tier == "silver"
    tiers = (Tier("fan", "粉丝", 0), Tier("vip", "VIP", 100_000, 120, 3))
    await put_program(
        uow=db.uow(),
        merchant_id=tenant.merchant_id,
        program=replace(DEFAULT_PROGRAM, tiers=tiers, tier_window_days=3),
        actor="test",
    )
    await recompute_all_tiers(db=db, merchant_id=tenant.merchant_id, now=NOW)
    assert (await account(db, tenant, member)).tier == "fan"  # 3-day window: spend is gone


async def test_the_job_leaves_other_merchants_alone(db, tenant, other_tenant):
    mine = await add_member(db, tenant, 1)
    theirs = await add_member(db, other_tenant, 1)
    await add_spend(db, other_tenant, theirs, 150_000, NOW - timedelta(days=5))
    run = await recompute_all_tiers(db=db, merchant_id=tenant.merchant_id, now=NOW)
    assert run == TierRun(members=1, changed=0)
    assert (await account(db, tenant, mine)).tier == "normal"
    assert await account(db, other_tenant, theirs) is None


async def test_merged_away_members_are_not_recomputed(db, tenant):
    survivor = await add_member(db, tenant, 1)
    absorbed = await add_member(db, tenant, 2)
    await add_spend(db, tenant, absorbed, 150_000, NOW - timedelta(days=5))
    r = await tenant.post(f"/api/v1/members/{survivor}/merge", json={"other_id": str(absorbed)})
    assert r.status_code == 200, r.text
    run = await recompute_all_tiers(db=db, merchant_id=tenant.merchant_id, now=NOW)
    assert run.members == 1
    assert (await account(db, tenant, survivor)).tier == "silver"
