"""Admin pages: stores, products, users and API keys, and the low-supply thresholds.

Each form is checked by the request model the API checks its body with
(``service.http.master_data``) and saved by the same domain function, so a store made
here obeys exactly the rules of ``POST /api/v1/stores``; problems are shown beside
their fields.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import HTMLResponse, Response
from pydantic import BaseModel, ValidationError
from sqlalchemy.orm import Session

from accounts import keys, users
from accounts.authentication import PERSONAL_ROLES
from core.access import Principal, require_role
from core.errors import DomainError, NotFound
from core.text import N_, Text
from masterdata import products, regions, stores
from models import Role, StoreKind
from models.base import utc_now
from monitors.alerting.rule_settings import (
    delete_threshold_override,
    effective_thresholds,
    load_alert_rules,
    set_threshold_override,
)
from service.http.dependencies import SessionDep
from service.http.master_data import (
    KeyCreate,
    ProductCreate,
    StoreCreate,
    StoreUpdate,
    UserCreate,
)
from service.http.schemas import MAX_DATABASE_ID
from service.http.units import unit_words
from service.web.common import (
    FormDep,
    PageRoute,
    ViewerDep,
    check_csrf,
    field_errors,
    language_of,
    names_by_code,
    redirect,
    render,
)
from service.web.form_wording import plain_problem
from service.web.problems import field_problems

router = APIRouter(route_class=PageRoute, include_in_schema=False)

LISTED = 500
"""Rows an admin list shows (the first ones by code)."""
MAX_REGIONS = 5000
"""Regions a region list offers (every one of a city, by code)."""
LOW_SUPPLY_FIELDS = ("low_supply_warning_days", "low_supply_critical_days")


@dataclass(frozen=True)
class Field:
    """One input of a create form."""

    name: str
    label: str
    kind: str = "text"
    options: tuple[StrEnum, ...] = ()
    required: bool = False


@dataclass(frozen=True)
class Section:
    """A master-data list with its create form: the shared request model the form is
    checked with, and the domain functions that create (returning a secret to show
    once, if any), list (names in the reader's language) and deactivate its rows;
    ``words`` are the columns holding a stored value (a role, a store kind) as its enum
    member, which the page shows in words; ``named_by`` are the columns of a row's English
    and Chinese names, by which the deactivation's confirmation names it (else its code)."""

    title: str
    create_title: str
    fields: tuple[Field, ...]
    model: type[BaseModel]
    create: Callable[[Session, Principal, Any], str | None]
    columns: tuple[str, ...]
    rows: Callable[[Session, Principal, str | None, str], list[list[Any]]]
    deactivate: Callable[[Session, Principal, str], object]
    searchable: bool = False
    words: tuple[int, ...] = ()
    named_by: tuple[int, int] | None = None


def _store_rows(
    session: Session, viewer: Principal, search: str | None, language: str
) -> list[list[Any]]:
    """The stores by code, or those whose code or name contains ``search``."""
    found = stores.list_stores(
        session=session, principal=viewer, contains=search, limit=LISTED, offset=0
    )
    # a store's region by its name, its code beside it (the column showed "410402004" only)
    named = names_by_code(
        regions.list_regions(session=session, limit=MAX_REGIONS, offset=0).items, language
    )
    return [
        [
            s.code,
            s.name,
            s.kind,
            f"{named[s.region]} ({s.region})" if s.region in named else s.region,
            s.enterprise or "",
            s.active,
        ]
        for s in found.items
    ]


def _create_store(session: Session, viewer: Principal, body: StoreCreate) -> None:
    stores.create_store(session=session, principal=viewer, **body.model_dump())


def _deactivate_store(session: Session, viewer: Principal, code: str) -> None:
    stores.deactivate_store(session=session, principal=viewer, code=code)


def _product_rows(
    session: Session, viewer: Principal, search: str | None, language: str
) -> list[list[Any]]:
    """The products by code, each with its category's name and its unit as the reader
    calls it in ``language`` (千克 in Chinese, not kg)."""
    found = products.list_products(session=session, limit=LISTED, offset=0)
    categories = names_by_code(products.list_categories(session=session), language)
    unit_name = unit_words(session, language)
    return [
        [
            p.code,
            p.name,
            p.name_zh or "",
            categories.get(p.category, p.category),
            unit_name(p.unit),
            p.active,
        ]
        for p in found.items
    ]


def _create_product(session: Session, viewer: Principal, body: ProductCreate) -> None:
    products.create_product(session=session, principal=viewer, **body.model_dump())


def _deactivate_product(session: Session, viewer: Principal, code: str) -> None:
    products.deactivate_product(session=session, principal=viewer, code=code)


def _user_rows(
    session: Session, viewer: Principal, search: str | None, language: str
) -> list[list[Any]]:
    found = users.list_users(session=session, principal=viewer, limit=LISTED, offset=0)
    return [
        [u.username, u.full_name or "", u.role, u.store or u.enterprise or "", u.active]
        for u in found.items
    ]


def _create_user(session: Session, viewer: Principal, body: UserCreate) -> None:
    users.add_user(session=session, principal=viewer, **body.model_dump())


def _deactivate_user(session: Session, viewer: Principal, username: str) -> None:
    users.deactivate_user(session=session, principal=viewer, username=username)


def _locked_users(session: Session, viewer: Principal) -> set[str]:
    """Usernames whose account is locked now: the users page offers to unlock them."""
    found = users.list_users(session=session, principal=viewer, limit=LISTED, offset=0)
    now = utc_now()
    return {u.username for u in found.items if u.locked_until and u.locked_until > now}


def _key_rows(
    session: Session, viewer: Principal, search: str | None, language: str
) -> list[list[Any]]:
    found = keys.list_keys(session=session, principal=viewer, limit=LISTED, offset=0)
    return [
        [k.id, k.name, k.prefix, k.role, k.store or k.enterprise or "", k.active]
        for k in found.items
    ]


def _create_key(session: Session, viewer: Principal, body: KeyCreate) -> str:
    return keys.issue_key(session=session, principal=viewer, **body.model_dump()).secret


def _revoke_key(session: Session, viewer: Principal, key_id: str) -> None:
    # "²".isdigit() too, which int() cannot read; an id past the column's range is a
    # database error on PostgreSQL, so it is not found like any other unknown id.
    if key_id.isascii() and key_id.isdigit():
        if int(key_id) > MAX_DATABASE_ID:
            raise NotFound("API key {key_id} not found", key_id=key_id)
        keys.revoke_key(session=session, principal=viewer, key_id=int(key_id))


ROLES = tuple(Role)
KEY_ROLES = tuple(role for role in Role if role not in PERSONAL_ROLES)
"""The roles a key may have: a service officer or working-group member signs in."""
SECTIONS: dict[str, Section] = {
    "stores": Section(
        N_("Stores"),
        N_("Add a store"),
        (
            Field("code", N_("Code"), required=True),
            Field("name", N_("Name"), required=True),
            Field("kind", N_("Kind"), "select", tuple(StoreKind)),
            Field("region", N_("Region"), "region", required=True),
            Field("enterprise", N_("Enterprise")),
            Field("latitude", N_("Latitude"), "number"),
            Field("longitude", N_("Longitude"), "number"),
        ),
        StoreCreate,
        _create_store,
        (N_("Code"), N_("Name"), N_("Kind"), N_("Region"), N_("Enterprise"), N_("Active")),
        _store_rows,
        _deactivate_store,
        searchable=True,
        words=(2,),
    ),
    "products": Section(
        N_("Products"),
        N_("Add a product"),
        (
            Field("code", N_("Code"), required=True),
            Field("name", N_("Name"), required=True),
            Field("name_zh", N_("Chinese name")),
            Field("category", N_("Category"), "category", required=True),
            Field("unit", N_("Unit"), required=True),
            Field("kg_per_unit", N_("Kilograms per unit"), "number", required=True),
        ),
        ProductCreate,
        _create_product,
        (N_("Code"), N_("Name"), N_("Chinese name"), N_("Category"), N_("Unit"), N_("Active")),
        _product_rows,
        _deactivate_product,
        named_by=(1, 2),
    ),
    "users": Section(
        N_("Users"),
        N_("Add a user"),
        (
            Field("username", N_("Username"), required=True),
            Field("password", N_("Password"), "password", required=True),
            Field("role", N_("Role"), "select", ROLES),
            Field("full_name", N_("Full name")),
            Field("store", N_("Bound to store")),
            Field("enterprise", N_("Bound to enterprise")),
            Field("region", N_("Bound to region"), "region"),
        ),
        UserCreate,
        _create_user,
        (N_("Username"), N_("Full name"), N_("Role"), N_("Store"), N_("Active")),
        _user_rows,
        _deactivate_user,
        words=(2,),
    ),
    "keys": Section(
        N_("API keys"),
        N_("Create a key"),
        (
            Field("name", N_("Name"), required=True),
            Field("role", N_("Role"), "select", KEY_ROLES),
            Field("store", N_("Bound to store")),
            Field("enterprise", N_("Bound to enterprise")),
            Field("region", N_("Bound to region"), "region"),
        ),
        KeyCreate,
        _create_key,
        (N_("Code"), N_("Name"), N_("Prefix"), N_("Role"), N_("Store"), N_("Active")),
        _key_rows,
        _revoke_key,
        words=(3,),
    ),
}


def _admin(viewer: Principal) -> None:
    require_role(viewer)


def _regions(session: Session, viewer: Principal) -> list[regions.RegionView]:
    """The active regions a store may sit in (inside the viewer's region), for a list to
    choose from, not a code to type."""
    return regions.list_regions(
        session=session, principal=viewer, active=True, limit=MAX_REGIONS, offset=0
    ).items


def _section_page(
    request: Request,
    session: Session,
    viewer: Principal,
    name: str,
    *,
    values: dict[str, str] | None = None,
    errors: dict[str, Text] | None = None,
    problem: DomainError | None = None,
    status_code: int = 200,
    search: str = "",
    **context: Any,
) -> HTMLResponse:
    section = SECTIONS[name]
    return render(
        request,
        "admin/section.html",
        {
            "sections": SECTIONS,
            "name": name,
            "section": section,
            "rows": section.rows(session, viewer, search or None, language_of(request)),
            "search": search,
            "regions": _regions(session, viewer) if name in ("stores", "users", "keys") else [],
            "categories": list(
                names_by_code(
                    products.list_categories(session=session), language_of(request)
                ).items()
            )
            if name == "products"
            else [],
            "values": values or {},
            "errors": errors or {},
            "problem": problem,
            "locked": _locked_users(session, viewer) if name == "users" else set(),
            **context,
        },
        status_code=status_code,
    )


@router.get("/admin")
def admin_home(viewer: ViewerDep) -> Response:
    _admin(viewer)
    return redirect("/admin/stores")


@router.get("/admin/thresholds")
def thresholds(request: Request, session: SessionDep, viewer: ViewerDep) -> HTMLResponse:
    """Every category's low-supply thresholds (defaults with overrides applied)."""
    _admin(viewer)
    return _thresholds_page(request, session)


def _thresholds_page(
    request: Request,
    session: Session,
    *,
    refused: str | None = None,
    typed: dict[str, str] | None = None,
    problem: DomainError | None = None,
) -> HTMLResponse:
    """The thresholds table; a refused category's row keeps what was typed, each problem
    beside its field."""
    config = load_alert_rules(session)
    categories = products.list_categories(session=session)
    by_category, _, _ = effective_thresholds(
        categories=config.categories,
        products={},
        product_categories={},
        known_categories=[category.code for category in categories],
    )
    return render(
        request,
        "admin/thresholds.html",
        {
            "sections": SECTIONS,
            "name": "thresholds",
            "category_names": names_by_code(categories, language_of(request)),
            "thresholds": by_category,
            "overrides": config.categories,
            "fields": LOW_SUPPLY_FIELDS,
            "refused": refused,
            "typed": typed or {},
            "errors": field_errors(problem) if problem else {},
            "problem": problem,
        },
        status_code=problem.status if problem else 200,
    )


@router.post("/admin/thresholds/{category}", dependencies=[Depends(check_csrf)])
def set_thresholds(
    request: Request,
    category: str,
    session: SessionDep,
    viewer: ViewerDep,
    low_supply_warning_days: Annotated[str, Form(max_length=64)] = "",
    low_supply_critical_days: Annotated[str, Form(max_length=64)] = "",
) -> Response:
    """Set a category's low-supply override; both fields empty removes it. A refused one
    is the table again, the category's row as typed with every problem beside it."""
    _admin(viewer)
    posted = {
        "low_supply_warning_days": low_supply_warning_days,
        "low_supply_critical_days": low_supply_critical_days,
    }
    changes: dict[str, Any] = dict(load_alert_rules(session).categories.get(category, {}))
    for field in LOW_SUPPLY_FIELDS:
        text = posted[field].strip()
        changes.pop(field, None)
        if text:
            try:
                changes[field] = float(text)
            except ValueError:
                changes[field] = text  # the domain check names it
    try:
        if changes:
            set_threshold_override(
                session, scope="category", code=category, changes=changes, principal=viewer
            )
        elif category in load_alert_rules(session).categories:
            delete_threshold_override(session, scope="category", code=category, principal=viewer)
    except DomainError as error:
        session.rollback()
        return _thresholds_page(request, session, refused=category, typed=posted, problem=error)
    return redirect("/admin/thresholds?saved=1")


STORE_EDIT_FIELDS = tuple(field for field in SECTIONS["stores"].fields if field.name != "code") + (
    Field("address", N_("Address")),
)


def _store_edit_page(
    request: Request,
    session: Session,
    viewer: Principal,
    code: str,
    values: dict[str, str],
    *,
    errors: dict[str, Text] | None = None,
    problem: DomainError | None = None,
    status_code: int = 200,
    saved: bool = False,
) -> HTMLResponse:
    return render(
        request,
        "admin/store_edit.html",
        {
            "sections": SECTIONS,
            "name": "stores",
            "code": code,
            "fields": STORE_EDIT_FIELDS,
            "regions": _regions(session, viewer),
            "values": values,
            "errors": errors or {},
            "problem": problem,
            "saved": saved,
        },
        status_code=status_code,
    )


@router.get("/admin/stores/{code}/edit")
def edit_store(request: Request, code: str, session: SessionDep, viewer: ViewerDep) -> Response:
    """An existing store's form, filled with what is stored."""
    _admin(viewer)
    store = stores.read_store(session=session, principal=viewer, code=code)
    values = {
        field.name: "" if getattr(store, field.name) is None else str(getattr(store, field.name))
        for field in STORE_EDIT_FIELDS
    }
    values["kind"] = store.kind.value
    return _store_edit_page(request, session, viewer, code, values)


@router.post("/admin/stores/{code}/edit", dependencies=[Depends(check_csrf)])
def save_store(
    request: Request, code: str, session: SessionDep, viewer: ViewerDep, form: FormDep
) -> Response:
    """Change a store through the API's update model and domain function; an emptied
    optional field is cleared (an enterprise unbound), every problem shown by its field."""
    _admin(viewer)
    values = {f.name: str(form.get(f.name, "")).strip() for f in STORE_EDIT_FIELDS}
    body = {key: value or None for key, value in values.items()}  # a required one is refused
    try:
        stores.update_store(
            session=session,
            principal=viewer,
            code=code,
            changes=StoreUpdate.model_validate(body).model_dump(exclude_unset=True),
        )
    except ValidationError as error:
        errors = {str(e["loc"][0]) if e["loc"] else "": plain_problem(e) for e in error.errors()}
        return _store_edit_page(
            request, session, viewer, code, values, errors=errors, status_code=422
        )
    except DomainError as error:
        session.rollback()
        errors = {str(p.loc[-1]): p.text for p in field_problems(error) if p.loc}
        return _store_edit_page(
            request,
            session,
            viewer,
            code,
            values,
            errors=errors,
            problem=error,
            status_code=error.status,
        )
    return _store_edit_page(request, session, viewer, code, values, saved=True)


@router.get("/admin/{name}")
def section(
    request: Request,
    name: str,
    session: SessionDep,
    viewer: ViewerDep,
    q: Annotated[str, Query(max_length=200)] = "",
) -> Response:
    """A master-data list with its create form; the stores' list is searched by ``q``."""
    _admin(viewer)
    if name not in SECTIONS:
        return redirect("/admin/stores")
    return _section_page(
        request, session, viewer, name, search=q.strip() if SECTIONS[name].searchable else ""
    )


@router.post("/admin/{name}", dependencies=[Depends(check_csrf)])
def create(
    request: Request, name: str, session: SessionDep, viewer: ViewerDep, form: FormDep
) -> Response:
    """Create one row through the shared request model and the domain, or show every
    problem."""
    _admin(viewer)
    section = SECTIONS.get(name)
    if section is None:
        return redirect("/admin/stores")
    values = {f.name: str(form.get(f.name, "")).strip() for f in section.fields}
    body = {key: value for key, value in values.items() if value}
    try:
        secret = section.create(session, viewer, section.model.model_validate(body))
    except ValidationError as error:
        errors = {str(e["loc"][0]) if e["loc"] else "": plain_problem(e) for e in error.errors()}
        return _section_page(
            request, session, viewer, name, values=values, errors=errors, status_code=422
        )
    except DomainError as error:
        session.rollback()
        errors = {str(p.loc[-1]): p.text for p in field_problems(error) if p.loc}
        return _section_page(
            request,
            session,
            viewer,
            name,
            values=values,
            errors=errors,
            problem=error,
            status_code=error.status,
        )
    return _section_page(request, session, viewer, name, created=True, secret=secret)


@router.post("/admin/users/{username}/unlock", dependencies=[Depends(check_csrf)])
def unlock_user(username: str, session: SessionDep, viewer: ViewerDep) -> Response:
    """Clear a person's failed sign-ins and lock, as the API's unlock does."""
    users.unlock_user(session=session, principal=viewer, username=username)
    return redirect("/admin/users")


@router.post("/admin/{name}/{code}/deactivate", dependencies=[Depends(check_csrf)])
def deactivate(name: str, code: str, session: SessionDep, viewer: ViewerDep) -> Response:
    """Deactivate a store, product or user, or revoke a key (rows are kept)."""
    _admin(viewer)
    section = SECTIONS.get(name)
    if section is not None:
        section.deactivate(session, viewer, code)
    return redirect(f"/admin/{name}")
