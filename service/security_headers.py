"""Security headers on every response: a strict Content-Security-Policy, no framing, no
MIME sniffing and no referrer to other sites; and no copy kept by a browser or a proxy of
what a key or a signed-in person was answered.

The pages run only the static scripts under ``/static/`` (their data travels as
``<script type="application/json">``, which is not executed), so the policy allows no
inline script, no inline event handler, no ``eval`` and no ``<style>`` element: a name
that slips into the HTML as markup still cannot run; the API docs run the vendored Swagger
UI under the same policy. A response that sets its own policy keeps it.

An answer to a request that carried an API key or the session cookie is private (a store's
figures, a pass PDF with its signed token, the list of keys): unless the route chose its
own caching (pages revalidated by ETag are ``private, no-cache``), it gets
``Cache-Control: no-store``, so a shared computer's browser cache or a proxy keeps nothing
of it after sign-out. So does a resident's ticket (the filing answer with its private
follow link, and the follow pages). The static files stay cacheable.

Answers given over HTTPS (directly, or through a trusted proxy's X-Forwarded-Proto) carry
``Strict-Transport-Security``, so a browser that has once reached the service never again
sends a password or the session cookie over plain HTTP on a network that strips TLS.
"""

from __future__ import annotations

from service.http.dependencies import SESSION_COOKIE
from service.observability import ASGIApp, Message, Receive, Scope, Send

PAGE_POLICY = "; ".join(
    (
        "default-src 'none'",
        "script-src 'self'",
        "style-src 'self'",
        # ECharts writes its HTML tooltips with style attributes (position, arrow, colour
        # markers). A style attribute cannot run script or load from another site (img-src
        # and font-src stay 'self'); <style> elements stay refused.
        "style-src-attr 'unsafe-inline'",
        "img-src 'self' data:",
        "font-src 'self'",
        "connect-src 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
        "base-uri 'none'",
    )
)
"""What the pages may load and run: only this site's static files."""

FIXED_HEADERS: tuple[tuple[bytes, bytes], ...] = (
    (b"x-frame-options", b"DENY"),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"same-origin"),
    (b"cross-origin-opener-policy", b"same-origin"),
    # Only the checkpoint page uses a device feature (the camera, to read a pass's QR).
    (b"permissions-policy", b"camera=(self), microphone=(), geolocation=(), payment=(), usb=()"),
)

STRICT_TRANSPORT = (b"strict-transport-security", b"max-age=63072000")
"""Two years, as Mozilla's guidelines recommend; no ``includeSubDomains``: other services
of the same city domain may still be plain HTTP, and this one cannot know."""

PRIVATE_CACHING = (b"cache-control", b"no-store")
"""What an answer to a key or a signed-in person gets unless its route chose otherwise."""

STATIC_PREFIX = "/static/"


RESIDENT_PATHS = ("/hotline/report", "/hotline/follow/", "/api/v1/public/tickets")
"""A resident's own ticket: the filing answer shows the private follow link once, and the
follow pages are opened with it; neither may stay in a shared computer's cache."""


def carries_credentials(scope: Scope) -> bool:
    """Whether the request names a caller: an Authorization header, the session cookie, or
    a resident's ticket token (in its path's query or in the answer to a filing)."""
    path = str(scope.get("path", ""))
    if path.startswith(STATIC_PREFIX):
        return False
    if path.startswith(RESIDENT_PATHS):
        return True
    session_cookie = SESSION_COOKIE.encode() + b"="
    for name, value in scope.get("headers", []):
        if name == b"authorization" or (name == b"cookie" and session_cookie in value):
            return True
    return False


class SecurityHeadersMiddleware:
    """Adds the security headers to every HTTP response that does not set them itself."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        private = carries_credentials(scope)
        secure = scope.get("scheme") == "https"

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                present = {name.lower() for name, _ in headers}
                if b"content-security-policy" not in present:
                    headers.append((b"content-security-policy", PAGE_POLICY.encode()))
                headers.extend(item for item in FIXED_HEADERS if item[0] not in present)
                if secure and STRICT_TRANSPORT[0] not in present:
                    headers.append(STRICT_TRANSPORT)
                if private and b"cache-control" not in present:
                    headers.append(PRIVATE_CACHING)
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, send_with_headers)
