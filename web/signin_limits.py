"""Sign-in throttling that cannot lock the rightful user out (OWASP's device-cookie pattern).

After a successful sign-in the browser gets a device cookie for that account (signed, random,
`cips_device_<user id>`, path `/login`, valid `CIPS_DEVICE_COOKIE_DAYS`). At the next sign-in:

- **a trusted browser** (a valid device cookie for the account named) is judged on its own: its
  wrong passwords count against that cookie only, and past the free failures it is refused for
  a while like any other subject, then treated as untrusted until that time has passed;
- **untrusted browsers** share one counter per account: past `free` failures (5) the account
  refuses untrusted browsers until a time that doubles with each further failure (1 minute,
  2, 4... at most `block_max`, 1 hour), and forgets after a day without failure. Trusted
  browsers never see that block, so an attacker's wrong tries cannot keep the admin out;
- **per address**: at most `per_address` failed sign-ins from untrusted browsers per
  `address_window`, whatever the account; then the address is refused until the window ends.

Refused tries are not counted (the block does not grow while it holds). The counters live in
the database (`sign_in_counters`), so every gunicorn worker sees the same ones; a block is a
time to compare with, never a sleep in a worker. The caller verifies a password hash on every
branch and shows one answer for unknown user, wrong password and refused.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from dataclasses import dataclass

from flask import Request, Response
from itsdangerous import BadSignature, URLSafeTimedSerializer
from sqlalchemy import ColumnElement, delete, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from survey.storage.models import SignInCounter, User

FORGET_AFTER = dt.timedelta(days=1)


@dataclass(frozen=True)
class Limits:
    free: int = 5
    block_base: dt.timedelta = dt.timedelta(minutes=1)
    block_max: dt.timedelta = dt.timedelta(hours=1)
    per_address: int = 30
    address_window: dt.timedelta = dt.timedelta(minutes=15)
    device_max_age: dt.timedelta = dt.timedelta(days=90)
    proxies: int = 0  # reverse proxies in front that append to X-Forwarded-For

    @classmethod
    def from_config(cls, config) -> Limits:
        return cls(
            per_address=int(config.get("CIPS_SIGNIN_PER_ADDRESS", cls.per_address)),
            device_max_age=dt.timedelta(days=float(config.get("CIPS_DEVICE_COOKIE_DAYS", 90))),
            proxies=int(config.get("CIPS_WEB_PROXIES", 0)),
        )


# Devices ----------------------------------------------------------------------------------


def device_cookie_name(user: User) -> str:
    return f"cips_device_{user.id}"


def _serializer(secrets_: list[str]) -> URLSafeTimedSerializer:
    """Signs with the last of `secrets_` and accepts any (the app's key and its fallbacks)."""
    return URLSafeTimedSerializer(secrets_, salt="cips-sign-in-device")


def trusted_device(request: Request, user: User, secrets_: list[str], limits: Limits) -> str | None:
    """The key of the browser's device counter when it holds a valid cookie for `user`."""
    value = request.cookies.get(device_cookie_name(user))
    if not value:
        return None
    try:
        user_id, nonce = _serializer(secrets_).loads(
            value, max_age=int(limits.device_max_age.total_seconds())
        )
    except (BadSignature, ValueError, TypeError):
        return None
    if user_id != user.id or not isinstance(nonce, str):
        return None
    return "device:" + hashlib.sha256(nonce.encode()).hexdigest()


def trust_device(
    response: Response, user: User, secrets_: list[str], limits: Limits, secure: bool
) -> None:
    """Give the browser a new device cookie for `user` (after a successful sign-in)."""
    value = _serializer(secrets_).dumps([user.id, secrets.token_urlsafe(24)])
    response.set_cookie(
        device_cookie_name(user), value, max_age=int(limits.device_max_age.total_seconds()),
        path="/login", secure=secure, httponly=True, samesite="Lax",
    )  # fmt: skip


# Addresses --------------------------------------------------------------------------------


def client_address(request: Request, limits: Limits) -> str:
    """The client's address: behind `proxies` reverse proxies, the one the outermost saw."""
    if limits.proxies > 0:
        forwarded = [a.strip() for a in request.headers.get("X-Forwarded-For", "").split(",")]
        forwarded = [a for a in forwarded if a]
        if len(forwarded) >= limits.proxies:
            return forwarded[-limits.proxies][:100]
    return (request.remote_addr or "unknown")[:100]


def account_key(user: User) -> str:
    return f"account:{user.id}"


def address_key(address: str) -> str:
    return f"address:{address}"


# Counters ---------------------------------------------------------------------------------


def blocked(data: Session, key: str, now: dt.datetime) -> bool:
    row = data.get(SignInCounter, key)
    return row is not None and row.blocked_until is not None and row.blocked_until > now


def _count(data: Session, key: str, now: dt.datetime, stale: ColumnElement[bool]) -> SignInCounter:
    """Add one failure to `key` (atomically: two workers never lose one), starting afresh
    when the row is `stale`."""
    data.execute(
        update(SignInCounter)
        .where(SignInCounter.key == key, stale)
        .values(failures=0, first_failure_at=now, blocked_until=None)
    )
    updated = data.execute(
        update(SignInCounter)
        .where(SignInCounter.key == key)
        .values(failures=SignInCounter.failures + 1, last_failure_at=now)
    ).rowcount
    if not updated:
        try:
            with data.begin_nested():
                data.add(SignInCounter(key=key, failures=1, first_failure_at=now,
                                       last_failure_at=now))  # fmt: skip
        except IntegrityError:  # another worker inserted it meanwhile
            data.execute(
                update(SignInCounter)
                .where(SignInCounter.key == key)
                .values(failures=SignInCounter.failures + 1, last_failure_at=now)
            )
    row = data.scalar(
        select(SignInCounter)
        .where(SignInCounter.key == key)
        .execution_options(populate_existing=True)
    )
    assert row is not None
    return row


def fail_growing(data: Session, key: str, now: dt.datetime, limits: Limits) -> None:
    """A failure for an account or a device: past the free ones, a block that doubles."""
    row = _count(data, key, now, SignInCounter.last_failure_at < now - FORGET_AFTER)
    beyond = row.failures - limits.free
    if beyond >= 0:
        block = limits.block_base * 2 ** min(beyond, 30)
        row.blocked_until = now + min(block, limits.block_max)


def fail_address(data: Session, key: str, now: dt.datetime, limits: Limits) -> None:
    """A failure from an address: at the limit, refused until its window ends."""
    row = _count(data, key, now, SignInCounter.first_failure_at <= now - limits.address_window)
    if row.failures >= limits.per_address:
        row.blocked_until = row.first_failure_at + limits.address_window


def clear(data: Session, key: str) -> None:
    data.execute(delete(SignInCounter).where(SignInCounter.key == key))


def forget_old(data: Session, now: dt.datetime) -> None:
    """Drop counters nobody has failed on for a day and that block nothing any more."""
    data.execute(
        delete(SignInCounter).where(
            SignInCounter.last_failure_at < now - FORGET_AFTER,
            (SignInCounter.blocked_until.is_(None)) | (SignInCounter.blocked_until < now),
        )
    )
