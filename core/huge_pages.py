"""NumPy's transparent huge pages, off for processes that compute with short-lived large
arrays.

NumPy asks Linux for huge pages (``madvise(MADV_HUGEPAGE)``) on every array of 4 MB or
more. Where the kernel's transparent huge pages are in ``madvise`` mode, as Debian and
Ubuntu ship them, each such allocation may stop to zero and compact 2 MB pages in the
kernel. A monitor run makes hundreds of short-lived arrays of tens of megabytes: with
huge pages a province's run (the bench's 8.4 M lines, 2 cores) spent a fifth to a half
of its cores' time in the kernel, and nine fresh runs took 9.42-10.71 s (median 9.92 s)
against 9.21-10.70 s (median 9.36 s) for nine without, alternated on the same database.
NumPy reads ``NUMPY_MADVISE_HUGEPAGE`` only when it is imported; an operator who sets
it keeps their choice.
"""

from __future__ import annotations

import importlib
import os


def without_huge_pages() -> bool:
    """Stop NumPy asking for huge pages in this process, unless the operator chose with
    ``NUMPY_MADVISE_HUGEPAGE``; returns whether the setting changed anything."""
    if "NUMPY_MADVISE_HUGEPAGE" in os.environ:
        return False
    multiarray = importlib.import_module("numpy._core.multiarray")
    setter = getattr(multiarray, "_set_madvise_hugepage", None)
    if setter is None:  # a NumPy without the switch: nothing to turn off
        return False
    return bool(setter(False))
