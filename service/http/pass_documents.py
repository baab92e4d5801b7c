"""A pass printed as a PDF for the API and the pages, made once and kept on the app's
document shelf.

Drawing a pass takes one to two seconds (most of it loading the CJK font). It was drawn
on every request while the request held its database connection: eighty requests for
one producer's own pass at once took every connection of the pool, nineteen answered 500
and the bureau's pass list waited 53 s. Now the pass is read and checked (who may read
it, whether it is in force) in the request's transaction, the connection goes back to
the pool, and the PDF comes from the shelf the bulletins use: one drawing however many
ask for the same pass at once, at most the shelf's makers drawing at a time, a 503 with
``Retry-After`` for one who waits too long.

The shelf's key is everything the page shows (code, title, subject, the signed token and
every printed line) plus the font: a pass changed in any way it is printed (revoked and
so refused before the shelf, re-signed, a holder or region renamed) has another key, so
a stale copy can never be served.
"""

from __future__ import annotations

from collections.abc import Hashable
from datetime import datetime

from sqlalchemy.orm import Session

from core.access import Principal
from core.kept_documents import DocumentShelf
from pass_office import printing
from pass_office.queries import find_pass
from service.settings import Settings
from service.translations import translations


def kept_pass_pdf(
    *,
    session: Session,
    principal: Principal,
    code: str,
    now: datetime,
    settings: Settings,
    shelf: DocumentShelf,
) -> bytes:
    """The pass ``code`` as a one-page PDF in Chinese and English, for whoever may read it
    (404 otherwise; 409 for a pass not in force), drawn only when no copy is kept."""
    row, _, _ = find_pass(session=session, principal=principal, code=code)
    printed = printing.printed_pass(session, row, now=now, zone=settings.zone)
    # the database is done with: its connection goes back to the pool before the second
    # or two of drawing, so a crowd of requests cannot hold every connection
    session.rollback()
    font_file = settings.pdf_font_file
    key: Hashable = (
        "pass",
        printed.code,
        printed.title,
        printed.subject,
        printed.token,
        tuple(printed.lines),
        str(font_file),
    )
    chinese = translations("zh").gettext
    return shelf.get(
        key, lambda: printing.printed_pass_pdf(printed, chinese=chinese, font_file=font_file)
    )
