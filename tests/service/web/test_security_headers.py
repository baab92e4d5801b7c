"""Every response carries the headers that keep a planted name from running script and
the pages out of other sites' frames (issue 12, #1 and #11); the templates give the
policy nothing to refuse; the API docs page gets a policy of its own that lets exactly
its own start-up script run."""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import urlsplit

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from models import Role
from tests.factories import make_key
from tests.service.web.helpers import make_person, sign_in

TEMPLATES = Path(__file__).resolve().parents[3] / "service" / "templates"
INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)([^>]*)>(.*?)</script>", re.DOTALL)
EVENT_HANDLER = re.compile(r"<[^>]*\son[a-z]+\s*=", re.IGNORECASE)


def policy(header: str) -> dict[str, list[str]]:
    """A Content-Security-Policy header as directive → sources."""
    found: dict[str, list[str]] = {}
    for part in header.split(";"):
        name, *sources = part.split()
        found[name] = sources
    return found


def assert_protected(response: object, what: str) -> None:
    headers = response.headers  # type: ignore[attr-defined]
    assert headers.get("x-frame-options") == "DENY", what
    assert headers.get("x-content-type-options") == "nosniff", what
    assert headers.get("referrer-policy") == "same-origin", what
    features = dict(part.strip().split("=", 1) for part in headers["permissions-policy"].split(","))
    assert (features["camera"], features["microphone"], features["geolocation"]) == (
        "(self)",
        "()",
        "()",
    ), what
    directives = policy(headers["content-security-policy"])
    assert directives["frame-ancestors"] == ["'none'"], what


def test_every_kind_of_response_refuses_framing_sniffing_and_foreign_referrers(
    client: TestClient, session: Session
) -> None:
    anonymous = {
        "sign-in page": client.get("/login"),
        "redirect to sign in": client.get("/dashboard", follow_redirects=False),
        "API problem": client.get("/api/v1/stores"),
        "unknown path": client.get("/no/such/page"),
        "health": client.get("/healthz"),
        "static script": client.get("/static/js/charts.js"),
        "OpenAPI schema": client.get("/openapi.json"),
    }
    for what, response in anonymous.items():
        assert_protected(response, what)
    sign_in(client, "li", make_person(session, "li", Role.bureau))
    for path in ("/dashboard", "/alerts", "/supply"):
        assert_protected(client.get(path), path)


def test_the_pages_policy_runs_only_this_sites_scripts(client: TestClient) -> None:
    directives = policy(client.get("/login").headers["content-security-policy"])
    assert directives["default-src"] == ["'none'"]
    assert directives["script-src"] == ["'self'"]
    assert directives["style-src"] == ["'self'"]
    assert directives["base-uri"] == ["'none'"]
    assert directives["form-action"] == ["'self'"]
    assert "script-src-attr" not in directives and "script-src-elem" not in directives


def test_no_template_holds_an_inline_script_handler_or_style_element() -> None:
    offending = []
    for template in sorted(TEMPLATES.rglob("*.html")):
        text = template.read_text()
        for attributes, _body in INLINE_SCRIPT.findall(text):
            if 'type="application/json"' not in attributes:
                offending.append(f"{template.name}: inline <script{attributes}>")
        if EVENT_HANDLER.search(text):
            offending.append(f"{template.name}: inline event handler")
        if "<style" in text or re.search(r"\sstyle=", text):
            offending.append(f"{template.name}: inline style")
    assert not offending, offending


def test_the_api_docs_page_runs_only_this_sites_scripts(client: TestClient) -> None:
    """The vendored Swagger UI needs nothing the pages' policy refuses: no inline script,
    nothing from another site."""
    response = client.get("/docs")
    assert response.status_code == 200
    assert_protected(response, "/docs")
    directives = policy(response.headers["content-security-policy"])
    assert directives["script-src"] == ["'self'"]
    assert not [body for _attributes, body in INLINE_SCRIPT.findall(response.text) if body.strip()]
    for source in re.findall(r'<(?:script|link)[^>]*\b(?:src|href)="([^"]+)"', response.text):
        assert not urlsplit(source).netloc, source


def test_what_a_key_or_a_signed_in_person_was_answered_is_kept_by_no_cache(
    client: TestClient, session: Session
) -> None:
    bureau_key = make_key(session, Role.bureau)
    for path in ("/api/v1/stores", "/api/v1/keys", "/api/v1/no-such-route"):
        answered = client.get(path, headers=bureau_key)
        assert answered.headers.get("cache-control") == "no-store", path
    sign_in(client, "li", make_person(session, "li", Role.admin))
    for path in ("/dashboard", "/admin/keys", "/store/NOPE"):
        assert client.get(path).headers.get("cache-control") == "no-store", path
    assert "no-store" not in client.get("/static/js/charts.js").headers.get("cache-control", "")


def test_anonymous_answers_are_not_marked_private(client: TestClient) -> None:
    assert "cache-control" not in client.get("/login").headers
    assert "cache-control" not in client.get("/static/js/charts.js").headers


def test_a_browser_that_reached_the_service_over_https_keeps_to_https(
    client: TestClient,
) -> None:
    for path in ("/login", "/api/v1/public/bulletins", "/static/js/charts.js"):
        over_tls = client.get(f"https://testserver{path}")
        assert over_tls.headers.get("strict-transport-security") == "max-age=63072000", path
        # Over plain HTTP the header means nothing to a browser (RFC 6797 §8.1), so none.
        assert "strict-transport-security" not in client.get(path).headers, path
