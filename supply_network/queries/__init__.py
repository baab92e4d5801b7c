"""The supply network's read models: every read the API and the pages share, one function
each.

- ``producers``: the registry (a record, filtered pages, the map's points);
- ``postings``: offers and needs with their state, and the public board;
- ``deals``: match runs, proposals and supply orders with their audit trail;
- ``restock``: restock suggestions from the monitor's snapshots, and candidate sources.

Each function checks the caller's ``Principal`` and returns frozen dataclasses.
"""
