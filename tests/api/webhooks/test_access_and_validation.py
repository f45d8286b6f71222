from __future__ import annotations

import uuid

import pytest

from tests.api.webhooks.conftest import create_webhook, webhook_body
from tests.support.factories import add_location


def _routes(webhook_id: str) -> list[tuple[str, str, dict | None]]:
    return [
        ("POST", "/api/v1/webhooks", webhook_body()),
        ("GET", "/api/v1/webhooks", None),
        ("GET", f"/api/v1/webhooks/{webhook_id}", None),
        ("PATCH", f"/api/v1/webhooks/{webhook_id}", {"active": False}),
        ("DELETE", f"/api/v1/webhooks/{webhook_id}", None),
        ("POST", f"/api/v1/webhooks/{webhook_id}/test", None),
        ("GET", f"/api/v1/webhooks/{webhook_id}/deliveries", None),
        ("GET", "/api/v1/events", None),
    ]


async def test_every_route_needs_a_key(tenant, client):
    created = await create_webhook(tenant)
    for method, url, body in _routes(created["id"]):
        r = await client.request(method, url, json=body)
        assert r.status_code == 401, (method, url, r.text)
        assert r.json()["code"] == "unauthorized"
        r = await client.request(method, url, json=body, headers={"Authorization": "Bearer x" * 3})
        assert r.status_code == 401, (method, url)


async def test_store_staff_may_not_manage_webhooks_or_read_events(tenant, db):
    await add_location(db, tenant.merchant_id, "S001")
    staff = await tenant.key_for("store_staff", ["S001"])
    created = await create_webhook(tenant)
    for method, url, body in _routes(created["id"]):
        r = await tenant.request(method, url, json=body, key=staff)
        assert r.status_code == 403, (method, url, r.text)
        assert r.json()["code"] == "forbidden"
    assert (await tenant.get(f"/api/v1/webhooks/{created['id']}")).json()["active"] is True


@pytest.mark.parametrize("role", ["operator", "integrator"])
async def test_operators_and_integrators_manage_webhooks(tenant, role):
    key = await tenant.key_for(role)
    r = await tenant.post("/api/v1/webhooks", json=webhook_body(), key=key)
    assert r.status_code == 201, r.text
    assert (await tenant.get("/api/v1/events", key=key)).status_code == 200


async def test_another_merchants_webhook_is_not_found(tenant, other_tenant):
    created = await create_webhook(tenant)
    for method, url, body in _routes(created["id"])[2:7]:
        r = await other_tenant.request(method, url, json=body)
        assert r.status_code == 404, (method, url, r.text)
        assert r.json()["code"] == "not_found"
    assert (await other_tenant.get("/api/v1/webhooks")).json()["items"] == []
    still = await tenant.get(f"/api/v1/webhooks/{created['id']}")
    assert still.status_code == 200 and still.json()["active"] is True


async def test_an_unknown_webhook_is_not_found(tenant):
    r = await tenant.get(f"/api/v1/webhooks/{uuid.uuid4()}")
    assert r.status_code == 404
    r = await tenant.get(f"/api/v1/webhooks/{uuid.uuid4()}/deliveries")
    assert r.status_code == 404


@pytest.mark.parametrize(
    "fields",
    [
        {"url": "ftp://erp.example/hooks"},
        {"url": "erp.example/hooks"},
        {"url": "http://"},
        {"url": "https://exa mple.com/x"},
        {"url": "http://erp.example:99999/x"},
        {"url": ""},
        {"url": "https://erp.example/" + "x" * 2100},
        {"events": []},
        {"events": ["Inventory.Adjusted"]},
        {"events": ["inventory.*.reserved"]},
        {"events": "inventory.adjusted"},
        {"events": ["x.y"] * 101},
        {"secret": "s" * 15},
        {"secret": "s" * 201},
        {"secret": " " + "s" * 20},
        {"description": "d" * 501},
        {"active": "maybe"},
        {"colour": "red"},
    ],
)
async def test_bad_input_is_a_422_with_the_field_named(tenant, fields):
    r = await tenant.post("/api/v1/webhooks", json=webhook_body(**fields))
    assert r.status_code == 422, r.text
    problem = r.json()
    assert problem["code"] == "validation_error"
    assert r.headers["content-type"].startswith("application/problem+json")
    assert list(fields)[0] in problem["detail"]
    assert (await tenant.get("/api/v1/webhooks")).json()["items"] == []


async def test_url_and_events_are_required(tenant):
    for missing in ("url", "events"):
        body = webhook_body()
        del body[missing]
        r = await tenant.post("/api/v1/webhooks", json=body)
        assert r.status_code == 422 and missing in r.json()["detail"]


async def test_malformed_json_is_a_400(tenant):
    r = await tenant.post(
        "/api/v1/webhooks", content=b"{not json", headers={"Content-Type": "application/json"}
    )
    assert r.status_code == 400 and r.json()["code"] == "malformed_json"
