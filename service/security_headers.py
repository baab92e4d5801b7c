"""Security headers on every response: a strict Content-Security-Policy, no framing, no
MIME sniffing and no referrer to other sites.

The pages run only the static scripts under ``/static/`` (their data travels as
``<script type="application/json">``, which is not executed), so the policy allows no
inline script, no inline event handler, no ``eval`` and no ``<style>`` element: a name
that slips into the HTML as markup still cannot run; the API docs run the vendored Swagger
UI under the same policy. A response that sets its own policy keeps it.
"""

from __future__ import annotations

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
)


class SecurityHeadersMiddleware:
    """Adds the security headers to every HTTP response that does not set them itself."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                present = {name.lower() for name, _ in headers}
                if b"content-security-policy" not in present:
                    headers.append((b"content-security-policy", PAGE_POLICY.encode()))
                headers.extend(item for item in FIXED_HEADERS if item[0] not in present)
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, send_with_headers)
