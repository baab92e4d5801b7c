"""The monitor's domain logic: days of supply, alert rules and report coverage.

The computational core works on pandas data frames and never touches the database or
HTTP, so it is testable with hand-made frames and fast enough for a province
(10,000 stores × 60 products) in one process:

- ``monitors.computing.supply``: store × product days of supply, district/city ratios of sums,
  status bands;
- ``monitors.alerting.thresholds``: DESIGN.md's alert thresholds per category, overridable per
  category and per product, with validation;
- ``monitors.computing.reporting``: who reported a business day, on time or not (DHIS2-style
  reporting rates), and how many days in a row a store has been silent;
- ``monitors.computing.evaluation``: the alert rules, turning the numbers above into alert
  candidates with stable fingerprints.

Loading from the database, persisting snapshots, the alert lifecycle and the schedule
are built on top of these functions.
"""
