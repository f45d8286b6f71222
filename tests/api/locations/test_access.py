"""Who may read and change locations: tenancy and roles."""

from __future__ import annotations

import pytest

from tests.api.locations.conftest import URL, create_location, location_body


async def test_another_merchant_cannot_see_or_change_a_location(tenant, other_tenant):
    await create_location(tenant, "S1", name="Mine")

    assert (await other_tenant.get(f"{URL}/S1")).status_code == 404
    r = await other_tenant.patch(f"{URL}/S1", json={"name": "Stolen"})
    assert r.status_code == 404
    assert r.json()["code"] == "not_found"
    assert (await other_tenant.get(URL)).json()["items"] == []
    r = await other_tenant.get(f"{URL}/nearby", params={"lat": 31.2304, "lng": 121.4737})
    assert r.json()["items"] == []

    assert (await tenant.get(f"{URL}/S1")).json()["name"] == "Mine"


async def test_store_staff_can_read_but_not_write(tenant):
    await create_location(tenant, "S1")
    staff = await tenant.key_for("store_staff", ["S1"])

    assert (await tenant.get(f"{URL}/S1", key=staff)).status_code == 200
    assert (await tenant.get(URL, key=staff)).status_code == 200
    r = await tenant.get(f"{URL}/nearby", params={"lat": 31.23, "lng": 121.47}, key=staff)
    assert r.status_code == 200

    r = await tenant.post(URL, json=location_body("S2"), key=staff)
    assert r.status_code == 403
    assert r.json()["code"] == "forbidden"
    r = await tenant.patch(f"{URL}/S1", json={"name": "x"}, key=staff)
    assert r.status_code == 403
    assert (await tenant.get(f"{URL}/S2")).status_code == 404


async def test_an_integrator_reads_locations_but_cannot_create_or_change_them(tenant):
    await create_location(tenant, "S1")
    integrator = await tenant.key_for("integrator")
    assert (await tenant.get(f"{URL}/S1", key=integrator)).status_code == 200
    assert (await tenant.post(URL, json=location_body("S2"), key=integrator)).status_code == 403
    r = await tenant.patch(f"{URL}/S1", json={"name": "x"}, key=integrator)
    assert r.status_code == 403


async def test_an_operator_manages_locations(tenant):
    operator = await tenant.key_for("operator")
    assert (await tenant.post(URL, json=location_body("S1"), key=operator)).status_code == 201
    r = await tenant.patch(f"{URL}/S1", json={"name": "x"}, key=operator)
    assert r.status_code == 200


ROUTES = [
    ("GET", URL, None),
    ("POST", URL, location_body("S9")),
    ("GET", f"{URL}/S1", None),
    ("PATCH", f"{URL}/S1", {"name": "x"}),
    ("GET", f"{URL}/nearby?lat=31.2&lng=121.4", None),
]


@pytest.mark.parametrize(("method", "url", "body"), ROUTES)
async def test_every_route_needs_a_valid_key(client, tenant, method, url, body):
    await create_location(tenant, "S1")
    anonymous = await client.request(method, url, json=body)
    assert anonymous.status_code == 401
    assert anonymous.json()["code"] == "unauthorized"
    for garbage in ("garbage", "olk_" + "x" * 43):
        r = await client.request(
            method, url, json=body, headers={"Authorization": f"Bearer {garbage}"}
        )
        assert r.status_code == 401, (garbage, r.text)
    assert (await tenant.get(f"{URL}/S9")).status_code == 404
