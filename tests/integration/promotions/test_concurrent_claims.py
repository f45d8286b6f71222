"""The quota and the per-member limit hold under concurrent claims: every grant of a template
queues on its row and the ``issued`` counter only grows by a conditional UPDATE (on
PostgreSQL the requests really run at once; SQLite serialises writers)."""

from __future__ import annotations

import asyncio
import uuid

from omniloop.promotions.grants import grant_in
from tests.integration.promotions.conftest import add_member, add_template, issued

CLAIMS = 100
QUOTA = 10


async def test_a_hundred_concurrent_claims_for_a_quota_of_ten_get_exactly_ten(db, tenant):
    template = await add_template(db, tenant, total_quota=QUOTA, claimable=True)
    members = [await add_member(db, tenant, n) for n in range(CLAIMS)]
    url = f"/api/v1/coupon-templates/{template}/claims"
    responses = await asyncio.gather(
        *(tenant.post(url, json={"member_id": str(m)}) for m in members)
    )
    statuses = sorted(r.status_code for r in responses)
    assert statuses == [201] * QUOTA + [409] * (CLAIMS - QUOTA), [
        r.text for r in responses if r.status_code not in (201, 409)
    ]
    refused = {r.json()["code"] for r in responses if r.status_code == 409}
    assert refused == {"coupon_quota_exhausted"}
    assert await issued(db, tenant, template) == (QUOTA, QUOTA)
    winners = {r.json()["member_id"] for r in responses if r.status_code == 201}
    assert len(winners) == QUOTA


async def test_one_member_claiming_many_times_at_once_gets_only_their_limit(db, tenant):
    template = await add_template(db, tenant, per_member_limit=2, claimable=True)
    member = await add_member(db, tenant, 1)
    url = f"/api/v1/coupon-templates/{template}/claims"
    responses = await asyncio.gather(
        *(tenant.post(url, json={"member_id": str(member)}) for _ in range(20))
    )
    assert sorted(r.status_code for r in responses) == [201] * 2 + [409] * 18
    assert {r.json()["code"] for r in responses if r.status_code == 409} == {"coupon_limit_reached"}
    assert await issued(db, tenant, template) == (2, 2)


async def test_concurrent_list_grants_never_pass_the_quota_and_each_is_whole(db, tenant):
    template = await add_template(db, tenant, total_quota=25, per_member_limit=None)
    members = [await add_member(db, tenant, n) for n in range(10)]

    async def grant(batch: list[uuid.UUID]) -> int:
        async with db.uow() as uow:
            try:
                coupons = await grant_in(
                    uow.session,
                    merchant_id=tenant.merchant_id,
                    template_id=template,
                    member_ids=batch,
                    via="grant",
                    actor="test",
                )
            except Exception as exc:  # the quota refusal; anything else fails the test
                assert getattr(exc, "code", None) == "coupon_quota_exhausted", exc
                return 0
            await uow.commit()
            return len(coupons)

    batches = [members[: 3 + n % 4] for n in range(12)]  # 3 to 6 members each
    granted = await asyncio.gather(*(grant(b) for b in batches))
    assert all(g in (0, len(b)) for g, b in zip(granted, batches, strict=True))
    assert sum(granted) <= 25
    assert await issued(db, tenant, template) == (sum(granted), sum(granted))
