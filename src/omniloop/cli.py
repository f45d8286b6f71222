"""The ``omniloop`` command: serve, migrate, seed the demo chain, create merchants, check
ledgers, benchmark."""

from __future__ import annotations

import asyncio
import json
import os
import sys
from typing import Annotated

import typer
from rich.console import Console

from omniloop.config import Settings, SettingsError, load_settings

app = typer.Typer(
    help="Omniloop: O2O commerce for store chains.", no_args_is_help=True, add_completion=False
)
merchant_app = typer.Typer(help="Manage merchants (tenants).", no_args_is_help=True)
app.add_typer(merchant_app, name="merchant")


def _bench_app() -> typer.Typer:
    from omniloop.bench.cli import app as bench_app

    return bench_app


app.add_typer(_bench_app(), name="bench")
console = Console(stderr=True)


def _settings(**overrides: object) -> Settings:
    try:
        return load_settings(**{k: v for k, v in overrides.items() if v is not None})
    except SettingsError as exc:
        console.print(f"[red]{exc}[/red]")
        raise typer.Exit(2) from None


def _migrate(settings: Settings) -> None:
    from omniloop.migrate import upgrade

    upgrade(settings.database_url)


def _serve(settings: Settings, *, workers: int) -> None:
    import uvicorn

    # Worker processes build their own app from the environment: hand them our settings.
    os.environ["OMNILOOP_DATABASE_URL"] = settings.database_url
    os.environ["OMNILOOP_HOST"] = settings.host
    os.environ["OMNILOOP_PORT"] = str(settings.port)
    console.print(
        f"Omniloop on http://{settings.host}:{settings.port} (docs at /docs), "
        f"{workers} worker(s), database {settings.database_url.split('://', 1)[0]}"
    )
    uvicorn.run(
        "omniloop.app:create_app_from_env",
        factory=True,
        host=settings.host,
        port=settings.port,
        workers=workers if workers > 1 else None,
        log_level=settings.log_level,
        access_log=False,
    )


HostOpt = Annotated[str | None, typer.Option(help="Interface to bind (default 127.0.0.1).")]
PortOpt = Annotated[int | None, typer.Option(help="Port (default OMNILOOP_PORT or 8000).")]


@app.command()
def serve(
    host: HostOpt = None,
    port: PortOpt = None,
    workers: Annotated[int, typer.Option(min=1, max=64, help="Worker processes.")] = 1,
    migrate: Annotated[bool, typer.Option(help="Apply migrations first.")] = True,
) -> None:
    """Serve the API."""
    settings = _settings(host=host, port=port)
    if migrate:
        _migrate(settings)
    _serve(settings, workers=workers)


@app.command()
def migrate() -> None:
    """Apply database migrations (idempotent)."""
    settings = _settings()
    _migrate(settings)
    console.print(f"database at {settings.database_url.split('://', 1)[0]} is up to date")


@app.command()
def demo(
    serve: Annotated[bool, typer.Option(help="Serve the API after seeding.")] = True,
    host: HostOpt = None,
    port: PortOpt = None,
) -> None:
    """Migrate, seed the demo tea-and-bakery chain, print its API keys, and serve."""
    from omniloop.demo.seed import print_keys, seed_demo

    settings = _settings(host=host, port=port)
    _migrate(settings)
    keys = asyncio.run(seed_demo(settings=settings, console=console))
    print_keys(keys, console=Console())
    if serve:
        _serve(settings, workers=1)


@merchant_app.command("create")
def merchant_create(
    name: str,
    currency: Annotated[str, typer.Option(help="ISO 4217 currency.")] = "CNY",
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON line.")] = False,
) -> None:
    """Create a merchant and print its owner key (shown once)."""
    from omniloop.db import Database
    from omniloop.errors import OmniloopError
    from omniloop.merchants.service import create_merchant

    settings = _settings()
    _migrate(settings)

    async def run() -> tuple[str, str]:
        db = Database(settings.database_url)
        try:
            merchant, key = await create_merchant(uow=db.uow(), name=name, currency=currency)
            return str(merchant.merchant_id), key
        finally:
            await db.dispose()

    try:
        merchant_id, key = asyncio.run(run())
    except OmniloopError as exc:
        console.print(f"[red]{exc.detail}[/red]")
        raise typer.Exit(1) from None
    if as_json:
        sys.stdout.write(json.dumps({"merchant_id": merchant_id, "owner_key": key}) + "\n")
    else:
        console.print(f"merchant [bold]{name}[/bold] created: {merchant_id}")
        Console().print(f"owner key (shown once): {key}")


@app.command()
def check() -> None:
    """Verify that every ledger adds up (stock, reservations, points, wallet, payments,
    vouchers)."""
    from omniloop.db import Database
    from omniloop.inventory.check import check_stock
    from omniloop.loyalty.check import check_loyalty
    from omniloop.payments.check import check_payments
    from omniloop.vouchers.check import check_vouchers

    settings = _settings()

    async def run() -> tuple[int, int, int, int, list[str]]:
        db = Database(settings.database_url)
        try:
            stock_rows, stock_problems = await check_stock(uow=db.uow())
            accounts, loyalty_problems = await check_loyalty(uow=db.uow())
            orders, payment_problems = await check_payments(uow=db.uow())
            vouchers, voucher_problems = await check_vouchers(uow=db.uow())
            lines = [p.describe() for p in stock_problems]
            lines += [p.describe() for p in loyalty_problems]
            lines += [p.describe() for p in payment_problems]
            lines += [p.describe() for p in voucher_problems]
            return stock_rows, accounts, orders, vouchers, lines
        finally:
            await db.dispose()

    from sqlalchemy.exc import DBAPIError

    try:
        checked, accounts, orders, vouchers, problems = asyncio.run(run())
    except DBAPIError as exc:
        console.print(
            f"[red]cannot read the database ({type(exc.orig).__name__}); "
            "is OMNILOOP_DATABASE_URL right and has `omniloop migrate` run?[/red]"
        )
        raise typer.Exit(2) from None
    for line in problems:
        Console().print(f"[red]MISMATCH[/red] {line}")
    Console().print(
        f"stock: {checked} rows, points and wallet: {accounts} accounts, "
        f"payments: {orders} orders, vouchers: {vouchers} checked, {len(problems)} mismatches"
    )
    if problems:
        raise typer.Exit(1)


def main() -> None:  # pragma: no cover - console entry point
    app()
