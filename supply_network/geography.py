"""Road distances between the board's offers and needs, estimated from coordinates.

The bureau has no routing engine at hand in an emergency, so a road distance is the
great-circle (haversine) distance stretched by a road factor: roads are not straight, and
1.3 is the usual detour ratio (the dispatch planner uses the same estimate). The matcher
needs every offer x need distance of a product at once, so the functions take arrays and
return the whole matrix in one numpy expression.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

EARTH_RADIUS_KM = 6_371.0088
"""Mean Earth radius (IUGG), so one degree of latitude is about 111.195 km."""

DEFAULT_ROAD_FACTOR = 1.3

FloatArray = npt.NDArray[np.float64]


def haversine_km(
    *,
    from_latitude: npt.ArrayLike,
    from_longitude: npt.ArrayLike,
    to_latitude: npt.ArrayLike,
    to_longitude: npt.ArrayLike,
) -> FloatArray:
    """Great-circle km from each origin (rows) to each destination (columns), in degrees.

    Origins of shape (m,) and destinations of shape (n,) give an (m, n) matrix: the
    straight-line part of every pair's distance, before the road factor.
    """
    phi_from = np.radians(np.asarray(from_latitude, dtype=np.float64))[:, np.newaxis]
    lambda_from = np.radians(np.asarray(from_longitude, dtype=np.float64))[:, np.newaxis]
    phi_to = np.radians(np.asarray(to_latitude, dtype=np.float64))[np.newaxis, :]
    lambda_to = np.radians(np.asarray(to_longitude, dtype=np.float64))[np.newaxis, :]
    half_chord = (
        np.sin((phi_to - phi_from) / 2) ** 2
        + np.cos(phi_from) * np.cos(phi_to) * np.sin((lambda_to - lambda_from) / 2) ** 2
    )
    distance: FloatArray = 2 * EARTH_RADIUS_KM * np.arcsin(np.sqrt(np.clip(half_chord, 0.0, 1.0)))
    return distance


def road_distance_km(
    *,
    from_latitude: npt.ArrayLike,
    from_longitude: npt.ArrayLike,
    to_latitude: npt.ArrayLike,
    to_longitude: npt.ArrayLike,
    road_factor: float = DEFAULT_ROAD_FACTOR,
) -> FloatArray:
    """Estimated road km for every origin x destination pair: haversine times the road factor.

    This is the distance the matcher weighs loads by and compares with its maximum.
    """
    if road_factor < 1.0:
        raise ValueError(f"a road factor is at least 1 (roads are never shorter): {road_factor}")
    straight = haversine_km(
        from_latitude=from_latitude,
        from_longitude=from_longitude,
        to_latitude=to_latitude,
        to_longitude=to_longitude,
    )
    return straight * road_factor
