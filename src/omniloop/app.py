"""The application factory: ``create_app(settings)`` builds everything, nothing at import."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import APIRouter, FastAPI

from omniloop import __version__
from omniloop.background import BackgroundRunner, PeriodicJob
from omniloop.config import Settings, load_settings
from omniloop.db import Database
from omniloop.errors import install_error_handlers
from omniloop.observability import (
    API_PREFIX,
    Metrics,
    RequestContextMiddleware,
    configure_logging,
)
from omniloop.observability import router as ops_router


def _routers() -> list[APIRouter]:
    from omniloop.affiliates.api import router as affiliates
    from omniloop.catalog.api import router as catalog
    from omniloop.channels.api import router as channels
    from omniloop.customer_auth.api import router as customer_auth
    from omniloop.fulfilment.api import router as fulfilment
    from omniloop.inventory.api import router as inventory
    from omniloop.locations.api import router as locations
    from omniloop.loyalty.api import router as loyalty
    from omniloop.marketing.api import router as marketing
    from omniloop.member_codes.api import router as member_codes
    from omniloop.members.api import router as members
    from omniloop.merchants.api import router as merchants
    from omniloop.orders.api import router as orders
    from omniloop.payments.api import router as payments
    from omniloop.promotions.api import router as promotions
    from omniloop.referrals.api import router as referrals
    from omniloop.routing.api import router as routing
    from omniloop.segments.api import router as segments
    from omniloop.vouchers.api import router as vouchers
    from omniloop.webhooks.api import router as webhooks

    return [
        merchants,
        locations,
        catalog,
        inventory,
        routing,
        orders,
        fulfilment,
        payments,
        channels,
        webhooks,
        members,
        customer_auth,
        member_codes,
        loyalty,
        marketing,
        vouchers,
        segments,
        referrals,
        promotions,
        affiliates,
    ]


def _background_jobs(app: FastAPI) -> list[PeriodicJob]:
    from omniloop.channels.notifications import send_due_notifications
    from omniloop.inventory.reservations import expire_reservations
    from omniloop.loyalty.expiry import expire_points
    from omniloop.loyalty.tiers import scheduled_tier_recompute
    from omniloop.orders.lifecycle import expire_unpaid_orders
    from omniloop.payments.sandbox import deliver_sandbox_callbacks
    from omniloop.segments.rfm import scheduled_rfm
    from omniloop.webhooks.service import deliver_due, fan_out_events

    settings: Settings = app.state.settings
    db: Database = app.state.db
    metrics: Metrics = app.state.metrics
    jobs = [
        PeriodicJob(
            "outbox-fanout",
            settings.outbox_poll_seconds,
            lambda: fan_out_events(db=db),
        ),
        PeriodicJob(
            "webhook-delivery",
            settings.outbox_poll_seconds,
            lambda: deliver_due(db=db, settings=settings, metrics=metrics),
        ),
        PeriodicJob(
            "platform-notifications",
            settings.outbox_poll_seconds,
            lambda: send_due_notifications(
                db=db, backoff_base_seconds=settings.webhook_backoff_base_seconds
            ),
        ),
        PeriodicJob(
            "order-expiry",
            settings.order_sweep_seconds,
            lambda: expire_unpaid_orders(db=db),
        ),
        PeriodicJob(
            "reservation-expiry",
            settings.reservation_sweep_seconds,
            lambda: expire_reservations(uow=db.uow()),
        ),
        PeriodicJob(
            "tier-recompute",
            settings.tier_recompute_seconds,
            lambda: scheduled_tier_recompute(db=db),
        ),
        PeriodicJob("points-expiry", settings.points_expiry_seconds, lambda: expire_points(db=db)),
        PeriodicJob("rfm-recompute", settings.rfm_recompute_seconds, lambda: scheduled_rfm(db=db)),
    ]
    jobs.append(
        PeriodicJob(
            "sign-in-housekeeping",
            settings.housekeeping_seconds,
            lambda: _purged(db),
        )
    )
    if settings.sandbox:
        jobs.append(
            PeriodicJob(
                "sandbox-callbacks",
                settings.outbox_poll_seconds,
                lambda: deliver_sandbox_callbacks(db=db, settings=settings),
            )
        )
    return jobs


async def _purged(db: Database) -> int:
    from omniloop.customer_auth.housekeeping import purge_stale

    await purge_stale(db=db)
    return 0  # never "more to do at once": the next run is in an hour


def _register_participants() -> None:
    from omniloop.loyalty.merging import merge_loyalty_in
    from omniloop.marketing.tracking import merge_visitor_links_in
    from omniloop.members.merge import merge_participants
    from omniloop.orders.merging import merge_orders_in
    from omniloop.promotions.coupons import merge_coupons_in
    from omniloop.promotions.grants import segment_members
    from omniloop.referrals.service import merge_referrals_in
    from omniloop.segments.service import members_of_segment_in
    from omniloop.vouchers.issuing import merge_vouchers_in

    merge_participants.register(merge_orders_in)
    merge_participants.register(merge_loyalty_in)
    merge_participants.register(merge_coupons_in)
    merge_participants.register(merge_vouchers_in)
    merge_participants.register(merge_referrals_in)
    merge_participants.register(merge_visitor_links_in)
    segment_members.register(members_of_segment_in)


def create_app(settings: Settings | None = None) -> FastAPI:
    """Build the Omniloop API for ``settings`` (read from the environment when omitted)."""
    settings = settings or load_settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        runner = BackgroundRunner(_background_jobs(app)) if settings.background_tasks else None
        if runner:
            runner.start()
        try:
            yield
        finally:
            if runner:
                await runner.stop()
            await app.state.db.dispose()

    app = FastAPI(
        title="Omniloop",
        version=__version__,
        summary="O2O commerce for store chains: one platform behind every channel and store.",
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.db = Database(settings.database_url, pool_size=settings.db_pool_size)
    app.state.metrics = Metrics()
    from omniloop.channels.notifications import register as register_platform_notifications

    register_platform_notifications()
    _register_participants()
    install_error_handlers(app)
    app.add_middleware(RequestContextMiddleware, metrics=app.state.metrics)
    app.include_router(ops_router)
    from omniloop.members.landing import router as join_page

    app.include_router(join_page)
    from omniloop.marketing.public import router as tracking_links

    app.include_router(tracking_links)
    for router in _routers():
        app.include_router(router, prefix=API_PREFIX)
    return app


def create_app_from_env() -> FastAPI:
    """Entry point for ``uvicorn --factory`` and worker processes."""
    settings = load_settings()
    configure_logging(level=settings.log_level, json_logs=settings.log_json)
    return create_app(settings)
