"""Accounts and API tokens: creation, passwords, roles, deactivation, tokens.

Passwords follow `web.passwords` (at least 12 characters, not a common one, Argon2id). A new
password, a new role and a deactivation end every web session of the account at once
(`web.sessions.end_all`); signing in and its throttling are `web.signin`'s. API tokens are
shown once and stored only as a SHA-256 hash (they are long random strings, so a fast hash is
enough and lets every API call find its token with one indexed lookup); each reads one
administration (or, an admin's, every one), is read-only unless made read-write, and expires
(90 days by default, a year at most).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import secrets

from sqlalchemy import select
from sqlalchemy.orm import Session

from survey.storage.models import Administration, ApiToken, Role, User
from web import sessions
from web.passwords import hash_password, weakness

USERNAME = re.compile(r"^[A-Za-z0-9._@-]{2,64}$")
TOKEN_PREFIX = "cips_"


class AccountError(ValueError):
    """An account request that cannot be carried out, with a message for the operator."""


def create_user(
    session: Session,
    username: str,
    password: str,
    role: str,
    administration: Administration | None,
) -> User:
    if not USERNAME.match(username):
        raise AccountError("user name: 2-64 letters, digits, '.', '_', '@' or '-'")
    _check_role(role, administration)
    if problem := weakness(password):
        raise AccountError(problem)
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


def _check_role(role: str, administration: Administration | None) -> None:
    if role not in {r.value for r in Role}:
        raise AccountError(f"role must be one of {', '.join(r.value for r in Role)}")
    if role not in (Role.ADMIN, Role.BENCHMARK) and administration is None:
        raise AccountError(f"a {role} belongs to an administration: give --administration")
    if role == Role.ADMIN and administration is not None:
        raise AccountError("an admin sees every administration: leave --administration out")
    if role == Role.BENCHMARK and administration is not None:
        raise AccountError(
            "a benchmark analyst sees the benchmark across administrations, no "
            "administration's campaigns: leave --administration out"
        )


def set_password(session: Session, user: User, password: str) -> None:
    """A new password; every session of the account ends (a copied cookie too)."""
    if problem := weakness(password):
        raise AccountError(problem)
    user.password_hash = hash_password(password)
    sessions.end_all(session, user)


def set_role(
    session: Session, user: User, role: str, administration: Administration | None
) -> None:
    """A new role (and administration); every session of the account ends."""
    _check_role(role, administration)
    user.role = role
    user.administration = administration
    sessions.end_all(session, user)


def deactivate(session: Session, user: User) -> None:
    """Refuse every sign-in and API token of `user`; every session ends at once."""
    user.active = False
    sessions.end_all(session, user)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


TOKEN_DAYS = 90  # the default life of an API token
TOKEN_MAX_DAYS = 365


def create_token(
    session: Session,
    user: User,
    label: str,
    *,
    administration: Administration | None = None,
    read_only: bool = True,
    days: int = TOKEN_DAYS,
    now: dt.datetime | None = None,
) -> str:
    """A new API token for `user`; the token itself is returned once and never stored.

    It reads `administration` only: a coordinator's or analyst's token is always scoped to
    their own; an admin's reads every administration when none is given.
    """
    label = label.strip()[:100]
    if not label:
        raise AccountError("give the token a label (what script uses it)")
    if user.role == Role.BENCHMARK:
        raise AccountError("a benchmark analyst has no API token: the API serves campaigns")
    if user.role != Role.ADMIN:
        if administration is not None and administration.id != user.administration_id:
            raise AccountError(f"{user.username} cannot read that administration")
        administration = user.administration
    if not 1 <= days <= TOKEN_MAX_DAYS:
        raise AccountError(f"a token is valid for 1 to {TOKEN_MAX_DAYS} days")
    now = now or dt.datetime.now(dt.UTC)
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    session.add(ApiToken(user=user, token_hash=token_hash(token), label=label,
                         administration=administration, read_only=read_only,
                         expires_at=now + dt.timedelta(days=days)))  # fmt: skip
    session.flush()
    return token


def token_for(session: Session, token: str, now: dt.datetime) -> ApiToken | None:
    """The live token row of `token` (its user active, not expired, not revoked), or None."""
    row = session.scalar(select(ApiToken).where(ApiToken.token_hash == token_hash(token)))
    if row is None or not row.user.active or row.user.role == Role.BENCHMARK:
        return None  # a benchmark analyst reads no campaign, even with a token made before
    if row.expires_at is not None and row.expires_at <= now:
        return None
    if row.last_used_on != now.date():
        row.last_used_on = now.date()
    return row


def revoke_token(session: Session, user: User, token_id: int) -> bool:
    """Delete `user`'s token `token_id` (scripts using it are refused at once)."""
    row = session.get(ApiToken, token_id)
    if row is None or row.user_id != user.id:
        return False
    session.delete(row)
    return True
