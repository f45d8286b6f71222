"""Channel API fixtures: a fake order sink plugged in as the ``get_order_sink`` dependency,
connections made through the API, and pushes sent the way each platform sends them."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest
from fastapi import FastAPI

from omniloop.channels.api import get_order_sink
from omniloop.channels.fakes import InMemoryOrderSink
from omniloop.db import Database
from tests.support.factories import add_location, add_skus
from tests.unit.channels.vectors import (
    ELEME_SECRET,
    MEITUAN_SECRET,
    eleme_body,
    generic_headers,
    meituan_signed,
    meituan_wire,
)

GENERIC_SECRET = "generic-secret-0123456789"
FORM = {"Content-Type": "application/x-www-form-urlencoded"}


@pytest.fixture
def sink(app: FastAPI) -> Iterator[InMemoryOrderSink]:
    fake = InMemoryOrderSink()
    app.dependency_overrides[get_order_sink] = lambda: fake
    yield fake
    app.dependency_overrides.pop(get_order_sink, None)


async def connect(tenant: Any, channel: str = "meituan", **fields: Any) -> dict[str, Any]:
    secrets = {"meituan": MEITUAN_SECRET, "eleme": ELEME_SECRET, "generic": GENERIC_SECRET}
    body = {"channel": channel, "name": f"{channel} shop", "secret": secrets[channel], **fields}
    r = await tenant.post("/api/v1/channel-connections", json=body)
    assert r.status_code == 201, r.text
    return dict(r.json())


async def burger_shop(db: Database, tenant: Any) -> None:
    """The location and SKUs the CHANNELS.md vector names, under the same codes."""
    await add_location(db, tenant.merchant_id, "OL-SH-001")
    await add_skus(db, tenant.merchant_id, ["BURGER-01-L", "COLA-01"])


def push_path(connection: dict[str, Any]) -> str:
    return urlsplit(connection["webhook_url"]).path


async def push_meituan(
    client: httpx.AsyncClient,
    connection: dict[str, Any],
    fields: dict[str, str],
    *,
    secret: str = MEITUAN_SECRET,
    method: str = "POST",
    twice: bool = True,
) -> httpx.Response:
    """Sign over the registered URL (not the one the test client reaches) and send."""
    signed = meituan_signed(fields, url=connection["public_url"], secret=secret)
    wire = meituan_wire(signed, twice=twice)
    if method == "GET":
        return await client.get(f"{push_path(connection)}?{wire}")
    return await client.post(push_path(connection), content=wire, headers=FORM)


async def push_eleme(
    client: httpx.AsyncClient,
    connection: dict[str, Any],
    push_type: int,
    message: dict[str, Any],
    *,
    secret: str = ELEME_SECRET,
) -> httpx.Response:
    body = eleme_body(push_type, message, secret=secret)
    headers = {"Content-Type": "application/json"}
    return await client.post(push_path(connection), content=body, headers=headers)


async def push_generic(
    client: httpx.AsyncClient,
    connection: dict[str, Any],
    body: dict[str, Any],
    *,
    secret: str = GENERIC_SECRET,
    at: int | None = None,
) -> httpx.Response:
    raw = json.dumps(body).encode()
    headers = generic_headers(secret, raw, at=at)
    return await client.post(push_path(connection), content=raw, headers=headers)


async def pushes(tenant: Any, **params: Any) -> list[dict[str, Any]]:
    r = await tenant.get("/api/v1/channel-pushes", params=params)
    assert r.status_code == 200, r.text
    return list(r.json()["items"])
