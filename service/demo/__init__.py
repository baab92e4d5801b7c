"""The demo city generator: a Pingdingshan-size city with 30 days of daily reports
ending in a lockdown, and a province-size network for benchmarks.

Generation (``generate_city``, ``generate_history``, ``generate_province_day``) is
pure and deterministic from a seed; loading (``load_master_data``,
``load_demo_city``) writes to a session and only flushes.
"""

from service.demo.generate import (
    REPORT_COLUMNS,
    DemoCity,
    generate_city,
    generate_history,
    generate_province_day,
)
from service.demo.load import (
    DEMO_LOGINS,
    DEMO_STORE,
    DemoKey,
    DemoLogin,
    DemoSummary,
    IdMaps,
    canonical_rows,
    load_demo_city,
    load_master_data,
)
from service.demo.master import MasterFrames

__all__ = [
    "DEMO_LOGINS",
    "DEMO_STORE",
    "REPORT_COLUMNS",
    "DemoCity",
    "DemoKey",
    "DemoLogin",
    "DemoSummary",
    "IdMaps",
    "MasterFrames",
    "canonical_rows",
    "generate_city",
    "generate_history",
    "generate_province_day",
    "load_demo_city",
    "load_master_data",
]
