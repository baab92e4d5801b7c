"""Transport passes and staff permits: applications and the bureau's decisions, direct
and bulk issue, revocation, QR codes; the public key set, the signed revocation list and
verification any third party may use; checkpoints and their scans.

An enterprise or producer sees only its own passes; checkpoint staff verify and record
scans only; public verification answers only with what the QR itself carries.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, File, Query, Response, UploadFile, status
from pydantic import Field

from core.documents import PDF_MEDIA_TYPE
from core.errors import Conflict
from models import PassKind, PassStatus, ScanResult
from models.base import utc_now
from pass_office import bulk, issuing, queries, verification
from pass_office.queries import PassState
from passes import pass_qr_code, pass_qr_png, revocation_list_json
from service.http.dependencies import (
    LONG_WORK,
    DocumentShelfDep,
    PassAuthorityDep,
    PrincipalDep,
    SessionDep,
    SettingsDep,
)
from service.http.pass_documents import kept_pass_pdf
from service.http.passes import CheckpointCreate, Decision, PassCreate, ScanBatch, VerifyBody
from service.http.schemas import PROBLEM_RESPONSES, Page, PageDep, ReadModel, refuse_repeated_parts

router = APIRouter(tags=["passes"], responses=PROBLEM_RESPONSES)
COSE_MEDIA_TYPE = "application/cose"


class PassRead(ReadModel):
    code: str
    kind: PassKind
    state: PassState = Field(description="applied, approved, rejected, revoked or expired")
    enterprise: str | None
    producer: str | None
    plate: str | None
    vehicle_type: str | None
    driver_name: str | None
    driver_phone: str | None
    purpose: str | None
    goods: str | None
    person_name: str | None
    masked_holder: str | None
    employer: str | None
    workplace: str | None
    home_compound: str | None
    regions: list[str]
    valid_from: datetime
    valid_to: datetime
    applied_by: str
    created_at: datetime
    decided_by: str | None
    decided_at: datetime | None
    rejection_reason: str | None
    revoked_at: datetime | None
    revocation_reason: str | None
    issued_at: datetime | None
    signing_kid: str | None
    token: str | None = Field(description="The signed token the QR code carries")


class PassEventRead(ReadModel):
    at: datetime
    actor: str
    from_status: PassStatus | None
    to_status: PassStatus
    reason: str | None


class BulkRead(ReadModel):
    issued: int
    codes: list[str]


class VerificationRead(ReadModel):
    status: str = Field(
        description="valid, expired, not_yet_valid, revoked, wrong_region, unknown_key, "
        "forged or damaged"
    )
    valid: bool
    authentic: bool = Field(description="Whether a published key signed it")
    reason: str
    pass_id: str | None = Field(default=None, description="Only when authentic")
    kind: str | None = None
    subject: str | None = Field(default=None, description="Plate, or a permit's masked holder")
    regions: list[str] | None = None
    valid_from: datetime | None = None
    valid_to: datetime | None = None
    issuer: str | None = None


class ScanRead(ReadModel):
    checkpoint: str
    scanned_at: datetime
    pass_code: str | None
    result: ScanResult
    device_result: ScanResult | None
    offline: bool
    subject: str | None
    valid_to: datetime | None
    reason: str


class CheckpointRead(ReadModel):
    code: str
    name: str
    region: str
    latitude: float | None
    longitude: float | None
    active: bool


@router.get(
    "/passes/keys",
    summary="The published public keys (JSON key set, by kid); no sign-in needed",
    response_class=Response,
    responses={200: {"content": {"application/json": {}}}},
)
def public_keys(authority: PassAuthorityDep) -> Response:
    return Response(authority.public_keys_json(), media_type="application/json")


@router.get(
    "/passes/revocations",
    summary="The signed, versioned revocation list (COSE_Sign1, docs/passes.md §5)",
    description="Add `?format=json` for the same list readable by people (not signed).",
    response_class=Response,
    responses={200: {"content": {COSE_MEDIA_TYPE: {}, "application/json": {}}}},
)
def revocations(
    session: SessionDep,
    authority: PassAuthorityDep,
    format: Annotated[str, Query(pattern="^(cose|json)$")] = "cose",
) -> Response:
    current, signed = verification.signed_revocation_list(session=session, authority=authority)
    headers = {"X-Revocation-Version": str(current.version)}
    if format == "json":
        return Response(
            revocation_list_json(revocation=current), media_type="application/json", headers=headers
        )
    return Response(signed, media_type=COSE_MEDIA_TYPE, headers=headers)


@router.post(
    "/passes/verify",
    summary="Verify a scanned pass (public: answers only with what the QR carries)",
)
def verify(body: VerifyBody, session: SessionDep, authority: PassAuthorityDep) -> VerificationRead:
    result = verification.verify_pass(
        session=session,
        authority=authority,
        token=body.token,
        now=utc_now(),
        region=body.region,
        checkpoint=body.checkpoint,
    )
    read = VerificationRead(
        status=result.status.value,
        valid=result.is_valid,
        authentic=result.authentic,
        reason=result.reason,
    )
    if result.authentic and result.claims is not None:
        claims = result.claims
        read = read.model_copy(
            update={
                "pass_id": claims.pass_id,
                "kind": claims.kind.value,
                "subject": claims.subject,
                "regions": list(claims.regions),
                "valid_from": claims.not_before,
                "valid_to": claims.expires_at,
                "issuer": claims.issuer,
            }
        )
    return read


@router.post(
    "/passes/scans",
    status_code=status.HTTP_201_CREATED,
    summary="Record scans at the caller's checkpoint (one, or a batch made offline)",
)
def record_scans(
    body: ScanBatch, session: SessionDep, principal: PrincipalDep, authority: PassAuthorityDep
) -> list[ScanRead]:
    recorded = verification.record_scans(
        session=session,
        principal=principal,
        authority=authority,
        scans=[
            verification.ScanInput(
                token=scan.token, scanned_at=scan.scanned_at, device_result=scan.device_result
            )
            for scan in body.scans
        ],
        now=utc_now(),
    )
    return [ScanRead.model_validate(scan) for scan in recorded]


@router.get("/passes/scans", summary="The scan log (bureau), newest first")
def list_scans(
    session: SessionDep,
    principal: PrincipalDep,
    paging: PageDep,
    checkpoint: Annotated[str | None, Query(max_length=16)] = None,
    pass_code: Annotated[str | None, Query(alias="pass", max_length=32)] = None,
) -> Page[ScanRead]:
    found = verification.list_scans(
        session=session,
        principal=principal,
        checkpoint=checkpoint,
        pass_code=pass_code,
        limit=paging.limit,
        offset=paging.offset,
    )
    return Page(
        items=[ScanRead.model_validate(scan) for scan in found.items],
        total=found.total,
        limit=found.limit,
        offset=found.offset,
    )


@router.post(
    "/passes/applications",
    status_code=status.HTTP_201_CREATED,
    summary="Apply for a pass (an enterprise or producer, for itself)",
)
def apply(
    body: PassCreate, session: SessionDep, principal: PrincipalDep, settings: SettingsDep
) -> PassRead:
    created = issuing.apply_for_pass(
        session=session,
        principal=principal,
        request=body.as_request(),
        now=utc_now(),
        max_days=settings.passes_max_days,
    )
    return PassRead.model_validate(created)


@router.post(
    "/passes",
    status_code=status.HTTP_201_CREATED,
    summary="Issue a pass directly (bureau): approved and signed at once",
)
def issue(
    body: PassCreate,
    session: SessionDep,
    principal: PrincipalDep,
    settings: SettingsDep,
    authority: PassAuthorityDep,
) -> PassRead:
    created = issuing.issue_pass(
        session=session,
        principal=principal,
        request=body.as_request(),
        authority=authority,
        now=utc_now(),
        max_days=settings.passes_max_days,
    )
    return PassRead.model_validate(created)


@router.post(
    "/passes/bulk",
    dependencies=[Depends(refuse_repeated_parts), LONG_WORK],
    summary="Issue passes from a CSV or XLSX file (bureau): all rows, or none",
    description=(
        "Columns: kind,regions,valid_from,valid_to and enterprise or producer, then for a "
        "vehicle plate,driver_name,purpose[,vehicle_type,driver_phone,goods] and for a staff "
        "permit person_name,id_number,employer,workplace[,home_compound]. Regions separated "
        "by ';'. A date or a time without offset is city time. Every bad cell is listed by "
        "row (header = row 1) and column, and then nothing is issued."
    ),
)
def issue_bulk(
    file: Annotated[UploadFile, File(description="CSV (UTF-8 or GB18030) or XLSX")],
    session: SessionDep,
    principal: PrincipalDep,
    settings: SettingsDep,
    authority: PassAuthorityDep,
) -> BulkRead:
    result = bulk.issue_passes_from_file(
        session=session,
        principal=principal,
        authority=authority,
        data=file.file.read(),
        filename=file.filename,
        now=utc_now(),
        zone=settings.zone,
        max_days=settings.passes_max_days,
        max_rows=settings.max_bulk_rows,
        max_listed_errors=settings.max_listed_errors,
    )
    return BulkRead.model_validate(result)


@router.get("/passes", summary="List passes (an applicant sees only its own)")
def list_passes(
    session: SessionDep,
    principal: PrincipalDep,
    paging: PageDep,
    state: PassState | None = None,
    kind: PassKind | None = None,
    q: Annotated[
        str | None, Query(max_length=64, description="Plate, holder or code contains")
    ] = None,
    order: Annotated[
        Literal["newest", "oldest"],
        Query(description="newest first, or `oldest`: the order applications are decided"),
    ] = "newest",
) -> Page[PassRead]:
    found = queries.list_passes(
        session=session,
        principal=principal,
        now=utc_now(),
        state=state,
        kind=kind,
        contains=q,
        oldest_first=order == "oldest",
        limit=paging.limit,
        offset=paging.offset,
    )
    return Page(
        items=[PassRead.model_validate(view) for view in found.items],
        total=found.total,
        limit=found.limit,
        offset=found.offset,
    )


@router.get("/passes/{code}", summary="One pass")
def read_pass(code: str, session: SessionDep, principal: PrincipalDep) -> PassRead:
    return PassRead.model_validate(
        queries.read_pass(session=session, principal=principal, code=code, now=utc_now())
    )


@router.get("/passes/{code}/events", summary="Every state change of a pass (audit trail)")
def pass_events(code: str, session: SessionDep, principal: PrincipalDep) -> list[PassEventRead]:
    return [
        PassEventRead.model_validate(event)
        for event in queries.pass_history(session=session, principal=principal, code=code)
    ]


@router.post("/passes/{code}/approve", summary="Approve an application (bureau): signs it")
def approve(
    code: str, session: SessionDep, principal: PrincipalDep, authority: PassAuthorityDep
) -> PassRead:
    approved = issuing.approve_pass(
        session=session, principal=principal, code=code, authority=authority, now=utc_now()
    )
    return PassRead.model_validate(approved)


@router.post("/passes/{code}/reject", summary="Reject an application with a reason (bureau)")
def reject(code: str, body: Decision, session: SessionDep, principal: PrincipalDep) -> PassRead:
    rejected = issuing.reject_pass(
        session=session, principal=principal, code=code, reason=body.reason, now=utc_now()
    )
    return PassRead.model_validate(rejected)


@router.post("/passes/{code}/revoke", summary="Revoke an issued pass with a reason (bureau)")
def revoke(code: str, body: Decision, session: SessionDep, principal: PrincipalDep) -> PassRead:
    revoked = issuing.revoke_pass(
        session=session, principal=principal, code=code, reason=body.reason, now=utc_now()
    )
    return PassRead.model_validate(revoked)


def _issued_token(session: SessionDep, principal: PrincipalDep, code: str) -> str:
    view = queries.read_pass(session=session, principal=principal, code=code, now=utc_now())
    if view.token is None:
        raise Conflict("pass {code!r} has not been issued", code=code)
    return view.token


@router.get(
    "/passes/{code}/qr.svg",
    summary="The pass's QR code (SVG, error correction Q)",
    response_class=Response,
    responses={200: {"content": {"image/svg+xml": {}}}},
)
def qr_svg(code: str, session: SessionDep, principal: PrincipalDep) -> Response:
    token = _issued_token(session, principal, code)
    return Response(pass_qr_code(token=token).svg, media_type="image/svg+xml")


@router.get(
    "/passes/{code}/qr.png",
    summary="The pass's QR code (PNG, error correction Q), for printing",
    response_class=Response,
    responses={200: {"content": {"image/png": {}}}},
)
def qr_png(code: str, session: SessionDep, principal: PrincipalDep) -> Response:
    token = _issued_token(session, principal, code)
    return Response(pass_qr_png(token=token), media_type="image/png")


@router.get(
    "/passes/{code}/pdf",
    dependencies=[LONG_WORK],
    summary="The pass printed: a PDF page with its QR code, in Chinese and English",
    response_class=Response,
    responses={200: {"content": {PDF_MEDIA_TYPE: {}}}},
)
def pass_pdf(
    code: str,
    session: SessionDep,
    principal: PrincipalDep,
    settings: SettingsDep,
    shelf: DocumentShelfDep,
) -> Response:
    content = kept_pass_pdf(
        session=session,
        principal=principal,
        code=code,
        now=utc_now(),
        settings=settings,
        shelf=shelf,
    )
    return Response(
        content,
        media_type=PDF_MEDIA_TYPE,
        headers={"Content-Disposition": f'inline; filename="pass-{code}.pdf"'},
    )


@router.get("/checkpoints", summary="List checkpoints (bureau and checkpoint staff)")
def list_checkpoints(session: SessionDep, principal: PrincipalDep) -> list[CheckpointRead]:
    return [
        CheckpointRead.model_validate(view)
        for view in verification.list_checkpoints(session=session, principal=principal)
    ]


@router.post("/checkpoints", status_code=status.HTTP_201_CREATED, summary="Add a checkpoint")
def create_checkpoint(
    body: CheckpointCreate, session: SessionDep, principal: PrincipalDep
) -> CheckpointRead:
    created = verification.create_checkpoint(
        session=session, principal=principal, **body.model_dump()
    )
    return CheckpointRead.model_validate(created)
