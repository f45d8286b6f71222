from __future__ import annotations

from tests.api.catalog.conftest import create_product, product_body, sku_body
from tests.support.events import events_of


async def test_created_product_comes_back_with_its_skus_and_overrides(stores):
    body = product_body(
        sku_body("TEA-M", 1300),
        sku_body(
            "TEA-L",
            1500,
            price_overrides=[
                {"channel": "meituan", "price": 1700},
                {"location": "S1", "price": 1400},
            ],
        ),
        description="Fresh jasmine tea with milk",
        image_url="https://img.example.com/tea.png",
    )
    r = await stores.post("/api/v1/products", json=body)
    assert r.status_code == 201, r.text
    created = r.json()
    assert created["name"] == "Jasmine milk tea" and created["category"] == "tea"
    assert created["image_url"] == "https://img.example.com/tea.png"
    assert created["active"] is True
    assert [s["sku"] for s in created["skus"]] == ["TEA-L", "TEA-M"]
    large = created["skus"][0]
    assert large["currency"] == "CNY", "the merchant's currency is the default"
    assert [(o["channel"], o["location"], o["price"]) for o in large["price_overrides"]] == [
        ("meituan", None, 1700),
        (None, "S1", 1400),
    ]

    fetched = await stores.get(f"/api/v1/products/{created['id']}")
    assert fetched.status_code == 200
    assert fetched.json() == created


async def test_sku_currency_can_differ_from_the_merchants(tenant):
    created = await create_product(tenant, sku_body("TEA-JP", 480, currency="jpy"))
    assert created["skus"][0]["currency"] == "JPY"


async def test_creating_a_product_records_product_created(tenant, db):
    created = await create_product(tenant, sku_body("TEA-L", 1500))
    [event] = await events_of(db, tenant, "product.created")
    assert event["id"] == created["id"]
    assert event["skus"] == [
        {"sku": "TEA-L", "name": "TEA-L name", "price": 1500, "currency": "CNY", "active": True}
    ]


async def test_sku_codes_are_unique_per_merchant(tenant, other_tenant, db):
    await create_product(tenant, sku_body("TEA-L"))
    again = await tenant.post(
        "/api/v1/products", json=product_body(sku_body("NEW"), sku_body("TEA-L"))
    )
    assert again.status_code == 409
    assert again.json()["code"] == "already_exists"
    assert again.json()["skus"] == ["TEA-L"]
    listed = (await tenant.get("/api/v1/products")).json()["items"]
    assert len(listed) == 1, "nothing of the refused product was written"
    assert len(await events_of(db, tenant, "product.created")) == 1
    # another merchant has its own code space
    await create_product(other_tenant, sku_body("TEA-L"))


async def test_a_sku_code_repeated_within_one_request_is_a_validation_error(tenant):
    r = await tenant.post("/api/v1/products", json=product_body(sku_body("A"), sku_body("A")))
    assert r.status_code == 422
    assert "repeated" in r.json()["detail"]


async def test_list_filters_by_category_active_and_name(tenant):
    await create_product(tenant, sku_body("T1"), name="Jasmine Milk Tea", category="tea")
    await create_product(tenant, sku_body("T2"), name="Oolong", category="tea", active=False)
    await create_product(tenant, sku_body("B1"), name="Red bean bun", category="bakery")
    await create_product(tenant, sku_body("B2"), name="100% rye_bread", category="bakery")

    async def names(query: str) -> list[str]:
        r = await tenant.get(f"/api/v1/products{query}")
        assert r.status_code == 200, r.text
        return sorted(p["name"] for p in r.json()["items"])

    assert await names("?category=tea") == ["Jasmine Milk Tea", "Oolong"]
    assert await names("?category=tea&active=true") == ["Jasmine Milk Tea"]
    assert await names("?active=false") == ["Oolong"]
    assert await names("?q=MILK") == ["Jasmine Milk Tea"]
    assert await names("?q=bun&category=tea") == []
    assert await names("?q=%25") == ["100% rye_bread"], "% is matched literally"
    assert await names("?q=e_b") == ["100% rye_bread"], "_ is matched literally"
    assert await names("?q=n_b") == []


async def test_pagination_walks_every_product_once_in_creation_order(tenant):
    ids = [(await create_product(tenant, sku_body(f"SKU-{i}")))["id"] for i in range(7)]
    seen: list[str] = []
    cursor = None
    pages = 0
    while True:
        query = "?limit=3" + (f"&cursor={cursor}" if cursor else "")
        page = (await tenant.get(f"/api/v1/products{query}")).json()
        seen += [p["id"] for p in page["items"]]
        pages += 1
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == ids
    assert pages == 3


async def test_a_forged_cursor_is_a_validation_error(tenant):
    for cursor in ("nonsense!", "WzFd", "eyJhIjoxfQ"):
        r = await tenant.get(f"/api/v1/products?cursor={cursor}")
        assert r.status_code == 422, (cursor, r.text)


async def test_patch_changes_only_the_given_fields(tenant, db):
    created = await create_product(
        tenant, sku_body("TEA-L"), description="old", image_url="http://img.example.com/a.png"
    )
    r = await tenant.patch(
        f"/api/v1/products/{created['id']}",
        json={"name": "Jasmine tea latte", "description": None},
    )
    assert r.status_code == 200, r.text
    patched = r.json()
    assert patched["name"] == "Jasmine tea latte"
    assert patched["description"] is None
    assert patched["image_url"] == "http://img.example.com/a.png"
    assert patched["category"] == "tea"
    assert patched["skus"] == created["skus"]
    [event] = await events_of(db, tenant, "product.updated")
    assert event["changed"] == ["name", "description"]
    assert await events_of(db, tenant, "price.changed") == []
    assert (await tenant.get(f"/api/v1/products/{created['id']}")).json() == patched


async def test_patch_with_nothing_new_records_no_event(tenant, db):
    created = await create_product(tenant, sku_body("TEA-L", 1500))
    r = await tenant.patch(
        f"/api/v1/products/{created['id']}",
        json={"name": created["name"], "skus": [{"sku": "TEA-L", "price": 1500}]},
    )
    assert r.status_code == 200
    assert await events_of(db, tenant, "product.updated") == []


async def test_patch_upserts_skus_by_code_and_never_removes_one(stores, db):
    created = await create_product(
        stores,
        sku_body("TEA-M", 1300),
        sku_body("TEA-L", 1500, price_overrides=[{"location": "S1", "price": 1400}]),
    )
    r = await stores.patch(
        f"/api/v1/products/{created['id']}",
        json={
            "skus": [
                {
                    "sku": "TEA-L",
                    "price": 1600,
                    "price_overrides": [{"channel": "pos", "price": 1550}],
                },
                {"sku": "TEA-XL", "name": "Extra large", "price": 1900},
            ]
        },
    )
    assert r.status_code == 200, r.text
    skus = {s["sku"]: s for s in r.json()["skus"]}
    assert sorted(skus) == ["TEA-L", "TEA-M", "TEA-XL"]
    assert skus["TEA-M"] == next(s for s in created["skus"] if s["sku"] == "TEA-M")
    assert skus["TEA-L"]["price"] == 1600 and skus["TEA-L"]["name"] == "TEA-L name"
    assert [
        (o["channel"], o["location"], o["price"]) for o in skus["TEA-L"]["price_overrides"]
    ] == [("pos", None, 1550)], "overrides given for a SKU replace its old ones"
    assert skus["TEA-XL"]["currency"] == "CNY" and skus["TEA-XL"]["active"] is True

    [updated] = await events_of(db, stores, "product.updated")
    assert updated["skus_added"] == ["TEA-XL"] and updated["skus_updated"] == ["TEA-L"]
    assert [s["sku"] for s in updated["skus"]] == ["TEA-L", "TEA-M", "TEA-XL"]
    [price] = await events_of(db, stores, "price.changed")
    assert price == {
        "product_id": created["id"],
        "sku": "TEA-L",
        "old_price": 1500,
        "old_currency": "CNY",
        "price": 1600,
        "currency": "CNY",
    }

    deactivated = await stores.patch(
        f"/api/v1/products/{created['id']}", json={"skus": [{"sku": "TEA-M", "active": False}]}
    )
    skus = {s["sku"]: s for s in deactivated.json()["skus"]}
    assert skus["TEA-M"]["active"] is False and len(skus) == 3


async def test_an_empty_override_list_removes_a_skus_overrides(stores):
    created = await create_product(
        stores, sku_body("TEA-L", price_overrides=[{"location": "S1", "price": 1}])
    )
    r = await stores.patch(
        f"/api/v1/products/{created['id']}",
        json={"skus": [{"sku": "TEA-L", "price_overrides": []}]},
    )
    assert r.json()["skus"][0]["price_overrides"] == []


async def test_a_new_sku_in_a_patch_needs_a_name_and_a_price(tenant):
    created = await create_product(tenant)
    r = await tenant.patch(
        f"/api/v1/products/{created['id']}", json={"skus": [{"sku": "NEW", "price": 100}]}
    )
    assert r.status_code == 422
    assert "needs name" in r.json()["detail"]


async def test_patch_cannot_take_a_sku_code_of_another_product(tenant):
    await create_product(tenant, sku_body("BUN"), name="Bun", category="bakery")
    tea = await create_product(tenant, sku_body("TEA-L"))
    r = await tenant.patch(
        f"/api/v1/products/{tea['id']}",
        json={"skus": [{"sku": "BUN", "name": "Stolen", "price": 1}]},
    )
    assert r.status_code == 409 and r.json()["code"] == "already_exists"


async def test_changing_a_skus_currency_needs_a_price_in_it(tenant):
    created = await create_product(tenant, sku_body("TEA-L", 1500))
    url = f"/api/v1/products/{created['id']}"
    r = await tenant.patch(url, json={"skus": [{"sku": "TEA-L", "currency": "USD"}]})
    assert r.status_code == 422
    r = await tenant.patch(url, json={"skus": [{"sku": "TEA-L", "currency": "USD", "price": 210}]})
    assert r.status_code == 200
    assert (r.json()["skus"][0]["price"], r.json()["skus"][0]["currency"]) == (210, "USD")


async def test_patch_refuses_null_for_required_fields(tenant):
    created = await create_product(tenant)
    url = f"/api/v1/products/{created['id']}"
    for body in ({"name": None}, {"active": None}, {"skus": [{"sku": "TEA-L", "price": None}]}):
        r = await tenant.patch(url, json=body)
        assert r.status_code == 422, body
    assert (await tenant.get(url)).json() == created
