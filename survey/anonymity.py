"""Anonymity helpers: keyed hashes that find a person without naming them, and the chat cipher.

Both are keyed by CIPS_SECRET_KEY, so someone who reads the database alone can neither reverse a
hash by trying every Telegram id nor read an encrypted chat id.

Rotating the key (README, "Rotating CIPS_SECRET_KEY"): the old keys stay in CIPS_OLD_SECRET_KEYS
for reading. Tokens are encrypted with the newest key and read with any (MultiFernet); a keyed
hash cannot be recomputed from the hash, so a returning person is looked up under every kept key,
newest first (`user_hashes`, `participation_marks`).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Sequence
from functools import lru_cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet


@lru_cache(maxsize=64)  # a handful of (secret, purpose) pairs per process
def _derive(secret: str, purpose: str) -> bytes:
    return hmac.new(secret.encode(), purpose.encode(), hashlib.sha256).digest()


def keyed_hash(secret: str, purpose: str, *parts: str | int) -> str:
    """HMAC-SHA256 of the parts under a key derived for one purpose, as 64 hex digits."""
    message = "\x1f".join(str(p) for p in parts).encode()
    return hmac.new(_derive(secret, purpose), message, hashlib.sha256).hexdigest()


def user_hash(secret: str, channel: str, user_id: str | int) -> str:
    """Finds the contact record of a channel user while their conversation is under way."""
    return keyed_hash(secret, "contact", channel, user_id)


def participation_mark(secret: str, campaign_code: str, channel: str, user_id: str | int) -> str:
    """Stops a second response to the same campaign; different for every campaign."""
    return keyed_hash(secret, "participation", campaign_code, channel, user_id)


def user_hashes(secrets: Sequence[str], channel: str, user_id: str | int) -> list[str]:
    """The user's contact hash under each kept key, newest key first."""
    return [user_hash(secret, channel, user_id) for secret in secrets]


def participation_marks(
    secrets: Sequence[str], campaign_code: str, channel: str, user_id: str | int
) -> list[str]:
    """The person's participation mark under each kept key, newest key first."""
    return [participation_mark(secret, campaign_code, channel, user_id) for secret in secrets]


class ChatCipher:
    """Encrypts the chat address (authenticated, Fernet) for as long as delivery needs it.

    Encrypts with `secret`; decrypts with it or any of `old_secrets` (MultiFernet).
    """

    def __init__(self, secret: str, old_secrets: Sequence[str] = ()):
        self._current = _fernet(secret)
        self._fernet = MultiFernet([self._current, *(_fernet(key) for key in old_secrets)])

    def encrypt(self, chat_id: str | int) -> str:
        return self._fernet.encrypt(str(chat_id).encode()).decode()

    def decrypt(self, token: str) -> str:
        try:
            return self._fernet.decrypt(token.encode()).decode()
        except InvalidToken as exc:
            raise ValueError(UNREADABLE) from exc

    def is_current(self, token: str) -> bool:
        """Whether the token is encrypted with the current key."""
        try:
            self._current.decrypt(token.encode())
        except InvalidToken:
            return False
        return True

    def rotate(self, token: str) -> str:
        """The token encrypted with the newest key (its original timestamp kept)."""
        try:
            return self._fernet.rotate(token.encode()).decode()
        except InvalidToken as exc:
            raise ValueError(UNREADABLE) from exc


UNREADABLE = (
    "chat address cannot be decrypted with CIPS_SECRET_KEY or any key of CIPS_OLD_SECRET_KEYS"
)


def _fernet(secret: str) -> Fernet:
    return Fernet(base64.urlsafe_b64encode(_derive(secret, "chat-cipher")))
