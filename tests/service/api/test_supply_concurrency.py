"""No offer is ever committed beyond its quantity, even when buyers accept at the same
moment: parallel HTTP requests against a real server on PostgreSQL (its own database,
committed rows, a connection per request)."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from dataclasses import dataclass

import httpx
import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from core.database import create_database_engine, create_session_factory, session_scope
from models import Answer, Proposal, Role, SupplyNeed, SupplyOffer, SupplyOrder
from models.base import utc_now
from service.migrate import upgrade_to_head
from service.settings import Settings
from tests.conftest import PostgresDatabases
from tests.factories import make_key, make_product, make_store
from tests.servers import running_server, send_at_once
from tests.supply_network.factories import (
    make_district,
    make_need,
    make_offer,
    make_producer,
    make_proposal,
)

pytestmark = pytest.mark.postgres

BUYERS = 12
OFFERED = 100.0
ASKED = 20.0


@dataclass(frozen=True)
class Race:
    """A server over a board where twelve buyers hold proposals of 20 on one offer of 100,
    each already accepted by the producer."""

    url: str
    database_url: str
    offer_id: int
    proposals: list[tuple[int, dict[str, str]]]
    single_offer_id: int
    single: tuple[int, dict[str, str]]


@pytest.fixture(scope="module")
def race(postgres_databases: PostgresDatabases) -> Iterator[Race]:
    url = postgres_databases.create("race")
    upgrade_to_head(url)
    engine = create_database_engine(url)
    factory = create_session_factory(engine)
    with session_scope(factory) as session:
        cabbage = make_product(session, code="cabbage", category="vegetables")
        district = make_district(session, code="410403")
        farm = make_producer(session, capacities={"cabbage": 5000})
        offer = make_offer(session, producer=farm, product=cabbage, quantity=OFFERED)
        proposals = []
        for number in range(BUYERS):
            store = make_store(session, code=f"PDS-{number:04d}", region=district)
            need = make_need(
                session, product=cabbage, store=store, district=district, quantity=ASKED
            )
            proposal = make_proposal(session, offer=offer, need=need, quantity=ASKED)
            proposal.producer_answer = Answer.accepted
            proposal.producer_answered_at = utc_now()
            proposals.append((proposal.id, make_key(session, Role.store, store=store)))
        offer_id = offer.id
        single_offer = make_offer(session, producer=farm, product=cabbage, quantity=OFFERED)
        store = make_store(session, code="PDS-SOLO", region=district)
        need = make_need(session, product=cabbage, store=store, district=district, quantity=ASKED)
        single = make_proposal(session, offer=single_offer, need=need, quantity=ASKED)
        single.producer_answer = Answer.accepted
        single_key = (single.id, make_key(session, Role.store, store=store))
        single_offer_id = single_offer.id
    engine.dispose()
    settings = Settings(database_url=url, log_json=False, log_level="WARNING")
    with running_server(settings) as server_url:
        yield Race(server_url, url, offer_id, proposals, single_offer_id, single_key)


def _all_at_once(requests: list[tuple[str, dict[str, str]]]) -> list[httpx.Response]:
    """POST every (url, headers) from its own thread, released together by a barrier."""
    return send_at_once([("POST", url, headers, None) for url, headers in requests])


def _committed(database_url: str, offer_id: int) -> tuple[float, float, int]:
    engine = create_database_engine(database_url)
    with Session(engine) as session:
        offer = session.get(SupplyOffer, offer_id)
        assert offer is not None
        ordered = session.scalar(
            select(func.coalesce(func.sum(SupplyOrder.quantity), 0.0)).where(
                SupplyOrder.offer_id == offer_id
            )
        )
        orders = session.scalar(
            select(func.count()).select_from(SupplyOrder).where(SupplyOrder.offer_id == offer_id)
        )
        needs_over = session.scalar(
            select(func.count())
            .select_from(SupplyNeed)
            .where(SupplyNeed.committed_quantity > SupplyNeed.quantity)
        )
        assert needs_over == 0
    engine.dispose()
    return offer.committed_quantity, float(ordered or 0.0), int(orders or 0)


def test_twelve_buyers_accepting_at_once_never_overcommit_the_offer(race: Race) -> None:
    responses = _all_at_once(
        [
            (f"{race.url}/api/v1/proposals/{proposal_id}/accept", headers)
            for proposal_id, headers in race.proposals
        ]
    )
    statuses = sorted(response.status_code for response in responses)
    fits = int(OFFERED // ASKED)
    assert statuses == [200] * fits + [409] * (BUYERS - fits), [r.text for r in responses]
    for response in responses:
        if response.status_code == 409:
            assert response.headers["content-type"] == "application/problem+json"
            assert "left" in response.json()["detail"]
    committed, ordered, orders = _committed(race.database_url, race.offer_id)
    assert (committed, ordered, orders) == (OFFERED, OFFERED, fits)
    engine = create_database_engine(race.database_url)
    with Session(engine) as session:
        refused = [
            proposal_id
            for (proposal_id, _), response in zip(race.proposals, responses, strict=True)
            if response.status_code == 409
        ]
        unanswered = session.scalars(
            select(Proposal.buyer_answer).where(Proposal.id.in_(refused))
        ).all()
    engine.dispose()
    assert unanswered == [None] * len(refused)


def test_one_proposal_accepted_by_its_buyer_eight_times_at_once_is_one_order(race: Race) -> None:
    proposal_id, headers = race.single
    responses = _all_at_once([(f"{race.url}/api/v1/proposals/{proposal_id}/accept", headers)] * 8)
    assert sorted(response.status_code for response in responses) == [200] + [409] * 7
    committed, ordered, _ = _committed(race.database_url, race.single_offer_id)
    assert committed == ordered == ASKED


SHRINK_ROUNDS = 30


@dataclass(frozen=True)
class OfferRace:
    """A server over offers of 100, each with a proposal of all of it that one side has
    accepted: ``cuts`` and ``offer_withdrawals`` wait for their buyer (the producer will
    cut or withdraw the offer as the buyer accepts), ``need_withdrawals`` for their
    producer (the buyer will withdraw the need as the producer accepts). Each round is
    (offer id, proposal id, need id, buyer's key)."""

    url: str
    database_url: str
    producer: dict[str, str]
    cuts: list[tuple[int, int, int, dict[str, str]]]
    offer_withdrawals: list[tuple[int, int, int, dict[str, str]]]
    need_withdrawals: list[tuple[int, int, int, dict[str, str]]]


@pytest.fixture(scope="module")
def offer_race(postgres_databases: PostgresDatabases) -> Iterator[OfferRace]:
    url = postgres_databases.create("offer_race")
    upgrade_to_head(url)
    engine = create_database_engine(url)
    stores = itertools.count()
    with session_scope(create_session_factory(engine)) as session:
        cabbage = make_product(session, code="cabbage", category="vegetables")
        district = make_district(session, code="410403")
        farm = make_producer(session, capacities={"cabbage": 5000})
        producer = make_key(session, Role.producer, producer=farm)

        def rounds(first_side: str) -> list[tuple[int, int, int, dict[str, str]]]:
            made = []
            for _ in range(SHRINK_ROUNDS):
                offer = make_offer(session, producer=farm, product=cabbage, quantity=OFFERED)
                store = make_store(session, code=f"PDS-{next(stores):04d}", region=district)
                need = make_need(
                    session, product=cabbage, store=store, district=district, quantity=OFFERED
                )
                proposal = make_proposal(session, offer=offer, need=need, quantity=OFFERED)
                if first_side == "producer":
                    proposal.producer_answer = Answer.accepted
                    proposal.producer_answered_at = utc_now()
                else:
                    proposal.buyer_answer = Answer.accepted
                    proposal.buyer_answered_at = utc_now()
                buyer = make_key(session, Role.store, store=store)
                made.append((offer.id, proposal.id, need.id, buyer))
            return made

        cuts, offer_withdrawals = rounds("producer"), rounds("producer")
        need_withdrawals = rounds("buyer")
    engine.dispose()
    settings = Settings(database_url=url, log_json=False, log_level="WARNING")
    with running_server(settings) as server_url:
        yield OfferRace(server_url, url, producer, cuts, offer_withdrawals, need_withdrawals)


def test_a_producer_cutting_its_offer_while_the_buyer_accepts_gets_a_refusal_never_a_500(
    offer_race: OfferRace,
) -> None:
    """Sent one after the other, either the cut comes first and the acceptance is a 409
    (the offer no longer holds the proposal), or the acceptance comes first and the cut is
    a 422 (below what is committed). At the same moment, the cut used to read the offer
    before the acceptance committed and then write under it: a CHECK violation, a 500."""
    for number, (offer_id, proposal_id, _, buyer) in enumerate(offer_race.cuts):
        accepted, cut = send_at_once(
            [
                ("POST", f"{offer_race.url}/api/v1/proposals/{proposal_id}/accept", buyer, None),
                (
                    "PATCH",
                    f"{offer_race.url}/api/v1/offers/{offer_id}",
                    offer_race.producer,
                    {"quantity": 50},
                ),
            ],
            delays=[0.0, number * 0.003],  # the cut a little later each round: the window
        )
        pair = (accepted.status_code, cut.status_code)
        assert pair in {(200, 422), (409, 200)}, (accepted.text, cut.text)
        if cut.status_code == 422:
            assert cut.json()["errors"][0]["loc"] == ["body", "quantity"]
    engine = create_database_engine(offer_race.database_url)
    with Session(engine) as session:
        offers = session.scalars(
            select(SupplyOffer).where(
                SupplyOffer.id.in_([offer_id for offer_id, _, _, _ in offer_race.cuts])
            )
        ).all()
    engine.dispose()
    assert all(offer.committed_quantity in (0.0, offer.quantity) for offer in offers)


def test_a_posting_withdrawn_while_the_other_side_accepts_is_one_or_the_other_never_a_500(
    offer_race: OfferRace,
) -> None:
    """The producer withdraws its offer as the buyer gives the second acceptance (or the
    buyer its need as the producer does). One after the other, either the order is agreed
    and the posting then withdrawn (what is committed stays), or the posting goes first
    and the acceptance is a 409. At the same moment, the withdrawal locked the posting and
    then its proposals while the acceptance locked them the other way round: PostgreSQL
    broke the deadlock by failing one request with a 500."""
    races = [
        (offer_race.offer_withdrawals, "offers", 0, None),
        (offer_race.need_withdrawals, "needs", 2, "producer"),
    ]
    for rounds, kind, posting, accepting in races:
        for number, row in enumerate(rounds):
            proposal_id, buyer = row[1], row[3]
            accepter = offer_race.producer if accepting == "producer" else buyer
            withdrawer = buyer if accepting == "producer" else offer_race.producer
            accepted, withdrawn = send_at_once(
                [
                    (
                        "POST",
                        f"{offer_race.url}/api/v1/proposals/{proposal_id}/accept",
                        accepter,
                        None,
                    ),
                    (
                        "POST",
                        f"{offer_race.url}/api/v1/{kind}/{row[posting]}/withdraw",
                        withdrawer,
                        None,
                    ),
                ],
                delays=[0.0, (number % 15) * 0.002],
            )
            pair = (accepted.status_code, withdrawn.status_code)
            assert pair in {(200, 200), (409, 200)}, (accepted.text, withdrawn.text)
            if accepted.status_code == 409:
                assert accepted.headers["content-type"] == "application/problem+json"
