"""The security headers of every response the web app sends, error pages included.

- `Content-Security-Policy`: everything from this site only, no inline script or style at all
  (the templates have no inline `<script>`, `style=` or `on...=` handlers: tests/test_web_headers.py
  reads every page; the Mini App's entry loads /static/miniapp.js), no plugins, no `<base>`, forms posting only here, and no framing:
  `frame-ancestors 'none'`, with `X-Frame-Options: DENY` for browsers older than CSP 2.
- Framing by Telegram: a view that Telegram's web clients must show in a frame (the Mini App
  routes, `web.respond.miniapp`) is decorated with `@framed_by_telegram`; its responses allow
  exactly TELEGRAM_WEB_ORIGINS as frame ancestors and carry no `X-Frame-Options`.
- `Strict-Transport-Security` (one year) only on a response to a request that came over HTTPS:
  `request.is_secure`, which behind the reverse proxy is the scheme gunicorn takes from
  `X-Forwarded-Proto` (trusted from 127.0.0.1 only, its default). Over plain HTTP (`cips run`)
  there is none, since a browser would then refuse the plain-HTTP site for a year. Subdomains are
  left out (`includeSubDomains` would bind every other site of the administration's domain).
- `X-Content-Type-Options: nosniff`, `Referrer-Policy: same-origin` (campaign codes and
  administration codes in addresses stay on this site).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from flask import Flask, Response, current_app, request

# Telegram's web clients: web.telegram.org (/k, /a) and its subdomains (a wildcard host-source
# matches subdomains only, so both are listed).
TELEGRAM_WEB_ORIGINS = ("https://web.telegram.org", "https://*.web.telegram.org")
HSTS = "max-age=31536000"
_POLICY = (
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'self'",
)
_FRAMED_BY = "cips_frame_ancestors"

View = TypeVar("View", bound=Callable)


def content_security_policy(frame_ancestors: tuple[str, ...] = ()) -> str:
    """The policy, with `frame-ancestors` limited to the given origins ('none' without any)."""
    ancestors = " ".join(frame_ancestors) if frame_ancestors else "'none'"
    return "; ".join((*_POLICY, f"frame-ancestors {ancestors}"))


def framed_by_telegram(view: View) -> View:
    """Let Telegram's web clients (and only them) show this view in a frame."""
    setattr(view, _FRAMED_BY, TELEGRAM_WEB_ORIGINS)
    return view


def _frame_ancestors() -> tuple[str, ...]:
    view = current_app.view_functions.get(request.endpoint or "")
    return getattr(view, _FRAMED_BY, ())


def add_headers(response: Response) -> Response:
    ancestors = _frame_ancestors()
    headers = response.headers
    headers["Content-Security-Policy"] = content_security_policy(ancestors)
    if ancestors:
        headers.pop("X-Frame-Options", None)
    else:
        headers["X-Frame-Options"] = "DENY"
    headers["X-Content-Type-Options"] = "nosniff"
    headers["Referrer-Policy"] = "same-origin"
    if request.is_secure:
        headers["Strict-Transport-Security"] = HSTS
    return response


def init_app(app: Flask) -> None:
    app.after_request(add_headers)
