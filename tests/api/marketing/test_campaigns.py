"""Campaigns: what a marketer sets up, who may, and whose they are."""

from __future__ import annotations

import uuid

import pytest

from tests.api.marketing.conftest import CAMPAIGNS, campaign_body, new_campaign, running


async def test_a_campaign_is_created_with_the_merchants_currency_and_default_attribution(shop):
    r = await shop.post(CAMPAIGNS, json=campaign_body(channels=["own_app"], locations=["S1"]))
    assert r.status_code == 201, r.text
    campaign = r.json()
    assert campaign["name"] == "Spring tea 春茶" and campaign["kind"] == "campaign"
    assert (campaign["cost"], campaign["currency"]) == (50_000, "CNY")
    assert campaign["attribution_window_days"] == 7
    assert campaign["attribution_model"] == "last_touch"
    assert (campaign["channels"], campaign["locations"]) == (["own_app"], ["S1"])
    again = await shop.get(f"{CAMPAIGNS}/{campaign['id']}")
    assert again.status_code == 200 and again.json() == campaign
    events = (await shop.get("/api/v1/events")).json()["items"]
    assert any(
        e["type"] == "campaign.created" and e["data"]["id"] == campaign["id"] for e in events
    )


async def test_campaigns_are_listed_oldest_first_a_page_at_a_time(shop):
    made = [(await new_campaign(shop, name=f"C{i}"))["id"] for i in range(3)]
    first = (await shop.get(CAMPAIGNS, params={"limit": 2})).json()
    assert [c["id"] for c in first["items"]] == made[:2] and first["next_cursor"]
    rest = (await shop.get(CAMPAIGNS, params={"limit": 2, "cursor": first["next_cursor"]})).json()
    assert [c["id"] for c in rest["items"]] == made[2:] and rest["next_cursor"] is None
    none = (await shop.get(CAMPAIGNS, params={"kind": "segment_grant"})).json()
    assert none["items"] == []


@pytest.mark.parametrize(
    "overrides",
    [
        {"name": ""},
        {"name": "x" * 201},
        {"cost": -1},
        {"cost": 12.5},
        {"cost": "100"},
        {"starts_at": "2026-03-01T00:00:00"},
        {"starts_at": "2026-03-02T00:00:00Z", "ends_at": "2026-03-01T00:00:00Z"},
        {"starts_at": "2026-03-01T00:00:00Z", "ends_at": "2026-03-01T00:00:00Z"},
        {"attribution_window_days": 0},
        {"attribution_window_days": 366},
        {"attribution_model": "linear"},
        {"channels": ["Own App"]},
        {"channels": ["own_app", "own_app"]},
        {"kind": "segment_grant"},
    ],
)
async def test_a_campaign_that_breaks_a_rule_is_refused_with_422(shop, overrides):
    r = await shop.post(CAMPAIGNS, json=campaign_body(**overrides))
    assert r.status_code == 422, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    assert (await shop.get(CAMPAIGNS)).json()["items"] == []


async def test_a_campaign_limited_to_an_unknown_store_is_refused(shop):
    r = await shop.post(CAMPAIGNS, json=campaign_body(locations=["S1", "S9"]))
    assert r.status_code == 422 and r.json()["code"] == "unknown_reference"
    assert r.json()["missing"] == ["S9"]


async def test_a_campaign_is_changed_field_by_field(shop):
    campaign = await new_campaign(shop)
    r = await shop.patch(
        f"{CAMPAIGNS}/{campaign['id']}",
        json={"cost": 80_000, "attribution_model": "first_touch", "locations": ["S2"]},
    )
    assert r.status_code == 200, r.text
    changed = r.json()
    assert (changed["cost"], changed["attribution_model"]) == (80_000, "first_touch")
    assert changed["locations"] == ["S2"] and changed["name"] == campaign["name"]
    assert changed["updated_at"] > campaign["updated_at"]


@pytest.mark.parametrize(
    "change",
    [
        {"name": None},
        {"cost": -5},
        {"kind": "segment_grant"},
        {"currency": "USD"},
        {"locations": ["S9"]},
        {"ends_at": "2000-01-01T00:00:00Z"},
        {"attribution_window_days": None},
    ],
)
async def test_a_change_that_breaks_a_rule_is_refused_and_changes_nothing(shop, change):
    campaign = await new_campaign(shop)
    r = await shop.patch(f"{CAMPAIGNS}/{campaign['id']}", json=change)
    assert r.status_code == 422, r.text
    assert (await shop.get(f"{CAMPAIGNS}/{campaign['id']}")).json() == campaign


async def test_another_merchants_campaign_is_not_found(shop, other_tenant):
    campaign = await new_campaign(shop)
    url = f"{CAMPAIGNS}/{campaign['id']}"
    for response in (
        await other_tenant.get(url),
        await other_tenant.patch(url, json={"cost": 1}),
        await other_tenant.get(f"{url}/report"),
        await other_tenant.get(f"{url}/tracking-codes"),
        await other_tenant.post(
            f"{url}/tracking-codes",
            json={"medium": "link", "landing": {"type": "url", "value": "https://a.example"}},
        ),
    ):
        assert response.status_code == 404, response.text
        assert response.json()["code"] == "campaign_not_found"
    assert (await other_tenant.get(CAMPAIGNS)).json()["items"] == []
    assert (await shop.get(f"{CAMPAIGNS}/{uuid.uuid4()}")).status_code == 404


async def test_store_staff_may_neither_run_nor_read_campaigns(shop):
    campaign = await new_campaign(shop)
    staff = await shop.key_for("store_staff", ["S1"])
    url = f"{CAMPAIGNS}/{campaign['id']}"
    for response in (
        await shop.post(CAMPAIGNS, json=campaign_body(), key=staff),
        await shop.get(CAMPAIGNS, key=staff),
        await shop.get(url, key=staff),
        await shop.patch(url, json={"cost": 1}, key=staff),
        await shop.get(f"{url}/report", key=staff),
        await shop.get(f"{url}/report.csv", key=staff),
        await shop.get(f"{url}/tracking-codes", key=staff),
        await shop.post(
            f"{url}/tracking-codes",
            json={"medium": "staff", "landing": {"type": "store", "value": "S1"}},
            key=staff,
        ),
    ):
        assert response.status_code == 403, response.text
    assert (await shop.get(CAMPAIGNS, headers={"Authorization": ""})).status_code == 401


@pytest.mark.parametrize("role", ["operator", "integrator"])
async def test_operators_and_integrators_run_campaigns(shop, role):
    key = await shop.key_for(role)
    r = await shop.post(CAMPAIGNS, json=campaign_body(**running(0, 3)), key=key)
    assert r.status_code == 201, r.text
    r = await shop.get(f"{CAMPAIGNS}/{r.json()['id']}/report", key=key)
    assert r.status_code == 200, r.text
