"""pass-verify.js in Debian's Chromium: the browser gives the same status as Python.

A temporary folder laid out like /static/ (the script and the two vendored libraries) is
served by Python's http.server on a free port, with a strict Content-Security-Policy, to a
headless Chromium driven by Playwright. Tokens and lists made by Python are judged by
verifyPass, and each answer is compared with the expected status and with verify_token's.
"""

from __future__ import annotations

import base64
import random
import shutil
import socket
import threading
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import base45
import pytest

from passes.credentials import TOKEN_PREFIX, issue_token, verify_token
from passes.keys import KeyRing, PublicKeySet, SigningKey
from passes.revocation import RevocationList, sign_revocation_list
from tests.passes.factories import (
    ISSUED,
    ISSUER,
    PLATE,
    make_staff_claims,
    make_vehicle_claims,
    message_of,
    token_of,
)

STATIC = Path(__file__).resolve().parents[2] / "service" / "static"
BROWSER_CANDIDATES = ("/usr/bin/chromium", "/usr/bin/chromium-browser")
CONTENT_SECURITY_POLICY = "default-src 'none'; script-src 'self'; connect-src 'self'"
NOW = ISSUED + timedelta(days=2)
REGION = "310112"


def _browser_path() -> str | None:
    for candidate in BROWSER_CANDIDATES:
        if Path(candidate).exists():
            return candidate
    return shutil.which("chromium")


class _StrictHandler(SimpleHTTPRequestHandler):
    def end_headers(self) -> None:
        self.send_header("Content-Security-Policy", CONTENT_SECURITY_POLICY)
        self.send_header("Cache-Control", "no-store")
        super().end_headers()

    def log_message(self, format: str, *args: Any) -> None:
        return


@pytest.fixture(scope="module")
def checkpoint_page(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    root = tmp_path_factory.mktemp("checkpoint")
    shutil.copytree(STATIC / "vendor" / "cborg", root / "static" / "vendor" / "cborg")
    shutil.copytree(STATIC / "vendor" / "base45", root / "static" / "vendor" / "base45")
    (root / "static" / "js").mkdir(parents=True)
    shutil.copy(STATIC / "js" / "pass-verify.js", root / "static" / "js" / "pass-verify.js")
    (root / "index.html").write_text(
        '<!doctype html><html lang="en"><meta charset="utf-8"><title>checkpoint</title>'
        "<p>pass verifier test page</p></html>\n"
    )

    def handler(*args: Any) -> _StrictHandler:
        return _StrictHandler(*args, directory=str(root))

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = int(probe.getsockname()[1])
    server = ThreadingHTTPServer(("127.0.0.1", port), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{port}/index.html"
    server.shutdown()
    server.server_close()
    thread.join(timeout=10)


@pytest.fixture(scope="module")
def page(checkpoint_page: str) -> Iterator[Any]:
    executable = _browser_path()
    if executable is None:
        pytest.skip("no Chromium at /usr/bin/chromium (apt-get install chromium); skipped")
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=executable, args=["--no-sandbox", "--disable-dev-shm-usage"]
        )
        opened = browser.new_page()
        problems: list[str] = []
        opened.on("console", lambda message: problems.append(message.text))
        opened.on("pageerror", lambda error: problems.append(str(error)))
        opened.goto(checkpoint_page)
        yield opened
        assert not [text for text in problems if "Content Security Policy" in text], problems
        browser.close()


JUDGE = """
async ({cases, keys, revocation, now}) => {
  const verifier = await import("/static/js/pass-verify.js");
  const bytes = Uint8Array.from(atob(revocation), (c) => c.charCodeAt(0));
  const answers = [];
  for (const c of cases) {
    const r = await verifier.verifyPass(c.token, keys, bytes, new Date(now), c.region);
    answers.push({status: r.status, passId: r.claims ? r.claims.passId : null,
                  subject: r.claims ? r.claims.subject : null, kid: r.kid,
                  authentic: r.authentic});
  }
  return answers;
}
"""


@dataclass(frozen=True)
class Checkpoint:
    ring: KeyRing
    retired: SigningKey
    public_keys: PublicKeySet
    revocation: RevocationList
    signed_list: bytes

    def python_status(self, token: str, region: str | list[str] | None) -> str:
        return verify_token(
            token,
            public_keys=self.public_keys,
            revocation=self.revocation,
            now=NOW,
            region=region,
        ).status.value


@pytest.fixture(scope="module")
def checkpoint() -> Checkpoint:
    retired = SigningKey.generate()
    ring = KeyRing(active=retired).rotated(new_active=SigningKey.generate())
    revocation = RevocationList(
        issuer=ISSUER,
        version=9,
        issued_at=ISSUED,
        revoked_pass_ids=frozenset({"VP-REVOKED", *(f"VP-2024-{n:06d}" for n in range(900))}),
    )
    return Checkpoint(
        ring=ring,
        retired=retired,
        public_keys=ring.public_keys(),
        revocation=revocation,
        signed_list=sign_revocation_list(revocation=revocation, signing_key=ring.active),
    )


def _judge(page: Any, checkpoint: Checkpoint, cases: list[dict[str, Any]]) -> list[Any]:
    return list(
        page.evaluate(
            JUDGE,
            {
                "cases": cases,
                "keys": checkpoint.public_keys.to_json(),
                "revocation": base64.b64encode(checkpoint.signed_list).decode(),
                "now": int(NOW.timestamp() * 1000),
            },
        )
    )


def _named_cases(checkpoint: Checkpoint) -> dict[str, tuple[str, str | list[str] | None, str]]:
    """Name -> (token, region, expected status)."""
    active = checkpoint.ring.active
    vehicle = issue_token(claims=make_vehicle_claims(), signing_key=active)
    message = message_of(vehicle)
    signature_flipped = bytearray(message)
    signature_flipped[-5] ^= 0x40
    retired_key_token = issue_token(
        claims=make_vehicle_claims(pass_id="VP-OLD-KEY"), signing_key=checkpoint.retired
    )
    body = vehicle[len(TOKEN_PREFIX) :]
    bomb = TOKEN_PREFIX + base45.b45encode(zlib.compress(b"\0" * 1_000_000, 9)).decode()
    return {
        "vehicle": (vehicle, REGION, "valid"),
        "staff": (
            issue_token(claims=make_staff_claims(), signing_key=active),
            "310115",
            "valid",
        ),
        "any region": (vehicle, None, "valid"),
        "retired key still published": (retired_key_token, REGION, "valid"),
        "unknown key": (
            issue_token(claims=make_vehicle_claims(), signing_key=SigningKey.generate()),
            REGION,
            "unknown_key",
        ),
        "signature bit": (token_of(bytes(signature_flipped)), REGION, "forged"),
        "altered plate": (
            token_of(message.replace(PLATE.encode(), PLATE.replace("5", "6").encode())),
            REGION,
            "forged",
        ),
        "revoked": (
            issue_token(claims=make_vehicle_claims(pass_id="VP-REVOKED"), signing_key=active),
            REGION,
            "revoked",
        ),
        "expired": (
            issue_token(
                claims=make_vehicle_claims(expires_at=NOW - timedelta(seconds=1)),
                signing_key=active,
            ),
            REGION,
            "expired",
        ),
        "expires this instant": (
            issue_token(claims=make_vehicle_claims(expires_at=NOW), signing_key=active),
            REGION,
            "expired",
        ),
        "not yet valid": (
            issue_token(
                claims=make_vehicle_claims(
                    not_before=NOW + timedelta(seconds=1), expires_at=NOW + timedelta(days=1)
                ),
                signing_key=active,
            ),
            REGION,
            "not_yet_valid",
        ),
        "wrong region": (vehicle, "440300", "wrong_region"),
        "its region above a township's checkpoint": (
            vehicle,
            ["310112004", REGION, "3101"],
            "valid",
        ),
        "none of a checkpoint's regions": (
            vehicle,
            ["440300004", "440300", "4403"],
            "wrong_region",
        ),
        "wrong prefix": ("HC1:" + body, REGION, "damaged"),
        "truncated": (vehicle[:-7], REGION, "damaged"),
        "non-Base45": (vehicle[:20] + "a" + vehicle[21:], REGION, "damaged"),
        "wide character": (vehicle[:20] + "中" + vehicle[21:], REGION, "damaged"),
        "oversized": (TOKEN_PREFIX + "0" * 3000, REGION, "damaged"),
        "zip bomb": (bomb, REGION, "damaged"),
        "not zlib": (TOKEN_PREFIX + base45.b45encode(b"plain bytes").decode(), REGION, "damaged"),
        "trailing zlib bytes": (
            TOKEN_PREFIX + base45.b45encode(zlib.compress(message) + b"!").decode(),
            REGION,
            "damaged",
        ),
        "not COSE": (token_of(b"\x83\x01\x02\x03"), REGION, "damaged"),
        "line break from a scanner": (vehicle + "\r\n", REGION, "valid"),
    }


def test_the_browser_gives_each_token_the_status_python_gives(
    page: Any, checkpoint: Checkpoint
) -> None:
    named = _named_cases(checkpoint)
    cases = [{"token": token, "region": region} for token, region, _ in named.values()]
    answers = _judge(page, checkpoint, cases)
    for (name, (token, region, expected)), answer in zip(named.items(), answers, strict=True):
        assert answer["status"] == expected, (name, answer)
        assert checkpoint.python_status(token, region) == expected, name
    by_name = dict(zip(named, answers, strict=True))
    assert by_name["vehicle"]["passId"] == "VP-2025-000123"
    assert by_name["vehicle"]["kid"] == checkpoint.ring.active.kid.hex()
    assert by_name["altered plate"]["subject"] == PLATE.replace("5", "6")
    assert not by_name["altered plate"]["authentic"]
    assert by_name["revoked"]["authentic"]


def test_random_edits_get_the_same_status_and_claims_in_both(
    page: Any, checkpoint: Checkpoint
) -> None:
    """Edits of the token's text (mostly caught by Base45 or zlib) and of the COSE bytes
    inside it (caught by the CBOR, header, kid and signature checks)."""
    alphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:"
    vehicle = issue_token(claims=make_vehicle_claims(), signing_key=checkpoint.ring.active)
    message = message_of(vehicle)
    chooser = random.Random(20250301)
    tokens = []
    for _ in range(40):
        edited = list(vehicle)
        for _ in range(chooser.randint(1, 3)):
            edited[chooser.randrange(len(TOKEN_PREFIX), len(edited))] = chooser.choice(alphabet)
        tokens.append("".join(edited))
    for _ in range(160):
        altered = bytearray(message)
        for _ in range(chooser.randint(1, 2)):
            altered[chooser.randrange(len(altered))] = chooser.randrange(256)
        tokens.append(token_of(bytes(altered)))
    answers = _judge(page, checkpoint, [{"token": token, "region": REGION} for token in tokens])
    statuses = set()
    for token, answer in zip(tokens, answers, strict=True):
        python = verify_token(
            token,
            public_keys=checkpoint.public_keys,
            revocation=checkpoint.revocation,
            now=NOW,
            region=REGION,
        )
        assert answer["status"] == python.status.value, token
        assert (answer["passId"] is None) == (python.claims is None), token
        statuses.add(answer["status"])
    assert {"damaged", "forged", "unknown_key"} <= statuses


REJECT_LIST = """
async ({keys, revocation, knownVersion}) => {
  const verifier = await import("/static/js/pass-verify.js");
  const bytes = Uint8Array.from(atob(revocation), (c) => c.charCodeAt(0));
  try {
    await verifier.verifyRevocationList(bytes, keys, knownVersion);
    const r = await verifier.verifyPass("SW1:", keys, bytes, new Date(), null);
    return "accepted: " + r.status;
  } catch (error) {
    return error instanceof verifier.RevocationListError ? error.reason : "other: " + error;
  }
}
"""


def _list_verdict(
    page: Any, checkpoint: Checkpoint, signed_list: bytes, known_version: int | None = None
) -> str:
    return str(
        page.evaluate(
            REJECT_LIST,
            {
                "keys": checkpoint.public_keys.to_json(),
                "revocation": base64.b64encode(signed_list).decode(),
                "knownVersion": known_version,
            },
        )
    )


def test_the_browser_checks_the_revocation_list_signature_and_version(
    page: Any, checkpoint: Checkpoint
) -> None:
    assert _list_verdict(page, checkpoint, checkpoint.signed_list) == "accepted: damaged"
    assert _list_verdict(page, checkpoint, checkpoint.signed_list, 9) == "accepted: damaged"
    forged = bytearray(checkpoint.signed_list)
    position = bytes(forged).index(b"VP-REVOKED")
    forged[position + 3] ^= 0x01
    assert _list_verdict(page, checkpoint, bytes(forged)) == "forged"
    older = sign_revocation_list(
        revocation=RevocationList(issuer=ISSUER, version=8, issued_at=ISSUED),
        signing_key=checkpoint.ring.active,
    )
    assert _list_verdict(page, checkpoint, older, 9) == "older_version"
    stranger = sign_revocation_list(
        revocation=checkpoint.revocation, signing_key=SigningKey.generate()
    )
    assert _list_verdict(page, checkpoint, stranger) == "unknown_key"
    assert _list_verdict(page, checkpoint, b"\x00\x01") == "damaged"


def test_the_browser_does_not_take_a_pass_for_a_revocation_list(
    page: Any, checkpoint: Checkpoint
) -> None:
    """A pass's signed bytes read as a list would revoke nothing (its kind as the version,
    its regions as the ids): the holder of a revoked pass could hand them in as the list."""
    revoked = issue_token(
        claims=make_vehicle_claims(pass_id="VP-REVOKED"), signing_key=checkpoint.ring.active
    )
    assert _list_verdict(page, checkpoint, message_of(revoked)) == "damaged"
