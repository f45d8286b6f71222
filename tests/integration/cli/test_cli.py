"""The ``omniloop`` command as an operator uses it (real processes, a real SQLite file)."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest


def omniloop(*args: str, db: Path, **env: str) -> subprocess.CompletedProcess[str]:
    environment = {
        **os.environ,
        "OMNILOOP_DATABASE_URL": f"sqlite+aiosqlite:///{db}",
        "COLUMNS": "200",
        **env,
    }
    return subprocess.run(
        [sys.executable, "-m", "omniloop", *args],
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.fixture
def db(tmp_path: Path) -> Path:
    return tmp_path / "cli.db"


def test_merchant_create_prints_one_json_line_with_a_working_owner_key(db):
    result = omniloop("merchant", "create", "Tea House", "--json", db=db)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.strip().splitlines()
    assert len(lines) == 1
    created = json.loads(lines[0])
    assert set(created) == {"merchant_id", "owner_key"}
    assert len(created["owner_key"]) >= 32


def test_invalid_settings_stop_with_a_message_naming_the_variable(db):
    result = omniloop("migrate", db=db, OMNILOOP_PORT="not-a-port")
    assert result.returncode == 2
    assert "OMNILOOP_PORT" in result.stderr
    result = omniloop("migrate", db=db, OMNILOOP_DATABASE_URL="mysql://x")
    assert result.returncode == 2
    assert "OMNILOOP_DATABASE_URL" in result.stderr


def test_migrate_is_idempotent(db):
    assert omniloop("migrate", db=db).returncode == 0
    assert omniloop("migrate", db=db).returncode == 0


def test_demo_seeds_the_chain_once_and_check_finds_every_ledger_consistent(db):
    seeded = omniloop(
        "demo", "--no-serve", db=db, OMNILOOP_DEMO_OWNER_KEY="demo-owner-key-for-tests"
    )
    assert seeded.returncode == 0, seeded.stderr
    assert "demo-owner-key-for-tests" in seeded.stdout
    assert "(seeded)" in seeded.stdout.replace("\n", " ")
    again = omniloop(
        "demo", "--no-serve", db=db, OMNILOOP_DEMO_OWNER_KEY="demo-owner-key-for-tests"
    )
    assert again.returncode == 0, again.stderr
    assert "already seeded" in again.stdout.replace("\n", " ")
    check = omniloop("check", db=db)
    assert check.returncode == 0, check.stdout + check.stderr
    assert "0 mismatches" in check.stdout
    rows = int(check.stdout.split("stock: ")[1].split(" rows")[0])
    assert rows >= 30 * 22


def test_check_reports_a_stock_row_that_disagrees_with_its_ledger(db):
    import sqlite3

    assert omniloop("demo", "--no-serve", db=db).returncode == 0
    with sqlite3.connect(db) as conn:
        conn.execute(
            "UPDATE stock_level SET on_hand = on_hand + 1 "
            "WHERE location_code = 'SH-001' AND sku = 'MT-BROWN-M'"
        )
    check = omniloop("check", db=db)
    assert check.returncode == 1
    assert "SH-001/MT-BROWN-M" in check.stdout and "1 mismatches" in check.stdout
