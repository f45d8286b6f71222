"""``omniloop bench``: the benchmark commands."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine
from typing import Annotated, Any

import typer
from rich.console import Console

from omniloop.bench.support import bench_database_url

app = typer.Typer(help="Benchmarks against a real database (PostgreSQL by default).")
console = Console(stderr=True)

UrlOpt = Annotated[
    str | None,
    typer.Option(
        "--database-url",
        help="Database to (re)create for the run; default OMNILOOP_BENCH_DATABASE_URL or "
        "postgresql+asyncpg://postgres@127.0.0.1:5432/omniloop_bench. It is dropped first!",
    ),
]


def _emit(lines: list[str]) -> None:
    for line in lines:
        typer.echo(line)


def _measure(
    run: Callable[..., Coroutine[Any, Any, list[str]]], database_url: str | None, **options: Any
) -> None:
    """Run one benchmark against its (recreated) database and print its lines."""
    _emit(asyncio.run(run(url=database_url or bench_database_url(), console=console, **options)))


@app.command()
def reservations(
    database_url: UrlOpt = None,
    clients: Annotated[int, typer.Option(min=1, max=1000)] = 32,
    seconds: Annotated[float, typer.Option(min=1, max=600)] = 10,
    workers: Annotated[int, typer.Option(min=1, max=32)] = 2,
    skus: Annotated[int, typer.Option(min=1, max=100_000)] = 500,
    flash_units: Annotated[int, typer.Option(min=1)] = 100,
    flash_buyers: Annotated[int, typer.Option(min=1)] = 1000,
) -> None:
    """Reservations/s and latency: spread load, one hot SKU, and a flash sale."""
    from omniloop.bench import reservations as bench

    _measure(
        bench.run,
        database_url,
        clients=clients,
        seconds=seconds,
        workers=workers,
        skus=skus,
        flash_units=flash_units,
        flash_buyers=flash_buyers,
    )


@app.command()
def nearby(
    database_url: UrlOpt = None,
    locations: Annotated[int, typer.Option(min=10, max=1_000_000)] = 10_000,
    queries: Annotated[int, typer.Option(min=1, max=100_000)] = 500,
) -> None:
    """Nearby-store search among many locations, against a brute-force scan."""
    from omniloop.bench import nearby as bench

    _measure(
        bench.run,
        database_url,
        locations=locations,
        queries=queries,
    )


@app.command()
def routing(
    database_url: UrlOpt = None,
    locations: Annotated[int, typer.Option(min=10, max=1_000_000)] = 10_000,
    decisions: Annotated[int, typer.Option(min=1, max=100_000)] = 500,
) -> None:
    """Routing decisions (delivery, fixed pickup, nearest pickup) among many locations."""
    from omniloop.bench import routing as bench

    _measure(
        bench.run,
        database_url,
        locations=locations,
        decisions=decisions,
    )


@app.command()
def orders(
    database_url: UrlOpt = None,
    clients: Annotated[int, typer.Option(min=1, max=1000)] = 16,
    seconds: Annotated[float, typer.Option(min=1, max=600)] = 10,
    workers: Annotated[int, typer.Option(min=1, max=32)] = 2,
    flash_sale: Annotated[bool, typer.Option("--flash-sale", help="One SKU, stock S.")] = False,
    stock: Annotated[int, typer.Option(min=1)] = 100,
    buyers: Annotated[int, typer.Option(min=1)] = 1000,
    members: Annotated[
        int, typer.Option(min=0, max=100_000, help="Orders of N members, part paid in points.")
    ] = 0,
) -> None:
    """Orders end to end over HTTP (create, pay, callback), or a flash sale."""
    from omniloop.bench import orders as bench

    _measure(
        bench.run,
        database_url,
        clients=clients,
        seconds=seconds,
        workers=workers,
        flash_sale=flash_sale,
        units=stock,
        buyers=buyers,
        members=members,
    )


@app.command()
def members(
    database_url: UrlOpt = None,
    clients: Annotated[int, typer.Option(min=1, max=500)] = 32,
    seconds: Annotated[float, typer.Option(min=1, max=600)] = 10,
    spread_members: Annotated[int, typer.Option("--members", min=1, max=1_000_000)] = 1_000,
    tier_members: Annotated[int, typer.Option(min=1, max=10_000_000)] = 100_000,
) -> None:
    """Points/wallet postings per second (spread and one hot member) and tier recompute time."""
    from omniloop.bench import members as bench

    _measure(
        bench.run,
        database_url,
        clients=clients,
        seconds=seconds,
        members=spread_members,
        tier_members=tier_members,
    )


@app.command()
def segments(
    database_url: UrlOpt = None,
    members: Annotated[int, typer.Option(min=1, max=10_000_000)] = 100_000,
    orders_per_member: Annotated[float, typer.Option(min=0.1, max=100)] = 4.0,
) -> None:
    """RFM of every member (set-based, first and second run) and segment queries."""
    from omniloop.bench import segments as bench

    _measure(
        bench.run,
        database_url,
        members=members,
        orders_per_member=orders_per_member,
    )


@app.command("all")
def run_all(
    database_url: UrlOpt = None,
    seconds: Annotated[float, typer.Option(min=1, max=600)] = 10,
) -> None:
    """Every benchmark with its defaults."""
    reservations(database_url=database_url, seconds=seconds)
    nearby(database_url=database_url)
    routing(database_url=database_url)
    members(database_url=database_url, seconds=seconds)
    segments(database_url=database_url)
