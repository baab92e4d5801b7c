"""The routing bench compares each instance with its best-known cost in the units that
cost was published in, whatever a BKS.csv's convention column says or leaves out."""

from __future__ import annotations

import pytest

from bench.dispatch import convention_of


@pytest.mark.parametrize(
    ("text", "kind", "best_known", "expected"),
    [
        ("EUC_2D rounded to nearest int (CVRPLIB)", "CVRP", 784.0, "round"),
        ("DIMACS: distances/times truncated to 1 decimal", "VRPTW", 827.3, "dimacs"),
        ("times truncated to one decimal", "VRPTW", 827.3, "dimacs"),
        ("EXACT_2D", "CVRP", 524.61, "exact"),
        ("real distances, not rounded", "CVRP", 555.43, "exact"),
        ("EUC_2D rounded", "CVRP", 1618.36, "exact"),
        ("", "VRPTW", 1650.8, "dimacs"),
        ("", "CVRP", 5623.47, "exact"),
        ("", "CVRP", 27591.0, "round"),
    ],
)
def test_the_convention_follows_the_column_then_the_published_cost(
    text: str, kind: str, best_known: float, expected: str
) -> None:
    assert convention_of(text, kind=kind, best_known=best_known) == expected
