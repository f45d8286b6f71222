from __future__ import annotations

from datetime import UTC, datetime, timedelta
from urllib.parse import urlencode

from tests.api.catalog.conftest import create_product, sku_body


def iso(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")


async def price(tenant, sku: str = "TEA-L", **params: str):
    return await tenant.get("/api/v1/prices?" + urlencode({"sku": sku, **params}))


async def quoted(tenant, sku: str = "TEA-L", **params: str) -> tuple[int, str, str | None]:
    r = await price(tenant, sku, **params)
    assert r.status_code == 200, r.text
    body = r.json()
    return body["price"], body["rule"]["kind"], body["rule"].get("override_id")


async def test_every_rule_kind_wins_in_its_place(stores):
    created = await create_product(
        stores,
        sku_body(
            "TEA-L",
            1500,
            price_overrides=[
                {"channel": "meituan", "price": 1800},
                {"location": "S1", "price": 1400},
                {"location": "S1", "channel": "meituan", "price": 1650},
            ],
        ),
    )
    ids = {(o["channel"], o["location"]): o["id"] for o in created["skus"][0]["price_overrides"]}

    assert await quoted(stores) == (1500, "base", None)
    assert await quoted(stores, channel="pos") == (1500, "base", None)
    assert await quoted(stores, location="S2", channel="pos") == (1500, "base", None)
    assert await quoted(stores, channel="meituan") == (1800, "channel", ids[("meituan", None)])
    assert await quoted(stores, location="S2", channel="meituan") == (
        1800,
        "channel",
        ids[("meituan", None)],
    )
    assert await quoted(stores, location="S1") == (1400, "location", ids[(None, "S1")])
    assert await quoted(stores, location="S1", channel="pos") == (
        1400,
        "location",
        ids[(None, "S1")],
    )
    assert await quoted(stores, location="S1", channel="meituan") == (
        1650,
        "location_channel",
        ids[("meituan", "S1")],
    )


async def test_the_price_answer_names_its_inputs_and_the_base_price(stores):
    await create_product(
        stores, sku_body("TEA-L", 1500, price_overrides=[{"location": "S1", "price": 1400}])
    )
    r = await price(stores, location="S1", channel="own_app")
    body = r.json()
    assert body["sku"] == "TEA-L"
    assert (body["channel"], body["location"]) == ("own_app", "S1")
    assert (body["price"], body["base_price"], body["currency"]) == (1400, 1500, "CNY")


async def test_online_and_offline_pay_the_same_without_overrides(stores):
    await create_product(stores, sku_body("TEA-L", 1500))
    prices = {
        await quoted(stores, channel=channel, location=location)
        for channel in ("own_app", "pos", "meituan")
        for location in ("S1", "S2")
    }
    assert prices == {(1500, "base", None)}


async def test_only_overrides_active_now_count(stores):
    now = datetime.now(UTC)
    await create_product(
        stores,
        sku_body(
            "TEA-L",
            1500,
            price_overrides=[
                {"location": "S1", "price": 1000, "ends_at": iso(now - timedelta(hours=1))},
                {"location": "S1", "price": 1100, "starts_at": iso(now + timedelta(hours=1))},
                {
                    "channel": "pos",
                    "price": 1200,
                    "starts_at": iso(now - timedelta(days=1)),
                    "ends_at": iso(now + timedelta(days=1)),
                },
            ],
        ),
    )
    assert (await quoted(stores, location="S1"))[:2] == (1500, "base")
    assert (await quoted(stores, location="S1", channel="pos"))[:2] == (1200, "channel")
    later = iso(now + timedelta(hours=2))
    assert (await quoted(stores, location="S1", at=later))[:2] == (1100, "location")
    earlier = iso(now - timedelta(hours=2))
    assert (await quoted(stores, location="S1", at=earlier))[:2] == (1000, "location")


async def test_a_promotion_window_takes_over_from_a_standing_store_price(stores):
    now = datetime.now(UTC)
    week = {"starts_at": iso(now - timedelta(days=1)), "ends_at": iso(now + timedelta(days=6))}
    await create_product(
        stores,
        sku_body(
            "TEA-L",
            1500,
            price_overrides=[
                {"location": "S1", "price": 1400},
                {"location": "S1", "price": 999, **week},
            ],
        ),
    )
    assert (await quoted(stores, location="S1"))[0] == 999
    assert (await quoted(stores, location="S1", at=iso(now + timedelta(days=7))))[0] == 1400


async def test_price_changes_by_patch_show_at_once(stores):
    created = await create_product(stores, sku_body("TEA-L", 1500))
    await stores.patch(
        f"/api/v1/products/{created['id']}",
        json={
            "skus": [
                {
                    "sku": "TEA-L",
                    "price": 1600,
                    "price_overrides": [{"channel": "pos", "price": 1550}],
                }
            ]
        },
    )
    assert (await quoted(stores))[:2] == (1600, "base")
    assert (await quoted(stores, channel="pos"))[:2] == (1550, "channel")


async def test_unknown_sku_or_location_is_404(stores):
    await create_product(stores, sku_body("TEA-L", 1500))
    r = await price(stores, "NOPE")
    assert r.status_code == 404 and r.json()["code"] == "not_found"
    r = await price(stores, location="NOPE")
    assert r.status_code == 404 and r.json()["code"] == "not_found"


async def test_price_query_parameters_are_validated(stores):
    await create_product(stores, sku_body("TEA-L", 1500))
    for params in (
        {"channel": "Own App"},
        {"channel": "x" * 41},
        {"at": "2030-01-01T00:00:00"},
        {"at": "yesterday"},
    ):
        r = await price(stores, **params)
        assert r.status_code == 422, params
    r = await stores.get("/api/v1/prices")
    assert r.status_code == 422, "sku is required"
