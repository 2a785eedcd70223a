"""The web survey link of a campaign (and outreach source) at the public address.

`CIPS_PUBLIC_URL` (survey.config) is the address respondents reach; without it, the address of
the request at hand (right on a laptop, wrong behind a proxy that rewrites the host: set it).
"""

from __future__ import annotations

from urllib.parse import quote

from flask import has_request_context, request

from survey.config import Settings


def public_base(settings: Settings, fallback: str | None = None) -> str:
    if settings.public_url:
        return settings.public_url
    if fallback:
        return fallback.rstrip("/")
    if has_request_context():
        return request.host_url.rstrip("/")
    return "http://127.0.0.1:5000"


def web_link(base: str, campaign_code: str, tag: str | None = None) -> str:
    link = f"{base}/s/{quote(campaign_code)}"
    return f"{link}?s={quote(tag)}" if tag else link
