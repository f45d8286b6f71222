"""Voucher products: a catalog SKU sold as a voucher (团购券), and the terms of its vouchers."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest

from tests.api.vouchers.conftest import CASH, PRODUCTS, SET_MEAL, add_product


async def test_a_cash_voucher_sells_its_face_value_for_the_skus_price(shop):
    campaign = str(uuid.uuid4())
    product = await add_product(shop, campaign_id=campaign, locations=["S1", "S2"])
    assert product["sku"] == "V100" and product["name"] == "V100"
    assert (product["kind"], product["face_value"], product["price"]) == ("cash", 10000, 8000)
    assert product["currency"] == "CNY"
    assert product["validity"] == {"days_after_purchase": 30, "until": None}
    assert product["partial_redemption"] is False
    assert product["refund_policy"] == "unredeemed_refundable"
    assert product["locations"] == ["S1", "S2"] and product["campaign_id"] == campaign
    r = await shop.get(f"{PRODUCTS}/{product['id']}")
    assert r.status_code == 200 and r.json() == product


async def test_a_set_meal_lists_its_items_and_is_worth_its_price_unless_told(shop):
    product = await add_product(shop, **SET_MEAL, name="Set for two")
    assert product["kind"] == "set_meal" and product["name"] == "Set for two"
    assert product["items"] == [{"sku": "TEA", "qty": 2}, {"sku": "BUN", "qty": 2}]
    assert product["face_value"] == product["price"] == 12800
    r = await shop.patch(f"{PRODUCTS}/{product['id']}", json={"face_value": 19800})
    assert r.status_code == 200, r.text
    assert r.json()["face_value"] == 19800 and r.json()["price"] == 12800


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"face_value": None}, None),  # a cash voucher needs a face value
        ({"face_value": 0}, "face_value"),
        ({"validity": {}}, "validity"),
        ({"validity": {"days_after_purchase": 30, "until": "2030-01-01T00:00:00Z"}}, "validity"),
        ({"validity": {"days_after_purchase": 0}}, "validity.days_after_purchase"),
        ({"validity": {"until": "2020-01-01T00:00:00Z"}}, "validity.until"),
        ({"validity": {"until": "2030-01-01T00:00:00"}}, "validity.until"),  # naive time
        ({"items": [{"sku": "TEA", "qty": 1}]}, "items"),  # items on a cash voucher
        ({"kind": "set_meal", "items": []}, "items"),
        ({"kind": "set_meal", "items": [{"sku": "TEA"}], "partial_redemption": True}, None),
        ({"kind": "set_meal", "items": [{"sku": "TEA"}, {"sku": "TEA"}]}, "items"),
        ({"kind": "set_meal", "items": [{"sku": "V100"}]}, "items"),  # itself
        ({"kind": "coupon"}, "kind"),
        ({"refund_policy": "sometimes"}, "refund_policy"),
        ({"locations": ["S1", "S1"]}, "locations"),
        ({"face_value": 100.5}, "face_value"),
    ],
)
async def test_terms_that_do_not_hang_together_are_refused(shop, overrides, field):
    r = await shop.post(PRODUCTS, json={**CASH, **overrides})
    assert r.status_code == 422, r.text
    assert r.json()["code"] == "validation_error"
    if field is not None:
        assert any(e["field"].startswith(field) for e in r.json()["errors"]), r.json()


async def test_unknown_skus_and_locations_are_refused(shop):
    r = await shop.post(PRODUCTS, json={**CASH, "sku": "NOPE"})
    assert r.status_code == 422 and r.json()["code"] == "unknown_sku"
    r = await shop.post(PRODUCTS, json={**SET_MEAL, "items": [{"sku": "GHOST", "qty": 1}]})
    assert r.status_code == 422 and r.json()["code"] == "unknown_sku"
    r = await shop.post(PRODUCTS, json={**CASH, "locations": ["S1", "S9"]})
    assert r.status_code == 422 and r.json()["code"] == "unknown_location"
    assert (await shop.get(PRODUCTS)).json()["items"] == []


async def test_a_sku_has_one_voucher_product(shop):
    await add_product(shop)
    r = await shop.post(PRODUCTS, json={**CASH, "face_value": 5000})
    assert r.status_code == 409 and r.json()["code"] == "already_exists"


async def test_patch_changes_terms_but_not_the_sku_or_kind(shop):
    product = await add_product(shop)
    until = (datetime.now(UTC) + timedelta(days=90)).replace(microsecond=0)
    r = await shop.patch(
        f"{PRODUCTS}/{product['id']}",
        json={
            "validity": {"until": until.isoformat()},
            "partial_redemption": True,
            "locations": ["S3"],
            "refund_policy": "non_refundable",
            "name": "¥100 voucher",
        },
    )
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["validity"]["days_after_purchase"] is None
    assert datetime.fromisoformat(body["validity"]["until"]) == until
    assert body["partial_redemption"] is True and body["locations"] == ["S3"]
    assert body["refund_policy"] == "non_refundable" and body["name"] == "¥100 voucher"
    assert body["face_value"] == 10000
    for change in ({"sku": "TEA"}, {"kind": "set_meal"}, {"face_value": None}):
        r = await shop.patch(f"{PRODUCTS}/{product['id']}", json=change)
        assert r.status_code == 422, (change, r.text)
    r = await shop.patch(f"{PRODUCTS}/{product['id']}", json={"items": [{"sku": "TEA"}]})
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "items"
    r = await shop.patch(f"{PRODUCTS}/{product['id']}", json={"locations": ["S9"]})
    assert r.status_code == 422 and r.json()["code"] == "unknown_location"
    assert (await shop.get(f"{PRODUCTS}/{product['id']}")).json()["locations"] == ["S3"]


async def test_campaign_can_be_attached_and_detached(shop):
    product = await add_product(shop)
    campaign = str(uuid.uuid4())
    url = f"{PRODUCTS}/{product['id']}"
    assert (await shop.patch(url, json={"campaign_id": campaign})).json()["campaign_id"] == campaign
    assert (await shop.patch(url, json={"campaign_id": None})).json()["campaign_id"] is None


async def test_products_are_listed_oldest_first_a_page_at_a_time(shop):
    first = await add_product(shop)
    second = await add_product(shop, **SET_MEAL)
    r = await shop.get(PRODUCTS, params={"limit": 1})
    assert [p["id"] for p in r.json()["items"]] == [first["id"]]
    r = await shop.get(PRODUCTS, params={"limit": 1, "cursor": r.json()["next_cursor"]})
    assert [p["id"] for p in r.json()["items"]] == [second["id"]]
    assert r.json()["next_cursor"] is None


async def test_marketers_manage_products_and_store_staff_do_not_see_them(shop):
    operator = await shop.key_for("operator")
    integrator = await shop.key_for("integrator")
    staff = await shop.key_for("store_staff", ["S1"])
    product = (await shop.post(PRODUCTS, json=CASH, key=operator)).json()
    assert (await shop.get(PRODUCTS, key=integrator)).status_code == 200
    for method, url in (("GET", PRODUCTS), ("GET", f"{PRODUCTS}/{product['id']}")):
        assert (await shop.request(method, url, key=staff)).status_code == 403
    r = await shop.post(PRODUCTS, json={**SET_MEAL}, key=staff)
    assert r.status_code == 403
    r = await shop.patch(f"{PRODUCTS}/{product['id']}", json={"name": "x"}, key=staff)
    assert r.status_code == 403


async def test_another_merchants_products_are_not_found(shop, other_tenant):
    product = await add_product(shop)
    r = await other_tenant.get(f"{PRODUCTS}/{product['id']}")
    assert r.status_code == 404 and r.json()["code"] == "voucher_product_not_found"
    r = await other_tenant.patch(f"{PRODUCTS}/{product['id']}", json={"name": "mine"})
    assert r.status_code == 404
    assert (await other_tenant.get(PRODUCTS)).json()["items"] == []
    r = await other_tenant.post(PRODUCTS, json=CASH)  # their catalog has no V100
    assert r.status_code == 422 and r.json()["code"] == "unknown_sku"
