"""One member per phone, across channels; shown with its visits and balances."""

import uuid

from omniloop.loyalty.domain import PointsKind, WalletKind
from omniloop.loyalty.ledger import post_points_in, post_wallet_in, record_spend_in
from omniloop.members.domain import ActivityKind
from tests.api.members.conftest import OTHER_PHONE, PHONE, new_member, record_visit, sign_up
from tests.support.events import events_of


async def test_the_same_phone_in_two_formats_is_one_member(chain, db):
    first = await sign_up(chain, "138 0013 8000", name="王小明", channel="pos", location="S1")
    assert first.status_code == 201, first.text
    again = await sign_up(chain, "+8613800138000", channel="meituan")
    assert again.status_code == 200, again.text
    assert again.json()["id"] == first.json()["id"]
    member = again.json()
    assert member["phone"] == PHONE and member["name"] == "王小明"
    assert member["acquired"]["channel"] == "pos" and member["acquired"]["location"] == "S1"
    assert len(await events_of(db, chain, "member.created")) == 1


async def test_an_invalid_phone_is_refused_naming_the_field(chain):
    for phone in ("12345", "not a phone", "+86 000 0000 0000"):
        r = await sign_up(chain, phone)
        assert r.status_code == 422, (phone, r.text)
        assert [e["field"] for e in r.json()["errors"]] == ["phone"]
    r = await chain.get("/api/v1/members", params={"phone": "12345"})
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "phone"
    assert (await chain.get("/api/v1/members")).json()["items"] == []


async def test_a_sign_up_names_a_real_channel_and_store(chain):
    r = await sign_up(chain, channel="Own App")
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "channel"
    r = await sign_up(chain, location="NOPE")
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "location"
    assert (await chain.get("/api/v1/members")).json()["items"] == []


async def test_a_member_shows_channels_visits_orders_tier_points_and_wallet(chain, db):
    member = await new_member(chain, channel="meituan")
    await record_visit(db, chain, member["id"], channel="pos", location="S1")
    await record_visit(db, chain, member["id"], channel="pos", location="S2")
    await record_visit(db, chain, member["id"], ActivityKind.SCANNED, location="S2")
    await record_visit(db, chain, member["id"], ActivityKind.SIGNED_IN, channel="own_app")
    async with db.uow() as uow:
        member_id = uuid.UUID(member["id"])
        common = {"merchant_id": chain.merchant_id, "member_id": member_id, "actor": "test"}
        await post_points_in(uow.session, points=120, kind=PointsKind.ADJUST, **common)
        await post_wallet_in(
            uow.session,
            principal=50000,
            bonus=5000,
            kind=WalletKind.TOP_UP,
            currency="CNY",
            **common,
        )
        record_spend_in(
            uow.session,
            merchant_id=chain.merchant_id,
            member_id=member_id,
            order_id=None,
            amount=8800,
        )
        await uow.commit()

    view = (await chain.get(f"/api/v1/members/{member['id']}")).json()
    assert view["channels_seen"] == ["meituan", "pos"], "signing in is not a visit"
    assert view["stores_seen"] == ["S1", "S2"]
    assert view["order_count"] == 2
    assert view["first_visit_at"] == member["first_visit_at"] is not None
    assert view["last_visit_at"] > view["first_visit_at"]
    assert view["points"] == 120
    assert view["wallet"] == {"principal": 50000, "bonus": 5000, "total": 55000}
    assert view["lifetime_net_spend"] == view["rolling_12m_net_spend"] == 8800
    assert view["status"] == "active" and view["merged_into"] is None and view["merged_ids"] == []


async def test_a_phone_finds_its_member_in_any_format_or_nothing(chain):
    member = await new_member(chain)
    found = (await chain.get("/api/v1/members", params={"phone": "13800138000"})).json()
    assert [m["id"] for m in found["items"]] == [member["id"]]
    none = (await chain.get("/api/v1/members", params={"phone": OTHER_PHONE})).json()
    assert none == {"items": [], "next_cursor": None}


async def test_members_are_paged_newest_first_and_filtered_by_acquiring_store(chain):
    phones = [f"+86138001380{n:02d}" for n in range(5)]
    ids = [
        (await new_member(chain, phone, location="S1" if n % 2 else None))["id"]
        for n, phone in enumerate(phones)
    ]
    seen, cursor = [], None
    while True:
        params = {"limit": 2, **({"cursor": cursor} if cursor else {})}
        page = (await chain.get("/api/v1/members", params=params)).json()
        seen += [m["id"] for m in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == ids[::-1]
    oldest = (await chain.get("/api/v1/members", params={"order": "oldest", "limit": 3})).json()
    assert [m["id"] for m in oldest["items"]] == ids[:3]
    at_s1 = (await chain.get("/api/v1/members", params={"acquired_location": "S1"})).json()
    assert [m["id"] for m in at_s1["items"]] == [ids[3], ids[1]]
    r = await chain.get("/api/v1/members", params={"cursor": "forged"})
    assert r.status_code == 422


async def test_another_merchants_member_is_not_found(chain, other_tenant):
    member = await new_member(chain)
    r = await other_tenant.get(f"/api/v1/members/{member['id']}")
    assert r.status_code == 404 and r.json()["code"] == "member_not_found"
    r = await other_tenant.get(f"/api/v1/members/{member['id']}/activity")
    assert r.status_code == 404
    found = await other_tenant.get("/api/v1/members", params={"phone": PHONE})
    assert found.json()["items"] == []
    assert (await other_tenant.get("/api/v1/members")).json()["items"] == []
    r = await other_tenant.get(f"/api/v1/members/{uuid.uuid4()}")
    assert r.status_code == 404


async def test_store_staff_see_members_masked_and_owners_in_full(chain):
    member = await new_member(chain, name="王小明")
    staff = await chain.key_for("store_staff", ["S1"])
    shown = (await chain.get(f"/api/v1/members/{member['id']}", key=staff)).json()
    assert shown["phone"] == "+86138****8000" and shown["name"] == "王*"
    listed = (await chain.get("/api/v1/members", key=staff)).json()["items"]
    assert [(m["phone"], m["name"]) for m in listed] == [("+86138****8000", "王*")]
    found = (await chain.get("/api/v1/members", params={"phone": PHONE}, key=staff)).json()
    assert found["items"][0]["phone"] == "+86138****8000"
    assert member["phone"] == PHONE and member["name"] == "王小明"
    operator = await chain.key_for("operator")
    full = (await chain.get(f"/api/v1/members/{member['id']}", key=operator)).json()
    assert full["phone"] == PHONE and full["name"] == "王小明"


async def test_store_staff_sign_members_up_only_at_their_own_store(chain):
    staff = await chain.key_for("store_staff", ["S1"])
    r = await sign_up(chain, key=staff, channel="pos", location="S2")
    assert r.status_code == 403
    r = await sign_up(chain, key=staff, channel="pos")
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "location"
    r = await sign_up(chain, key=staff, channel="pos", location="S1", name="王小明")
    assert r.status_code == 201, r.text
    assert r.json()["phone"] == "+86138****8000", "staff see what they signed up masked too"
    assert r.json()["acquired"]["location"] == "S1"


async def test_roles_without_member_permissions_are_refused(chain):
    member = await new_member(chain)
    staff = await chain.key_for("store_staff", ["S1"])
    r = await chain.post(
        f"/api/v1/members/{member['id']}/merge", json={"other_id": member["id"]}, key=staff
    )
    assert r.status_code == 403
    integrator = await chain.key_for("integrator")
    other = await new_member(chain, OTHER_PHONE)
    r = await chain.post(
        f"/api/v1/members/{member['id']}/merge", json={"other_id": other["id"]}, key=integrator
    )
    assert r.status_code == 200, "integrators (a CRM) may merge"


async def test_activity_is_paged_newest_first(chain, db):
    member = await new_member(chain, channel="own_app")
    for store in ("S1", "S2", "S1"):
        await record_visit(db, chain, member["id"], channel="pos", location=store)
    url = f"/api/v1/members/{member['id']}/activity"
    first = (await chain.get(url, params={"limit": 3})).json()
    assert [(a["kind"], a["location"]) for a in first["items"]] == [
        ("order", "S1"),
        ("order", "S2"),
        ("order", "S1"),
    ]
    rest = (await chain.get(url, params={"cursor": first["next_cursor"]})).json()
    assert [a["kind"] for a in rest["items"]] == ["joined"] and rest["next_cursor"] is None
