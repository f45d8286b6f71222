"""Automatic promotions: 满减 tiers, percent off a SKU set, a member tier's price."""

from __future__ import annotations

import pytest

from tests.api.promotions.conftest import PROMOTIONS
from tests.support.events import events_of

SPEND_SAVE = {
    "name": "满100减10 满200减30",
    "kind": "spend_save_tiers",
    "tiers": [{"threshold": 10000, "amount": 1000}, {"threshold": 20000, "amount": 3000}],
}
PERCENT_OFF = {
    "name": "Drinks 20% off",
    "kind": "percent_off",
    "percent": 20,
    "categories": ["drinks"],
}
TIER_PRICE = {"name": "Gold price", "kind": "tier_price", "tier_code": "gold", "percent": 10}


@pytest.mark.parametrize("body", [SPEND_SAVE, PERCENT_OFF, TIER_PRICE])
async def test_each_kind_of_promotion_is_created_and_read_back(shop, db, body):
    r = await shop.post(PROMOTIONS, json={**body, "channels": ["own_app"], "priority": 3})
    assert r.status_code == 201, r.text
    made = r.json()
    assert made["kind"] == body["kind"] and made["active"] is True and made["priority"] == 3
    assert made["currency"] == "CNY" and made["channels"] == ["own_app"]
    assert (await shop.get(f"{PROMOTIONS}/{made['id']}")).json() == made
    (event,) = await events_of(db, shop, "promotion.created")
    assert event["id"] == made["id"]


@pytest.mark.parametrize(
    ("body", "fields"),
    [
        ({**SPEND_SAVE, "tiers": None}, {"tiers"}),
        ({**SPEND_SAVE, "tiers": [{"threshold": 100, "amount": 500}]}, {"tiers.0.amount"}),
        ({**PERCENT_OFF, "categories": []}, {"skus"}),
        ({**PERCENT_OFF, "percent": 0}, {"percent"}),
        ({**TIER_PRICE, "tier_code": None}, {"tier_code"}),
        (
            {**PERCENT_OFF, "starts_at": "2026-07-01T00:00:00Z", "ends_at": "2026-06-01T00:00:00Z"},
            {"ends_at"},
        ),
        ({**PERCENT_OFF, "kind": "bogo"}, {"kind"}),
    ],
)
async def test_unsound_promotions_are_refused_naming_each_field(shop, body, fields):
    r = await shop.post(PROMOTIONS, json={k: v for k, v in body.items() if v is not None})
    assert r.status_code == 422, r.text
    assert fields <= {e["field"] for e in r.json()["errors"]}, r.json()


async def test_a_promotion_naming_unknown_skus_is_refused(shop):
    r = await shop.post(PROMOTIONS, json={**PERCENT_OFF, "skus": ["NOPE"]})
    assert r.status_code == 422 and r.json()["code"] == "unknown_sku"


async def test_a_promotion_is_changed_and_switched_off(shop, db):
    made = (await shop.post(PROMOTIONS, json=PERCENT_OFF)).json()
    url = f"{PROMOTIONS}/{made['id']}"
    r = await shop.patch(url, json={"percent": 30, "active": False})
    assert r.status_code == 200, r.text
    assert (r.json()["percent"], r.json()["active"]) == (30, False)
    (event,) = await events_of(db, shop, "promotion.updated")
    assert event["percent"] == 30
    r = await shop.patch(url, json={"categories": []})
    assert r.status_code == 422
    r = await shop.get(PROMOTIONS, params={"active": "false"})
    assert [p["id"] for p in r.json()["items"]] == [made["id"]]
    assert (await shop.get(PROMOTIONS, params={"active": "true"})).json()["items"] == []


async def test_only_marketers_manage_promotions_and_only_their_own(shop, other_tenant):
    made = (await shop.post(PROMOTIONS, json=PERCENT_OFF)).json()
    staff = await shop.key_for("store_staff", ["S1"])
    assert (await shop.post(PROMOTIONS, key=staff, json=PERCENT_OFF)).status_code == 403
    assert (await shop.get(PROMOTIONS, key=staff)).status_code == 403
    url = f"{PROMOTIONS}/{made['id']}"
    r = await other_tenant.get(url)
    assert r.status_code == 404 and r.json()["code"] == "promotion_not_found"
    assert (await other_tenant.patch(url, json={"active": False})).status_code == 404
