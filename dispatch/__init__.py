"""Emergency deliveries to locked-down compounds: demand, fleet, route plans, tracking.

The routing core is plain Python with no database and no HTTP, so the service, the
bench and the tests all drive the same code:

- ``dispatch.routing_problem``: the frozen input (depots, trucks, requests, an optional
  distance/duration matrix) and the output (``Plan``: routes of stops, unassigned
  requests with a reason);
- ``dispatch.distances``: haversine x road factor at an average speed, for when no
  matrix is supplied;
- ``dispatch.shipments``: which requests can be served at all, and how a request
  heavier than a truck is split into several shipments (what the solver routes; a
  ``models.Delivery`` is a stop of a committed plan);
- ``dispatch.solver``: ``plan_routes``, the PyVRP wrapper (urgent requests first);
- ``dispatch.schedule``: ``evaluate_routes`` and ``check_plan``, which time and check a
  hand-edited assignment without PyVRP;
- ``dispatch.cvrplib``: runs CVRPLIB benchmark instances through the same wrapper.

Over the database (functions take a session and only flush; the API and the pages call
the same ones, with the caller's ``Principal`` where a rule depends on who asks):

- ``dispatch.access``: who may read and change what (a receiver its compound, a driver
  its truck);
- ``dispatch.master_data``: compounds, depots and trucks; ``dispatch.demand``: delivery
  requests, weighed from their items;
- ``dispatch.plan_rows``: rows to a routing problem and a solved plan back to rows;
- ``dispatch.planning``: draft plans (solve, move a stop, discard);
  ``dispatch.commitment``: commit a draft, re-plan after a breakdown;
  ``dispatch.plan_jobs``: a draft solved on the task queue (queue, run, follow);
- ``dispatch.tracking``: a delivery's steps to the compound's gate;
- ``dispatch.queries``: the reads both adapters show (master data, requests, plans,
  deliveries and manifests).

Import from the submodules; this package module stays empty so importing ``dispatch``
does not load the solver.
"""
