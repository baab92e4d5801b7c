"""Sign-in for people: a password opens a session token (Bearer or cookie)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Annotated

from fastapi import APIRouter, Depends, Request, Response
from fastapi.security import HTTPAuthorizationCredentials
from pydantic import Field

from accounts.authentication import login, logout
from accounts.users import user_view
from service.api.users import UserRead
from service.configuration import login_limits
from service.http.dependencies import (
    SESSION_COOKIE,
    PrincipalDep,
    SessionDep,
    SessionFactoryDep,
    SettingsDep,
    bearer_scheme,
    client_address,
)
from service.http.schemas import PROBLEM_RESPONSES, ReadModel, StrictModel

router = APIRouter(prefix="/auth", tags=["access"], responses=PROBLEM_RESPONSES)


class LoginRequest(StrictModel):
    username: str = Field(min_length=1, max_length=64)
    password: str = Field(min_length=1, max_length=256)


class LoginResponse(ReadModel):
    token: str = Field(description="Send as 'Authorization: Bearer <token>'")
    expires_at: datetime
    user: UserRead


@router.post("/login", summary="Sign in with username and password")
def sign_in(
    request: Request,
    body: LoginRequest,
    session: SessionDep,
    session_factory: SessionFactoryDep,
    settings: SettingsDep,
    response: Response,
) -> LoginResponse:
    signed_in = login(
        session=session,
        failures_in=session_factory,
        username=body.username,
        password=body.password,
        address=client_address(request),
        limits=login_limits(settings),
        session_length=timedelta(hours=settings.session_hours),
    )
    response.set_cookie(
        SESSION_COOKIE,
        signed_in.token,
        max_age=settings.session_hours * 3600,
        httponly=True,
        samesite="lax",
        secure=settings.base_url.startswith("https"),
    )
    return LoginResponse(
        token=signed_in.token,
        expires_at=signed_in.expires_at,
        user=UserRead.model_validate(user_view(session=session, user=signed_in.user)),
    )


@router.post("/logout", status_code=204, summary="End the current session")
def sign_out(
    session: SessionDep,
    principal: PrincipalDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer_scheme)],
    response: Response,
) -> None:
    if credentials is not None and principal.kind == "user":
        logout(session, credentials.credentials)
    response.delete_cookie(SESSION_COOKIE)


class Me(ReadModel):
    kind: str
    name: str
    role: str
    store_id: int | None
    enterprise_id: int | None
    region_id: int | None = Field(
        description="The region this caller is bound to (staff who see only it); null: all"
    )


@router.get("/me", summary="Who the current credentials belong to")
def me(principal: PrincipalDep) -> Me:
    return Me(
        kind=principal.kind,
        name=principal.name,
        role=principal.role.value,
        store_id=principal.store_id,
        enterprise_id=principal.enterprise_id,
        region_id=principal.region_id,
    )
