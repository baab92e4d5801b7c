"""The supply network's pages for its parties and for everyone: a producer's record,
offers, proposals to answer and orders to ship (/producer); a store's needs, proposals
and orders to receive (/needs); and the public board (/board), which anyone may read and
which shows contacts only to people signed in.

Every read and change is the supply network's function the API calls; a refused form
changes nothing and says why, beside the page it came from.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.orm import Session

from core.access import Principal, require_role
from core.errors import DomainError, Forbidden, InvalidInput
from core.text import field_problem, phrase
from masterdata.products import list_categories, list_products
from masterdata.regions import list_regions
from masterdata.stores import stores_to_report_for
from models import Answer, OrderStatus, PostingStatus, Producer, RegionLevel, Role, ScopeLevel
from service.configuration import board_limits, business_today
from service.http.dependencies import ReplicaSessionDep, SessionDep
from service.http.schemas import DatabaseId
from service.settings import Settings
from service.web.common import (
    PRODUCTS_NAMED,
    OptionalViewerDep,
    PageRoute,
    SettingsDep,
    ViewerDep,
    check_csrf,
    field_errors,
    language_of,
    names_by_code,
    redirect,
    region_names,
    render,
)
from service.web.forms import TypedFields, form_number
from service.web.problems import field_word
from supply_network import orders, postings, registry
from supply_network.queries import deals, restock
from supply_network.queries.deals import ProposalView
from supply_network.queries.postings import list_needs, list_offers, public_board, read_offer
from supply_network.queries.producers import read_producer

router = APIRouter(route_class=PageRoute, include_in_schema=False)
BOARD_REGIONS = 5000
"""Districts the public board's region filter offers."""

LISTED = 50
MAX_TYPED = 400
"""Longer than any field may be: a longer one is refused before it is read, anything
shorter is shown again beside its field with the field's own limit."""
RECORD_LIMITS = {"contact_name": 200, "contact_phone": 64, "address": 300}
"""The longest a producer's contact, phone and address may be (the record's columns)."""
OPEN_ORDERS = [OrderStatus.committed, OrderStatus.shipped]


def _attempt(
    session: Session, action: Callable[[], Any], page: Callable[[DomainError], HTMLResponse]
) -> HTMLResponse | None:
    """Run a form's change; on a refusal roll everything back and show the page with it."""
    try:
        action()
    except DomainError as error:
        session.rollback()
        return page(error)
    return None


def _answered(answer: Answer, proposal: ProposalView) -> str:
    """What the page says after an answer: declined; accepted and now an order (both
    sides agreed); or accepted and waiting for the other side, so the proposal leaving
    the list does not read as lost."""
    if answer is Answer.declined:
        return answer.value
    return "ordered" if proposal.order_id is not None else answer.value


def _producer_code(session: Session, viewer: Principal) -> str:
    """The signed-in producer's code (the page is a producer's own)."""
    require_role(viewer, Role.producer)
    if viewer.producer_id is None:
        raise Forbidden("this page is a producer's: sign in as a producer")
    producer = session.get(Producer, viewer.producer_id)
    assert producer is not None
    return producer.code


def _producer_page(
    request: Request,
    session: Session,
    viewer: Principal,
    settings: Settings,
    *,
    problem: DomainError | None = None,
    done: str | None = None,
    offer_form: dict[str, str] | None = None,
    record_form: dict[str, str] | None = None,
    change_form: dict[str, str] | None = None,
) -> HTMLResponse:
    """The signed-in producer's page, with a refusal to show when a form was refused: the
    refused form keeps what was typed, each problem beside its field."""
    today = business_today(settings)
    code = _producer_code(session, viewer)
    producer = read_producer(session=session, principal=viewer, code=code)
    shipping = deals.list_orders(
        session=session, principal=viewer, status=OPEN_ORDERS, limit=LISTED, offset=0
    )
    # its town, and the district of each buyer it ships to
    regions = [producer.region, *(order.parties.district for order in shipping.items)]
    return render(
        request,
        "supply/producer.html",
        {
            "producer": producer,
            "region_names": region_names(session, regions, language_of(request)),
            "offers": list_offers(
                session=session, principal=viewer, today=today, limit=LISTED, offset=0
            ),
            "awaiting": deals.list_proposals(
                session=session, principal=viewer, awaiting="producer", limit=LISTED, offset=0
            ),
            "orders": shipping,
            "today": today,
            "until": today + timedelta(days=3),
            "problem": problem,
            "errors": field_errors(problem) if problem else {},
            "offer_form": offer_form,
            "record_form": record_form,
            "change_form": change_form,
            "done": done or request.query_params.get("done"),
        },
        status_code=problem.status if problem else 200,
    )


@router.get("/producer")
def producer_home(
    request: Request, session: SessionDep, viewer: ViewerDep, settings: SettingsDep
) -> HTMLResponse:
    """A producer's record, its offers, proposals awaiting its answer, orders to ship."""
    return _producer_page(request, session, viewer, settings)


def _producer_action(
    request: Request,
    session: Session,
    viewer: Principal,
    settings: Settings,
    action: Callable[[], Any],
    done: str,
    *,
    offer_form: dict[str, str] | None = None,
    record_form: dict[str, str] | None = None,
    change_form: dict[str, str] | None = None,
) -> Response:
    """Run a producer's form and go back to its page, or show the page with the refusal
    (and the refused form as it was typed)."""
    refused = _attempt(
        session,
        action,
        lambda error: _producer_page(
            request,
            session,
            viewer,
            settings,
            problem=error,
            offer_form=offer_form,
            record_form=record_form,
            change_form=change_form,
        ),
    )
    return refused or redirect(f"/producer?done={done}")


@router.post("/producer/record", dependencies=[Depends(check_csrf)])
def edit_record(
    request: Request,
    session: SessionDep,
    viewer: ViewerDep,
    settings: SettingsDep,
    contact_name: Annotated[str, Form(max_length=MAX_TYPED)] = "",
    contact_phone: Annotated[str, Form(max_length=MAX_TYPED)] = "",
    address: Annotated[str, Form(max_length=MAX_TYPED)] = "",
) -> Response:
    """A producer changes its contact and address (a field too long is named beside it)."""
    code = _producer_code(session, viewer)
    typed = {"contact_name": contact_name, "contact_phone": contact_phone, "address": address}
    too_long = [
        field_problem(
            ["body", name], phrase("Use at most {max_length} characters", max_length=limit)
        )
        for name, limit in RECORD_LIMITS.items()
        if len(typed[name].strip()) > limit
    ]
    changes = {name: value.strip() or None for name, value in typed.items()}

    def act() -> None:
        """The change the form asks for, once every field fits."""
        if too_long:
            raise InvalidInput(
                "{where}: {problem}",
                errors=too_long,
                where=field_word(too_long[0].loc[-1]),
                problem=too_long[0].text,
            )
        registry.update_producer(
            session=session,
            principal=viewer,
            code=code,
            changes=changes,
            limits=board_limits(settings),
        )

    return _producer_action(request, session, viewer, settings, act, "record", record_form=typed)


@router.post("/producer/offers", dependencies=[Depends(check_csrf)])
def post_offer(
    request: Request,
    session: SessionDep,
    viewer: ViewerDep,
    settings: SettingsDep,
    product: Annotated[str, Form(max_length=MAX_TYPED)] = "",
    quantity: Annotated[str, Form(max_length=MAX_TYPED)] = "",
    price: Annotated[str, Form(max_length=MAX_TYPED)] = "",
    available_from: Annotated[str, Form(max_length=MAX_TYPED)] = "",
    available_to: Annotated[str, Form(max_length=MAX_TYPED)] = "",
    minimum_lot: Annotated[str, Form(max_length=MAX_TYPED)] = "",
) -> Response:
    """A producer puts an offer on the board; a refused offer names every bad field."""
    typed = {
        "product": product,
        "quantity": quantity,
        "price": price,
        "available_from": available_from,
        "available_to": available_to,
        "minimum_lot": minimum_lot,
    }

    def act() -> None:
        """The change the form asks for, its fields read on the way."""
        today = business_today(settings)
        fields = TypedFields()
        quantity_typed = fields.number("quantity", quantity)
        price_typed = fields.number("price", price)
        first = fields.day("available_from", available_from, stand_in=today)
        last = fields.day("available_to", available_to, stand_in=today)
        lot = fields.optional_number("minimum_lot", minimum_lot)
        fields.check(
            lambda: postings.post_offer(
                session=session,
                principal=viewer,
                today=today,
                limits=board_limits(settings),
                product=product.strip(),
                quantity=quantity_typed,
                price=price_typed,
                available_from=first,
                available_to=last,
                minimum_lot=lot,
            )
        )

    return _producer_action(request, session, viewer, settings, act, "offer", offer_form=typed)


@router.post("/producer/offers/{offer_id}/change", dependencies=[Depends(check_csrf)])
def change_offer(
    request: Request,
    offer_id: DatabaseId,
    session: SessionDep,
    viewer: ViewerDep,
    settings: SettingsDep,
    quantity: Annotated[str, Form(max_length=MAX_TYPED)] = "",
    price: Annotated[str, Form(max_length=MAX_TYPED)] = "",
    available_to: Annotated[str, Form(max_length=MAX_TYPED)] = "",
    minimum_lot: Annotated[str, Form(max_length=MAX_TYPED)] = "",
) -> Response:
    """A producer changes an offer on the board (more or less of it, another price, a
    longer or shorter window, a minimum lot), as ``PATCH /api/v1/supply-board/offers``
    does: only what was changed is sent, and a refusal names every bad field."""
    typed = {
        "id": str(offer_id),
        "quantity": quantity,
        "price": price,
        "available_to": available_to,
        "minimum_lot": minimum_lot,
    }

    def act() -> None:
        """The change the form asks for: each field that differs from the offer now."""
        today = business_today(settings)
        offer = read_offer(session=session, principal=viewer, offer_id=offer_id, today=today)
        fields = TypedFields()
        asked: dict[str, Any] = {
            "quantity": fields.number("quantity", quantity),
            "price": fields.number("price", price),
            "available_to": fields.day("available_to", available_to, stand_in=today),
            "minimum_lot": fields.optional_number("minimum_lot", minimum_lot),
        }
        now = {
            "quantity": offer.quantity,
            "price": offer.price,
            "available_to": offer.available_to,
            "minimum_lot": offer.minimum_lot,
        }
        changes = {name: value for name, value in asked.items() if value != now[name]}
        fields.check(
            lambda: postings.update_offer(
                session=session,
                principal=viewer,
                offer_id=offer_id,
                today=today,
                limits=board_limits(settings),
                changes=changes,
            )
        )

    return _producer_action(request, session, viewer, settings, act, "changed", change_form=typed)


@router.post("/producer/offers/{offer_id}/withdraw", dependencies=[Depends(check_csrf)])
def withdraw_offer(
    request: Request,
    offer_id: DatabaseId,
    session: SessionDep,
    viewer: ViewerDep,
    settings: SettingsDep,
) -> Response:
    """A producer takes an offer off the board."""
    return _producer_action(
        request,
        session,
        viewer,
        settings,
        lambda: postings.withdraw_offer(
            session=session, principal=viewer, offer_id=offer_id, today=business_today(settings)
        ),
        "withdrawn",
    )


@router.post("/producer/proposals/{proposal_id}/{answer}", dependencies=[Depends(check_csrf)])
def producer_answer(
    request: Request,
    proposal_id: DatabaseId,
    answer: Answer,
    session: SessionDep,
    viewer: ViewerDep,
    settings: SettingsDep,
) -> Response:
    """A producer accepts or declines a proposal on its offer."""
    answered: list[ProposalView] = []
    response = _producer_action(
        request,
        session,
        viewer,
        settings,
        lambda: answered.append(
            orders.answer_proposal(
                session=session,
                principal=viewer,
                proposal_id=proposal_id,
                answer=answer,
                today=business_today(settings),
                side="producer",
            )
        ),
        answer.value,
    )
    return redirect(f"/producer?done={_answered(answer, answered[0])}") if answered else response


@router.post("/producer/orders/{order_id}/ship", dependencies=[Depends(check_csrf)])
def ship(
    request: Request,
    order_id: DatabaseId,
    session: SessionDep,
    viewer: ViewerDep,
    settings: SettingsDep,
    quantity: Annotated[str, Form(max_length=32)] = "",
) -> Response:
    """A producer marks (part of) an order shipped."""
    return _producer_action(
        request,
        session,
        viewer,
        settings,
        lambda: orders.ship_order(
            session=session,
            principal=viewer,
            order_id=order_id,
            quantity=form_number("quantity", quantity),
        ),
        "shipped",
    )


def _buyer(viewer: Principal) -> None:
    """Refuse anyone but stores (and admins): these pages are a buyer's own."""
    require_role(viewer, Role.store)


def _needs_page(
    request: Request,
    session: Session,
    viewer: Principal,
    settings: Settings,
    *,
    problem: DomainError | None = None,
    need_form: dict[str, str] | None = None,
) -> HTMLResponse:
    """The signed-in store's page, with a refusal to show when a form was refused (a
    refused need keeps what was typed, each problem beside its field)."""
    _buyer(viewer)
    today = business_today(settings)
    try:
        suggestions = restock.list_restock(
            session=session, principal=viewer, level=ScopeLevel.store, limit=10, offset=0
        ).items
    except DomainError:
        suggestions = []
    return render(
        request,
        "supply/needs.html",
        {
            "stores": stores_to_report_for(session=session, principal=viewer),
            "products": list_products(session=session, active=True, limit=500, offset=0).items,
            "needs": list_needs(
                session=session, principal=viewer, today=today, limit=LISTED, offset=0
            ),
            "awaiting": deals.list_proposals(
                session=session, principal=viewer, awaiting="buyer", limit=LISTED, offset=0
            ),
            "orders": deals.list_orders(
                session=session, principal=viewer, status=OPEN_ORDERS, limit=LISTED, offset=0
            ),
            "suggestions": suggestions,
            "today": today,
            "tomorrow": today + timedelta(days=1),
            "problem": problem,
            "errors": field_errors(problem) if problem else {},
            "need_form": need_form,
            "done": request.query_params.get("done"),
            "open_states": (PostingStatus.open, PostingStatus.partly_matched),
        },
        status_code=problem.status if problem else 200,
    )


@router.get("/needs")
def needs_home(
    request: Request, session: SessionDep, viewer: ViewerDep, settings: SettingsDep
) -> HTMLResponse:
    """A store's needs, its restock suggestions, proposals to answer, orders to receive."""
    return _needs_page(request, session, viewer, settings)


def _buyer_action(
    request: Request,
    session: Session,
    viewer: Principal,
    settings: Settings,
    action: Callable[[], Any],
    done: str,
    *,
    need_form: dict[str, str] | None = None,
) -> Response:
    """Run a store's form and go back to its page, or show the page with the refusal
    (and the refused need as it was typed)."""
    _buyer(viewer)
    refused = _attempt(
        session,
        action,
        lambda error: _needs_page(
            request, session, viewer, settings, problem=error, need_form=need_form
        ),
    )
    return refused or redirect(f"/needs?done={done}")


@router.post("/needs", dependencies=[Depends(check_csrf)])
def post_need(
    request: Request,
    session: SessionDep,
    viewer: ViewerDep,
    settings: SettingsDep,
    store: Annotated[str, Form(max_length=64)] = "",
    product: Annotated[str, Form(max_length=64)] = "",
    quantity: Annotated[str, Form(max_length=32)] = "",
    max_price: Annotated[str, Form(max_length=32)] = "",
    needed_by: Annotated[str, Form(max_length=10)] = "",
) -> Response:
    """A store puts a need on the board for one of its stores; a refused need names every
    bad field beside it."""
    typed = {
        "store": store,
        "product": product,
        "quantity": quantity,
        "max_price": max_price,
        "needed_by": needed_by,
    }

    def act() -> None:
        """The change the form asks for, its fields read on the way."""
        today = business_today(settings)
        fields = TypedFields()
        quantity_typed = fields.number("quantity", quantity)
        price_typed = fields.number("max_price", max_price)
        day = fields.day("needed_by", needed_by, stand_in=today + timedelta(days=1))
        fields.check(
            lambda: postings.post_need(
                session=session,
                principal=viewer,
                today=today,
                limits=board_limits(settings),
                store=store.strip() or None,
                product=product.strip(),
                quantity=quantity_typed,
                max_price=price_typed,
                needed_by=day,
            )
        )

    return _buyer_action(request, session, viewer, settings, act, "need", need_form=typed)


@router.post("/needs/restock/{store}/{product}", dependencies=[Depends(check_csrf)])
def post_restock_need(
    request: Request,
    store: str,
    product: str,
    session: SessionDep,
    viewer: ViewerDep,
    settings: SettingsDep,
) -> Response:
    """A store posts the need its restock suggestion calls for."""
    return _buyer_action(
        request,
        session,
        viewer,
        settings,
        lambda: postings.post_need_for_restock(
            session=session,
            principal=viewer,
            today=business_today(settings),
            limits=board_limits(settings),
            level=ScopeLevel.store,
            scope=store,
            product=product,
        ),
        "need",
    )


@router.post("/needs/{need_id}/withdraw", dependencies=[Depends(check_csrf)])
def withdraw_need(
    request: Request,
    need_id: DatabaseId,
    session: SessionDep,
    viewer: ViewerDep,
    settings: SettingsDep,
) -> Response:
    """A store takes a need off the board."""
    return _buyer_action(
        request,
        session,
        viewer,
        settings,
        lambda: postings.withdraw_need(
            session=session, principal=viewer, need_id=need_id, today=business_today(settings)
        ),
        "withdrawn",
    )


@router.post("/needs/proposals/{proposal_id}/{answer}", dependencies=[Depends(check_csrf)])
def buyer_answer(
    request: Request,
    proposal_id: DatabaseId,
    answer: Answer,
    session: SessionDep,
    viewer: ViewerDep,
    settings: SettingsDep,
) -> Response:
    """A store accepts or declines a proposal for its need."""
    answered: list[ProposalView] = []
    response = _buyer_action(
        request,
        session,
        viewer,
        settings,
        lambda: answered.append(
            orders.answer_proposal(
                session=session,
                principal=viewer,
                proposal_id=proposal_id,
                answer=answer,
                today=business_today(settings),
                side="buyer",
            )
        ),
        answer.value,
    )
    return redirect(f"/needs?done={_answered(answer, answered[0])}") if answered else response


@router.post("/needs/orders/{order_id}/receive", dependencies=[Depends(check_csrf)])
def receive(
    request: Request,
    order_id: DatabaseId,
    session: SessionDep,
    viewer: ViewerDep,
    settings: SettingsDep,
    quantity: Annotated[str, Form(max_length=32)] = "",
) -> Response:
    """A store marks (part of) an order received."""
    return _buyer_action(
        request,
        session,
        viewer,
        settings,
        lambda: orders.receive_order(
            session=session,
            principal=viewer,
            order_id=order_id,
            quantity=form_number("quantity", quantity),
        ),
        "received",
    )


@router.get("/board")
def board(
    request: Request,
    session: ReplicaSessionDep,
    settings: SettingsDep,
    viewer: OptionalViewerDep,
    product: str | None = None,
    category: str | None = None,
    region: str | None = None,
) -> HTMLResponse:
    """The open board by product, as the bureau publishes it; contacts when signed in."""
    found = public_board(
        session=session,
        today=business_today(settings),
        signed_in=viewer is not None,
        product=product or None,
        category=category or None,
        region=region or None,
        principal=viewer,
    )
    filters = {"product": product or "", "category": category or "", "region": region or ""}
    language = language_of(request)
    shown = region_names(
        session,
        [
            *(offer.region for line in found.products for offer in line.offers),
            *(need.district for line in found.products for need in line.needs),
        ],
        language,
    )
    districts = list_regions(
        session=session,
        principal=viewer,  # a region-bound bureau chooses among its own districts
        level=RegionLevel.district,
        active=True,
        limit=BOARD_REGIONS,
        offset=0,
    ).items
    return render(
        request,
        "supply/public_board.html",
        {
            "board": found,
            "filters": filters,
            "region_names": shown,
            "product_choices": names_by_code(
                list_products(session=session, active=True, limit=PRODUCTS_NAMED, offset=0).items,
                language,
            ),
            "category_choices": names_by_code(list_categories(session=session), language),
            "region_choices": names_by_code(districts, language),
        },
    )
