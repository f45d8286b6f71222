"""A customer's token reaches its own member only, and sees its own data in full."""

from tests.api.members.conftest import OTHER_PHONE, PHONE, new_member


async def test_a_customer_reads_their_own_member_in_full_and_no_one_elses(chain, as_customer):
    mine = await new_member(chain, PHONE, name="王小明")
    theirs = await new_member(chain, OTHER_PHONE, name="李雷")
    with as_customer(mine["id"]):
        own = await chain.get(f"/api/v1/members/{mine['id']}")
        assert own.status_code == 200, own.text
        assert own.json()["phone"] == PHONE and own.json()["name"] == "王小明"
        assert (await chain.get(f"/api/v1/members/{mine['id']}/activity")).status_code == 200
        for url in (f"/api/v1/members/{theirs['id']}", f"/api/v1/members/{theirs['id']}/activity"):
            assert (await chain.get(url)).status_code == 403, url


async def test_a_customer_cannot_list_find_create_or_merge_members(chain, as_customer):
    mine = await new_member(chain, PHONE)
    theirs = await new_member(chain, OTHER_PHONE)
    with as_customer(mine["id"]):
        assert (await chain.get("/api/v1/members")).status_code == 403
        assert (
            await chain.get("/api/v1/members", params={"phone": OTHER_PHONE})
        ).status_code == 403
        r = await chain.post("/api/v1/members", json={"phone": "13700137000", "channel": "web"})
        assert r.status_code == 403
        r = await chain.post(f"/api/v1/members/{mine['id']}/merge", json={"other_id": theirs["id"]})
        assert r.status_code == 403
        assert (await chain.get("/api/v1/locations/S1/join-qr")).status_code == 403
