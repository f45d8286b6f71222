"""``POST /pricing/quote``: a cart priced as an order would be, rule by rule."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from omniloop.catalog.models import PriceOverride
from tests.api.promotions.conftest import (
    OTHER_PHONE,
    PROMOTIONS,
    QUOTE,
    customer,
    grant_one,
    new_member,
    new_template,
    set_tier,
)

CART = [{"sku": "TEA", "qty": 2}, {"sku": "BUN", "qty": 1}]


async def quote(t, *, key=None, **body):
    payload = {"channel": "own_app", "location": "S1", "lines": CART, **body}
    return await t.post(QUOTE, key=key, json=payload)


async def promotion(t, **body):
    r = await t.post(PROMOTIONS, json=body)
    assert r.status_code == 201, r.text
    return r.json()


async def test_a_cart_without_promotions_costs_its_catalog_prices(shop):
    r = await quote(shop)
    assert r.status_code == 200, r.text
    q = r.json()
    assert [(ln["sku"], ln["qty"], ln["unit_price"]) for ln in q["lines"]] == [
        ("BUN", 1, 800),
        ("TEA", 2, 1500),
    ]
    assert [ln["category"] for ln in q["lines"]] == ["bakery", "drinks"]
    assert (q["subtotal"], q["discount_total"], q["total"]) == (3800, 0, 3800)
    assert q["breakdown"] == [] and q["currency"] == "CNY"


async def test_promotions_then_a_coupon_each_show_what_they_took_from_which_line(shop):
    drinks = await promotion(
        shop, name="Drinks 20%", kind="percent_off", percent=20, categories=["drinks"]
    )
    mj = await promotion(
        shop,
        name="满30减5",
        kind="spend_save_tiers",
        tiers=[{"threshold": 3000, "amount": 500}, {"threshold": 5000, "amount": 1000}],
    )
    template = await new_template(shop, name="¥3 off", amount=300)
    me, token = await customer(shop)
    code = (await grant_one(shop, template["id"], me))["code"]
    r = await quote(shop, key=token, coupon_codes=[code.lower()])
    assert r.status_code == 200, r.text
    q = r.json()
    # TEA 3000 - 20% = 2400; with BUN 800 the cart is 3200: the 3000 tier saves 500
    # (shared 2400:800 -> 375 + 125), then the coupon takes 300 of the 2700 left
    assert [(d["source"], d["amount"]) for d in q["breakdown"]] == [
        (f"promotion:{drinks['id']}", 600),
        (f"promotion:{mj['id']}", 500),
        (f"coupon:{code}", 300),
    ]
    assert q["breakdown"][1]["lines"] == {"1": 125, "2": 375}
    assert q["breakdown"][2]["label"] == "¥3 off"
    assert q["applied_coupons"] == [code] and q["rejected_coupons"] == []
    assert (q["subtotal"], q["discount_total"], q["total"]) == (3800, 1400, 2400)
    assert sum(ln["total"] for ln in q["lines"]) == q["total"]
    assert q["member_id"] == me


async def test_coupons_that_do_not_apply_come_back_with_reasons(shop):
    template = await new_template(shop, amount=300)
    me, token = await customer(shop)
    someone = await new_member(shop, OTHER_PHONE)
    mine = (await grant_one(shop, template["id"], me))["code"]
    theirs = (await grant_one(shop, template["id"], someone))["code"]
    r = await quote(shop, key=token, coupon_codes=["NOSUCHCODE99", theirs, mine])
    q = r.json()
    assert q["applied_coupons"] == [mine]
    assert [(c["code"], c["reason"]) for c in q["rejected_coupons"]] == [
        ("NOSUCHCODE99", "unknown"),
        (theirs, "not_yours"),
    ]
    anonymous = (await quote(shop, coupon_codes=[mine])).json()
    assert anonymous["rejected_coupons"][0]["reason"] == "not_yours"


async def test_a_members_tier_price_comes_first_on_our_own_channels(shop, db):
    member = await new_member(shop)
    await set_tier(db, shop, member, "black")  # the default program: 5% off
    q = (await quote(shop, member_id=member)).json()
    assert q["member_tier"] == "black"
    assert [ln["discount_before"] for ln in q["lines"]] == [40, 150]
    assert q["total"] == 3800 - 190
    platform = (await quote(shop, member_id=member, channel="meituan")).json()
    assert platform["total"] == 3800


async def test_a_tier_price_promotion_adds_only_what_beats_the_member_price(shop, db):
    await promotion(shop, name="Black 15%", kind="tier_price", tier_code="black", percent=15)
    member = await new_member(shop)
    await set_tier(db, shop, member, "black")
    q = (await quote(shop, member_id=member)).json()
    assert [ln["total_discount"] for ln in q["lines"]] == [120, 450]  # 15% in all
    assert [ln["discount"] for ln in q["lines"]] == [80, 300]
    assert (await quote(shop)).json()["total"] == 3800


async def test_promotions_apply_only_on_their_channels_stores_and_window(shop):
    await promotion(
        shop,
        name="App only",
        kind="percent_off",
        percent=10,
        skus=["TEA"],
        channels=["own_app"],
        locations=["S1"],
    )
    later = datetime.now(UTC) + timedelta(days=1)
    await promotion(
        shop,
        name="Tomorrow",
        kind="percent_off",
        percent=50,
        skus=["TEA"],
        starts_at=later.isoformat(),
    )
    await promotion(shop, name="Off", kind="percent_off", percent=40, skus=["TEA"], active=False)
    assert (await quote(shop)).json()["discount_total"] == 300
    assert (await quote(shop, channel="pos")).json()["discount_total"] == 0
    assert (await quote(shop, location="S2")).json()["discount_total"] == 0


async def test_the_quote_uses_the_channels_price(shop, db):
    async with db.uow() as uow:
        uow.session.add(
            PriceOverride(
                id=uuid.uuid4(),
                merchant_id=shop.merchant_id,
                sku="TEA",
                channel="mini_program",
                price=1200,
            )
        )
        await uow.commit()
    q = (await quote(shop, channel="mini_program")).json()
    assert [ln["unit_price"] for ln in q["lines"]] == [800, 1200]


async def test_a_customer_quotes_for_themselves_only(shop):
    me, token = await customer(shop)
    someone = await new_member(shop, OTHER_PHONE)
    r = await quote(shop, key=token, member_id=someone)
    assert r.status_code == 403
    r = await quote(shop, key=token, member_id=me)
    assert r.status_code == 200 and r.json()["member_id"] == me


async def test_store_staff_quote_at_their_own_stores(shop):
    staff = await shop.key_for("store_staff", ["S1"])
    member = await new_member(shop)
    assert (await quote(shop, key=staff, member_id=member)).status_code == 200
    assert (await quote(shop, key=staff, location="S2")).status_code == 403


async def test_unknown_skus_stores_and_members_are_refused(shop, other_tenant):
    r = await quote(shop, lines=[{"sku": "NOPE", "qty": 1}])
    assert r.status_code == 422 and r.json()["code"] == "unknown_sku"
    r = await quote(shop, location="S9")
    assert r.status_code == 422 and r.json()["code"] == "unknown_location"
    r = await quote(shop, member_id=str(uuid.uuid4()))
    assert r.status_code == 404 and r.json()["code"] == "member_not_found"
    r = await quote(shop, lines=[])
    assert r.status_code == 422
    r = await quote(other_tenant, location=None)
    assert r.status_code == 422 and r.json()["code"] == "unknown_sku"


async def test_a_platforms_cart_keeps_the_catalog_price_as_its_orders_do(shop):
    await promotion(shop, name="All drinks", kind="percent_off", percent=10, categories=["drinks"])
    template = await new_template(shop, amount=300)
    me, token = await customer(shop)
    code = (await grant_one(shop, template["id"], me))["code"]
    q = (await quote(shop, key=token, channel="meituan", coupon_codes=[code])).json()
    assert (q["total"], q["breakdown"], q["applied_coupons"]) == (3800, [], [])
    assert q["rejected_coupons"][0]["reason"] == "wrong_channel"
    assert (await quote(shop, key=token, coupon_codes=[code])).json()["total"] == 3800 - 300 - 300
