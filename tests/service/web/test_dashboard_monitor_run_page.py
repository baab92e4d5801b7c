"""The bureau starts the monitor from the dashboard and follows the run on its own page:
parts done of a run fanned out over workers, polled every two seconds, the dashboard
again once it is done, and why in the reader's language when it did not run."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from models import MonitorRun, MonitorRunPart, PartStatus, Role, RunStatus
from models.base import utc_now
from tests.factories import business_today, make_store
from tests.service.web.helpers import csrf, make_person, sign_in

ZH = {"Accept-Language": "zh-CN"}
HTMX = {"HX-Request": "true"}


def _run(session: Session, status: RunStatus, *, parts: int = 0, error: str | None = None) -> int:
    run = MonitorRun(
        business_date=business_today(),
        trigger="api",
        status=status,
        started_at=utc_now(),
        counts={},
        error=error,
    )
    session.add(run)
    session.flush()
    for number in range(parts):
        session.add(
            MonitorRunPart(
                run_id=run.id,
                part_number=number,
                region_ids=[number],
                stores=5,
                status=PartStatus.done if number == 0 else PartStatus.pending,
                attempts=1 if number == 0 else 0,
            )
        )
    session.commit()
    return run.id


def test_running_the_monitor_from_the_dashboard_follows_the_run_back_to_the_dashboard(
    client: TestClient, session: Session
) -> None:
    sign_in(client, "li", make_person(session, "li", Role.bureau))
    started = client.post(
        "/dashboard/monitor",
        data={"csrf_token": csrf(client, "/dashboard")},
        follow_redirects=False,
    )
    assert started.status_code == 303
    run_id = session.scalars(select(MonitorRun.id)).one()
    assert started.headers["location"] == f"/dashboard/monitor/runs/{run_id}"
    # The run went on after that answer (the test client waits for it): its page is
    # over and sends the bureau back to the dashboard, which says the monitor ran.
    page = client.get(started.headers["location"])
    assert page.url.path == "/dashboard" and "The monitor ran." in page.text
    panel = client.get(f"/dashboard/monitor/runs/{run_id}/panel", headers=HTMX)
    assert panel.headers["HX-Redirect"] == "/dashboard?ran=1"


def test_a_fanned_out_run_shows_its_parts_and_keeps_polling(
    client: TestClient, session: Session
) -> None:
    sign_in(client, "li", make_person(session, "li", Role.bureau))
    run_id = _run(session, RunStatus.running, parts=3)
    page = client.get(f"/dashboard/monitor/runs/{run_id}").text
    assert "Running the monitor: 1 of 3 parts done" in page
    assert '<progress id="monitor-run-progress" max="3" value="1">' in page
    assert f'hx-get="/dashboard/monitor/runs/{run_id}/panel" hx-trigger="every 2s"' in page
    zh = client.get(f"/dashboard/monitor/runs/{run_id}/panel", headers={**ZH, **HTMX}).text
    assert "正在运行监测：已完成 1 / 3 个分片" in zh and "HX-Redirect" not in zh


def test_a_failed_or_skipped_run_says_why_and_stops_polling(
    client: TestClient, session: Session
) -> None:
    sign_in(client, "li", make_person(session, "li", Role.bureau))
    failed = _run(session, RunStatus.failed, error="RuntimeError: the broker is down")
    panel = client.get(f"/dashboard/monitor/runs/{failed}/panel", headers={**ZH, **HTMX})
    assert "HX-Redirect" not in panel.headers and "hx-trigger" not in panel.text
    assert "监测运行失败，保留之前的结果：RuntimeError: the broker is down" in panel.text
    skipped = _run(session, RunStatus.skipped, error="another run holds the lock")
    page = client.get(f"/dashboard/monitor/runs/{skipped}").text
    assert "Another monitor run was in progress, so this one did not run." in page
    assert "hx-trigger" not in page


def test_a_store_cannot_follow_a_monitor_run(client: TestClient, session: Session) -> None:
    run_id = _run(session, RunStatus.running)
    sign_in(client, "shop", make_person(session, "shop", Role.store, store=make_store(session)))
    assert client.get(f"/dashboard/monitor/runs/{run_id}").status_code == 403
    assert client.get(f"/dashboard/monitor/runs/{run_id}/panel", headers=HTMX).status_code == 403
