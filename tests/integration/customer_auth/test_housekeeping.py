"""Stale sign-in rows are deleted; live ones stay."""

from datetime import timedelta

from sqlalchemy import func, select

from omniloop.customer_auth.housekeeping import purge_stale
from omniloop.customer_auth.models import OtpChallenge, SandboxSms
from omniloop.member_codes.models import MemberCode
from omniloop.shared.clock import utcnow
from tests.api.customer_auth.conftest import PHONE, sign_in


async def _count(db, model, tenant):
    async with db.uow().read_only() as uow:
        return await uow.session.scalar(
            select(func.count()).select_from(model).where(model.merchant_id == tenant.merchant_id)
        )


async def test_purging_keeps_live_rows_and_deletes_stale_ones(db, tenant):
    customer = await sign_in(tenant, PHONE)
    r = await tenant.client.get(
        f"/api/v1/members/{customer['member_id']}/member-code",
        headers={"Authorization": f"Bearer {customer['access_token']}"},
    )
    assert r.status_code == 200, r.text
    await purge_stale(db=db)
    assert [await _count(db, m, tenant) for m in (OtpChallenge, MemberCode, SandboxSms)] == [
        1,
        1,
        1,
    ]
    await purge_stale(db=db, now=utcnow() + timedelta(days=8))
    assert [await _count(db, m, tenant) for m in (OtpChallenge, MemberCode, SandboxSms)] == [
        0,
        0,
        0,
    ]
