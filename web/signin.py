"""One sign-in attempt: which throttles apply, the password check, and what the attempt leaves.

Every attempt verifies one password hash, whatever happens (the account's, or a dummy one for
a name that does not exist or is deactivated, and also when the attempt is refused by a
throttle), so that an unknown name, a wrong password and a refused attempt take as long as each
other; the caller shows them the same page with the same status. The throttles are
`web.signin_limits`'s. A right password whose hash was made another way or with weaker
parameters is hashed again with the parameters in force. Every attempt leaves an audit entry
(`survey.audit`) with the client's address, in the caller's transaction.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from sqlalchemy import select
from sqlalchemy.orm import Session

from survey import audit
from survey.storage.models import User
from web import signin_limits as limits_
from web.passwords import hash_password, needs_rehash, verify_dummy, verify_password


def attempt(
    data: Session,
    username: str,
    password: str,
    *,
    address: str,
    device_of: Callable[[User], str | None],
    now: dt.datetime,
    limits: limits_.Limits,
) -> User | None:
    """The user signed in, or None (unknown, wrong, deactivated or throttled: not told which).

    `device_of(user)` is the key of the browser's device counter when the browser holds a valid
    device cookie for that user (`signin_limits.trusted_device`). The caller commits.
    """
    user = data.scalar(select(User).where(User.username == username))
    if user is not None and not user.active:
        user = None
    device = device_of(user) if user is not None else None
    if device is not None and limits_.blocked(data, device, now):
        device = None  # a trusted browser that failed too often is treated as untrusted
    refused = device is None and (
        limits_.blocked(data, limits_.address_key(address), now)
        or (user is not None and limits_.blocked(data, limits_.account_key(user), now))
    )
    if user is None:
        verify_dummy(password)
        right = False
    else:
        right = verify_password(user.password_hash, password)
    if right and not refused:
        assert user is not None
        limits_.clear(data, device or limits_.account_key(user))
        if needs_rehash(user.password_hash):
            user.password_hash = hash_password(password)
        audit.record(data, audit.SIGNIN, actor=user.username, address=address,
                     detail="password accepted", now=now)  # fmt: skip
        return user
    # The name typed is recorded only when it is an account's: a password typed into the name
    # field by mistake must not end up in the log.
    audit.record(data, audit.SIGNIN_FAILED, actor=user.username if user else "(unknown name)",
                 address=address, detail="refused (throttled)" if refused else
                 "wrong password" if user else "no such active account",
                 now=now)  # fmt: skip
    if refused:  # not counted: the block does not grow while it holds
        return None
    if device is not None:
        limits_.fail_growing(data, device, now, limits)
    else:
        limits_.fail_address(data, limits_.address_key(address), now, limits)
        if user is not None:
            limits_.fail_growing(data, limits_.account_key(user), now, limits)
    limits_.forget_old(data, now)
    return None
