"""Two-factor sign-in: TOTP secrets, checking a code once only, recovery codes, who must enrol.

A secret is 160 random bits (RFC 6238's SHA-1, 6 digits, 30 s: what every authenticator app
reads from an `otpauth://` URI), stored Fernet-encrypted under a key derived from
`CIPS_SECRET_KEY` for this purpose only (read with the old keys too, MultiFernet), so a copy of
the database alone does not give the second factor. Enrolling stores the secret unconfirmed;
a right code confirms it. A code is accepted within one step either side (clock drift) and only
if its step is after the last one used, so a code seen over a shoulder or replayed within its
window is refused. Ten recovery codes (80 random bits each, shown once) are stored as SHA-256:
a fast hash is enough for that much entropy and finds a code with one indexed lookup; each
works once. `CIPS_REQUIRE_2FA` (admins, everyone or off) says who must enrol before anything else.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import secrets
from collections.abc import Sequence

import pyotp
from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from sqlalchemy import delete, update
from sqlalchemy.orm import Session

from survey.anonymity import keyed_hash
from survey.storage.models import RecoveryCode, Role, User
from web import sessions

ISSUER = "CIPS"
RECOVERY_CODES = 10
_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"  # no 0/o, 1/l/i to misread


class Cipher:
    """Encrypts TOTP secrets with the newest key; reads them with any kept key."""

    def __init__(self, secret: str, old_secrets: Sequence[str] = ()):
        self._fernet = MultiFernet([_fernet(key) for key in (secret, *old_secrets)])

    def encrypt(self, value: str) -> str:
        return self._fernet.encrypt(value.encode()).decode()

    def decrypt(self, token: str) -> str | None:
        try:
            return self._fernet.decrypt(token.encode()).decode()
        except InvalidToken:
            return None  # a key dropped from CIPS_OLD_SECRET_KEYS: `cips user reset-2fa`


def _fernet(secret: str) -> Fernet:
    return Fernet(base64.urlsafe_b64encode(bytes.fromhex(keyed_hash(secret, "totp-secret"))))


def enrolled(user: User) -> bool:
    return user.totp_confirmed_at is not None


def required(user: User, requirement: str) -> bool:
    """Whether `user` must have two-factor sign-in under `CIPS_REQUIRE_2FA`."""
    if requirement == "everyone":
        return True
    return requirement == "admins" and user.role == Role.ADMIN


def begin(user: User, cipher: Cipher) -> None:
    """A new unconfirmed secret for `user` (enrolling again replaces any unconfirmed one)."""
    user.totp_secret = cipher.encrypt(pyotp.random_base32(32))
    user.totp_confirmed_at = None
    user.totp_last_step = None


def secret_of(user: User, cipher: Cipher) -> str | None:
    return cipher.decrypt(user.totp_secret) if user.totp_secret else None


def provisioning_uri(user: User, secret: str) -> str:
    """The `otpauth://` URI an authenticator app reads from the QR code."""
    return pyotp.TOTP(secret).provisioning_uri(name=user.username, issuer_name=ISSUER)


def _step_of(user: User, cipher: Cipher, code: str, now: dt.datetime) -> int | None:
    """The time step whose code `code` is (one step of drift either side), if not used yet."""
    secret = secret_of(user, cipher)
    code = "".join(code.split())
    if secret is None or len(code) != 6 or not code.isdigit():
        return None
    totp = pyotp.TOTP(secret)
    current = totp.timecode(now)
    for step in (current - 1, current, current + 1):
        if hmac.compare_digest(totp.generate_otp(step), code):
            if user.totp_last_step is not None and step <= user.totp_last_step:
                return None  # used already (or an older code than the last one used)
            return step
    return None


def check_code(data: Session, user: User, cipher: Cipher, code: str, now: dt.datetime) -> bool:
    """Whether `code` is a right TOTP code not used before; a right one is spent at once."""
    step = _step_of(user, cipher, code, now)
    if step is None:
        return False
    # Spent atomically: of two requests with the same code, only one moves the step on.
    spent = data.execute(
        update(User)
        .where(User.id == user.id)
        .where((User.totp_last_step.is_(None)) | (User.totp_last_step < step))
        .values(totp_last_step=step)
    ).rowcount
    data.refresh(user, ["totp_last_step"])
    return spent == 1


def confirm(data: Session, user: User, cipher: Cipher, code: str, now: dt.datetime) -> list[str]:
    """Confirm the enrolment with a right code: returns the new recovery codes, or [] if wrong."""
    if enrolled(user) or not check_code(data, user, cipher, code, now):
        return []
    user.totp_confirmed_at = now
    return new_recovery_codes(data, user)


def new_recovery_codes(data: Session, user: User) -> list[str]:
    """Ten new recovery codes (the old ones no longer work); returned once, stored hashed."""
    data.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    codes = []
    for _ in range(RECOVERY_CODES):
        raw = "".join(secrets.choice(_ALPHABET) for _ in range(16))  # 16 x 4.95 bits
        codes.append("-".join(raw[i : i + 4] for i in range(0, 16, 4)))
    data.add_all(RecoveryCode(user_id=user.id, code_hash=_code_hash(c)) for c in codes)
    return codes


def _code_hash(code: str) -> str:
    normal = "".join(ch for ch in code.lower() if ch.isalnum())
    return hashlib.sha256(normal.encode()).hexdigest()


def use_recovery_code(data: Session, user: User, code: str, now: dt.datetime) -> bool:
    """Whether `code` is one of the user's unused recovery codes; it is spent at once."""
    spent = data.execute(
        update(RecoveryCode)
        .where(RecoveryCode.user_id == user.id, RecoveryCode.code_hash == _code_hash(code))
        .where(RecoveryCode.used_at.is_(None))
        .values(used_at=now)
    ).rowcount
    return spent == 1


def reset(data: Session, user: User) -> None:
    """Forget the user's second factor and recovery codes; every session of theirs ends."""
    user.totp_secret = None
    user.totp_confirmed_at = None
    user.totp_last_step = None
    data.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    sessions.end_all(data, user)
