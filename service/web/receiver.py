"""The receiver's page: a locked-down compound orders deliveries and follows them.

Orders go through ``dispatch.demand.submit_request`` and the list through
``dispatch.queries.demand.followed_requests``, the same functions as the API's
``/delivery-requests``, so the page and the API refuse the same things.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.orm import Session

from core.access import Principal, require_role
from core.errors import DomainError, Forbidden, InvalidInput
from core.text import Text, field_problem, phrase
from dispatch.demand import ItemInput, submit_request
from dispatch.queries.demand import followed_requests
from masterdata.products import list_products
from models import Compound, RequestPriority, Role
from service.configuration import business_today
from service.http.dependencies import SessionDep
from service.web.common import (
    FormDep,
    PageRoute,
    SettingsDep,
    ViewerDep,
    check_csrf,
    field_errors,
    language_of,
    product_names,
    redirect,
    render,
)
from service.web.forms import form_day, form_number, form_time

router = APIRouter(route_class=PageRoute, include_in_schema=False)

ITEM_ROWS = 8
"""Item rows the order form offers at once (empty ones are left out)."""
LISTED_REQUESTS = 30


@dataclass
class OrderForm:
    """What the receiver typed, to show again beside the problems of a refused order."""

    values: dict[str, str] = field(default_factory=dict)
    items: list[tuple[str, str]] = field(default_factory=list)


def _compound(session: Session, viewer: Principal) -> Compound:
    """The compound the signed-in receiver orders for."""
    require_role(viewer, Role.receiver)
    if viewer.compound_id is None:
        raise Forbidden("this receiver is not bound to a compound")
    return session.get_one(Compound, viewer.compound_id)


def _page(
    request: Request,
    session: Session,
    viewer: Principal,
    *,
    form: OrderForm | None = None,
    status_code: int = 200,
    **context: Any,
) -> HTMLResponse:
    compound = _compound(session, viewer)
    today = business_today(request.app.state.settings)
    language = language_of(request)
    products = list_products(session=session, active=True, limit=1000, offset=0).items
    shown = form or OrderForm(
        values={
            "delivery_date": (today + timedelta(days=1)).isoformat(),
            "priority": RequestPriority.normal.value,
            "window_start": "08:00",
            "window_end": "12:00",
            "note": "",
        }
    )
    items = shown.items + [("", "")] * max(0, ITEM_ROWS - len(shown.items))
    return render(
        request,
        "receiver/home.html",
        {
            "compound": compound,
            "today": today,
            "products": [
                (
                    product.code,
                    (product.name_zh if language == "zh" else None) or product.name,
                    product.unit,
                )
                for product in products
            ],
            "product_names": product_names(session, language),
            "form": shown,
            "items": items,
            "priorities": list(RequestPriority),
            "requests": followed_requests(
                session=session, principal=viewer, compound_id=compound.id, limit=LISTED_REQUESTS
            ),
            **context,
        },
        status_code=status_code,
    )


def _row_label(loc: tuple[str | int, ...]) -> Text:
    """An item row's field as the form's label names it ("quantity 2")."""
    row = int(loc[-2]) + 1
    return (
        phrase("product {row}", row=row)
        if loc[-1] == "product"
        else phrase("quantity {row}", row=row)
    )


def _refuse_half_rows(items: list[tuple[str, str]]) -> None:
    """A row with a product and no quantity, or a quantity and no product, is a 422 naming
    the row's empty field: the order is not sent without the line the receiver meant."""
    problems = [
        field_problem(["body", "items", index, name], "is required")
        for index, (product, quantity) in enumerate(items)
        for name, typed in (("product", product), ("quantity", quantity))
        if not typed
    ]
    if problems:
        raise InvalidInput(
            "{field} is required",
            errors=problems,
            field=_row_label(problems[0].loc),
        )


@router.get("/receiver")
def receiver_home(request: Request, session: SessionDep, viewer: ViewerDep) -> HTMLResponse:
    """The compound's requests and their deliveries, and the form to order more."""
    return _page(request, session, viewer)


@router.post("/receiver/requests", dependencies=[Depends(check_csrf)])
def order(
    request: Request, session: SessionDep, viewer: ViewerDep, settings: SettingsDep, form: FormDep
) -> Response:
    """Order a delivery for the compound; a refused order shows its problems and stores
    nothing."""
    compound = _compound(session, viewer)
    products = [str(product).strip() for product in form.getlist("product")]
    quantities = [str(quantity).strip() for quantity in form.getlist("quantity")]
    rows = max(len(products), len(quantities))
    # The form posts a product and a quantity per row; a row missing one of them (a
    # hand-made post) is kept as typed so the check below names it, never dropped.
    products += [""] * (rows - len(products))
    quantities += [""] * (rows - len(quantities))
    typed = OrderForm(
        values={
            name: str(form.get(name, "")).strip()
            for name in ("delivery_date", "priority", "window_start", "window_end", "note")
        },
        items=[
            (product, quantity)
            for product, quantity in zip(products, quantities, strict=True)
            if product or quantity
        ],
    )
    try:
        priority = typed.values["priority"]
        if priority not in {choice.value for choice in RequestPriority}:
            raise InvalidInput(
                "{field} is not one of the choices",
                errors=[field_problem(["body", "priority"], "not one of the choices")],
                field="priority",
            )
        if not typed.items:
            raise InvalidInput(
                "the request has no items",
                errors=[field_problem(["body", "items"], "order at least one product")],
            )
        _refuse_half_rows(typed.items)
        items = [
            ItemInput(
                product,
                form_number(
                    f"items.{index}.quantity",
                    quantity,
                    label=phrase("quantity {row}", row=index + 1),  # as the form's label
                ),
            )
            for index, (product, quantity) in enumerate(typed.items)
        ]
        created = submit_request(
            session=session,
            principal=viewer,
            compound=compound.code,
            delivery_date=form_day("delivery_date", typed.values["delivery_date"]),
            priority=RequestPriority(priority),
            window_start=form_time("window_start", typed.values["window_start"]),
            window_end=form_time("window_end", typed.values["window_end"]),
            items=items,
            note=typed.values["note"] or None,
            today=business_today(settings),
        )
    except DomainError as error:
        session.rollback()
        return _page(
            request,
            session,
            viewer,
            form=typed,
            problem=error,
            errors=field_errors(error),
            status_code=error.status,
        )
    return redirect(f"/receiver?ordered={created.id}")
