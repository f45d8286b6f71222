import uuid
from contextlib import contextmanager

import pytest

from omniloop.deps import current_principal
from omniloop.members.domain import ActivityKind
from omniloop.members.identity import record_activity_in
from omniloop.merchants.domain import Principal, Role
from tests.support.factories import add_location

PHONE = "+8613800138000"
OTHER_PHONE = "+8613900139000"


@pytest.fixture
async def chain(tenant, db):
    """A merchant with two stores, S1 and S2."""
    await add_location(db, tenant.merchant_id, "S1", name="人民广场店")
    await add_location(db, tenant.merchant_id, "S2", name="静安寺店")
    return tenant


async def sign_up(t, phone=PHONE, *, key=None, **fields):
    body = {"phone": phone, "channel": "own_app", **fields}
    return await t.post("/api/v1/members", json=body, key=key)


async def new_member(t, phone=PHONE, **fields):
    r = await sign_up(t, phone, **fields)
    assert r.status_code == 201, r.text
    return r.json()


async def record_visit(db, t, member_id, kind=ActivityKind.ORDER, **where):
    """What orders and member scans record when a member shows up."""
    async with db.uow() as uow:
        record_activity_in(
            uow.session,
            merchant_id=t.merchant_id,
            member_id=uuid.UUID(member_id),
            kind=kind,
            order_id=uuid.uuid4() if kind is ActivityKind.ORDER else None,
            **where,
        )
        await uow.commit()


@pytest.fixture
def as_customer(app, tenant):
    """Call the API as the customer token of one member (until the customer sign-in lands
    its tokens, the principal is put in place of the key check)."""

    @contextmanager
    def acting(member_id):
        principal = Principal(
            merchant_id=tenant.merchant_id,
            key_id=uuid.uuid4(),
            role=Role.CUSTOMER,
            member_id=uuid.UUID(str(member_id)),
        )
        app.dependency_overrides[current_principal] = lambda: principal
        try:
            yield
        finally:
            app.dependency_overrides.pop(current_principal, None)

    yield acting
    app.dependency_overrides.pop(current_principal, None)
