"""Flow 2: a store's QR code signs customers up as that store's members."""

from urllib.parse import parse_qs, urlparse

from tests.api.members.conftest import OTHER_PHONE, PHONE, new_member, sign_up
from tests.support.events import events_of


async def join_token(t, store, **kwargs):
    r = await t.get(f"/api/v1/locations/{store}/join-qr", **kwargs)
    assert r.status_code == 200, r.text
    return r.json()["join_token"]


async def test_a_store_gets_a_printable_join_qr_code(chain, settings):
    r = await chain.get("/api/v1/locations/S1/join-qr")
    assert r.status_code == 200, r.text
    qr = r.json()
    assert qr["location"] == "S1"
    assert qr["url"] == f"{settings.base_url}/join?t={qr['join_token']}" == qr["qr_payload"]
    assert parse_qs(urlparse(qr["url"]).query)["t"] == [qr["join_token"]]
    assert qr["svg"].startswith("<svg") and qr["svg"].rstrip().endswith("</svg>")
    assert await join_token(chain, "S1") == qr["join_token"], "a printed code stays valid"
    assert await join_token(chain, "S2") != qr["join_token"]


async def test_store_staff_get_only_their_own_stores_code(chain):
    staff = await chain.key_for("store_staff", ["S1"])
    assert (await chain.get("/api/v1/locations/S1/join-qr", key=staff)).status_code == 200
    assert (await chain.get("/api/v1/locations/S2/join-qr", key=staff)).status_code == 403
    r = await chain.get("/api/v1/locations/NOPE/join-qr")
    assert r.status_code == 404


async def test_joining_with_a_stores_code_makes_it_the_members_acquiring_store(chain, db):
    token = await join_token(chain, "S1")
    r = await sign_up(chain, channel="own_app", join_token=token)
    assert r.status_code == 201, r.text
    member = r.json()
    assert member["acquired"] == {**member["acquired"], "channel": "own_app", "location": "S1"}
    assert member["stores_seen"] == ["S1"]
    [created] = await events_of(db, chain, "member.created")
    assert created["location"] == "S1"
    listed = (await chain.get("/api/v1/members", params={"acquired_location": "S1"})).json()
    assert [m["id"] for m in listed["items"]] == [member["id"]]


async def test_joining_at_another_store_adds_it_to_the_history_once(chain, db):
    first = await new_member(chain, join_token=await join_token(chain, "S1"))
    s2 = await join_token(chain, "S2")
    for _ in range(2):
        r = await sign_up(chain, channel="mini_program", join_token=s2)
        assert r.status_code == 200, r.text
    member = r.json()
    assert member["id"] == first["id"]
    assert member["acquired"]["location"] == "S1", "the acquiring store never changes"
    assert member["stores_seen"] == ["S1", "S2"]
    assert member["channels_seen"] == ["own_app", "mini_program"]
    history = (await chain.get(f"/api/v1/members/{member['id']}/activity")).json()["items"]
    assert [(a["kind"], a["location"]) for a in history] == [("joined", "S2"), ("joined", "S1")]
    assert [e["location"] for e in await events_of(db, chain, "member.joined")] == ["S2"]


async def test_a_forged_or_altered_join_token_is_refused(chain):
    token = await join_token(chain, "S1")
    version, merchant, _store, signature = token.split(".")
    s2 = (await join_token(chain, "S2")).split(".")[2]
    for forged in (
        "forged",
        f"{version}.{merchant}.{s2}.{signature}",  # S1's signature on S2
        f"{version}.{merchant}.{s2}.{'A' * len(signature)}",
        token[:-1] + ("A" if token[-1] != "A" else "B"),
        token + "é",
    ):
        r = await sign_up(chain, join_token=forged)
        assert r.status_code == 422, (forged, r.text)
        assert r.json()["code"] == "invalid_join_token"
        assert r.json()["errors"][0]["field"] == "join_token"
    assert (await chain.get("/api/v1/members")).json()["items"] == []


async def test_another_merchants_join_token_is_refused(chain, other_tenant, db):
    from tests.support.factories import add_location

    await add_location(db, other_tenant.merchant_id, "S1")
    theirs = await join_token(other_tenant, "S1")
    r = await sign_up(chain, join_token=theirs)
    assert r.status_code == 422 and r.json()["code"] == "invalid_join_token"


async def test_a_join_token_and_another_location_disagree(chain):
    token = await join_token(chain, "S1")
    r = await sign_up(chain, join_token=token, location="S2")
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "location"
    assert (await sign_up(chain, join_token=token, location="S1")).status_code == 201


async def test_store_staff_cannot_sign_up_with_another_stores_code(chain):
    staff = await chain.key_for("store_staff", ["S1"])
    r = await sign_up(chain, OTHER_PHONE, key=staff, join_token=await join_token(chain, "S2"))
    assert r.status_code == 403
    r = await sign_up(chain, PHONE, key=staff, join_token=await join_token(chain, "S1"))
    assert r.status_code == 201 and r.json()["acquired"]["location"] == "S1"
