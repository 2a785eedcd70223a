"""Anonymity helpers: keyed hashes that find a person without naming them, and the chat cipher.

Both are keyed by CIPS_SECRET_KEY, so someone who reads the database alone can neither reverse a
hash by trying every Telegram id nor read an encrypted chat id.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from functools import lru_cache

from cryptography.fernet import Fernet, InvalidToken


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


class ChatCipher:
    """Encrypts the chat address (authenticated, Fernet) for as long as delivery needs it."""

    def __init__(self, secret: str):
        self._fernet = Fernet(base64.urlsafe_b64encode(_derive(secret, "chat-cipher")))

    def encrypt(self, chat_id: str | int) -> str:
        return self._fernet.encrypt(str(chat_id).encode()).decode()

    def decrypt(self, token: str) -> str:
        try:
            return self._fernet.decrypt(token.encode()).decode()
        except InvalidToken as exc:
            raise ValueError("chat address cannot be decrypted with this CIPS_SECRET_KEY") from exc
