"""The browser's identity in one campaign: a random token in a cookie, and nothing else.

The token (32 random bytes) is the channel user id the engine hashes (`survey.anonymity`,
keyed with CIPS_SECRET_KEY): the database holds only that hash, in the contact, and the
participation mark. The cookie is HttpOnly, SameSite=Strict, Secure behind HTTPS, limited to the
campaign's path, and lasts until the campaign closes (180 days when it has no closing date).
"""

from __future__ import annotations

import datetime as dt
import secrets

from flask import Request, Response, current_app, request

from survey.storage.models import Campaign, utcnow

CHANNEL = "web"
COOKIE = "cips_respondent"
WITHOUT_CLOSING = dt.timedelta(days=180)


def path(campaign: Campaign) -> str:
    return f"/s/{campaign.code}"


def token(req: Request | None = None) -> str | None:
    value = (req or request).cookies.get(COOKIE)
    return value if value and 20 <= len(value) <= 64 else None


def new_token() -> str:
    return secrets.token_urlsafe(32)


def keep(response: Response, campaign: Campaign, value: str) -> None:
    """Set (or renew) the cookie on `response`."""
    expires = campaign.closes_at or utcnow() + WITHOUT_CLOSING
    response.set_cookie(
        COOKIE,
        value,
        expires=expires,
        path=path(campaign),
        secure=bool(current_app.config.get("SESSION_COOKIE_SECURE")) or request.is_secure,
        httponly=True,
        samesite="Strict",
    )


def forget(response: Response, campaign: Campaign) -> None:
    response.delete_cookie(
        COOKIE,
        path=path(campaign),
        secure=bool(current_app.config.get("SESSION_COOKIE_SECURE")) or request.is_secure,
        httponly=True,
        samesite="Strict",
    )
