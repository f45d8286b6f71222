"""Coupon templates: what a coupon gives, validated field by field, and fixed once issued."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from tests.api.promotions.conftest import (
    TEMPLATES,
    grant_one,
    new_member,
    new_template,
    template_body,
)
from tests.support.events import events_of


async def test_a_template_is_created_with_its_terms_and_read_back(shop, db):
    body = template_body(
        name="满100减20",
        kind="spend_save",
        threshold=10000,
        amount=2000,
        categories=["drinks"],
        channels=["own_app", "pos"],
        locations=["S1"],
        min_spend=0,
        per_member_limit=2,
        total_quota=1000,
        refund_policy="restore_on_full_refund",
    )
    r = await shop.post(TEMPLATES, json=body)
    assert r.status_code == 201, r.text
    made = r.json()
    assert made["kind"] == "spend_save" and made["threshold"] == 10000 and made["amount"] == 2000
    assert made["currency"] == "CNY" and made["issued"] == 0 and made["remaining"] == 1000
    assert made["stackable"] is False and made["claimable"] is False and made["active"] is True
    assert made["refund_policy"] == "restore_on_full_refund"
    again = await shop.get(f"{TEMPLATES}/{made['id']}")
    assert again.status_code == 200 and again.json() == made
    (event,) = await events_of(db, shop, "coupon_template.created")
    assert event["id"] == made["id"]


async def test_defaults_one_per_member_no_quota_forfeit_on_refund(shop):
    made = await new_template(shop)
    assert made["per_member_limit"] == 1 and made["total_quota"] is None
    assert made["remaining"] is None and made["refund_policy"] == "forfeit"


async def test_templates_are_listed_newest_first_a_page_at_a_time(shop):
    names = [f"T{n}" for n in range(3)]
    for name in names:
        await new_template(shop, name=name)
    r = await shop.get(TEMPLATES, params={"limit": 2})
    assert [t["name"] for t in r.json()["items"]] == ["T2", "T1"]
    rest = await shop.get(TEMPLATES, params={"limit": 2, "cursor": r.json()["next_cursor"]})
    assert [t["name"] for t in rest.json()["items"]] == ["T0"]
    assert rest.json()["next_cursor"] is None


@pytest.mark.parametrize(
    ("changes", "fields"),
    [
        ({"kind": "percent", "amount": None}, {"percent"}),
        ({"kind": "percent", "percent": 10}, {"amount"}),
        ({"kind": "spend_save", "threshold": 1000, "amount": 2000}, {"amount"}),
        ({"kind": "free_item", "amount": None}, {"sku"}),
        ({"days_after_grant": None}, {"starts_at", "ends_at"}),
        (
            {"starts_at": "2026-06-01T00:00:00Z", "ends_at": "2026-07-01T00:00:00Z"},
            {"days_after_grant"},
        ),
        ({"percent": 101}, {"percent"}),
        ({"amount": 0}, {"amount"}),
        ({"amount": "500"}, {"amount"}),
        ({"total_quota": 0}, {"total_quota"}),
        ({"channels": ["Own App"]}, {"channels.0"}),
        ({"refund_policy": "sometimes"}, {"refund_policy"}),
        ({"ends_at": "2026-07-01T00:00:00"}, {"ends_at"}),
    ],
)
async def test_unsound_templates_are_refused_naming_each_field(shop, changes, fields):
    body = {k: v for k, v in {**template_body(), **changes}.items() if v is not None}
    r = await shop.post(TEMPLATES, json=body)
    assert r.status_code == 422, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    assert fields <= {e["field"] for e in r.json()["errors"]}, r.json()


async def test_a_template_naming_unknown_skus_or_stores_is_refused(shop):
    r = await shop.post(TEMPLATES, json=template_body(kind="free_item", amount=None, sku="NOPE"))
    assert r.status_code == 422 and r.json()["code"] == "unknown_sku"
    r = await shop.post(TEMPLATES, json=template_body(locations=["S9"]))
    assert r.status_code == 422 and r.json()["code"] == "unknown_location"


async def test_terms_change_freely_until_a_coupon_is_given_out(shop):
    made = await new_template(shop)
    url = f"{TEMPLATES}/{made['id']}"
    r = await shop.patch(url, json={"amount": 800, "stackable": True})
    assert r.status_code == 200, r.text
    assert r.json()["amount"] == 800 and r.json()["stackable"] is True
    await grant_one(shop, made["id"], await new_member(shop))
    r = await shop.patch(url, json={"amount": 300, "min_spend": 5000})
    assert r.status_code == 409 and r.json()["code"] == "coupon_template_in_use"
    assert r.json()["fields"] == ["amount", "min_spend"]
    r = await shop.patch(url, json={"amount": 800, "name": "¥8 off", "total_quota": 50})
    assert r.status_code == 200, r.text  # the same amount again is no change
    assert (r.json()["name"], r.json()["total_quota"], r.json()["remaining"]) == ("¥8 off", 50, 49)


async def test_the_quota_cannot_go_below_what_was_given_out(shop):
    made = await new_template(shop)
    await grant_one(shop, made["id"], await new_member(shop))
    r = await shop.patch(f"{TEMPLATES}/{made['id']}", json={"total_quota": 0})
    assert r.status_code == 422
    r = await shop.patch(f"{TEMPLATES}/{made['id']}", json={"total_quota": 1})
    assert r.status_code == 200 and r.json()["remaining"] == 0


async def test_a_patch_is_validated_as_a_whole(shop):
    made = await new_template(shop)
    url = f"{TEMPLATES}/{made['id']}"
    r = await shop.patch(url, json={"kind": "percent"})
    assert r.status_code == 422
    assert {e["field"] for e in r.json()["errors"]} == {"percent", "amount"}
    r = await shop.patch(url, json={"kind": "percent", "amount": None, "percent": 15})
    assert r.status_code == 200 and r.json()["percent"] == 15 and r.json()["amount"] is None
    r = await shop.patch(url, json={"name": None})
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "name"
    window = {
        "days_after_grant": None,
        "starts_at": datetime.now(UTC).isoformat(),
        "ends_at": (datetime.now(UTC) + timedelta(days=3)).isoformat(),
    }
    r = await shop.patch(url, json=window)
    assert r.status_code == 200 and r.json()["days_after_grant"] is None


async def test_only_marketers_manage_templates(shop):
    made = await new_template(shop)
    staff = await shop.key_for("store_staff", ["S1"])
    for method, url in (
        ("POST", TEMPLATES),
        ("GET", TEMPLATES),
        ("GET", f"{TEMPLATES}/{made['id']}"),
        ("PATCH", f"{TEMPLATES}/{made['id']}"),
    ):
        r = await shop.request(method, url, key=staff, json=template_body())
        assert r.status_code == 403, (method, url, r.text)
    for role in ("operator", "integrator"):
        key = await shop.key_for(role)
        assert (await shop.post(TEMPLATES, key=key, json=template_body())).status_code == 201
        assert (await shop.get(TEMPLATES, key=key)).status_code == 200


async def test_another_merchants_template_is_not_found(shop, other_tenant):
    made = await new_template(shop)
    url = f"{TEMPLATES}/{made['id']}"
    assert (await other_tenant.get(url)).json()["code"] == "coupon_template_not_found"
    r = await other_tenant.patch(url, json={"name": "mine"})
    assert r.status_code == 404
    assert (await other_tenant.get(TEMPLATES)).json()["items"] == []
