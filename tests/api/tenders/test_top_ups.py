"""Top-ups (储值充值): paid through the provider, credited with the bonus, refundable unspent."""

from omniloop.payments.check import check_payments
from tests.api.tenders.conftest import balances, deliver, place


async def _top_up(t, amount, key=None):
    r = await t.post(
        f"/api/v1/members/{t.member_id}/wallet/top-ups",
        json={"amount": amount, "provider": "sandbox"},
        key=key,
    )
    assert r.status_code == 201, r.text
    return r.json()


async def _settle(app, http, t, top_up, outcome="succeed"):
    payment = top_up["payment"]
    assert (await t.post(f"/api/v1/sandbox/payments/{payment['id']}/{outcome}")).status_code == 202
    assert await deliver(app, http) >= 1
    r = await t.get(f"/api/v1/members/{t.member_id}/wallet/top-ups/{top_up['id']}")
    assert r.status_code == 200, r.text
    return r.json()


async def test_a_paid_top_up_credits_the_principal_and_the_rules_bonus(app, db, shop, gateway):
    top_up = await _top_up(shop, 50_000)  # ¥500: the default rule gives ¥50
    assert top_up["status"] == "pending_payment" and top_up["bonus"] == 5_000
    assert top_up["payment"]["amount"] == 50_000 and top_up["payment"]["pay_url"]
    assert await balances(shop) == (0, 0, 0)  # nothing before the money arrives
    settled = await _settle(app, gateway, shop, top_up)
    assert settled["status"] == "paid"
    assert await balances(shop) == (0, 50_000, 5_000)
    _, problems = await check_payments(uow=db.uow(), merchant_id=shop.merchant_id)
    assert problems == []


async def test_a_failed_top_up_credits_nothing(app, shop, gateway):
    top_up = await _top_up(shop, 10_000)
    settled = await _settle(app, gateway, shop, top_up, outcome="fail")
    assert settled["status"] == "failed"
    assert await balances(shop) == (0, 0, 0)


async def test_refunding_a_top_up_returns_unspent_principal_and_forfeits_its_bonus(
    app, db, shop, gateway
):
    top_up = await _settle(app, gateway, shop, await _top_up(shop, 50_000))
    await place(shop, tenders={"wallet": 3000}, lines=[{"sku": "TEA", "qty": 2}])
    principal_left, bonus_left = (await balances(shop))[1:]
    assert principal_left + bonus_left == 55_000 - 3_000
    r = await shop.post(
        f"/api/v1/members/{shop.member_id}/wallet/top-ups/{top_up['id']}/refunds", json={}
    )
    assert r.status_code == 201, r.text
    result = r.json()
    assert result["refunded"] == principal_left  # only what is still in the wallet
    assert await balances(shop) == (0, 0, bonus_left - result["bonus_forfeited"])
    r = await shop.post(
        f"/api/v1/members/{shop.member_id}/wallet/top-ups/{top_up['id']}/refunds", json={}
    )
    assert r.status_code == 409, r.text
    _, problems = await check_payments(uow=db.uow(), merchant_id=shop.merchant_id)
    assert problems == []


async def test_store_staff_sell_top_ups_but_may_not_refund_them(app, shop, gateway):
    staff = await shop.key_for("store_staff", ["S1"])
    top_up = await _top_up(shop, 10_000, key=staff)
    await _settle(app, gateway, shop, top_up)
    r = await shop.post(
        f"/api/v1/members/{shop.member_id}/wallet/top-ups/{top_up['id']}/refunds",
        json={},
        key=staff,
    )
    assert r.status_code == 403


async def test_another_merchants_member_cannot_be_topped_up(shop, other_tenant):
    r = await other_tenant.post(
        f"/api/v1/members/{shop.member_id}/wallet/top-ups",
        json={"amount": 1000, "provider": "sandbox"},
    )
    assert r.status_code == 404, r.text
