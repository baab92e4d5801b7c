"""The reads of dispatch the API and the pages share, one function per read.

Each read takes the caller's ``Principal`` and checks it (``dispatch.access``), and
returns frozen views (or a ``PageOf`` them) that the API turns into its response models
and the pages into HTML:

- ``dispatch.queries.master_data``: compounds, depots and trucks;
- ``dispatch.queries.demand``: delivery requests and their items;
- ``dispatch.queries.plans``: plans as dispatchers read them (routes, stops, totals),
  the day's plans, and what the plan page shows beside them;
- ``dispatch.queries.deliveries``: deliveries with their audit trail, and a truck's
  manifest for a day.
"""
