"""Accounts and API tokens: creation, password hashing and checking, sign-in throttling.

Passwords are hashed with werkzeug's scrypt. After `MAX_FAILURES` wrong passwords in a row an
account is locked for `LOCK_BASE`, doubling with every further failure up to `LOCK_MAX`; while
locked even the right password is refused; a successful sign-in resets the count. API tokens are
shown once and stored only as a SHA-256 hash (they are long random strings, so a fast hash is
enough and lets every API call find its token with one indexed lookup).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import secrets

from sqlalchemy import select
from sqlalchemy.orm import Session
from werkzeug.security import check_password_hash, generate_password_hash

from survey.storage.models import Administration, ApiToken, Role, User

USERNAME = re.compile(r"^[A-Za-z0-9._@-]{2,64}$")
MIN_PASSWORD = 10
MAX_FAILURES = 5
LOCK_BASE = dt.timedelta(minutes=1)
LOCK_MAX = dt.timedelta(hours=1)
TOKEN_PREFIX = "cips_"
# Checked against when the user does not exist, so that both cases take as long.
_DUMMY_HASH = generate_password_hash("not-a-password")


class AccountError(ValueError):
    """An account request that cannot be carried out, with a message for the operator."""


def hash_password(password: str) -> str:
    return generate_password_hash(password)


def create_user(
    session: Session,
    username: str,
    password: str,
    role: str,
    administration: Administration | None,
) -> User:
    if not USERNAME.match(username):
        raise AccountError("user name: 2-64 letters, digits, '.', '_', '@' or '-'")
    if role not in {r.value for r in Role}:
        raise AccountError(f"role must be one of {', '.join(r.value for r in Role)}")
    if role != Role.ADMIN and administration is None:
        raise AccountError(f"a {role} belongs to an administration: give --administration")
    if role == Role.ADMIN and administration is not None:
        raise AccountError("an admin sees every administration: leave --administration out")
    if len(password) < MIN_PASSWORD:
        raise AccountError(f"the password must have at least {MIN_PASSWORD} characters")
    if session.scalar(select(User).where(User.username == username)):
        raise AccountError(f"user {username} already exists")
    user = User(
        username=username,
        password_hash=hash_password(password),
        role=role,
        administration=administration,
    )
    session.add(user)
    session.flush()
    return user


def set_password(user: User, password: str) -> None:
    if len(password) < MIN_PASSWORD:
        raise AccountError(f"the password must have at least {MIN_PASSWORD} characters")
    user.password_hash = hash_password(password)
    user.failed_logins = 0
    user.locked_until = None


def authenticate(session: Session, username: str, password: str, now: dt.datetime):
    """(user, None) on success; (None, reason) with reason 'invalid' or 'locked'."""
    user = session.scalar(select(User).where(User.username == username))
    if user is None or not user.active:
        check_password_hash(_DUMMY_HASH, password)
        return None, "invalid"
    if user.locked_until is not None and user.locked_until > now:
        return None, "locked"
    if not check_password_hash(user.password_hash, password):
        user.failed_logins += 1
        if user.failed_logins >= MAX_FAILURES:
            lock = LOCK_BASE * 2 ** (user.failed_logins - MAX_FAILURES)
            user.locked_until = now + min(lock, LOCK_MAX)
            return None, "locked"
        return None, "invalid"
    user.failed_logins = 0
    user.locked_until = None
    return user, None


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create_token(session: Session, user: User, label: str) -> str:
    """A new API token for `user`; the token itself is returned once and never stored."""
    label = label.strip()[:100]
    if not label:
        raise AccountError("give the token a label (what script uses it)")
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    session.add(ApiToken(user=user, token_hash=token_hash(token), label=label))
    session.flush()
    return token


def user_for_token(session: Session, token: str, today: dt.date) -> User | None:
    row = session.scalar(select(ApiToken).where(ApiToken.token_hash == token_hash(token)))
    if row is None or not row.user.active:
        return None
    if row.last_used_on != today:
        row.last_used_on = today
    return row.user
