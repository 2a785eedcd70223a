"""Passwords of the web accounts: the rules a new one must meet, its Argon2id hash, and checking.

Rules: at least `MIN_LENGTH` characters, and not among the 10,000 most common passwords
(`web/data/common_passwords.txt`, shipped with the package), compared without case and also
with digits, spaces and punctuation stripped from both ends ("Password2024!" is "password"),
and a common one repeated ("qwertyqwerty") is refused too.

Hashes are Argon2id (argon2-cffi). The parameters come from the environment at each call, so
that tests can make hashing cheap and an operator can raise the cost; by default they are
OWASP's recommended minimum for Argon2id (19 MiB of memory, 2 passes, 1 lane: about 0.1 s).
A hash made with other parameters, or with werkzeug's scrypt or PBKDF2 (what cips used before),
still verifies, and `needs_rehash` says to replace it at the next successful sign-in.
`verify_dummy` spends the same time for a user name that does not exist.
"""

from __future__ import annotations

import functools
import os
import string
from importlib import resources

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from werkzeug.security import check_password_hash

MIN_LENGTH = 12
# OWASP Password Storage Cheat Sheet: Argon2id, m=19 MiB, t=2, p=1 at least.
DEFAULT_TIME_COST = 2
DEFAULT_MEMORY_KIB = 19 * 1024
DEFAULT_PARALLELISM = 1
_STRIP = string.digits + string.punctuation + string.whitespace


def _parameters() -> tuple[int, int, int]:
    return (
        int(os.environ.get("CIPS_PASSWORD_TIME_COST", DEFAULT_TIME_COST)),
        int(os.environ.get("CIPS_PASSWORD_MEMORY_KIB", DEFAULT_MEMORY_KIB)),
        int(os.environ.get("CIPS_PASSWORD_PARALLELISM", DEFAULT_PARALLELISM)),
    )


@functools.lru_cache(maxsize=4)
def _hasher(time_cost: int, memory_kib: int, parallelism: int) -> PasswordHasher:
    return PasswordHasher(time_cost=time_cost, memory_cost=memory_kib, parallelism=parallelism)


def hasher() -> PasswordHasher:
    """The Argon2id hasher with the parameters in force (`CIPS_PASSWORD_*`)."""
    return _hasher(*_parameters())


@functools.lru_cache(maxsize=4)
def _dummy_hash(time_cost: int, memory_kib: int, parallelism: int) -> str:
    return _hasher(time_cost, memory_kib, parallelism).hash("not the password of anybody")


@functools.lru_cache(maxsize=1)
def common_passwords() -> frozenset[str]:
    text = resources.files("web").joinpath("data/common_passwords.txt").read_text("utf-8")
    return frozenset(
        line.strip() for line in text.splitlines() if line.strip() and not line.startswith("#")
    )


def weakness(password: str) -> str | None:
    """Why `password` may not be used (a message for the operator), or None when it may."""
    if len(password) < MIN_LENGTH:
        return f"the password must have at least {MIN_LENGTH} characters"
    lowered = password.lower()
    candidates = {lowered, lowered.strip(_STRIP), _repeated_unit(lowered)}
    if candidates & common_passwords():
        return "this password is among the most common ones: choose another"
    return None


def _repeated_unit(text: str) -> str:
    """The shortest piece that `text` repeats ("abcabc" -> "abc"), or `text` itself."""
    for size in range(1, len(text) // 2 + 1):
        if len(text) % size == 0 and text[:size] * (len(text) // size) == text:
            return text[:size]
    return text


def hash_password(password: str) -> str:
    return hasher().hash(password)


def verify_password(stored: str, password: str) -> bool:
    """Whether `password` matches the `stored` hash (Argon2, or werkzeug's older formats)."""
    if stored.startswith("$argon2"):
        try:
            return hasher().verify(stored, password)
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            return False
    return check_password_hash(stored, password)


def verify_dummy(password: str) -> None:
    """Verify `password` against a hash nobody has: as slow as checking a real account."""
    verify_password(_dummy_hash(*_parameters()), password)


def needs_rehash(stored: str) -> bool:
    """True for a hash made another way or with other parameters than those in force."""
    if not stored.startswith("$argon2"):
        return True
    try:
        return hasher().check_needs_rehash(stored)
    except InvalidHashError:
        return True
