"""Great-circle geometry on a spherical Earth: distances and search boxes.

Distances come from the ``haversine`` library, so every part of Omniloop measures the same
way. :func:`bounding_box` turns "within ``radius_km`` of a point" into latitude/longitude
ranges a B-tree index can search; the box always contains the whole circle (it is a
pre-filter, the exact distance decides). Method: J. P. Matuschek, "Finding Points Within a
Distance of a Latitude/Longitude Using Bounding Coordinates".
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from haversine import Unit, haversine
from haversine.haversine import get_avg_earth_radius

EARTH_RADIUS_KM: float = get_avg_earth_radius(Unit.KILOMETERS)
HALF_CIRCUMFERENCE_KM = math.pi * EARTH_RADIUS_KM

# Widens every box a little (about 1 cm) so float rounding never drops a point that lies
# exactly on the circle; the exact distance filters the extra candidates out again.
_MARGIN_DEGREES = 1e-7


def distance_km(lat1: float, lng1: float, lat2: float, lng2: float) -> float:
    """The great-circle distance between two points given in degrees."""
    try:
        return float(haversine((lat1, lng1), (lat2, lng2), unit=Unit.KILOMETERS))
    except ValueError:
        # Nearly antipodal points can push asin's argument a rounding error above 1.
        return HALF_CIRCUMFERENCE_KM


@dataclass(frozen=True)
class BoundingBox:
    """Latitude range plus one or two longitude ranges (two when it crosses ±180°)."""

    min_lat: float
    max_lat: float
    lng_ranges: tuple[tuple[float, float], ...]

    def contains(self, lat: float, lng: float) -> bool:
        return self.min_lat <= lat <= self.max_lat and any(
            low <= lng <= high for low, high in self.lng_ranges
        )


def bounding_box(lat: float, lng: float, radius_km: float) -> BoundingBox:
    """The smallest lat/lng box (up to a tiny margin) holding every point within ``radius_km``."""
    if not (-90.0 <= lat <= 90.0 and -180.0 <= lng <= 180.0):
        raise ValueError(f"not a coordinate: ({lat}, {lng})")
    if not radius_km >= 0:
        raise ValueError(f"radius must not be negative, got {radius_km}")
    angle = radius_km / EARTH_RADIUS_KM
    if angle >= math.pi:
        return BoundingBox(-90.0, 90.0, ((-180.0, 180.0),))
    phi = math.radians(lat)
    min_phi, max_phi = phi - angle, phi + angle
    if min_phi <= -math.pi / 2 or max_phi >= math.pi / 2:
        # A pole lies inside the circle: every longitude is reachable.
        return BoundingBox(
            max(math.degrees(min_phi) - _MARGIN_DEGREES, -90.0),
            min(math.degrees(max_phi) + _MARGIN_DEGREES, 90.0),
            ((-180.0, 180.0),),
        )
    delta = math.degrees(math.asin(min(1.0, math.sin(angle) / math.cos(phi)))) + _MARGIN_DEGREES
    min_lat = math.degrees(min_phi) - _MARGIN_DEGREES
    max_lat = math.degrees(max_phi) + _MARGIN_DEGREES
    low, high = lng - delta, lng + delta
    ranges: tuple[tuple[float, float], ...]
    if delta >= 180.0:
        ranges = ((-180.0, 180.0),)
    elif low < -180.0:
        ranges = ((-180.0, high), (low + 360.0, 180.0))
    elif high > 180.0:
        ranges = ((-180.0, high - 360.0), (low, 180.0))
    else:
        ranges = ((low, high),)
    return BoundingBox(max(min_lat, -90.0), min(max_lat, 90.0), ranges)
