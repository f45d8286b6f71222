import uuid

import pytest

from tests.api.channels.conftest import connect, push_meituan, push_path, pushes
from tests.support.factories import add_location
from tests.unit.channels.vectors import MEITUAN_SECRET, meituan_new_order


async def test_a_connection_gets_one_webhook_url_naming_its_merchant(tenant, settings):
    created = await connect(tenant, app_id="5123", store_map={"MT-1": "S001"})

    expected = f"{settings.base_url}/api/v1/channels/{tenant.merchant_id}/{created['id']}/push"
    assert created["webhook_url"] == expected
    assert created["public_url"] == expected  # what gets registered, unless told otherwise
    assert created["order_channel"] == "meituan"
    assert created["store_map"] == {"MT-1": "S001"} and created["sku_map"] == {}
    assert created["secret_hint"] == "…" + MEITUAN_SECRET[-4:]
    assert "secret" not in created and "access_token" not in created


async def test_the_secret_is_never_returned_by_reads(tenant):
    created = await connect(tenant, "eleme", access_token="oauth-token-123")
    one = (await tenant.get(f"/api/v1/channel-connections/{created['id']}")).json()
    listed = (await tenant.get("/api/v1/channel-connections")).json()["items"]

    for body in (one, *listed):
        text = str(body)
        assert "secret" not in body and "access_token" not in body
        assert MEITUAN_SECRET not in text and "eleme-secret" not in text
        assert "oauth-token-123" not in text
    assert one["has_access_token"] is True


async def test_rotating_the_secret_takes_effect_for_the_next_push(client, tenant, sink):
    connection = await connect(tenant)
    new_secret = "ffffeeeeddddccccbbbbaaaa99998888"
    r = await tenant.patch(
        f"/api/v1/channel-connections/{connection['id']}", json={"secret": new_secret}
    )
    assert r.status_code == 200 and r.json()["secret_hint"] == "…8888"

    old = await push_meituan(client, connection, meituan_new_order())
    new = await push_meituan(client, connection, meituan_new_order(), secret=new_secret)
    assert old.json()["data"] == "ng" and new.json() == {"data": "ok"}


@pytest.mark.parametrize(
    "body",
    [
        {"channel": "doordash"},
        {"secret": "short"},
        {"public_url": "https://shop.example.com/push?token=1"},
        {"public_url": "ftp://shop.example.com/push"},
        {"order_channel": "pos"},
        {"order_channel": "Not A Slug"},
        {"store_map": {"MT-1": ""}},
        {"unexpected": True},
    ],
)
async def test_invalid_connections_are_422(tenant, body):
    full = {"channel": "meituan", "name": "x", "secret": MEITUAN_SECRET, **body}
    r = await tenant.post("/api/v1/channel-connections", json=full)
    assert r.status_code == 422, r.text
    assert r.json()["code"] == "validation_error"


async def test_names_are_unique_per_merchant(tenant, other_tenant):
    await connect(tenant, name="Meituan Shanghai")
    twice = await tenant.post(
        "/api/v1/channel-connections",
        json={"channel": "meituan", "name": "Meituan Shanghai", "secret": MEITUAN_SECRET},
    )
    assert twice.status_code == 409 and twice.json()["code"] == "already_exists"
    await connect(other_tenant, name="Meituan Shanghai")


async def test_patch_refuses_null_for_required_fields(tenant):
    connection = await connect(tenant)
    r = await tenant.patch(f"/api/v1/channel-connections/{connection['id']}", json={"name": None})
    assert r.status_code == 422
    cleared = await tenant.patch(
        f"/api/v1/channel-connections/{connection['id']}", json={"app_id": None}
    )
    assert cleared.status_code == 200 and cleared.json()["app_id"] is None


async def test_owners_operators_and_integrators_manage_connections_store_staff_do_not(db, tenant):
    await add_location(db, tenant.merchant_id, "S001")
    for role in ("operator", "integrator"):
        key = await tenant.key_for(role)
        r = await tenant.post(
            "/api/v1/channel-connections",
            json={"channel": "generic", "name": role, "secret": "s" * 20},
            key=key,
        )
        assert r.status_code == 201, (role, r.text)
    staff = await tenant.key_for("store_staff", ["S001"])
    for method, url in (
        ("GET", "/api/v1/channel-connections"),
        ("POST", "/api/v1/channel-connections"),
        ("GET", "/api/v1/channel-pushes"),
    ):
        r = await tenant.request(method, url, key=staff, json={})
        assert r.status_code == 403, (method, url, r.text)


async def test_another_merchant_sees_nothing(client, tenant, other_tenant, sink):
    connection = await connect(tenant)
    await push_meituan(client, connection, meituan_new_order())
    (push,) = await pushes(tenant)

    for method, url in (
        ("GET", f"/api/v1/channel-connections/{connection['id']}"),
        ("PATCH", f"/api/v1/channel-connections/{connection['id']}"),
        ("GET", f"/api/v1/channel-pushes/{push['id']}"),
        ("POST", f"/api/v1/channel-pushes/{push['id']}/retry"),
        ("GET", f"/api/v1/channel-pushes?connection={connection['id']}"),
    ):
        r = await other_tenant.request(method, url, json={})
        assert r.status_code == 404, (method, url, r.text)
    assert await pushes(other_tenant) == []


async def test_the_push_url_needs_the_right_merchant_and_connection(client, tenant, other_tenant):
    connection = await connect(tenant)
    elsewhere = push_path(connection).replace(
        str(tenant.merchant_id), str(other_tenant.merchant_id)
    )
    unknown = push_path(connection).replace(connection["id"], str(uuid.uuid4()))
    for path in (elsewhere, unknown):
        r = await client.post(path, content=b"order_id=1")
        assert r.status_code == 404 and r.json()["code"] == "not_found"


async def test_management_routes_need_a_key_and_the_push_url_does_not(client, tenant, sink):
    connection = await connect(tenant)
    assert (await client.get("/api/v1/channel-connections")).status_code == 401
    assert (await client.get("/api/v1/channel-pushes")).status_code == 401
    r = await client.post(push_path(connection))
    assert r.status_code == 200


async def test_an_oversized_push_is_413(client, tenant, sink):
    connection = await connect(tenant)
    r = await client.post(push_path(connection), content=b"x=" + b"a" * 1_000_001)
    assert r.status_code == 413 and r.json()["code"] == "payload_too_large"
