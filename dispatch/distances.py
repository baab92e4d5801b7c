"""Road distances and travel times estimated from coordinates.

A city in lockdown rarely has a routing engine at hand, so the planner estimates: the
great-circle (haversine) distance stretched by a road factor (roads are not straight;
1.3 is the usual urban detour ratio) and driven at an average speed. Results are whole
metres and seconds because PyVRP only takes integers.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

EARTH_RADIUS_M = 6_371_008.8
"""Mean Earth radius (IUGG), so one degree of latitude is about 111.195 km."""

DEFAULT_ROAD_FACTOR = 1.3
DEFAULT_SPEED_KMH = 30.0


def haversine_m(*, lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance in metres between two points given in degrees."""
    phi1, phi2 = math.radians(lat1), math.radians(lat2)
    dphi = phi2 - phi1
    dlambda = math.radians(lon2 - lon1)
    a = math.sin(dphi / 2) ** 2 + math.cos(phi1) * math.cos(phi2) * math.sin(dlambda / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(a)))


def build_matrices(
    *,
    points: Sequence[tuple[float, float]],
    road_factor: float = DEFAULT_ROAD_FACTOR,
    speed_kmh: float = DEFAULT_SPEED_KMH,
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]:
    """(distance in metres, duration in seconds) between all ``(lat, lon)`` points.

    Both are rounded to the nearest integer from the same unrounded road distance, so a
    duration is never computed from an already-rounded distance.
    """
    if road_factor < 1.0 or speed_kmh <= 0:
        raise ValueError("road factor must be >= 1 and speed positive")
    if not points:
        empty = np.zeros((0, 0), dtype=np.int64)
        return empty, empty.copy()
    coords = np.radians(np.asarray(points, dtype=np.float64))
    lat = coords[:, 0][:, None]
    lon = coords[:, 1][:, None]
    dlat = lat.T - lat
    dlon = lon.T - lon
    a = np.sin(dlat / 2) ** 2 + np.cos(lat) * np.cos(lat.T) * np.sin(dlon / 2) ** 2
    great_circle = 2 * EARTH_RADIUS_M * np.arcsin(np.minimum(1.0, np.sqrt(a)))
    road = great_circle * road_factor
    distance = np.rint(road).astype(np.int64)
    duration = np.rint(road / (speed_kmh / 3.6)).astype(np.int64)
    np.fill_diagonal(distance, 0)
    np.fill_diagonal(duration, 0)
    return distance, duration
