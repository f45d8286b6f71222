"""Online pay, offline consume: paying an order of a voucher product issues its vouchers;
refunding a unit voids an untouched one. A referred member's first completed order rewards
both members once."""

from tests.api.tenders.conftest import balances, complete, pay_rest, place


async def _voucher_product(t):
    r = await t.post(
        "/api/v1/voucher-products",
        json={
            "sku": "BUN",  # sells at 15.00
            "kind": "cash",
            "face_value": 2000,
            "validity": {"days_after_purchase": 90},
            "partial_redemption": True,
        },
    )
    assert r.status_code == 201, r.text


async def _vouchers(t, order_id):
    r = await t.get("/api/v1/vouchers", params={"order_id": order_id})
    assert r.status_code == 200, r.text
    return r.json()["items"]


async def test_a_paid_voucher_order_issues_codes_redeemed_in_any_store(app, db, shop, gateway):
    await _voucher_product(shop)
    order = await place(shop, lines=[{"sku": "BUN", "qty": 2}])
    assert await _vouchers(shop, order["id"]) == []  # nothing until paid
    await pay_rest(app, gateway, shop, order)
    first, _second = await _vouchers(shop, order["id"])
    assert first["balance"] == 2000 and first["paid_amount"] == 1500
    r = await shop.post(
        "/api/v1/locations/S1/redemptions", json={"code": first["code"], "amount": 500}
    )
    assert r.status_code == 200, r.text
    assert r.json()["redeemed"] == "voucher" and r.json()["balance"] == 1500
    # Two units back: one voucher was touched, so only one can be refunded.
    r = await shop.post(
        f"/api/v1/orders/{order['id']}/refunds", json={"lines": [{"sku": "BUN", "qty": 2}]}
    )
    assert r.status_code == 409, r.text
    r = await shop.post(
        f"/api/v1/orders/{order['id']}/refunds", json={"lines": [{"sku": "BUN", "qty": 1}]}
    )
    assert r.status_code == 201, r.text
    statuses = sorted(v["status"] for v in await _vouchers(shop, order["id"]))
    assert statuses == ["partially_redeemed", "void"] or statuses[-1] == "void", statuses


async def test_a_referred_members_first_completed_order_rewards_both_once(db, shop):
    r = await shop.put(
        "/api/v1/referral-program",
        json={
            "enabled": True,
            "referrer_reward": {"points": 500},
            "referee_reward": {"points": 200},
        },
    )
    assert r.status_code == 200, r.text
    friend = await shop.post(
        "/api/v1/members", json={"phone": "13900139000", "name": "Li", "channel": "own_app"}
    )
    assert friend.status_code == 201, friend.text
    friend_id = friend.json()["id"]
    code = (await shop.get(f"/api/v1/members/{shop.member_id}/referral-code")).json()["code"]
    r = await shop.post(f"/api/v1/members/{friend_id}/referrer", json={"referral_code": code})
    assert r.status_code in (200, 201), r.text

    def for_friend(**extra):
        return {
            "channel": "pos",
            "member_id": friend_id,
            "lines": [{"sku": "TEA", "qty": 1}],
            "fulfillment": {"type": "dine_in", "location": "S1"},
            **extra,
        }

    first = (await shop.post("/api/v1/orders", json=for_friend())).json()
    await complete(shop, first["id"])
    second = (await shop.post("/api/v1/orders", json=for_friend())).json()
    await complete(shop, second["id"])
    assert (await balances(shop))[0] == 500  # the referrer, rewarded once
    points = (await shop.get(f"/api/v1/members/{friend_id}/points")).json()["balance"]
    assert points == 200 + 15 + 15  # the reward and 1 point per ¥1 of two orders


async def test_cancelling_a_paid_voucher_order_voids_its_vouchers(app, db, shop, gateway):
    await _voucher_product(shop)
    order = await place(shop, lines=[{"sku": "BUN", "qty": 1}])
    await pay_rest(app, gateway, shop, order)
    r = await shop.post(f"/api/v1/orders/{order['id']}/transitions", json={"action": "cancel"})
    assert r.status_code == 200, r.text
    assert [v["status"] for v in await _vouchers(shop, order["id"])] == ["void"]


async def test_a_campaigns_vouchers_redeemed_in_stores_count_as_its_redemptions(
    app, db, shop, gateway
):
    from datetime import UTC, datetime, timedelta

    now = datetime.now(UTC)
    r = await shop.post(
        "/api/v1/campaigns",
        json={
            "name": "Voucher week",
            "cost": 100,
            "starts_at": (now - timedelta(days=1)).isoformat(),
            "ends_at": (now + timedelta(days=7)).isoformat(),
        },
    )
    campaign = r.json()
    r = await shop.post(
        "/api/v1/voucher-products",
        json={
            "sku": "BUN",
            "kind": "cash",
            "face_value": 2000,
            "validity": {"days_after_purchase": 90},
            "partial_redemption": True,
            "campaign_id": campaign["id"],
        },
    )
    assert r.status_code == 201, r.text
    order = await place(shop, lines=[{"sku": "BUN", "qty": 1}])
    await pay_rest(app, gateway, shop, order)
    [voucher] = await _vouchers(shop, order["id"])
    for amount in (500, 700):  # two visits spend one voucher: one redemption
        r = await shop.post(
            "/api/v1/locations/S1/redemptions", json={"code": voucher["code"], "amount": amount}
        )
        assert r.status_code == 200, r.text
    report = (await shop.get(f"/api/v1/campaigns/{campaign['id']}/report")).json()
    assert report["totals"]["redemptions"] == 1
