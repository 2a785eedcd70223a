"""Telegram's `initData`, checked as Telegram documents it ("Validating data received via the
Mini App"): who opened the Mini App, signed by Telegram with a key derived from our bot token.

- `secret_key = HMAC_SHA256(key="WebAppData", msg=bot_token)`;
- the data-check string: every received field but `hash`, as `key=value` (values URL-decoded),
  sorted by key, joined by line feeds;
- `hash` must be the hex HMAC_SHA256 of that string under `secret_key`, compared in constant
  time; `auth_date` (Unix seconds, set by Telegram when it signed) no older than `max_age`.

A string with a field twice is refused (which copy was signed would be ambiguous). Nothing here
keeps the data: the caller gets the user's id (hashed by the engine like the bot's) and the
few fields it uses.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from dataclasses import dataclass
from enum import StrEnum
from urllib.parse import parse_qsl

MAX_LENGTH = 8_192  # a real initData is well under 1 KB
CLOCK_SKEW = 60  # seconds an auth_date may be ahead of our clock


class Refusal(StrEnum):
    MALFORMED = "malformed"  # missing or unreadable fields
    FORGED = "forged"  # the hash does not match: altered, forged, or another bot's
    STALE = "stale"  # auth_date older than the limit (or in the future)


class InvalidInitData(ValueError):
    def __init__(self, reason: Refusal):
        super().__init__(reason.value)
        self.reason = reason


@dataclass(frozen=True)
class MiniAppUser:
    """What the survey uses of a valid initData."""

    user_id: int
    language_code: str | None
    start_param: str | None
    auth_date: int


def secret_key(bot_token: str) -> bytes:
    return hmac.new(b"WebAppData", bot_token.encode(), hashlib.sha256).digest()


def data_check_string(fields: dict[str, str]) -> str:
    return "\n".join(f"{key}={fields[key]}" for key in sorted(fields) if key != "hash")


def sign(fields: dict[str, str], bot_token: str) -> str:
    """The hex hash Telegram puts in `hash` for these fields (tests make initData with it)."""
    message = data_check_string(fields).encode()
    return hmac.new(secret_key(bot_token), message, hashlib.sha256).hexdigest()


def validate(init_data: str, bot_token: str, now: float, max_age: int) -> MiniAppUser:
    """The user of a genuine, fresh initData; `InvalidInitData` otherwise."""
    if not init_data or len(init_data) > MAX_LENGTH:
        raise InvalidInitData(Refusal.MALFORMED)
    try:
        pairs = parse_qsl(init_data, keep_blank_values=True, strict_parsing=True)
    except ValueError:
        raise InvalidInitData(Refusal.MALFORMED) from None
    fields = dict(pairs)
    if len(fields) != len(pairs) or "hash" not in fields:
        raise InvalidInitData(Refusal.MALFORMED)
    if not hmac.compare_digest(sign(fields, bot_token).encode(), fields["hash"].encode()):
        raise InvalidInitData(Refusal.FORGED)
    try:
        auth_date = int(fields["auth_date"])
        user = json.loads(fields["user"])
        user_id = int(user["id"])
    except (KeyError, ValueError, TypeError):
        raise InvalidInitData(Refusal.MALFORMED) from None
    if not now - max_age <= auth_date <= now + CLOCK_SKEW:
        raise InvalidInitData(Refusal.STALE)
    language = user.get("language_code")
    return MiniAppUser(
        user_id=user_id,
        language_code=language if isinstance(language, str) else None,
        start_param=fields.get("start_param") or None,
        auth_date=auth_date,
    )
