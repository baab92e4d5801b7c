"""The supply/demand board's matching core: offers and needs in, proposals out.

Self-contained (stdlib, numpy, pandas, scipy): the database models, API and pages build
on it without it knowing them.

- ``supply_network.geography``: road distance estimates (haversine x road factor);
- ``supply_network.board``: the input records and frames, pair rules, results, reasons;
- ``supply_network.matching``: ``match``, the optimal matcher (SciPy's HiGHS);
- ``supply_network.greedy``: ``greedy_match``, the nearest-first baseline.
"""
