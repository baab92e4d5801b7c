"""A started service keeps what it loaded (modules, models, routes, templates) out of
the cycle collector's full passes, which paused requests for hundreds of milliseconds
(bench/api.py's p99); stopped, it hands them back."""

from __future__ import annotations

import gc

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker

from service.app import create_app
from service.settings import Settings


def test_a_running_service_is_not_walked_by_the_collector_and_a_stopped_one_is(
    settings: Settings, session_factory: sessionmaker[Session]
) -> None:
    gc.unfreeze()  # whatever an earlier test left
    app = create_app(settings, session_factory=session_factory)
    with TestClient(app) as client:
        assert client.get("/healthz").status_code == 200
        frozen = gc.get_freeze_count()
        assert frozen > 10_000  # everything loaded before the first request
        assert len(gc.get_objects()) < frozen  # a full pass walks only what came since
    assert gc.get_freeze_count() == 0
