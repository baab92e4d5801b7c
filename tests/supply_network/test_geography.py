"""Road distances: haversine x road factor, the whole offer x need matrix at once."""

from __future__ import annotations

import math

import numpy as np
import pytest

from supply_network.geography import haversine_km, road_distance_km


def _haversine_one_pair_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """The textbook formula for one pair, with the spherical law of cosines as written."""
    phi1, phi2 = math.radians(lat1), math.radians(lat2)
    central_angle = math.acos(
        min(
            1.0,
            math.sin(phi1) * math.sin(phi2)
            + math.cos(phi1) * math.cos(phi2) * math.cos(math.radians(lon2 - lon1)),
        )
    )
    return 6371.0088 * central_angle


def test_one_degree_of_latitude_is_about_111_km_and_the_road_adds_30_percent() -> None:
    straight = haversine_km(
        from_latitude=[33.0], from_longitude=[113.0], to_latitude=[34.0], to_longitude=[113.0]
    )
    road = road_distance_km(
        from_latitude=[33.0], from_longitude=[113.0], to_latitude=[34.0], to_longitude=[113.0]
    )
    assert straight[0, 0] == pytest.approx(111.195, abs=0.01)
    assert road[0, 0] == pytest.approx(1.3 * 111.195, abs=0.02)


def test_matrix_has_one_row_per_origin_and_matches_the_pairwise_formula() -> None:
    rng = np.random.default_rng(3)
    origins = rng.uniform([33.3, 112.8], [34.2, 113.6], size=(5, 2))
    destinations = rng.uniform([33.3, 112.8], [34.2, 113.6], size=(7, 2))
    matrix = road_distance_km(
        from_latitude=origins[:, 0],
        from_longitude=origins[:, 1],
        to_latitude=destinations[:, 0],
        to_longitude=destinations[:, 1],
        road_factor=1.5,
    )
    assert matrix.shape == (5, 7)
    for i, (lat1, lon1) in enumerate(origins):
        for j, (lat2, lon2) in enumerate(destinations):
            expected = 1.5 * _haversine_one_pair_km(lat1, lon1, lat2, lon2)
            assert matrix[i, j] == pytest.approx(expected, rel=1e-9)


def test_same_place_is_zero_and_no_origins_gives_an_empty_matrix() -> None:
    same = road_distance_km(
        from_latitude=[33.7], from_longitude=[113.3], to_latitude=[33.7], to_longitude=[113.3]
    )
    assert same[0, 0] == 0.0
    empty = road_distance_km(
        from_latitude=[], from_longitude=[], to_latitude=[33.7], to_longitude=[113.3]
    )
    assert empty.shape == (0, 1)


def test_a_road_factor_below_one_is_refused() -> None:
    with pytest.raises(ValueError, match="road factor"):
        road_distance_km(
            from_latitude=[0],
            from_longitude=[0],
            to_latitude=[1],
            to_longitude=[1],
            road_factor=0.9,
        )
