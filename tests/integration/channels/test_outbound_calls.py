"""Status changes flow back to the platforms: each client is tested against a local fake
platform (pytest-httpserver) that checks the signature the way the platform would."""

from __future__ import annotations

import json
import time
from collections.abc import AsyncIterator, Iterator

import httpx
import pytest
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from omniloop.channels.clients import ElemeClient, GenericClient, MeituanClient, notify_platform
from omniloop.channels.ports import OrderRef, PlatformCallFailed
from omniloop.channels.signatures import eleme_api_signature, meituan_verifies
from omniloop.webhooks.domain import verify
from tests.api.channels.conftest import burger_shop, connect, push_generic, push_meituan
from tests.support.factories import add_location, add_skus
from tests.unit.channels.vectors import MEITUAN_SECRET, generic_order, meituan_new_order

ORDER = OrderRef(channel="meituan", external_id="27011234567890123")


@pytest.fixture
def platform() -> Iterator[HTTPServer]:
    server = HTTPServer(host="127.0.0.1", port=0)
    server.start()
    yield server
    server.clear()
    server.stop()


@pytest.fixture
async def http() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(timeout=5) as client:
        yield client


def fake_meituan(platform: HTTPServer, seen: list[dict[str, str]], answer: dict) -> None:
    """Meituan's API: GET with app_id/timestamp/sig signed over the API URL."""

    def handle(request: Request) -> Response:
        params = dict(request.args)
        url = platform.url_for(request.path)
        if not meituan_verifies(url, params, MEITUAN_SECRET):
            return Response(json.dumps({"data": "ng", "error": {"code": 703}}), status=200)
        seen.append(params)
        return Response(json.dumps(answer), content_type="application/json")

    for path in ("/api/v1/order/confirm", "/api/v1/order/cancel"):
        platform.expect_request(path, method="GET").respond_with_handler(handle)


async def test_meituan_confirm_and_cancel_are_signed_gets(platform, http):
    seen: list[dict[str, str]] = []
    fake_meituan(platform, seen, {"data": "ok"})
    client = MeituanClient(
        http=http, app_id="5123", secret=MEITUAN_SECRET, api_base_url=platform.url_for("/")
    )

    await client.confirm(ORDER)
    await client.cancel(ORDER, "门店已打烊")

    assert [s["order_id"] for s in seen] == [ORDER.external_id] * 2
    assert seen[0]["app_id"] == "5123" and abs(int(seen[0]["timestamp"]) - time.time()) < 60
    assert seen[1]["reason"] == "门店已打烊"


async def test_a_meituan_call_with_the_wrong_secret_is_refused_and_not_retryable(platform, http):
    fake_meituan(platform, [], {"data": "ok"})
    client = MeituanClient(
        http=http, app_id="5123", secret="wrong-secret", api_base_url=platform.url_for("/")
    )
    with pytest.raises(PlatformCallFailed, match="703") as caught:
        await client.confirm(ORDER)
    assert caught.value.retryable is False


async def test_a_platform_that_is_down_is_retryable(platform, http):
    platform.expect_request("/api/v1/order/confirm").respond_with_data("down", status=502)
    client = MeituanClient(
        http=http, app_id="5123", secret=MEITUAN_SECRET, api_base_url=platform.url_for("/")
    )
    with pytest.raises(PlatformCallFailed) as caught:
        await client.confirm(ORDER)
    assert caught.value.retryable is True


async def test_eleme_calls_are_rpc_envelopes_signed_with_the_token(platform, http):
    seen: list[dict] = []

    def handle(request: Request) -> Response:
        envelope = json.loads(request.get_data())
        expected = eleme_api_signature(
            action=envelope["action"],
            token=envelope["token"],
            metas=envelope["metas"],
            params=envelope["params"],
            secret="eleme-secret",
        )
        if envelope["signature"] != expected:
            return Response(json.dumps({"error": {"message": "bad sign"}}))
        seen.append(envelope)
        return Response(json.dumps({"id": envelope["id"], "result": None, "error": None}))

    platform.expect_request("/api/v1/", method="POST").respond_with_handler(handle)
    client = ElemeClient(
        http=http,
        app_key="app-key",
        secret="eleme-secret",
        token="oauth-token",
        api_base_url=platform.url_for("/api/v1/"),
    )

    await client.confirm(OrderRef("eleme", "3014728511382982849"))
    await client.cancel(OrderRef("eleme", "3014728511382982849"), "sold out")
    with pytest.raises(PlatformCallFailed, match="bad sign"):
        await ElemeClient(
            http=http,
            app_key="app-key",
            secret="not-it",
            token="oauth-token",
            api_base_url=platform.url_for("/api/v1/"),
        ).confirm(OrderRef("eleme", "1"))

    assert [e["action"] for e in seen] == [
        "eleme.order.confirmOrderLite",
        "eleme.order.cancelOrderLite",
    ]
    assert seen[0]["params"] == {"orderId": "3014728511382982849"}
    assert seen[0]["metas"]["app_key"] == "app-key" and seen[0]["token"] == "oauth-token"


async def test_generic_calls_are_signed_like_our_webhooks(platform, http):
    seen: list[dict] = []

    def handle(request: Request) -> Response:
        body = request.get_data()
        header = request.headers.get("Omniloop-Signature", "")
        if not verify("generic-secret-0123456789", header, body, 300, time.time()):
            return Response("bad signature", status=401)
        seen.append(json.loads(body))
        return Response("", status=204)

    platform.expect_request("/partner/orders", method="POST").respond_with_handler(handle)
    url = platform.url_for("/partner/orders")
    await GenericClient(http=http, secret="generic-secret-0123456789", url=url).confirm(
        OrderRef("partner_app", "G-1")
    )
    with pytest.raises(PlatformCallFailed) as caught:
        await GenericClient(http=http, secret="other", url=url).cancel(
            OrderRef("partner_app", "G-1"), "no"
        )
    assert caught.value.retryable is False
    assert seen == [{"action": "confirm", "external_id": "G-1"}]


async def test_notify_platform_calls_the_connection_the_order_came_through(
    platform, http, client, db, tenant, sink
):
    seen: list[dict[str, str]] = []
    fake_meituan(platform, seen, {"data": "ok"})
    await burger_shop(db, tenant)
    connection = await connect(tenant, app_id="5123", api_base_url=platform.url_for("/"))
    await push_meituan(client, connection, meituan_new_order())

    confirmed = await notify_platform(
        db=db,
        merchant_id=tenant.merchant_id,
        channel="meituan",
        external_id=ORDER.external_id,
        action="confirm",
        http=http,
    )
    unknown = await notify_platform(
        db=db,
        merchant_id=tenant.merchant_id,
        channel="meituan",
        external_id="no-such-order",
        action="cancel",
        http=http,
    )

    assert confirmed.called and str(confirmed.connection_id) == connection["id"]
    assert [s["order_id"] for s in seen] == [ORDER.external_id]
    assert not unknown.called and "no channel connection" in (unknown.skipped or "")


async def test_notify_platform_skips_a_generic_connection_without_an_api_url(
    client, db, tenant, sink
):
    await add_location(db, tenant.merchant_id, "S001")
    await add_skus(db, tenant.merchant_id, ["TEA-L"])
    connection = await connect(tenant, "generic", order_channel="partner_app")
    await push_generic(client, connection, generic_order())

    result = await notify_platform(
        db=db,
        merchant_id=tenant.merchant_id,
        channel="partner_app",
        external_id="G-1001",
        action="confirm",
    )
    assert not result.called and result.skipped == "the connection has no API access"
