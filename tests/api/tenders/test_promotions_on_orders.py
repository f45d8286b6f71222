"""Orders are priced by the promotions engine: automatic promotions, then one coupon, held
while unpaid, used when paid, released when the unpaid order is cancelled."""

from tests.api.tenders.conftest import body, pay_rest, place


async def _coupon(t, **template):
    template = {
        "name": "¥5 off",
        "kind": "fixed_amount",
        "amount": 500,
        "days_after_grant": 30,
        **template,
    }
    r = await t.post("/api/v1/coupon-templates", json=template)
    assert r.status_code == 201, r.text
    r = await t.post(
        f"/api/v1/coupon-templates/{r.json()['id']}/grants", json={"member_id": t.member_id}
    )
    assert r.status_code in (200, 201), r.text
    return r.json()["coupons"][0]["code"]


async def _coupons(t):
    r = await t.get(f"/api/v1/members/{t.member_id}/coupons")
    assert r.status_code == 200, r.text
    return {c["code"]: c["status"] for c in r.json()["items"]}


async def test_a_spend_save_promotion_and_a_coupon_price_the_order_with_a_breakdown(shop):
    r = await shop.post(
        "/api/v1/promotions",
        json={
            "name": "满30减3",
            "kind": "spend_save_tiers",
            "tiers": [{"threshold": 3000, "amount": 300}],
        },
    )
    assert r.status_code == 201, r.text
    code = await _coupon(shop)
    order = await place(shop, coupon_codes=[code])  # 2 x TEA at 15.00
    assert (order["subtotal"], order["discount_total"], order["total"]) == (3000, 800, 2200)
    assert sum(ln["discount"] for ln in order["lines"]) == 800
    kinds = sorted((a["kind"], a["amount"]) for a in order["adjustments"])
    assert kinds == [("coupon", 500), ("promotion", 300)]
    assert (await _coupons(shop))[code] == "held"
    quote = await shop.post(
        "/api/v1/pricing/quote",
        json={
            "channel": "mini_program",
            "location": "S1",
            "member_id": shop.member_id,
            "lines": [{"sku": "TEA", "qty": 2}],
        },
    )
    assert quote.status_code == 200, quote.text
    assert quote.json()["total"] == 2700  # the same promotion on another channel, no coupon


async def test_a_coupon_is_used_when_paid_and_cannot_serve_twice(app, db, shop, gateway):
    code = await _coupon(shop)
    order = await place(shop, coupon_codes=[code])
    r = await shop.post("/api/v1/orders", json=body(shop, coupon_codes=[code]))
    assert r.status_code == 409 and r.json()["code"] == "coupon_rejected", r.text
    await pay_rest(app, gateway, shop, order)
    assert (await _coupons(shop))[code] == "used"


async def test_cancelling_an_unpaid_order_releases_its_coupon(shop):
    code = await _coupon(shop)
    order = await place(shop, coupon_codes=[code])
    r = await shop.post(f"/api/v1/orders/{order['id']}/transitions", json={"action": "cancel"})
    assert r.status_code == 200, r.text
    assert (await _coupons(shop))[code] == "available"
    again = await place(shop, coupon_codes=[code])
    assert again["total"] == 2500


async def test_an_ineligible_coupon_refuses_the_order_and_holds_nothing(shop):
    code = await _coupon(shop, min_spend=10_000)
    r = await shop.post("/api/v1/orders", json=body(shop, coupon_codes=[code]))
    assert r.status_code == 409, r.text
    assert r.json()["coupons"][0]["code"] == code
    assert (await _coupons(shop))[code] == "available"
    r = await shop.post("/api/v1/orders", json=body(shop, coupon_codes=["NOSUCHCODE"]))
    assert r.status_code == 409 and r.json()["code"] == "coupon_rejected", r.text
