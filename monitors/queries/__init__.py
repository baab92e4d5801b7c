"""The monitor's read models: every read the API and the pages share, one function each.

- ``supply`` and ``supply_history``: the supply snapshots (the only modules that read
  them): the bulletin, history, the heatmap cells, below-threshold counts, per-store
  status counts;
- ``dashboard``: the bureau's dashboard and its drill-downs;
- ``alerts``, ``silences``, ``alert_rules``, ``webhooks``, ``runs``: what the monitor
  raised, what mutes it, how it is tuned, where it is sent, and how each run went.

Each function checks the caller's ``Principal`` and returns frozen dataclasses or ORM
rows; the adapters render them as JSON or HTML.
"""
