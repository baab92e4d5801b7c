"""Daily reports: validate lines, convert units, upsert them set-based, and read them back.

The JSON report (``PUT /stores/{store}/reports/{date}``) and bulk files obey the same
rules (``validation``: one rule table, applied line by line to a small report and
vectorised to a file, whose validator also lists every problem for both), and are stored
set-based (``upsert``: one statement per report on PostgreSQL), so a rule holds
whichever way a store sends its numbers. ``submissions`` holds the two ingest use cases
and ``queries`` the report read models the API and the store pages share."""

from reports.upsert import IngestCounts, store_report_lines
from reports.validation import Catalog, LineError, ReportRules, validate_lines

__all__ = [
    "Catalog",
    "IngestCounts",
    "LineError",
    "ReportRules",
    "store_report_lines",
    "validate_lines",
]
