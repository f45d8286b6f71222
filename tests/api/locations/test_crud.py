"""Creating, reading, updating and listing locations."""

from __future__ import annotations

from datetime import datetime

from tests.api.locations.conftest import URL, create_location, location_body
from tests.support.events import events_of


async def test_created_location_is_returned_with_defaults_and_can_be_read_back(tenant):
    r = await tenant.post(URL, json=location_body("SH-001", address="1 Nanjing Rd"))
    assert r.status_code == 201, r.text
    created = r.json()
    assert created == {
        "code": "SH-001",
        "name": "Store SH-001",
        "kind": "store",
        "lat": 31.2304,
        "lng": 121.4737,
        "address": "1 Nanjing Rd",
        "timezone": "Asia/Shanghai",
        "opening_hours": None,
        "service_radius_km": 5.0,
        "priority": 0,
        "active": True,
        "created_at": created["created_at"],
        "updated_at": created["updated_at"],
    }
    datetime.fromisoformat(created["created_at"])

    r = await tenant.get(f"{URL}/SH-001")
    assert r.status_code == 200, r.text
    assert r.json() == created


async def test_every_field_can_be_set_on_creation(tenant):
    hours = {"sun": [["10:00", "20:00"]], "fri": [["18:00", "02:00"], ["08:00", "12:00"]]}
    loc = await create_location(
        tenant,
        "CK1",
        kind="central_kitchen",
        timezone="Europe/Berlin",
        opening_hours=hours,
        service_radius_km=12.5,
        priority=7,
        active=False,
    )
    assert loc["kind"] == "central_kitchen"
    assert loc["timezone"] == "Europe/Berlin"
    # Stored in week order with each day's intervals sorted by opening time.
    assert loc["opening_hours"] == {
        "fri": [["08:00", "12:00"], ["18:00", "02:00"]],
        "sun": [["10:00", "20:00"]],
    }
    assert list(loc["opening_hours"]) == ["fri", "sun"]
    assert (loc["service_radius_km"], loc["priority"], loc["active"]) == (12.5, 7, False)


async def test_a_duplicate_code_is_a_conflict_and_changes_nothing(tenant):
    await create_location(tenant, "S1", name="First")
    r = await tenant.post(URL, json=location_body("S1", name="Second"))
    assert r.status_code == 409
    assert r.headers["content-type"].startswith("application/problem+json")
    assert r.json()["code"] == "already_exists"
    assert (await tenant.get(f"{URL}/S1")).json()["name"] == "First"


async def test_codes_are_per_merchant(tenant, other_tenant):
    await create_location(tenant, "S1")
    await create_location(other_tenant, "S1")


async def test_patch_changes_only_the_fields_sent(tenant):
    before = await create_location(tenant, "S1", address="Old", priority=1)
    r = await tenant.patch(f"{URL}/S1", json={"name": "Renamed", "lat": 31.3, "active": False})
    assert r.status_code == 200, r.text
    after = r.json()
    assert (after["name"], after["lat"], after["active"]) == ("Renamed", 31.3, False)
    assert (after["address"], after["priority"], after["lng"]) == ("Old", 1, before["lng"])
    assert after["updated_at"] > before["updated_at"]
    assert after["created_at"] == before["created_at"]
    assert (await tenant.get(f"{URL}/S1")).json() == after


async def test_patch_can_clear_address_and_opening_hours(tenant):
    await create_location(tenant, "S1", address="Old", opening_hours={"mon": [["08:00", "20:00"]]})
    r = await tenant.patch(f"{URL}/S1", json={"address": None, "opening_hours": None})
    assert r.status_code == 200, r.text
    assert (r.json()["address"], r.json()["opening_hours"]) == (None, None)


async def test_patch_cannot_null_a_required_field_or_change_the_code(tenant):
    await create_location(tenant, "S1")
    r = await tenant.patch(f"{URL}/S1", json={"name": None})
    assert r.status_code == 422
    assert r.json()["errors"][0]["field"] == "name"
    r = await tenant.patch(f"{URL}/S1", json={"code": "S2"})
    assert r.status_code == 422
    assert r.json()["errors"][0]["field"] == "code"
    assert (await tenant.get(f"{URL}/S1")).json()["name"] == "Store S1"


async def test_unknown_codes_are_not_found(tenant):
    for r in (
        await tenant.get(f"{URL}/NOPE"),
        await tenant.patch(f"{URL}/NOPE", json={"name": "x"}),
    ):
        assert r.status_code == 404
        assert r.json()["code"] == "not_found"


async def test_paging_through_locations_sees_each_exactly_once_in_code_order(tenant):
    codes = [f"S{i:02d}" for i in (5, 1, 7, 3, 2, 6, 4)]
    for code in codes:
        await create_location(tenant, code)
    seen: list[str] = []
    cursor = None
    pages = 0
    while True:
        params = {"limit": 3} | ({"cursor": cursor} if cursor else {})
        r = await tenant.get(URL, params=params)
        assert r.status_code == 200, r.text
        page = r.json()
        assert len(page["items"]) <= 3
        seen += [item["code"] for item in page["items"]]
        pages += 1
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == sorted(codes)
    assert pages == 3


async def test_the_list_defaults_to_fifty_and_filters_by_kind_and_active(tenant):
    await create_location(tenant, "S1")
    await create_location(tenant, "S2", active=False)
    await create_location(tenant, "W1", kind="warehouse")
    await create_location(tenant, "K1", kind="central_kitchen", active=False)

    async def codes(**params):
        r = await tenant.get(URL, params=params)
        assert r.status_code == 200, r.text
        return [item["code"] for item in r.json()["items"]]

    assert await codes() == ["K1", "S1", "S2", "W1"]
    assert await codes(kind="store") == ["S1", "S2"]
    assert await codes(active="false") == ["K1", "S2"]
    assert await codes(kind="warehouse", active="true") == ["W1"]


async def test_list_parameters_are_validated(tenant):
    for params in ({"limit": 0}, {"limit": 501}, {"kind": "shop"}, {"cursor": "!!!"}):
        r = await tenant.get(URL, params=params)
        assert r.status_code == 422, (params, r.text)
        assert r.json()["code"] == "validation_error"


async def test_creating_and_updating_record_events_in_the_outbox(tenant, db):
    created = await create_location(tenant, "S1", priority=1)
    await tenant.patch(f"{URL}/S1", json={"name": "Renamed", "priority": 1})
    await tenant.patch(f"{URL}/S1", json={"priority": 1})  # changes nothing

    assert await events_of(db, tenant, "location.created") == [created]
    updates = await events_of(db, tenant, "location.updated")
    assert len(updates) == 1
    assert updates[0]["code"] == "S1"
    assert updates[0]["changes"] == {"name": {"from": "Store S1", "to": "Renamed"}}
    assert updates[0]["location"]["name"] == "Renamed"
