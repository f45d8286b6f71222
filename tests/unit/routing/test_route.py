"""Routing decisions: filters reject with reasons, sort keys rank, split policies assign."""

from datetime import UTC, datetime

import pytest

from omniloop.routing.domain import Assignment, Candidate, Demand, Line, route
from omniloop.routing.rules import DEFAULT_RULES, RuleSet

HOME = (31.2304, 121.4737)
KM = 1 / 111.2  # degrees of latitude in one kilometre
MONDAY_NOON = datetime(2026, 11, 23, 4, 0, tzinfo=UTC)  # 12:00 in Shanghai
MONDAY_2330 = datetime(2026, 11, 23, 15, 30, tzinfo=UTC)  # 23:30 in Shanghai
DAYTIME = {d: [["08:00", "22:00"]] for d in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")}


def store(code, km_north=0.0, *, stock=None, **fields):
    """A store ``km_north`` kilometres north of HOME holding ``stock`` (default: plenty)."""
    return Candidate(
        code=code,
        kind=fields.pop("kind", "store"),
        lat=HOME[0] + km_north * KM,
        lng=HOME[1],
        available={"TEA": 100, "BUN": 100} if stock is None else stock,
        **fields,
    )


def delivery(lines=(("TEA", 1),), at=MONDAY_NOON, **fields):
    return Demand(
        channel=fields.pop("channel", "own_app"),
        fulfillment_type="delivery",
        lines=list(lines),
        destination=fields.pop("destination", HOME),
        requested_time=at,
        **fields,
    )


def pickup(lines=(("TEA", 1),), **fields):
    return Demand(
        channel=fields.pop("channel", "own_app"),
        fulfillment_type="pickup",
        lines=list(lines),
        requested_time=fields.pop("at", MONDAY_NOON),
        **fields,
    )


def rules(filters=(), sort=("distance",), split=None):
    raw = {"filters": list(filters), "sort": list(sort)}
    if split:
        raw["split"] = split
    return RuleSet.parse(raw)


# --------------------------------------------------------------------------- default rules


def test_default_rules_pick_the_nearest_open_stocked_store_within_its_radius():
    decision = route(
        delivery(at=MONDAY_2330),
        [
            store("NEAR-CLOSED", 0.5, opening_hours=DAYTIME),
            store("NEAR-EMPTY", 1.0, stock={}),
            store("NEAR-INACTIVE", 1.2, active=False),
            store("GOOD", 2.0),
            store("ALSO-GOOD", 3.0),
            store("TOO-FAR", 9.4),
        ],
    )
    assert decision.assignments == (Assignment("GOOD", (Line("TEA", 1),)),)
    assert decision.location == "GOOD"
    assert [r.code for r in decision.ranked] == ["GOOD", "ALSO-GOOD"]
    assert [r.rank for r in decision.ranked] == [1, 2]
    assert decision.ranked[0].distance_km == pytest.approx(2.0, abs=0.01)
    assert {code: r.rule for code, r in decision.rejected.items()} == {
        "NEAR-CLOSED": "open_at_requested_time",
        "NEAR-EMPTY": "has_all_stock",
        "NEAR-INACTIVE": "active",
        "TOO-FAR": "within_service_radius",
    }
    assert decision.rejected["NEAR-CLOSED"].reason == "closed at 2026-11-23T23:30+08:00"
    assert decision.rejected["NEAR-EMPTY"].reason == "short of TEA (needs 1, has 0)"
    assert decision.rejected["NEAR-INACTIVE"].reason == "location is inactive"
    assert decision.rejected["TOO-FAR"].reason == "9.4 km > service radius 5 km"
    assert decision.rules == DEFAULT_RULES
    assert decision.alternatives == ()


def test_a_location_is_rejected_by_the_first_filter_it_fails_in_rule_order():
    closed_and_empty = store("S1", opening_hours=DAYTIME, stock={})
    first = route(delivery(at=MONDAY_2330), [closed_and_empty])
    assert first.rejected["S1"].rule == "open_at_requested_time"
    reordered = rules(["has_all_stock", "open_at_requested_time"])
    assert (
        route(delivery(at=MONDAY_2330), [closed_and_empty], reordered).rejected["S1"].rule
        == "has_all_stock"
    )


def test_a_location_without_opening_hours_is_always_open():
    decision = route(delivery(at=MONDAY_2330), [store("S1", opening_hours=None)])
    assert decision.location == "S1"


def test_opening_hours_are_read_in_the_locations_own_time_zone():
    tokyo = store("TYO", opening_hours=DAYTIME, timezone="Asia/Tokyo")
    # 23:30 in Shanghai is 00:30 in Tokyo: closed, and the reason shows Tokyo's time.
    decision = route(delivery(at=MONDAY_2330), [tokyo])
    assert decision.rejected["TYO"].reason == "closed at 2026-11-24T00:30+09:00"


def test_the_service_radius_is_each_locations_own_and_applies_to_delivery_only():
    wide = store("WIDE", 8.0, service_radius_km=10.0)
    narrow = store("NARROW", 6.0, service_radius_km=5.0)
    assert route(delivery(), [wide, narrow]).location == "WIDE"
    customer_pickup = pickup(destination=HOME)
    assert route(customer_pickup, [wide, narrow]).location == "NARROW"


def test_has_all_stock_needs_every_line_in_full_at_one_location_and_counts_repeats():
    lines = [("TEA", 2), ("BUN", 1), ("TEA", 1)]
    short = store("SHORT", 1.0, stock={"TEA": 2, "BUN": 5})
    full = store("FULL", 2.0, stock={"TEA": 3, "BUN": 1})
    decision = route(delivery(lines), [short, full])
    assert decision.assignments == (Assignment("FULL", (Line("TEA", 3), Line("BUN", 1))),)
    assert decision.rejected["SHORT"].reason == "short of TEA (needs 3, has 2)"


def test_negative_availability_below_safety_stock_counts_as_none():
    decision = route(delivery([("TEA", 1), ("BUN", 2)]), [store("S1", stock={"TEA": -4})])
    assert decision.rejected["S1"].reason == ("short of TEA (needs 1, has 0), BUN (needs 2, has 0)")


def test_kind_in_keeps_only_the_listed_kinds():
    candidates = [store("WH", 0.5, kind="warehouse"), store("CK", 1.0, kind="central_kitchen")]
    decision = route(
        delivery(), candidates, rules([{"name": "kind_in", "kinds": ["store", "central_kitchen"]}])
    )
    assert decision.location == "CK"
    assert decision.rejected["WH"].reason == "kind warehouse is not one of store, central_kitchen"


def test_under_capacity_rejects_locations_at_their_open_order_limit():
    candidates = [store("BUSY", 0.5, open_orders=10), store("CALM", 1.0, open_orders=9)]
    decision = route(
        delivery(), candidates, rules([{"name": "under_capacity", "max_open_orders": 10}])
    )
    assert decision.location == "CALM"
    assert decision.rejected["BUSY"].rule == "under_capacity"
    assert decision.rejected["BUSY"].reason == "10 open orders, capacity 10"


def test_channel_allowed_keeps_listed_locations_for_their_channels_only():
    allow = {"name": "channel_allowed", "allow": {"CK": ["meituan", "eleme"]}}
    candidates = [store("CK", 0.5, kind="central_kitchen"), store("S1", 3.0)]
    own_app = route(delivery(channel="own_app"), candidates, rules([allow]))
    assert own_app.location == "S1"
    assert own_app.rejected["CK"].reason == "does not take own_app orders (takes eleme, meituan)"
    assert route(delivery(channel="meituan"), candidates, rules([allow])).location == "CK"


# --------------------------------------------------------------------------- sort keys


def test_priority_sorts_higher_first_and_can_outrank_distance():
    candidates = [store("NEAR", 1.0, priority=0), store("FAR", 4.0, priority=5)]
    assert route(delivery(), candidates, rules(sort=["distance", "priority"])).location == "NEAR"
    assert route(delivery(), candidates, rules(sort=["priority", "distance"])).location == "FAR"


def test_stock_depth_prefers_more_units_of_the_ordered_skus():
    candidates = [
        store("THIN", 1.0, stock={"TEA": 5, "BUN": 100, "CAKE": 900}),
        store("DEEP", 2.0, stock={"TEA": 50}),
    ]
    decision = route(delivery(), candidates, rules(sort=["stock_depth"]))
    assert decision.location == "DEEP"
    assert [(r.code, r.stock_depth) for r in decision.ranked] == [("DEEP", 50), ("THIN", 5)]


def test_load_prefers_fewer_open_orders():
    candidates = [store("A", 1.0, open_orders=7), store("B", 2.0, open_orders=2)]
    decision = route(delivery(), candidates, rules(sort=["load", "distance"]))
    assert [(r.code, r.load) for r in decision.ranked] == [("B", 2), ("A", 7)]


def test_missing_destination_counts_as_zero_distance_so_priority_decides():
    candidates = [store("NEAR", 0.1, priority=1), store("FAR", 50.0, priority=3)]
    decision = route(pickup(), candidates)
    assert decision.location == "FAR"
    assert all(r.distance_km is None for r in decision.ranked)


def test_ties_are_broken_by_code_whatever_the_input_order():
    twins = [store("B"), store("C"), store("A")]
    for order in (twins, list(reversed(twins))):
        decision = route(delivery(), order, rules(sort=["priority"]))
        assert [r.code for r in decision.ranked] == ["A", "B", "C"]


# --------------------------------------------------------------------------- split


SPLIT2 = {"policy": "allow", "max_locations": 2}


def test_never_split_refuses_when_no_single_location_holds_everything():
    a = store("A", 1.0, stock={"TEA": 2})
    b = store("B", 2.0, stock={"BUN": 2})
    decision = route(delivery([("TEA", 2), ("BUN", 2)]), [a, b])
    assert decision.assignments == ()
    assert decision.reason == "no location passes every filter"


def test_split_allow_never_splits_when_one_location_can_ship_everything():
    partial = store("PARTIAL", 0.5, stock={"TEA": 2})
    whole = store("WHOLE", 4.0, stock={"TEA": 2, "BUN": 2})
    decision = route(
        delivery([("TEA", 2), ("BUN", 2)]), [partial, whole], rules(["has_all_stock"], split=SPLIT2)
    )
    assert decision.assignments == (Assignment("WHOLE", (Line("TEA", 2), Line("BUN", 2))),)
    assert [r.code for r in decision.ranked] == ["PARTIAL", "WHOLE"]


def test_split_allow_covers_greedily_with_the_location_shipping_most_units_first():
    lines = [("TEA", 5), ("BUN", 3)]
    candidates = [
        store("NEAR", 0.5, stock={"TEA": 1}),
        store("MID", 1.0, stock={"TEA": 5, "BUN": 1}),
        store("FAR", 2.0, stock={"BUN": 3}),
    ]
    decision = route(delivery(lines), candidates, rules(["has_all_stock"], split=SPLIT2))
    assert decision.assignments == (
        Assignment("MID", (Line("TEA", 5), Line("BUN", 1))),
        Assignment("FAR", (Line("BUN", 2),)),
    )


def test_split_prefers_the_best_ranked_location_among_equal_covers():
    lines = [("TEA", 2), ("BUN", 2)]
    candidates = [
        store("TEA-FAR", 3.0, stock={"TEA": 2}),
        store("TEA-NEAR", 1.0, stock={"TEA": 2}),
        store("BUN", 2.0, stock={"BUN": 2}),
    ]
    decision = route(delivery(lines), candidates, rules(["has_all_stock"], split=SPLIT2))
    assert [a.location for a in decision.assignments] == ["TEA-NEAR", "BUN"]


def test_split_stops_at_max_locations():
    lines = [("TEA", 1), ("BUN", 1), ("CAKE", 1)]
    candidates = [
        store("A", 1.0, stock={"TEA": 1}),
        store("B", 2.0, stock={"BUN": 1}),
        store("C", 3.0, stock={"CAKE": 1}),
    ]
    two = route(delivery(lines), candidates, rules(["has_all_stock"], split=SPLIT2))
    assert two.assignments == ()
    assert two.reason == "no 2 locations together can ship the order: short of CAKE (1 more)"
    three = route(
        delivery(lines),
        candidates,
        rules(["has_all_stock"], split={"policy": "allow", "max_locations": 3}),
    )
    assert [a.location for a in three.assignments] == ["A", "B", "C"]


def test_with_split_allowed_only_locations_holding_nothing_ordered_are_rejected():
    candidates = [store("NONE", 1.0, stock={"CAKE": 9}), store("SOME", 2.0, stock={"TEA": 1})]
    decision = route(delivery([("TEA", 2)]), candidates, rules(["has_all_stock"], split=SPLIT2))
    assert decision.rejected["NONE"].reason == "has none of the ordered items"
    assert [r.code for r in decision.ranked] == ["SOME"]
    assert decision.assignments == ()


def test_split_decisions_are_deterministic_whatever_the_candidate_order():
    lines = [("TEA", 4), ("BUN", 4)]
    candidates = [
        store(f"S{i}", i * 0.3, stock={"TEA": i % 3, "BUN": (i + 1) % 4}) for i in range(12)
    ]
    policy = rules(["has_all_stock"], split={"policy": "allow", "max_locations": 5})
    first = route(delivery(lines), candidates, policy)
    assert first.routed
    assert route(delivery(lines), list(reversed(candidates)), policy) == first


def test_without_has_all_stock_the_best_location_takes_the_order_regardless_of_stock():
    decision = route(delivery(), [store("S1", stock={})], rules(["active"]))
    assert decision.location == "S1"


# --------------------------------------------------------------------------- fixed location


def test_a_fixed_location_is_the_only_one_considered():
    decision = route(pickup(fixed_location="CHOSEN"), [store("NEAR", 0.1), store("CHOSEN", 3.0)])
    assert decision.location == "CHOSEN"
    assert [r.code for r in decision.ranked] == ["CHOSEN"]
    assert decision.rejected == {}


def test_a_pickup_at_a_store_without_the_stock_suggests_the_stores_nearest_that_store():
    chosen = store("CHOSEN", 10.0, stock={"TEA": 0})
    others = [
        store("BY-CHOSEN", 10.5),
        store("AT-HOME", 0.0),
        store("MID", 7.0),
        store("EMPTY", 10.2, stock={}),
        store("SHUT", 10.1, active=False),
    ]
    decision = route(pickup(fixed_location="CHOSEN"), [chosen, *others])
    assert not decision.routed
    assert decision.rejected == {"CHOSEN": decision.rejected["CHOSEN"]}
    assert decision.rejected["CHOSEN"].rule == "has_all_stock"
    assert [a.location for a in decision.alternatives] == ["BY-CHOSEN", "MID", "AT-HOME"]
    assert decision.alternatives[0].distance_km == pytest.approx(0.5, abs=0.01)


def test_a_fixed_location_that_is_not_a_candidate_gives_no_assignment_and_says_so():
    decision = route(pickup(fixed_location="GHOST"), [store("S1")])
    assert not decision.routed
    assert decision.reason == "location GHOST is not a candidate"


def test_a_fixed_delivery_without_destination_skips_the_radius_check():
    platform_order = Demand(
        channel="meituan",
        fulfillment_type="delivery",
        lines=[("TEA", 1)],
        requested_time=MONDAY_NOON,
        fixed_location="S1",
    )
    assert route(platform_order, [store("S1", 50.0)]).location == "S1"


# --------------------------------------------------------------------------- alternatives


def test_alternatives_are_the_five_nearest_active_fully_stocked_locations_ignoring_filters():
    closed = [store(f"CLOSED{i}", i, opening_hours=DAYTIME) for i in range(1, 8)]
    decision = route(delivery(at=MONDAY_2330), [store("EMPTY", 0.2, stock={}), *closed])
    assert not decision.routed
    assert [a.location for a in decision.alternatives] == [f"CLOSED{i}" for i in range(1, 6)]
    distances = [a.distance_km for a in decision.alternatives]
    assert distances == sorted(distances)


def test_without_any_point_alternatives_go_by_priority():
    late_pickup = pickup(at=MONDAY_2330)
    candidates = [
        store("LOW", priority=1, opening_hours=DAYTIME),
        store("HIGH", priority=9, opening_hours=DAYTIME),
    ]
    decision = route(late_pickup, candidates)
    assert [(a.location, a.distance_km) for a in decision.alternatives] == [
        ("HIGH", None),
        ("LOW", None),
    ]


# --------------------------------------------------------------------------- demand and output


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"fulfillment_type": "teleport"}, "fulfillment type"),
        ({"lines": []}, "at least one line"),
        ({"lines": [("TEA", 0)]}, "positive"),
        ({"requested_time": datetime(2026, 1, 1)}, "timezone-aware"),
        ({"fulfillment_type": "delivery"}, "needs a destination"),
    ],
)
def test_a_demand_refuses_what_routing_cannot_work_with(fields, message):
    values = {"channel": "web", "fulfillment_type": "pickup", "lines": [("TEA", 1)], **fields}
    with pytest.raises(ValueError, match=message):
        Demand(**values)


def test_the_decision_as_json_lists_nearest_rejections_first_and_counts_everything():
    candidates = [store(f"FAR{i}", 10 + i) for i in range(5)] + [store("OK", 1.0)]
    data = route(delivery(), candidates).as_dict(limit=2)
    assert data["location"] == "OK" and data["routed"] is True
    assert data["assignments"] == [{"location": "OK", "lines": [{"sku": "TEA", "qty": 1}]}]
    assert list(data["rejected"]) == ["FAR0", "FAR1"]
    assert data["rejected_count"] == 5
    assert data["ranked_count"] == 1
    assert data["rules"] == DEFAULT_RULES.to_dict()
    assert data["requested_time"] == MONDAY_NOON.isoformat()
