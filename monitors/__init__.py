"""The monitor's domain: days of supply, alert rules, the alert lifecycle, notifications
and runs, grouped by concern.

- ``monitors.computing``: pure pandas over hand-made or loaded frames, fast enough for a
  province (10,000 stores × 60 products) in one process: store × product days of supply
  (``supply``), district and city ratios of sums (``aggregates``), status bands
  (``status_bands``), who reported (``reporting``), and the alert rules (``evaluation``
  over ``shortage_rules``, ``market_rules`` and ``reporting_rules``, in the layout of
  ``candidates``); ``inputs`` reads what a run needs into frames.
- ``monitors.alerting``: thresholds and rule settings, the alert lifecycle,
  acknowledgement, labels and silences.
- ``monitors.notifications``: the Alertmanager payload, the outbox and its delivery.
- ``monitors.running``: a run (one transaction per business day), its snapshot rows,
  the run guard and the scheduler.
"""
