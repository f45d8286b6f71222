"""Test databases: a SQLite file, or a throwaway PostgreSQL database per run."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import asyncpg
from sqlalchemy.engine import make_url

from omniloop.db import create_engine
from omniloop.migrate import upgrade
from omniloop.models import load_all


def sqlite_url(path: Path) -> str:
    return f"sqlite+aiosqlite:///{path}"


def create_schema(url: str) -> None:
    """Build the schema the way production does: by running the migrations.

    Tables that no migration creates yet are added from the models afterwards, so work on a
    new domain can be tested before its migration is written; the migration test
    (tests/integration/platform/test_migrations.py) still fails until it is.
    """
    upgrade(url)

    async def add_missing_tables() -> None:
        engine = create_engine(url)
        try:
            async with engine.begin() as conn:
                await conn.run_sync(lambda sync: load_all().create_all(sync, checkfirst=True))
        finally:
            await engine.dispose()

    asyncio.run(add_missing_tables())


def _dsn(url: str, database: str) -> str:
    parsed = make_url(url).set(drivername="postgresql", database=database)
    return parsed.render_as_string(hide_password=False)


@contextmanager
def postgres_database(server_url: str) -> Iterator[str]:
    """Create a fresh database on the server behind ``server_url``; drop it afterwards."""
    name = f"omniloop_test_{uuid.uuid4().hex[:10]}"
    admin = _dsn(server_url, "postgres")

    async def run(sql: str) -> None:
        conn = await asyncpg.connect(admin, timeout=10)
        try:
            await conn.execute(sql)
        finally:
            await conn.close()

    asyncio.run(run(f'CREATE DATABASE "{name}"'))
    try:
        yield (
            make_url(server_url)
            .set(drivername="postgresql+asyncpg", database=name)
            .render_as_string(hide_password=False)
        )
    finally:
        asyncio.run(run(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
