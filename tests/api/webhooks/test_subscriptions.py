from __future__ import annotations

import uuid

import pytest

from omniloop.webhooks.models import WebhookSubscription
from omniloop.webhooks.service import fan_out_events
from tests.api.webhooks.conftest import create_webhook


async def test_creating_a_webhook_returns_it_with_its_secret_once(tenant):
    secret = "s" * 16
    created = await create_webhook(
        tenant, events=["inventory.*", "location.created"], secret=secret, description="ERP"
    )
    assert created["secret"] == secret
    assert created["events"] == ["inventory.*", "location.created"]
    assert created["description"] == "ERP" and created["active"] is True

    fetched = (await tenant.get(f"/api/v1/webhooks/{created['id']}")).json()
    assert "secret" not in fetched
    assert fetched == {k: v for k, v in created.items() if k != "secret"}


async def test_a_secret_is_generated_when_none_is_given(tenant, db):
    created = await create_webhook(tenant)
    assert created["secret"].startswith("whsec_") and len(created["secret"]) >= 32
    async with db.uow().read_only() as uow:
        stored = await uow.session.get(
            WebhookSubscription, (tenant.merchant_id, uuid.UUID(created["id"]))
        )
    assert stored is not None and stored.secret == created["secret"]
    other = await create_webhook(tenant)
    assert other["secret"] != created["secret"]


async def test_no_read_ever_shows_the_secret_again(tenant):
    created = await create_webhook(tenant, secret="x" * 40)
    listed = (await tenant.get("/api/v1/webhooks")).json()
    patched = await tenant.patch(f"/api/v1/webhooks/{created['id']}", json={"secret": "y" * 40})
    events = (await tenant.get("/api/v1/events?type=webhook.*")).json()
    for response_text in (str(listed), patched.text, str(events)):
        assert "x" * 40 not in response_text and "y" * 40 not in response_text
    assert all("secret" not in item for item in listed["items"])
    assert "secret" not in patched.json()


async def test_star_absorbs_other_patterns_and_duplicates_are_dropped(tenant):
    assert (await create_webhook(tenant, events=["a.b", "*", "c.d"]))["events"] == ["*"]
    assert (await create_webhook(tenant, events=["a.b", "a.b"]))["events"] == ["a.b"]


async def test_list_is_paginated_oldest_first(tenant):
    ids = [(await create_webhook(tenant))["id"] for _ in range(3)]
    first = (await tenant.get("/api/v1/webhooks?limit=2")).json()
    assert [w["id"] for w in first["items"]] == ids[:2]
    assert first["next_cursor"]
    second = (await tenant.get(f"/api/v1/webhooks?limit=2&cursor={first['next_cursor']}")).json()
    assert [w["id"] for w in second["items"]] == ids[2:]
    assert second["next_cursor"] is None


async def test_a_cursor_we_did_not_issue_is_a_validation_error(tenant):
    r = await tenant.get("/api/v1/webhooks?cursor=bm90LWEtY3Vyc29y")
    assert r.status_code == 422 and r.json()["code"] == "validation_error"


async def test_patch_changes_only_what_is_sent_and_records_an_event(tenant, db):
    created = await create_webhook(tenant, description="old")
    url = f"/api/v1/webhooks/{created['id']}"
    r = await tenant.patch(
        url, json={"events": ["location.*"], "active": False, "url": "https://erp.example/in"}
    )
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["events"] == ["location.*"] and body["active"] is False
    assert body["url"] == "https://erp.example/in" and body["description"] == "old"
    assert body["updated_at"] >= created["updated_at"]

    r = await tenant.patch(url, json={"description": None})
    assert r.status_code == 200 and r.json()["description"] is None

    events = (await tenant.get("/api/v1/events?type=webhook.updated")).json()["items"]
    assert [e["data"]["changed"] for e in events] == [["description"], ["active", "events", "url"]]


async def test_patch_with_nothing_new_records_no_event(tenant):
    created = await create_webhook(tenant)
    r = await tenant.patch(f"/api/v1/webhooks/{created['id']}", json={"active": True})
    assert r.status_code == 200
    assert (await tenant.get("/api/v1/events?type=webhook.updated")).json()["items"] == []


@pytest.mark.parametrize(
    "patch",
    [
        {"url": None},
        {"events": None},
        {"active": None},
        {"events": []},
        {"secret": "short"},
        {"x": 1},
    ],
)
async def test_patch_refuses_nulls_for_required_fields_and_bad_values(tenant, patch):
    created = await create_webhook(tenant)
    r = await tenant.patch(f"/api/v1/webhooks/{created['id']}", json=patch)
    assert r.status_code == 422, r.text
    assert r.headers["content-type"].startswith("application/problem+json")


async def test_delete_removes_the_webhook(tenant):
    created = await create_webhook(tenant)
    url = f"/api/v1/webhooks/{created['id']}"
    r = await tenant.delete(url)
    assert r.status_code == 204 and r.content == b""
    assert (await tenant.get(url)).status_code == 404
    assert (await tenant.delete(url)).status_code == 404
    deleted = (await tenant.get("/api/v1/events?type=webhook.deleted")).json()["items"]
    assert [e["data"]["id"] for e in deleted] == [created["id"]]


async def test_deliveries_of_a_new_webhook_are_an_empty_page(tenant):
    created = await create_webhook(tenant)
    r = await tenant.get(f"/api/v1/webhooks/{created['id']}/deliveries")
    assert r.status_code == 200 and r.json() == {"items": [], "next_cursor": None}
    r = await tenant.get(f"/api/v1/webhooks/{created['id']}/deliveries?status=lost")
    assert r.status_code == 422


async def test_a_test_event_is_queued_for_that_webhook_only(tenant, db):
    target = await create_webhook(tenant, events=["location.created"])
    everything = await create_webhook(tenant, events=["*"])
    r = await tenant.post(f"/api/v1/webhooks/{target['id']}/test")
    assert r.status_code == 202, r.text
    while await fan_out_events(db=db):
        pass

    queued = (await tenant.get(f"/api/v1/webhooks/{target['id']}/deliveries")).json()["items"]
    assert [(d["id"], d["event_type"], d["status"]) for d in queued] == [
        (r.json()["delivery_id"], "webhook.test", "pending")
    ]
    others = (await tenant.get(f"/api/v1/webhooks/{everything['id']}/deliveries")).json()
    assert "webhook.test" not in [d["event_type"] for d in others["items"]]


async def test_a_paused_webhook_cannot_be_sent_a_test_event(tenant):
    created = await create_webhook(tenant, active=False)
    r = await tenant.post(f"/api/v1/webhooks/{created['id']}/test")
    assert r.status_code == 409 and r.json()["code"] == "webhook_inactive"
