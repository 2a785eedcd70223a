"""Server-side sessions of the web back end: who a browser is signed in as rests on a row here.

A sign-in draws a new random id (32 bytes), gives it to the browser and stores only its SHA-256
with the account, the time of the sign-in and the time it was last seen. A request is signed in
while its row exists, the account is active, it was seen within the idle timeout and signed in
within the absolute lifetime (both settings); an expired row is deleted when met. Signing out
deletes the row; `end_all` deletes every row of an account at once (new password, new role,
deactivation), so a copied cookie dies with them. "Last seen" is written at most once a minute
(`TOUCH_EVERY`), so a page view is not a write; the idle timeout is exact to that minute.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets

from sqlalchemy import delete
from sqlalchemy.orm import Session

from survey.storage.models import User, WebSession

TOUCH_EVERY = dt.timedelta(minutes=1)


def _hash(session_id: str) -> str:
    return hashlib.sha256(session_id.encode()).hexdigest()


def start(data: Session, user: User, now: dt.datetime) -> str:
    """A new session of `user`; returns its id (for the browser only, never stored)."""
    session_id = secrets.token_urlsafe(32)
    data.add(WebSession(id_hash=_hash(session_id), user_id=user.id, created_at=now,
                        last_seen_at=now))  # fmt: skip
    return session_id


def resolve(
    data: Session,
    session_id: str,
    now: dt.datetime,
    idle: dt.timedelta,
    lifetime: dt.timedelta,
) -> User | None:
    """The active user signed in with `session_id`, or None (an expired row is deleted)."""
    row = data.get(WebSession, _hash(session_id))
    if row is None:
        return None
    user = data.get(User, row.user_id)
    if (
        user is None
        or not user.active
        or now - row.last_seen_at >= idle
        or now - row.created_at >= lifetime
    ):
        data.delete(row)
        return None
    if now - row.last_seen_at >= TOUCH_EVERY:
        row.last_seen_at = now
    return user


def end(data: Session, session_id: str) -> None:
    """Sign this one session out."""
    data.execute(delete(WebSession).where(WebSession.id_hash == _hash(session_id)))


def end_all(data: Session, user: User) -> None:
    """Sign every session of `user` out (every browser, every copied cookie)."""
    data.execute(delete(WebSession).where(WebSession.user_id == user.id))


def purge_expired(data: Session, now: dt.datetime, idle: dt.timedelta) -> None:
    """Delete the rows nobody can use any more (idle for longer than the timeout)."""
    data.execute(delete(WebSession).where(WebSession.last_seen_at <= now - idle))
