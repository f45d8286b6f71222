"""Seeds the demo chain through the public API (in process), so the demo is exactly what an
integrator would build: locations, catalog with price overrides, stock at every location."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import httpx
from rich.console import Console
from rich.progress import Progress

from omniloop.app import create_app
from omniloop.config import Settings
from omniloop.db import Database
from omniloop.demo import data
from omniloop.merchants import service as merchants
from omniloop.merchants.domain import Role

DEMO_LABEL = "demo:"


@dataclass(frozen=True)
class DemoKeys:
    merchant_id: str
    owner: str
    operator: str
    store_staff: str
    integrator: str
    staff_locations: tuple[str, ...]
    seeded: bool


class SeedError(RuntimeError):
    """The API refused a demo row; the message carries its problem details."""


def _check(response: httpx.Response, *ok: int) -> Any:
    if response.status_code not in ok:
        raise SeedError(f"{response.request.method} {response.request.url}: {response.text}")
    return response.json()


def _location_body(location: data.DemoLocation) -> dict[str, Any]:
    body = dataclasses.asdict(location)
    return body


def _product_body(product: data.DemoProduct) -> dict[str, Any]:
    overrides: dict[str, list[dict[str, Any]]] = {}
    for rule in data.PRICE_OVERRIDES:
        entry: dict[str, Any] = {"price": rule.price}
        if rule.channel:
            entry["channel"] = rule.channel
        if rule.location_code:
            entry["location"] = rule.location_code
        overrides.setdefault(rule.sku, []).append(entry)
    return {
        "name": product.name,
        "category": product.category,
        "description": product.description,
        "image_url": product.image_url,
        "skus": [
            {
                "sku": sku.sku,
                "name": sku.name,
                "price": sku.price,
                "currency": data.CURRENCY,
                "price_overrides": overrides.get(sku.sku, []),
            }
            for sku in product.skus
        ],
    }


async def _populate(http: httpx.AsyncClient, console: Console) -> None:
    locations = list(data.LOCATIONS)
    stock_rows = [(loc.code, sku.sku) for loc in locations for sku in data.SKUS]
    with Progress(console=console, transient=False) as progress:
        task = progress.add_task("locations", total=len(locations))
        for location in locations:
            _check(await http.post("/api/v1/locations", json=_location_body(location)), 201)
            progress.advance(task)
        task = progress.add_task("products", total=len(data.PRODUCTS))
        for product in data.PRODUCTS:
            _check(await http.post("/api/v1/products", json=_product_body(product)), 201)
            progress.advance(task)
        task = progress.add_task("stock", total=len(stock_rows))
        for code, sku in stock_rows:
            body = {
                "on_hand": data.stock_plan(code, sku),
                "safety_stock": data.safety_stock_for(sku),
                "reason": "count",
                "reference": "demo-seed",
            }
            _check(await http.put(f"/api/v1/inventory/{code}/{sku}", json=body), 200)
            progress.advance(task)
        task = progress.add_task("marketing", total=1)
        await _marketing(http)
        progress.advance(task)
        task = progress.add_task("members", total=len(data.MEMBERS))
        for member in data.MEMBERS:
            await _member(http, member)
            progress.advance(task)


async def _marketing(http: httpx.AsyncClient) -> None:
    """A campaign with a poster at the first store, an automatic spend-save promotion, a
    claimable welcome coupon on a QR code, a ¥100 voucher sold for ¥80, an affiliate."""
    now = datetime.now(ZoneInfo(data.TIMEZONE))
    campaign = _check(
        await http.post(
            "/api/v1/campaigns",
            json={
                "name": data.OPENING_CAMPAIGN_NAME,
                "cost": data.OPENING_CAMPAIGN_COST,
                "starts_at": (now - timedelta(days=1)).isoformat(),
                "ends_at": (now + timedelta(days=data.OPENING_CAMPAIGN_DAYS)).isoformat(),
            },
        ),
        201,
    )
    store = data.STORES[0].code
    poster = {"medium": "poster", "location": store, "landing": {"type": "store", "value": store}}
    codes = f"/api/v1/campaigns/{campaign['id']}/tracking-codes"
    _check(await http.post(codes, json=poster), 201)
    _check(await http.post("/api/v1/promotions", json=data.SPEND_SAVE), 201)
    coupon = _check(await http.post("/api/v1/coupon-templates", json=data.WELCOME_COUPON), 201)
    qr = {"medium": "qr", "location": store, "landing": {"type": "coupon", "value": coupon["id"]}}
    _check(await http.post(codes, json=qr), 201)
    _check(await http.post("/api/v1/products", json=data.VOUCHER_PRODUCT), 201)
    for location in data.STORES:
        body = {"on_hand": data.VOUCHER_STOCK, "reason": "count", "reference": "demo-seed"}
        _check(await http.put(f"/api/v1/inventory/{location.code}/VOUCHER-100", json=body), 200)
    voucher = {
        "sku": "VOUCHER-100",
        "kind": "cash",
        "face_value": 10_000,
        "validity": {"days_after_purchase": 90},
        "partial_redemption": True,
        "campaign_id": campaign["id"],
    }
    _check(await http.post("/api/v1/voucher-products", json=voucher), 201)
    affiliate = _check(await http.post("/api/v1/affiliates", json=data.AFFILIATE), 201)
    link = {"campaign_id": campaign["id"], "medium": "link", "landing": {"type": "store"}}
    link["landing"]["value"] = store
    _check(await http.post(f"/api/v1/affiliates/{affiliate['id']}/tracking-codes", json=link), 201)


def _lunchtime() -> str:
    """Today at noon in the chain's time zone, when every demo store is open."""
    now = datetime.now(ZoneInfo(data.TIMEZONE))
    return now.replace(hour=12, minute=0, second=0, microsecond=0).isoformat()


async def _member(http: httpx.AsyncClient, member: data.DemoMember) -> None:
    """Sign a member up through its store's join QR code and ring up its visits at the POS."""
    qr = _check(await http.get(f"/api/v1/locations/{member.store}/join-qr"), 200)
    body = {
        "phone": member.phone,
        "name": member.name,
        "channel": member.channel,
        "join_token": qr["join_token"],
    }
    created = _check(await http.post("/api/v1/members", json=body), 200, 201)
    for skus in member.visits:
        order = _check(
            await http.post(
                "/api/v1/orders",
                json={
                    "channel": "pos",
                    "member_id": created["id"],
                    "lines": [{"sku": sku, "qty": 1} for sku in skus],
                    "fulfillment": {
                        "type": "dine_in",
                        "location": member.store,
                        "requested_time": _lunchtime(),
                    },
                },
            ),
            201,
        )
        for action in ("accept", "start", "ready", "complete"):
            _check(
                await http.post(
                    f"/api/v1/orders/{order['id']}/transitions", json={"action": action}
                ),
                200,
            )


async def _demo_keys(db: Database, merchant_id: Any, existing_key_ids: list[Any]) -> dict[str, str]:
    for key_id in existing_key_ids:
        await merchants.revoke_key(uow=db.uow(), merchant_id=merchant_id, key_id=key_id)
    staff_locations = [data.STORES[0].code, data.STORES[1].code]
    issued: dict[str, str] = {}
    for role in (Role.OPERATOR, Role.STORE_STAFF, Role.INTEGRATOR):
        key = await merchants.issue_key(
            uow=db.uow(),
            merchant_id=merchant_id,
            role=role,
            locations=staff_locations if role is Role.STORE_STAFF else [],
            label=DEMO_LABEL + role.value,
        )
        issued[role.value] = key.secret
    return issued


async def seed_demo(*, settings: Settings, console: Console) -> DemoKeys:
    """Create (or reuse) the demo merchant, seed it once, and issue its demo keys."""
    db = Database(settings.database_url)
    try:
        merchant = await merchants.find_merchant_by_name(uow=db.uow(), name=data.MERCHANT_NAME)
        wanted_owner = settings.demo_owner_key
        seeded = merchant is None
        if merchant is None:
            merchant, owner = await merchants.create_merchant(
                uow=db.uow(),
                name=data.MERCHANT_NAME,
                currency=data.CURRENCY,
                owner_key=wanted_owner,
            )
        elif wanted_owner and await merchants.key_is_active(
            uow=db.uow(), merchant_id=merchant.merchant_id, secret=wanted_owner
        ):
            owner = wanted_owner
        else:
            owner = (
                await merchants.issue_key(
                    uow=db.uow(),
                    merchant_id=merchant.merchant_id,
                    role=Role.OWNER,
                    locations=[],
                    label=DEMO_LABEL + "owner",
                    secret=wanted_owner,
                )
            ).secret
        old = [
            k.id
            for k in await merchants.list_keys(uow=db.uow(), merchant_id=merchant.merchant_id)
            if (k.label or "").startswith(DEMO_LABEL) and k.revoked_at is None and k.role != "owner"
        ]
        if seeded:
            app = create_app(settings.model_copy(update={"background_tasks": False}))
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(
                transport=transport,
                base_url="http://demo",
                headers={"Authorization": f"Bearer {owner}"},
            ) as http:
                await _populate(http, console)
            await app.state.db.dispose()
        keys = await _demo_keys(db, merchant.merchant_id, old)
        return DemoKeys(
            merchant_id=str(merchant.merchant_id),
            owner=owner,
            operator=keys["operator"],
            store_staff=keys["store_staff"],
            integrator=keys["integrator"],
            staff_locations=(data.STORES[0].code, data.STORES[1].code),
            seeded=seeded,
        )
    finally:
        await db.dispose()


def print_keys(keys: DemoKeys, *, console: Console) -> None:
    """Show the demo keys, whole and one per line (they are shown once)."""
    state = "seeded" if keys.seeded else "already seeded; fresh keys issued"
    console.print(f"[bold]{data.MERCHANT_NAME}[/bold] ({state}), merchant {keys.merchant_id}")
    console.print("API keys (send as 'Authorization: Bearer <key>'):")
    rows = [
        ("owner", keys.owner),
        ("operator", keys.operator),
        (f"store_staff ({', '.join(keys.staff_locations)})", keys.store_staff),
        ("integrator", keys.integrator),
    ]
    width = max(len(role) for role, _ in rows)
    for role, key in rows:
        console.print(f"  {role.ljust(width)}  {key}", soft_wrap=True, highlight=False)
