"""Merging two records of one customer keeps everything either of them had."""

import uuid

from omniloop.loyalty.domain import PointsKind
from omniloop.loyalty.ledger import post_points_in
from tests.api.members.conftest import OTHER_PHONE, PHONE, new_member, record_visit
from tests.support.events import events_of

THIRD_PHONE = "+8613700137000"


async def merge(t, survivor, other, **kwargs):
    return await t.post(f"/api/v1/members/{survivor}/merge", json={"other_id": other}, **kwargs)


async def test_a_merge_keeps_both_histories_on_the_survivor(chain, db):
    app_member = await new_member(chain, PHONE, channel="own_app")
    pos_member = await new_member(chain, OTHER_PHONE, channel="pos", location="S1", name="王小明")
    await record_visit(db, chain, pos_member["id"], channel="pos", location="S1")

    r = await merge(chain, app_member["id"], pos_member["id"])
    assert r.status_code == 200, r.text
    survivor = r.json()
    assert survivor["id"] == app_member["id"] and survivor["merged_ids"] == [pos_member["id"]]
    assert survivor["channels_seen"] == ["own_app", "pos"] and survivor["stores_seen"] == ["S1"]
    assert survivor["order_count"] == 1
    assert survivor["acquired"]["channel"] == "own_app", "the survivor keeps its acquisition"

    absorbed = await chain.get(f"/api/v1/members/{pos_member['id']}")
    assert absorbed.status_code == 200 and absorbed.json()["id"] == app_member["id"]
    by_phone = (await chain.get("/api/v1/members", params={"phone": OTHER_PHONE})).json()
    assert [m["id"] for m in by_phone["items"]] == [app_member["id"]]
    again = await chain.post("/api/v1/members", json={"phone": OTHER_PHONE, "channel": "web"})
    assert again.status_code == 200 and again.json()["id"] == app_member["id"]

    history = (await chain.get(f"/api/v1/members/{app_member['id']}/activity")).json()["items"]
    assert [(a["kind"], a["member_id"]) for a in history] == [
        ("merged", app_member["id"]),
        ("order", pos_member["id"]),
        ("joined", pos_member["id"]),
        ("joined", app_member["id"]),
    ]
    [event] = await events_of(db, chain, "member.merged")
    assert event["member_id"] == app_member["id"] and event["absorbed_id"] == pos_member["id"]
    merged_list = (await chain.get("/api/v1/members", params={"status": "merged"})).json()
    assert [(m["id"], m["merged_into"]) for m in merged_list["items"]] == [
        (pos_member["id"], app_member["id"])
    ]
    active = (await chain.get("/api/v1/members")).json()["items"]
    assert [m["id"] for m in active] == [app_member["id"]]


async def test_records_merged_earlier_follow_their_survivor_into_the_next_merge(chain):
    a = await new_member(chain, PHONE)
    b = await new_member(chain, OTHER_PHONE)
    c = await new_member(chain, THIRD_PHONE, channel="pos", location="S2")
    assert (await merge(chain, b["id"], c["id"])).status_code == 200
    r = await merge(chain, a["id"], b["id"])
    assert r.status_code == 200, r.text
    assert sorted(r.json()["merged_ids"]) == sorted([b["id"], c["id"]])
    assert r.json()["stores_seen"] == ["S2"]
    assert (await chain.get(f"/api/v1/members/{c['id']}")).json()["id"] == a["id"]


async def test_the_absorbed_points_move_to_the_survivor(chain, db):
    a = await new_member(chain, PHONE)
    b = await new_member(chain, OTHER_PHONE)
    async with db.uow() as uow:
        for member, points in ((a, 100), (b, 250)):
            await post_points_in(
                uow.session,
                merchant_id=chain.merchant_id,
                member_id=uuid.UUID(member["id"]),
                points=points,
                kind=PointsKind.ADJUST,
                actor="test",
            )
        await uow.commit()
    r = await merge(chain, a["id"], b["id"])
    assert r.status_code == 200, r.text
    assert r.json()["points"] == 350


async def test_a_merge_is_refused_for_the_same_record_or_one_already_merged(chain):
    a = await new_member(chain, PHONE)
    b = await new_member(chain, OTHER_PHONE)
    c = await new_member(chain, THIRD_PHONE)
    r = await merge(chain, a["id"], a["id"])
    assert r.status_code == 409 and r.json()["code"] == "member_merge_refused"
    assert (await merge(chain, a["id"], b["id"])).status_code == 200
    for survivor, other in ((c["id"], b["id"]), (b["id"], c["id"]), (a["id"], b["id"])):
        r = await merge(chain, survivor, other)
        assert r.status_code == 409 and r.json()["code"] == "member_merge_refused", r.text
    view = (await chain.get(f"/api/v1/members/{c['id']}")).json()
    assert view["status"] == "active" and view["merged_ids"] == []


async def test_a_merge_with_an_unknown_or_another_merchants_member_is_not_found(
    chain, other_tenant
):
    a = await new_member(chain, PHONE)
    theirs = await new_member(other_tenant, OTHER_PHONE)
    for survivor, other in (
        (a["id"], theirs["id"]),
        (theirs["id"], a["id"]),
        (a["id"], str(uuid.uuid4())),
    ):
        r = await merge(chain, survivor, other)
        assert r.status_code == 404 and r.json()["code"] == "member_not_found", r.text
    assert (await other_tenant.get(f"/api/v1/members/{theirs['id']}")).json()["status"] == "active"
