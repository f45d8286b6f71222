"""The merchant's loyalty program: read it (the defaults until one is stored), replace it."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from omniloop.db import UnitOfWork
from omniloop.errors import NotFound, ValidationFailed
from omniloop.events import record_event
from omniloop.loyalty.domain import (
    Program,
    default_program,
)
from omniloop.loyalty.models import LoyaltyProgram
from omniloop.loyalty.program_rules import (
    InvalidProgram,
    program_from_config,
    program_to_config,
    validate_program,
)
from omniloop.merchants.models import Merchant
from omniloop.shared.clock import utcnow


@dataclass(frozen=True)
class StoredProgram:
    """A program with its version and last change (version 0: never stored, defaults)."""

    program: Program
    version: int = 0
    updated_at: datetime | None = None
    updated_by: str | None = None

    @property
    def is_default(self) -> bool:
        return self.version == 0


async def _merchant(session: AsyncSession, merchant_id: uuid.UUID) -> Merchant:
    merchant = await session.get(Merchant, merchant_id)
    if merchant is None:
        raise NotFound(f"no merchant {merchant_id}")
    return merchant


async def stored_program_in(session: AsyncSession, merchant_id: uuid.UUID) -> StoredProgram:
    """The merchant's program with its version, in the caller's transaction."""
    row = await session.get(LoyaltyProgram, merchant_id)
    if row is None:
        merchant = await _merchant(session, merchant_id)
        return StoredProgram(default_program(merchant.currency))
    return StoredProgram(
        program_from_config(row.config), row.version, row.updated_at, row.updated_by
    )


async def load_program(session: AsyncSession, merchant_id: uuid.UUID) -> Program:
    """The program in force for the merchant (the defaults, in its currency, until it
    stores one); in the caller's transaction."""
    return (await stored_program_in(session, merchant_id)).program


async def get_program(*, uow: UnitOfWork, merchant_id: uuid.UUID) -> StoredProgram:
    """The merchant's program and its version."""
    async with uow.read_only():
        return await stored_program_in(uow.session, merchant_id)


async def merchant_currency(*, uow: UnitOfWork, merchant_id: uuid.UUID) -> str:
    async with uow.read_only():
        return (await _merchant(uow.session, merchant_id)).currency


def checked_program(program: Program) -> Program:
    """``program`` if it keeps every rule, else 422 naming the field."""
    try:
        return validate_program(program)
    except InvalidProgram as exc:
        raise ValidationFailed(exc.message, field=exc.field) from None


async def put_program(
    *, uow: UnitOfWork, merchant_id: uuid.UUID, program: Program, actor: str
) -> StoredProgram:
    """Replace the merchant's program whole (version + 1); records
    ``loyalty_program.updated``. Tiers follow at the next recompute."""
    checked_program(program)
    config = program_to_config(program)
    now = utcnow()
    async with uow:
        session = uow.session
        insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
        table = LoyaltyProgram.__table__
        statement = (
            insert(LoyaltyProgram)
            .values(
                merchant_id=merchant_id, config=config, version=1, updated_by=actor, updated_at=now
            )
            .on_conflict_do_update(
                index_elements=["merchant_id"],
                set_={
                    "config": config,
                    "version": table.c.version + 1,
                    "updated_by": actor,
                    "updated_at": now,
                },
            )
            .returning(table.c.version)
        )
        version = int((await session.execute(statement)).scalar_one())
        record_event(
            session,
            merchant_id=merchant_id,
            type="loyalty_program.updated",
            data={"version": version, "updated_by": actor, "program": config},
        )
        await uow.commit()
    return StoredProgram(program, version, now, actor)
