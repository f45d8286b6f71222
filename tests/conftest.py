"""Test fixtures: every database test runs on SQLite, and on PostgreSQL too when
``OMNILOOP_TEST_POSTGRES_URL`` is set (then an unreachable server fails the run).

Each test gets a merchant of its own, so tests never see each other's rows: tenancy is the
isolation.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from omniloop.app import create_app
from omniloop.config import Settings
from omniloop.db import Database
from omniloop.merchants import service as merchants
from tests.support.databases import create_schema, postgres_database, sqlite_url


def _backends() -> list[str]:
    return ["sqlite", "postgres"] if os.environ.get("OMNILOOP_TEST_POSTGRES_URL") else ["sqlite"]


@pytest.fixture(scope="session", params=_backends())
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture(scope="session")
def database_url(backend: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    if backend == "sqlite":
        url = sqlite_url(Path(tmp_path_factory.mktemp("db")) / "omniloop-test.db")
        create_schema(url)
        yield url
    else:
        with postgres_database(os.environ["OMNILOOP_TEST_POSTGRES_URL"]) as url:
            create_schema(url)
            yield url


@pytest.fixture(scope="session")
def settings(database_url: str) -> Settings:
    return Settings(
        database_url=database_url,
        background_tasks=False,
        log_json=False,
        webhook_backoff_base_seconds=0.05,
    )


@pytest.fixture(scope="session")
async def app(settings: Settings) -> AsyncIterator[FastAPI]:
    application = create_app(settings)
    yield application
    await application.state.db.dispose()


@pytest.fixture(scope="session")
def db(app: FastAPI) -> Database:
    database: Database = app.state.db
    return database


@pytest.fixture
async def client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as c:
        yield c


@dataclass
class Tenant:
    """A merchant made for one test, with its owner key."""

    merchant_id: uuid.UUID
    owner_key: str
    client: httpx.AsyncClient

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.owner_key}"}

    async def request(
        self, method: str, url: str, *, key: str | None = None, **kwargs: Any
    ) -> httpx.Response:
        headers = {"Authorization": f"Bearer {key or self.owner_key}"}
        headers.update(kwargs.pop("headers", {}) or {})
        return await self.client.request(method, url, headers=headers, **kwargs)

    async def get(self, url: str, **kwargs: Any) -> httpx.Response:
        return await self.request("GET", url, **kwargs)

    async def post(self, url: str, **kwargs: Any) -> httpx.Response:
        return await self.request("POST", url, **kwargs)

    async def put(self, url: str, **kwargs: Any) -> httpx.Response:
        return await self.request("PUT", url, **kwargs)

    async def patch(self, url: str, **kwargs: Any) -> httpx.Response:
        return await self.request("PATCH", url, **kwargs)

    async def delete(self, url: str, **kwargs: Any) -> httpx.Response:
        return await self.request("DELETE", url, **kwargs)

    async def key_for(self, role: str, locations: list[str] | None = None) -> str:
        """Issue a key of ``role`` (owner-made) and return its secret."""
        body: dict[str, Any] = {"role": role}
        if locations is not None:
            body["locations"] = locations
        response = await self.post("/api/v1/api-keys", json=body)
        assert response.status_code == 201, response.text
        return str(response.json()["key"])


async def make_tenant(db: Database, client: httpx.AsyncClient, name: str = "Test") -> Tenant:
    merchant, key = await merchants.create_merchant(
        uow=db.uow(), name=f"{name} {uuid.uuid4().hex[:6]}"
    )
    return Tenant(merchant_id=merchant.merchant_id, owner_key=key, client=client)


@pytest.fixture
async def tenant(db: Database, client: httpx.AsyncClient) -> Tenant:
    return await make_tenant(db, client)


@pytest.fixture
async def other_tenant(db: Database, client: httpx.AsyncClient) -> Tenant:
    return await make_tenant(db, client, name="Other")
