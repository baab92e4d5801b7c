"""The demo city's published bulletins: the bureau's last days, drafted from the demo's
reports and snapshots and published, as a city in its emergency would have them."""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy.orm import Session

from bulletin.publishing import draft_bulletin, publish_bulletin
from core.access import Principal
from models import Role

DEMO_BULLETIN_DAYS = 3
DEMO_EDITOR = Principal(kind="user", id=0, name="demo bureau", role=Role.bureau)


def publish_demo_bulletins(
    session: Session, *, last_date: date, days: int = DEMO_BULLETIN_DAYS
) -> int:
    """Draft and publish the bulletins of the ``days`` business days up to ``last_date``."""
    for offset in range(days - 1, -1, -1):
        day = last_date - timedelta(days=offset)
        drafted = draft_bulletin(session=session, principal=DEMO_EDITOR, day=day, today=last_date)
        publish_bulletin(session=session, principal=DEMO_EDITOR, bulletin_id=drafted.id)
    return days
