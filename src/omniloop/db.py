"""Database plumbing: the declarative base, column types, engines and the unit of work.

One schema runs on SQLite (embedded default) and PostgreSQL (production). Every business
table carries ``merchant_id`` as the first column of its primary key and of every unique key
and index, so the schema can be distributed by merchant later without a rewrite.

SQLite transactions start with ``BEGIN IMMEDIATE``: the write lock is taken up front, so two
writers queue on ``busy_timeout`` instead of one failing when it upgrades a read lock.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from datetime import datetime
from types import TracebackType
from typing import Any, Self

from sqlalchemy import JSON, DateTime, MetaData, String, TypeDecorator, Uuid, event
from sqlalchemy.dialects import postgresql
from sqlalchemy.engine import Dialect
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from omniloop.shared.clock import ensure_utc, utcnow

NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UtcDateTime(TypeDecorator[datetime]):
    """A timestamp that is always timezone-aware UTC in Python, on both databases."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        value = ensure_utc(value)
        if dialect.name == "sqlite":
            return value.replace(tzinfo=None)
        return value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        return None if value is None else ensure_utc(value)


JsonType = JSON().with_variant(postgresql.JSONB(), "postgresql")


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {
        datetime: UtcDateTime(),
        uuid.UUID: Uuid(),
        str: String(),
    }


class MerchantScoped:
    """Mixin: the distribution key every business table leads with."""

    merchant_id: Mapped[uuid.UUID] = mapped_column(Uuid(), primary_key=True, sort_order=-100)


class Timestamped:
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


def _sqlite_connect(dbapi_connection: Any, _record: Any) -> None:
    # Let SQLAlchemy's "begin" hook own transaction starts (see _sqlite_begin).
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def _sqlite_begin(conn: Any) -> None:
    if conn.get_execution_options().get("omniloop_read_only"):
        conn.exec_driver_sql("BEGIN")
    else:
        conn.exec_driver_sql("BEGIN IMMEDIATE")


def create_engine(url: str, *, pool_size: int = 10, echo: bool = False) -> AsyncEngine:
    """An async engine configured for the dialect behind ``url``."""
    if url.startswith("sqlite"):
        # A pool keeps connections (and aiosqlite's thread per connection) alive between
        # requests; SQLite itself serialises the writers.
        engine = create_async_engine(url, echo=echo, pool_size=pool_size, max_overflow=pool_size)
        event.listen(engine.sync_engine, "connect", _sqlite_connect)
        event.listen(engine.sync_engine, "begin", _sqlite_begin)
        return engine
    return create_async_engine(
        url,
        echo=echo,
        pool_size=pool_size,
        max_overflow=pool_size // 2,
        pool_timeout=30,
        pool_recycle=1800,
    )


class Database:
    """An engine and its session factory; built by the app factory, never at import."""

    def __init__(self, url: str, *, pool_size: int = 10) -> None:
        self.url = url
        self.engine = create_engine(url, pool_size=pool_size)
        self.sessions = async_sessionmaker(self.engine, expire_on_commit=False, autoflush=True)

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    def uow(self) -> UnitOfWork:
        return UnitOfWork(self.sessions)

    async def dispose(self) -> None:
        await self.engine.dispose()


class UnitOfWork:
    """Owns one transaction: ``async with uow: ...; await uow.commit()``.

    Leaving the block without committing rolls back. Callbacks registered with
    :meth:`on_commit` run after a successful commit (never inside the transaction).
    """

    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self._sessions = sessions
        self._session: AsyncSession | None = None
        self._after_commit: list[Callable[[], Awaitable[None] | None]] = []
        self._read_only = False

    @property
    def session(self) -> AsyncSession:
        if self._session is None:
            raise RuntimeError("unit of work used outside 'async with'")
        return self._session

    @property
    def dialect(self) -> str:
        bind = self._sessions.kw.get("bind")
        return bind.dialect.name if bind is not None else "unknown"

    def read_only(self) -> Self:
        """Use the next block for reads only: on SQLite it then takes no write lock."""
        self._read_only = True
        return self

    async def __aenter__(self) -> Self:
        if self._session is not None:
            raise RuntimeError("unit of work is not re-entrant")
        self._session = self._sessions()
        self._after_commit = []
        if self._read_only:
            await self._session.connection(execution_options={"omniloop_read_only": True})
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        session, self._session = self._session, None
        self._read_only = False
        if session is not None:
            # close() rolls back whatever was not committed and detaches the objects with
            # their loaded state intact (rollback() would expire them).
            await session.close()

    async def commit(self) -> None:
        await self.session.commit()
        callbacks, self._after_commit = self._after_commit, []
        for callback in callbacks:
            result = callback()
            if result is not None:
                await result

    async def rollback(self) -> None:
        await self.session.rollback()

    def on_commit(self, callback: Callable[[], Awaitable[None] | None]) -> None:
        self._after_commit.append(callback)


def is_unique_violation(exc: BaseException) -> bool:
    """True when a database error is a unique-key violation, on either dialect."""
    text = str(getattr(exc, "orig", exc)).lower()
    return "unique" in text or "duplicate key" in text
