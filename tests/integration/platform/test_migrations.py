"""One migration chain builds exactly the schema the models describe, on every database."""

import asyncio

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from omniloop.db import create_engine
from omniloop.models import load_all


def _diff(url: str) -> list:
    async def run() -> list:
        engine = create_engine(url)
        try:
            async with engine.connect() as conn:
                return await conn.run_sync(
                    lambda sync: compare_metadata(
                        MigrationContext.configure(sync, opts={"compare_type": True}), load_all()
                    )
                )
        finally:
            await engine.dispose()

    return asyncio.run(run())


def test_migrated_schema_matches_the_models(database_url):
    # The session database was built by running the migrations (tests/support/databases.py).
    assert _diff(database_url) == []
