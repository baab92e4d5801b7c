"""Schemathesis walks the API statefully: it follows the links between operations
(create → read → update → delete, inferred from the schema), feeding each step what the
previous ones returned, and takes every step as the next of five roles in turn (admin,
bureau, a store, a dispatcher, a producer). Whatever the sequence: no server error, and
no role ever gets a success that shows or touches what lies outside its scope (the store
never sees the other store, the producer never sees the other producer)."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, Phase
from hypothesis import settings as hypothesis_settings
from sqlalchemy.orm import Session, sessionmaker

from models import Role
from service.app import create_app
from service.settings import Settings
from tests.factories import make_enterprise, make_key, make_product, make_region, make_store
from tests.supply_network.factories import make_producer

SEQUENCES = 30
STEPS_PER_SEQUENCE = 8
OWN_STORE, OTHER_STORE = "PDS-0001", "PDS-0002"
OWN_PRODUCER, OTHER_PRODUCER = "FARM-0001", "FARM-0002"
OUT_OF_SCOPE = {Role.store: OTHER_STORE, Role.producer: OTHER_PRODUCER}
"""What each bound role must never receive in a successful answer."""


@pytest.fixture
def role_headers(session_factory: sessionmaker[Session]) -> dict[Role, dict[str, str]]:
    """Two districts' worth of scope: each bound role's own store or producer, and another
    one it must never reach."""
    with session_factory() as session:
        district = make_region(session, code="410402")
        pork = make_product(session, code="pork")
        own_chain = make_enterprise(session, code="CH-01")
        other_chain = make_enterprise(session, code="CH-02")
        own_store = make_store(session, code=OWN_STORE, region=district, enterprise=own_chain)
        make_store(session, code=OTHER_STORE, region=district, enterprise=other_chain)
        own_farm = make_producer(session, code=OWN_PRODUCER, region=district)
        make_producer(session, code=OTHER_PRODUCER, region=district)
        assert pork.id
        headers = {
            Role.admin: make_key(session, Role.admin),
            Role.bureau: make_key(session, Role.bureau),
            Role.store: make_key(session, Role.store, store=own_store),
            Role.dispatcher: make_key(session, Role.dispatcher),
            Role.producer: make_key(session, Role.producer, producer=own_farm),
        }
        session.commit()
    return headers


@pytest.fixture
def api_schema(settings: Settings, session_factory: sessionmaker[Session]) -> Iterator[Any]:
    app = create_app(settings, session_factory=session_factory)
    # Receivers registered on the way are never called over the network.
    with httpx.Client(transport=httpx.MockTransport(lambda _: httpx.Response(204))) as receivers:
        app.state.webhook_http_client = receivers
        yield schemathesis.openapi.from_asgi("/openapi.json", app)


def test_linked_sequences_across_roles_never_fail_or_cross_a_scope(
    api_schema: Any, role_headers: dict[Role, dict[str, str]]
) -> None:
    violations: list[str] = []

    class Workflow(api_schema.as_state_machine()):  # type: ignore[misc]
        """Each step is sent with the next role's key; every answer is checked."""

        def setup(self) -> None:
            self.roles = itertools.cycle(list(role_headers))
            self.role = Role.admin

        def get_call_kwargs(self, case: Any) -> dict[str, Any]:
            self.role = next(self.roles)
            return {"headers": role_headers[self.role]}

        def validate_response(self, response: Any, case: Any, *args: Any, **kwargs: Any) -> None:
            label = f"{self.role} {case.method} {case.formatted_path} {case.path_parameters}"
            assert response.status_code < 500, f"{label}: {response.status_code}"
            forbidden = OUT_OF_SCOPE.get(self.role)
            if forbidden and 200 <= response.status_code < 300 and forbidden in response.text:
                violations.append(f"{label}: {response.status_code} shows {forbidden}")

    Workflow.run(
        settings=hypothesis_settings(
            max_examples=SEQUENCES,
            stateful_step_count=STEPS_PER_SEQUENCE,
            deadline=None,
            suppress_health_check=list(HealthCheck),
            derandomize=True,
            database=None,
            # The database keeps what earlier sequences wrote, so a replay is not exact:
            # report the failing sequence as found rather than shrink it.
            phases=[Phase.explicit, Phase.generate],
        )
    )
    assert not violations, "\n".join(violations)
