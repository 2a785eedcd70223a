"""The web app's configuration, read from the environment (the same variables as the rest).

`CIPS_SECRET_KEY` signs the session cookies (through a key derived for that purpose only); after
a rotation the keys of `CIPS_OLD_SECRET_KEYS` still verify them (Flask's `SECRET_KEY_FALLBACKS`),
so nobody is signed out and the local chat page keeps its people.
Cookies are `Secure` unless `CIPS_WEB_INSECURE_COOKIES=1` (plain-HTTP development: `cips web`
sets it for you); they are always `HttpOnly` and `SameSite=Lax`.

Sessions and sign-in (web.sessions, web.signin_limits): `CIPS_SESSION_IDLE_MINUTES` (30) and
`CIPS_SESSION_HOURS` (12, the absolute lifetime); `CIPS_SIGNIN_PER_ADDRESS` (30 failed sign-ins
per address in 15 minutes), `CIPS_DEVICE_COOKIE_DAYS` (90), and `CIPS_WEB_PROXIES`: how many
reverse proxies in front append to `X-Forwarded-For` (1 behind Caddy), for the client's address.
`CIPS_REQUIRE_2FA` (web.two_factor): who must sign in with a second factor, `admins` (the
default), `everyone` or `off` (`cips run` on a laptop sets it off).
"""

from __future__ import annotations

import datetime as dt
import os
from typing import Any

from survey.anonymity import keyed_hash
from survey.config import load_settings

REQUIRE_2FA = ("admins", "everyone", "off")


def require_2fa() -> str:
    value = os.environ.get("CIPS_REQUIRE_2FA", "admins").strip().lower() or "admins"
    if value not in REQUIRE_2FA:
        raise ValueError(f"CIPS_REQUIRE_2FA must be one of {', '.join(REQUIRE_2FA)}, not {value!r}")
    return value


def flask_config() -> dict[str, Any]:
    settings = load_settings()
    insecure = os.environ.get("CIPS_WEB_INSECURE_COOKIES", "") in ("1", "true", "yes")
    lifetime = dt.timedelta(hours=float(os.environ.get("CIPS_SESSION_HOURS", "12")))
    return {
        "CIPS_SETTINGS": settings,
        "SECRET_KEY": keyed_hash(settings.secret_key, "web-session"),
        "SECRET_KEY_FALLBACKS": [keyed_hash(k, "web-session") for k in settings.old_secret_keys],
        "SESSION_COOKIE_NAME": "cips_session",
        "SESSION_COOKIE_SECURE": not insecure,
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "PERMANENT_SESSION_LIFETIME": lifetime,
        "CIPS_SESSION_LIFETIME": lifetime,
        "CIPS_SESSION_IDLE": dt.timedelta(
            minutes=float(os.environ.get("CIPS_SESSION_IDLE_MINUTES", "30"))
        ),
        "CIPS_SIGNIN_PER_ADDRESS": int(os.environ.get("CIPS_SIGNIN_PER_ADDRESS", "30")),
        "CIPS_DEVICE_COOKIE_DAYS": float(os.environ.get("CIPS_DEVICE_COOKIE_DAYS", "90")),
        "CIPS_WEB_PROXIES": int(os.environ.get("CIPS_WEB_PROXIES", "0")),
        "CIPS_REQUIRE_2FA": require_2fa(),
        "WTF_CSRF_TIME_LIMIT": 12 * 3600,
        "WTF_CSRF_SSL_STRICT": not insecure,
        "MAX_CONTENT_LENGTH": settings.max_request_bytes,
    }
