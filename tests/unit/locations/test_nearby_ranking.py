"""Nearby search geometry: the search box never loses a point, ranking equals brute force."""

from __future__ import annotations

import random
from dataclasses import dataclass

import pytest
from haversine import haversine

from omniloop.locations.domain import rank_by_distance
from omniloop.shared.geo import bounding_box, distance_km


@dataclass(frozen=True)
class Point:
    code: str
    lat: float
    lng: float


def brute_force(lat: float, lng: float, points: list[Point], radius_km: float):
    """Every point measured, filtered and sorted: what nearby search must reproduce."""
    measured = [(p, haversine((lat, lng), (p.lat, p.lng))) for p in points]
    return sorted(((p, d) for p, d in measured if d <= radius_km), key=lambda t: (t[1], t[0].code))


def search(lat: float, lng: float, points: list[Point], radius_km: float):
    """What the service does: keep what the box admits, then rank exactly."""
    box = bounding_box(lat, lng, radius_km)
    return rank_by_distance(
        lat, lng, [p for p in points if box.contains(p.lat, p.lng)], radius_km=radius_km
    )


def scatter(rng: random.Random, n: int, lat: float, lng: float, spread: float) -> list[Point]:
    points = []
    for _ in range(n):
        plat = max(-90.0, min(90.0, lat + rng.uniform(-spread, spread)))
        plng = (lng + rng.uniform(-spread, spread) + 180.0) % 360.0 - 180.0
        points.append(Point(f"P{rng.getrandbits(48):012x}", plat, plng))
    return points


@pytest.fixture(scope="module")
def world() -> list[Point]:
    rng = random.Random(20240605)
    return (
        scatter(rng, 4000, 0.0, 0.0, 180.0)  # anywhere
        + scatter(rng, 3000, 31.23, 121.47, 0.5)  # one city
        + scatter(rng, 1500, 0.0, 180.0, 3.0)  # across the antimeridian
        + scatter(rng, 1500, 89.0, 0.0, 2.0)  # around the north pole
        + scatter(rng, 500, -88.5, 40.0, 2.0)  # around the south pole
    )


QUERIES = [
    (31.23, 121.47, 2.0),
    (31.23, 121.47, 5.0),
    (31.20, 121.60, 20.0),
    (0.0, 179.9, 50.0),
    (0.0, -179.9, 50.0),
    (1.5, 180.0, 300.0),
    (-2.0, -180.0, 120.0),
    (89.9, 10.0, 100.0),
    (88.0, -170.0, 400.0),
    (-89.99, 0.0, 300.0),
    (60.0, 179.0, 1000.0),
    (45.0, 0.0, 5000.0),
    (-10.0, 100.0, 19000.0),
    (0.0, 0.0, 25000.0),
]


@pytest.mark.parametrize(("lat", "lng", "radius_km"), QUERIES)
def test_box_prefilter_and_ranking_equal_a_brute_force_haversine_ranking(
    world, lat, lng, radius_km
):
    expected = brute_force(lat, lng, world, radius_km)
    assert search(lat, lng, world, radius_km) == expected
    assert expected, "each query should find something, or it proves little"


def test_random_queries_equal_brute_force_ranking(world):
    rng = random.Random(7)
    for _ in range(25):
        anchor = rng.choice(world)
        lat = max(-90.0, min(90.0, anchor.lat + rng.uniform(-1, 1)))
        lng = (anchor.lng + rng.uniform(-1, 1) + 180.0) % 360.0 - 180.0
        radius_km = rng.choice([0.2, 2.0, 10.0, 80.0, 700.0, 3000.0])
        assert search(lat, lng, world, radius_km) == brute_force(lat, lng, world, radius_km)


def test_points_on_either_side_of_the_antimeridian_are_neighbours():
    east, west = Point("EAST", 10.0, 179.9), Point("WEST", 10.0, -179.9)
    far = Point("FAR", 10.0, 0.0)
    found = search(10.0, 179.95, [east, west, far], 50.0)
    assert [p.code for p, _ in found] == ["EAST", "WEST"]
    assert found[0][1] == pytest.approx(found[1][1] / 3, rel=1e-3)


def test_a_box_crossing_the_antimeridian_splits_into_two_longitude_ranges():
    box = bounding_box(0.0, 179.9, 50.0)
    assert len(box.lng_ranges) == 2
    assert box.contains(0.0, -179.8)
    assert box.contains(0.0, 179.6)
    assert not box.contains(0.0, 0.0)
    assert not box.contains(0.0, -179.0)


def test_a_box_holding_a_pole_spans_every_longitude():
    box = bounding_box(89.5, 0.0, 100.0)
    assert box.max_lat == 90.0
    assert box.lng_ranges == ((-180.0, 180.0),)


def test_a_small_box_is_small():
    box = bounding_box(31.23, 121.47, 5.0)
    assert box.max_lat - box.min_lat == pytest.approx(10 / 111.195, rel=1e-3)
    ((low, high),) = box.lng_ranges
    assert 0.1 < high - low < 0.11  # degrees of longitude shrink with cos(latitude)


def test_equal_distances_are_ordered_by_code():
    points = [Point("B", 0.0, 1.0), Point("C", 1.0, 0.0), Point("A", 0.0, -1.0)]
    assert [p.code for p, _ in rank_by_distance(0.0, 0.0, points, radius_km=200)] == [
        "A",
        "B",
        "C",
    ]


def test_a_point_exactly_at_the_radius_is_included():
    target = Point("EDGE", 0.0, 1.0)
    radius = distance_km(0.0, 0.0, 0.0, 1.0)
    assert search(0.0, 0.0, [target], radius) == [(target, radius)]


def test_distance_between_shanghai_and_beijing_is_about_1070_km():
    assert distance_km(31.2304, 121.4737, 39.9042, 116.4074) == pytest.approx(1067, abs=5)


def test_antipodal_points_are_half_a_circumference_apart():
    assert distance_km(0.0, 0.0, 0.0, 180.0) == pytest.approx(20015.1, abs=0.5)


@pytest.mark.parametrize(
    ("lat", "lng", "radius"), [(91.0, 0.0, 1.0), (0.0, 181.0, 1.0), (0, 0, -1)]
)
def test_a_box_needs_a_real_coordinate_and_radius(lat, lng, radius):
    with pytest.raises(ValueError):
        bounding_box(lat, lng, radius)
