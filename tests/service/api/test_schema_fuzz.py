"""Schemathesis drives every operation of the OpenAPI schema in-process with a valid
admin key: no request may cause a server error or a response that breaks the schema."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)
from sqlalchemy.orm import Session, sessionmaker

from models import Role
from service.app import create_app
from service.settings import Settings
from tests.factories import make_enterprise, make_key, make_product, make_region, make_store

EXAMPLES_PER_OPERATION = 15
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]


@pytest.fixture
def fuzz_state(session_factory: sessionmaker[Session]) -> Iterator[dict[str, Any]]:
    with session_factory() as session:
        region = make_region(session, code="410402")
        chain = make_enterprise(session, code="CH-01")
        make_store(session, code="PDS-0001", region=region, enterprise=chain)
        make_product(session, code="pork")
        headers = make_key(session, Role.admin)
        session.commit()
    yield {"headers": headers}


@pytest.fixture
def api_schema(
    settings: Settings, session_factory: sessionmaker[Session], fuzz_state: dict[str, Any]
) -> Any:
    app = create_app(settings, session_factory=session_factory)
    # Receivers the fuzzer registers are never called over the network.
    app.state.webhook_http_client = httpx.Client(
        transport=httpx.MockTransport(lambda request: httpx.Response(204))
    )
    return schemathesis.openapi.from_asgi("/openapi.json", app)


def test_no_operation_errors_or_breaks_its_schema(
    api_schema: Any, fuzz_state: dict[str, Any]
) -> None:
    # Operations are walked here rather than through schemathesis' pytest plugin, which
    # does not support pytest 9 yet; each gets its own Hypothesis run.
    failures: list[str] = []
    operations = [result.ok() for result in api_schema.get_all_operations()]
    assert len(operations) >= 30
    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(
            max_examples=EXAMPLES_PER_OPERATION,
            deadline=None,
            suppress_health_check=list(HealthCheck),
            derandomize=True,
            database=None,
        )
        def exercise(case: Any) -> None:
            case.call_and_validate(headers=fuzz_state["headers"], checks=CHECKS)

        try:
            exercise()
        except Exception as failure:  # collect all operations' failures, then report
            failures.append(f"{operation.label}: {failure}")
    assert not failures, "\n\n".join(failures)
