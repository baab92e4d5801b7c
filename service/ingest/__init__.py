"""Daily report ingest: validate lines, convert units, and upsert them set-based.

Both the JSON report (``PUT /stores/{store}/reports/{date}``) and bulk files go
through the same validation (``validation``) and the same upsert (``upsert``), so a
rule holds whichever way a store sends its numbers.
"""

from service.ingest.upsert import IngestCounts, store_report_lines
from service.ingest.validation import Catalog, LineError, ReportRules, validate_lines

__all__ = [
    "Catalog",
    "IngestCounts",
    "LineError",
    "ReportRules",
    "store_report_lines",
    "validate_lines",
]
