"""Imports every table so that ``Base.metadata`` is complete (Alembic, tests, checks)."""

from __future__ import annotations

from sqlalchemy import MetaData


def load_all() -> MetaData:
    """Import every domain's models and return the full metadata."""
    import omniloop.affiliates.models
    import omniloop.catalog.models
    import omniloop.channels.models
    import omniloop.customer_auth.models
    import omniloop.events
    import omniloop.fulfilment.models
    import omniloop.idempotency
    import omniloop.inventory.models
    import omniloop.locations.models
    import omniloop.loyalty.models
    import omniloop.marketing.models
    import omniloop.member_codes.models
    import omniloop.members.models
    import omniloop.merchants.models
    import omniloop.merchants.secrets
    import omniloop.orders.models
    import omniloop.payments.models
    import omniloop.promotions.models
    import omniloop.referrals.models
    import omniloop.routing.models
    import omniloop.segments.models
    import omniloop.vouchers.models
    import omniloop.webhooks.models  # noqa: F401
    from omniloop.db import Base

    return Base.metadata
