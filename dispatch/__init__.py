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

Import from the submodules; this package module stays empty so importing ``dispatch``
does not load the solver.
"""
