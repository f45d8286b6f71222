async def test_owner_lists_keys(tenant):
    r = await tenant.get("/api/v1/api-keys")
    assert r.status_code == 200, r.text
    assert [k["role"] for k in r.json()["items"]] == ["owner"]
