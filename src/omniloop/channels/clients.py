"""Calls back to the platforms: confirm (接单) and cancel, one client per channel.

- :class:`MeituanClient`: ``GET {api}/api/v1/order/confirm`` / ``.../order/cancel`` with
  ``app_id``, ``timestamp`` and ``sig`` signed like the pushes, with the API URL as base;
  success is ``{"data": "ok"}``.
- :class:`ElemeClient`: ``POST {api}`` with Ele.me's RPC envelope (``nop``, ``id``,
  ``action``, ``token``, ``metas``, ``params``, ``signature``), signed per
  :func:`~.signatures.eleme_api_signature`; success is ``"error": null``. Needs the
  connection's OAuth ``access_token``.
- :class:`GenericClient`: ``POST {api_base_url}`` with ``{"action", "external_id",
  "reason"}``, signed like our webhooks (``Omniloop-Signature``); success is any 2xx.

:func:`notify_platform` finds the connection an order came through and makes the call. The
orders domain calls it after an accepted or cancelled platform order has been committed.
The intended driver is the outbox: a consumer of ``order.accepted`` / ``order.cancelled``
events for orders on a platform channel calls it and, on a ``PlatformCallFailed`` with
``retryable`` set, tries again on the webhook back-off schedule
(:func:`omniloop.webhooks.domain.backoff_seconds`); until that consumer exists, orders may
call it from ``uow.on_commit`` (best effort).
"""

from __future__ import annotations

import json
import logging
import time
import uuid
from dataclasses import dataclass
from typing import Any, Literal

import httpx
from sqlalchemy import select

from omniloop.channels.domain import Channel, PushKind, PushStatus
from omniloop.channels.models import ChannelConnection, ChannelPush
from omniloop.channels.ports import OrderRef, PlatformCallFailed, PlatformClient
from omniloop.channels.signatures import eleme_api_signature, meituan_signature
from omniloop.db import Database
from omniloop.webhooks.domain import SIGNATURE_HEADER, sign

log = logging.getLogger("omniloop.channels")

MEITUAN_API = "https://waimaiopen.meituan.com"
ELEME_API = "https://open-api.shop.ele.me/api/v1/"
TIMEOUT_SECONDS = 10.0
MEITUAN_CANCEL_REASON_CODE = "2007"  # "merchant's reason"; confirm against Meituan's code list

Action = Literal["confirm", "cancel"]


def _now() -> int:
    return int(time.time())


async def _send(http: httpx.AsyncClient, request: httpx.Request) -> httpx.Response:
    try:
        response = await http.send(request)
    except httpx.HTTPError as exc:
        raise PlatformCallFailed(f"the platform did not answer: {exc!r}", retryable=True) from None
    if response.status_code >= 500 or response.status_code == 429:
        raise PlatformCallFailed(f"the platform answered {response.status_code}", retryable=True)
    if response.status_code >= 400:
        raise PlatformCallFailed(
            f"the platform refused the call ({response.status_code}): {response.text[:200]}",
            retryable=False,
        )
    return response


def _json(response: httpx.Response) -> dict[str, Any]:
    try:
        body = response.json()
    except ValueError:
        raise PlatformCallFailed("the platform's answer is not JSON", retryable=True) from None
    if not isinstance(body, dict):
        raise PlatformCallFailed("the platform's answer is not a JSON object", retryable=True)
    return body


class MeituanClient:
    def __init__(
        self, *, http: httpx.AsyncClient, app_id: str, secret: str, api_base_url: str | None
    ) -> None:
        self._http, self._app_id, self._secret = http, app_id, secret
        self._base = (api_base_url or MEITUAN_API).rstrip("/")

    async def _call(self, path: str, params: dict[str, str]) -> None:
        url = f"{self._base}{path}"
        signed = {"app_id": self._app_id, "timestamp": str(_now()), **params}
        signed["sig"] = meituan_signature(url, signed, self._secret)
        response = await _send(self._http, self._http.build_request("GET", url, params=signed))
        body = _json(response)
        if body.get("data") != "ok":
            error = body.get("error") or {}
            raise PlatformCallFailed(
                f"Meituan refused {path}: {error.get('code')} {error.get('msg')}", retryable=False
            )

    async def confirm(self, order: OrderRef) -> None:
        await self._call("/api/v1/order/confirm", {"order_id": order.external_id})

    async def cancel(self, order: OrderRef, reason: str) -> None:
        await self._call(
            "/api/v1/order/cancel",
            {
                "order_id": order.external_id,
                "reason": reason,
                "reason_code": MEITUAN_CANCEL_REASON_CODE,
            },
        )


class ElemeClient:
    def __init__(
        self,
        *,
        http: httpx.AsyncClient,
        app_key: str,
        secret: str,
        token: str,
        api_base_url: str | None,
    ) -> None:
        self._http, self._app_key, self._secret, self._token = http, app_key, secret, token
        self._url = api_base_url or ELEME_API

    async def _call(self, action: str, params: dict[str, Any]) -> None:
        metas = {"app_key": self._app_key, "timestamp": _now()}
        envelope = {
            "nop": "1.0.0",
            "id": uuid.uuid4().hex,
            "action": action,
            "token": self._token,
            "metas": metas,
            "params": params,
            "signature": eleme_api_signature(
                action=action, token=self._token, metas=metas, params=params, secret=self._secret
            ),
        }
        body = json.dumps(envelope, ensure_ascii=False).encode()
        request = self._http.build_request(
            "POST",
            self._url,
            content=body,
            headers={"Content-Type": "application/json; charset=utf-8"},
        )
        answer = _json(await _send(self._http, request))
        if answer.get("error"):
            error = answer["error"]
            message = error.get("message") if isinstance(error, dict) else error
            raise PlatformCallFailed(f"Ele.me refused {action}: {message}", retryable=False)

    async def confirm(self, order: OrderRef) -> None:
        await self._call("eleme.order.confirmOrderLite", {"orderId": order.external_id})

    async def cancel(self, order: OrderRef, reason: str) -> None:
        await self._call(
            "eleme.order.cancelOrderLite",
            {"orderId": order.external_id, "type": "others", "remark": reason},
        )


class GenericClient:
    def __init__(self, *, http: httpx.AsyncClient, secret: str, url: str) -> None:
        self._http, self._secret, self._url = http, secret, url

    async def _call(self, body: dict[str, Any]) -> None:
        raw = json.dumps(body, separators=(",", ":"), ensure_ascii=False).encode()
        request = self._http.build_request(
            "POST",
            self._url,
            content=raw,
            headers={
                "Content-Type": "application/json",
                SIGNATURE_HEADER: sign(self._secret, _now(), raw),
            },
        )
        await _send(self._http, request)

    async def confirm(self, order: OrderRef) -> None:
        await self._call({"action": "confirm", "external_id": order.external_id})

    async def cancel(self, order: OrderRef, reason: str) -> None:
        await self._call({"action": "cancel", "external_id": order.external_id, "reason": reason})


def client_for(connection: ChannelConnection, http: httpx.AsyncClient) -> PlatformClient | None:
    """The client for a connection, or None when it cannot call its platform."""
    channel = Channel(connection.channel)
    if channel is Channel.MEITUAN:
        return MeituanClient(
            http=http,
            app_id=connection.app_id or "",
            secret=connection.secret,
            api_base_url=connection.api_base_url,
        )
    if channel is Channel.ELEME:
        if not connection.access_token:
            return None
        return ElemeClient(
            http=http,
            app_key=connection.app_id or "",
            secret=connection.secret,
            token=connection.access_token,
            api_base_url=connection.api_base_url,
        )
    if not connection.api_base_url:
        return None
    return GenericClient(http=http, secret=connection.secret, url=connection.api_base_url)


@dataclass(frozen=True)
class Notified:
    """Whether the platform was called; ``skipped`` says why not."""

    called: bool
    connection_id: uuid.UUID | None = None
    skipped: str | None = None


async def _origin(
    db: Database, merchant_id: uuid.UUID, channel: str, external_id: str
) -> ChannelConnection | None:
    """The connection whose push created this order."""
    async with db.uow().read_only() as uow:
        return await uow.session.scalar(
            select(ChannelConnection)
            .join(
                ChannelPush,
                (ChannelPush.merchant_id == ChannelConnection.merchant_id)
                & (ChannelPush.connection_id == ChannelConnection.id),
            )
            .where(
                ChannelConnection.merchant_id == merchant_id,
                ChannelConnection.order_channel == channel,
                ChannelPush.external_id == external_id,
                ChannelPush.kind == PushKind.NEW_ORDER.value,
                ChannelPush.status.in_([PushStatus.ACCEPTED.value, PushStatus.DUPLICATE.value]),
            )
            .order_by(ChannelPush.created_at)
            .limit(1)
        )


async def notify_platform(
    *,
    db: Database,
    merchant_id: uuid.UUID,
    channel: str,
    external_id: str,
    action: Action,
    reason: str | None = None,
    http: httpx.AsyncClient | None = None,
) -> Notified:
    """Tell the platform an order was accepted (``confirm``) or ``cancel``-led by us.

    Skips (returns ``called=False``) for orders no connection delivered, and for
    connections that cannot call out (paused, no API URL or token). Raises
    :class:`PlatformCallFailed` when the platform does not take the call.
    """
    connection = await _origin(db, merchant_id, channel, external_id)
    if connection is None:
        return Notified(False, skipped="no channel connection delivered this order")
    if not connection.active:
        return Notified(False, connection.id, skipped="the connection is paused")
    own_http = http is None
    client_http = http or httpx.AsyncClient(timeout=TIMEOUT_SECONDS)
    try:
        client = client_for(connection, client_http)
        if client is None:
            return Notified(False, connection.id, skipped="the connection has no API access")
        order = OrderRef(channel=channel, external_id=external_id)
        if action == "confirm":
            await client.confirm(order)
        else:
            await client.cancel(order, reason or "the store cannot fulfil the order")
    finally:
        if own_http:
            await client_http.aclose()
    log.info("told %s %s about order %s", connection.channel, action, external_id)
    return Notified(True, connection.id)
