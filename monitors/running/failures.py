"""What a failed run or part records about its error, which every bureau reader sees."""

from __future__ import annotations

import traceback

from sqlalchemy.exc import DBAPIError, SQLAlchemyError


def failure_detail(error: Exception) -> str:
    """The error's own words, but for a database error only its kind, since its text
    carries the statement and its parameters (table names, codes, figures); the log keeps
    the whole error."""
    if isinstance(error, SQLAlchemyError):
        kind = type(error.orig if isinstance(error, DBAPIError) else error).__name__
        return f"database error ({kind}); the service's log has the details"
    return "".join(traceback.format_exception_only(type(error), error)).strip()
