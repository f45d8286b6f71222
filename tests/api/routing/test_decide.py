"""The routing service as the orders domain calls it: open orders, errors, fixed stores."""

from __future__ import annotations

import pytest

from omniloop.errors import Conflict
from omniloop.routing import service
from omniloop.routing.domain import Demand
from omniloop.routing.errors import NoFulfillmentLocation, raise_if_unroutable
from tests.api.routing.conftest import HOME, RULES


def delivery(lines=(("TEA", 1),)) -> Demand:
    return Demand("own_app", "delivery", list(lines), destination=HOME)


async def test_under_capacity_and_load_use_the_open_orders_the_caller_counts(chain, db):
    rules = {
        "filters": ["active", {"name": "under_capacity", "max_open_orders": 3}],
        "sort": ["load", "distance"],
    }
    assert (await chain.put(RULES, json=rules)).status_code == 200
    asked: list[list[str]] = []

    async def open_orders(codes: list[str]) -> dict[str, int]:
        asked.append(sorted(codes))
        return {"WH": 3, "S1": 2, "S2": 1}

    decision = await service.decide(
        uow=db.uow(), merchant_id=chain.merchant_id, demand=delivery(), open_orders=open_orders
    )
    assert decision.location == "S3"  # no open orders at all
    assert [(r.code, r.load) for r in decision.ranked] == [
        ("S3", 0),
        ("FAR", 0),
        ("S2", 1),
        ("S1", 2),
    ]
    assert decision.rejected["WH"].reason == "3 open orders, capacity 3"
    assert asked and set(asked[0]) >= {"WH", "S1", "S2", "S3"}


async def test_without_a_counter_every_location_has_no_open_orders(chain, db):
    decision = await service.decide(uow=db.uow(), merchant_id=chain.merchant_id, demand=delivery())
    assert all(r.load == 0 for r in decision.ranked)


async def test_the_counter_is_not_asked_when_the_rules_do_not_use_load(chain, db):
    async def open_orders(codes: list[str]) -> dict[str, int]:
        raise AssertionError("not needed")

    decision = await service.decide(
        uow=db.uow(), merchant_id=chain.merchant_id, demand=delivery(), open_orders=open_orders
    )
    assert decision.routed


async def test_an_unroutable_decision_raises_a_409_listing_alternatives(chain, db):
    decision = await service.decide(
        uow=db.uow(), merchant_id=chain.merchant_id, demand=delivery([("BUN", 50)])
    )
    with pytest.raises(NoFulfillmentLocation) as caught:
        raise_if_unroutable(decision)
    error = caught.value
    assert isinstance(error, Conflict)
    problem = error.to_problem()
    assert problem["status"] == 409 and problem["code"] == "no_fulfillment_location"
    assert problem["alternatives"] == []
    assert problem["rejected"]["S2"] == {
        "rule": "has_all_stock",
        "reason": "short of BUN (needs 50, has 5)",
    }
    assert problem["rejected_count"] == len(decision.rejected)
    assert "no location passes every filter" in problem["detail"]


async def test_a_routable_decision_passes_raise_if_unroutable(chain, db):
    decision = await service.decide(uow=db.uow(), merchant_id=chain.merchant_id, demand=delivery())
    raise_if_unroutable(decision)


async def test_load_candidates_reads_stock_for_the_demanded_skus_only(chain, db):
    candidates = await service.load_candidates(
        uow=db.uow(), merchant_id=chain.merchant_id, demand=delivery([("BUN", 1)])
    )
    by_code = {c.code: c for c in candidates}
    assert by_code["S2"].available == {"BUN": 5}
    assert by_code["S1"].available == {}
    assert by_code["S1"].opening_hours is not None
