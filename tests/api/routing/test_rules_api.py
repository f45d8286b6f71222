"""``GET/PUT /api/v1/routing-rules``: defaults, full replacement, validation, roles, tenancy."""

from __future__ import annotations

from sqlalchemy import select

from omniloop.events import OutboxEvent
from omniloop.routing.rules import DEFAULT_RULES
from tests.api.routing.conftest import PREVIEW, RULES, delivery

CUSTOM = {
    "filters": ["active", {"name": "under_capacity", "max_open_orders": 20}, "has_all_stock"],
    "sort": ["load", "distance"],
    "split": {"policy": "allow", "max_locations": 2},
}


async def test_a_merchant_starts_with_the_default_rules(tenant):
    r = await tenant.get(RULES)
    assert r.status_code == 200
    body = r.json()
    assert body["is_default"] is True
    assert body["updated_at"] is None and body["updated_by"] is None
    assert {k: body[k] for k in ("filters", "sort", "split")} == DEFAULT_RULES.to_dict()


async def test_put_replaces_the_rules_whole_and_records_an_event(tenant, db):
    r = await tenant.put(RULES, json=CUSTOM)
    assert r.status_code == 200, r.text
    stored = r.json()
    assert stored["is_default"] is False
    assert stored["filters"][1] == {"name": "under_capacity", "max_open_orders": 20}
    assert stored["filters"][0] == {"name": "active"}
    assert stored["updated_by"].startswith("api_key:")
    assert (await tenant.get(RULES)).json() == stored

    r = await tenant.put(RULES, json={"filters": ["active"], "sort": []})
    assert r.json()["split"] == {"policy": "never"}
    assert r.json()["sort"] == []

    async with db.uow().read_only() as uow:
        events = list(
            await uow.session.scalars(
                select(OutboxEvent)
                .where(
                    OutboxEvent.merchant_id == tenant.merchant_id,
                    OutboxEvent.type == "routing.rules_updated",
                )
                .order_by(OutboxEvent.created_at)
            )
        )
    assert len(events) == 2
    assert events[0].data["rules"]["sort"] == ["load", "distance"]


async def test_bad_rules_are_422_naming_the_field_and_change_nothing(tenant):
    await tenant.put(RULES, json=CUSTOM)
    for bad, field in (
        ({"filters": ["teleport"], "sort": []}, "filters[0]"),
        ({"filters": [], "sort": ["cheapest"]}, "sort[0]"),
        ({"filters": [{"name": "kind_in", "kinds": ["castle"]}], "sort": []}, "filters[0].kinds"),
        (
            {"filters": ["active"], "sort": [], "split": {"policy": "allow", "max_locations": 3}},
            "split",
        ),
    ):
        r = await tenant.put(RULES, json=bad)
        assert r.status_code == 422, r.text
        assert r.json()["code"] == "validation_error"
        assert r.json()["errors"][0]["field"] == field
    for bad in ({"filters": []}, {"filters": [], "sort": [], "mood": "x"}, []):
        r = await tenant.put(RULES, json=bad)
        assert r.status_code == 422, r.text
    assert (await tenant.get(RULES)).json()["sort"] == ["load", "distance"]


async def test_store_staff_may_read_and_preview_but_not_change_the_rules(tenant, db):
    from tests.support.factories import add_location, add_skus

    await add_location(db, tenant.merchant_id, "S1")
    await add_skus(db, tenant.merchant_id, ["TEA"])
    staff = await tenant.key_for("store_staff", ["S1"])
    assert (await tenant.get(RULES, key=staff)).status_code == 200
    r = await tenant.post(PREVIEW, json=delivery(), key=staff)
    assert r.status_code == 200, r.text
    r = await tenant.put(RULES, json=CUSTOM, key=staff)
    assert r.status_code == 403
    assert r.json()["code"] == "forbidden"
    integrator = await tenant.key_for("integrator")
    assert (await tenant.put(RULES, json=CUSTOM, key=integrator)).status_code == 403
    operator = await tenant.key_for("operator")
    assert (await tenant.put(RULES, json=CUSTOM, key=operator)).status_code == 200


async def test_no_key_is_401(client):
    for method, url in (("GET", RULES), ("PUT", RULES), ("POST", PREVIEW)):
        r = await client.request(method, url, json=CUSTOM)
        assert r.status_code == 401
        assert r.json()["code"] == "unauthorized"


async def test_each_merchant_has_its_own_rules(tenant, other_tenant):
    assert (await tenant.put(RULES, json=CUSTOM)).status_code == 200
    assert (await other_tenant.get(RULES)).json()["is_default"] is True
    assert (await tenant.get(RULES)).json()["is_default"] is False
