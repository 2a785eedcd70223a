"""Settings read from the environment, with the embedded defaults a newcomer needs.

Keys: `CIPS_SECRET_KEY` makes the keyed hashes and encrypts chat ids (and, through keys derived
from it, signs the web's cookies). To rotate it, set the new key there and keep the old ones,
for reading only, in `CIPS_OLD_SECRET_KEYS` (comma-separated, newest first): conversations under
way, the duplicate check and signed-in sessions keep working. Drop an old key once every campaign
that was open before the rotation has closed (README, "Rotating CIPS_SECRET_KEY").
"""

from __future__ import annotations

import logging
import os
import secrets
from dataclasses import dataclass, field
from pathlib import Path

from survey.limits import (
    DEFAULT_MAX_REQUEST_BYTES,
    ImportLimits,
    import_limits,
    max_request_bytes,
)

log = logging.getLogger(__name__)

DEFAULT_DATABASE_URL = "sqlite:///cips.db"
SECRET_KEY_FILE = "cips-secret.key"
MIN_CELL_FLOOR = 5
DEFAULT_MIN_CELL = 10
DEFAULT_TELEGRAM_API_URL = "https://api.telegram.org"


@dataclass(frozen=True)
class Settings:
    database_url: str
    secret_key: str
    min_cell: int
    questionnaire_dirs: tuple[Path, ...]
    bot_username: str | None
    telegram_token: str | None = None
    telegram_api_url: str = DEFAULT_TELEGRAM_API_URL
    send_rate: float = 30.0  # messages per second overall (Telegram's limit); 0: unlimited
    chat_rate: float = 1.0  # messages per second in one chat, sustained; 0: unlimited
    chat_burst: float = 3.0  # messages one chat may get at once before the pace applies
    # CIPS_REPLIES_UNLIMITED: replies go without the overall rate (Telegram limits replies per
    # chat only, its Bot API maintainers say); reminders always keep under it. Off by default.
    replies_unlimited: bool = False
    # CIPS_PUBLIC_URL: the address respondents reach the web back end at (web survey links,
    # their QR codes), without a trailing slash; None: the address of the request at hand.
    public_url: str | None = None
    # CIPS_MINIAPP_MAX_AGE: how old (seconds) a Telegram Mini App's initData may be when it is
    # exchanged for a form token (its auth_date); a day by default, as the issue asks.
    miniapp_max_age: int = 86_400
    max_request_bytes: int = DEFAULT_MAX_REQUEST_BYTES  # a web request body (survey.limits)
    import_limits: ImportLimits = field(default_factory=ImportLimits)  # CIPS_IMPORT_MAX_*
    old_secret_keys: tuple[str, ...] = ()  # CIPS_OLD_SECRET_KEYS: read, never written

    @property
    def secret_keys(self) -> tuple[str, ...]:
        """Every kept key, the current one first."""
        return (self.secret_key, *self.old_secret_keys)


def _secret_key() -> str:
    """CIPS_SECRET_KEY, or a key kept in a local file for the embedded default.

    The key makes the keyed hashes and encrypts chat ids: it must stay the same across restarts,
    so a generated key is written once (mode 0600) and read back afterwards.
    """
    if key := os.environ.get("CIPS_SECRET_KEY"):
        return key
    path = Path(SECRET_KEY_FILE)
    if path.exists():
        return path.read_text().strip()
    key = secrets.token_urlsafe(32)
    path.touch(mode=0o600)
    path.write_text(key)
    log.warning("CIPS_SECRET_KEY is not set: generated one in %s (set it in production)", path)
    return key


def _old_secret_keys(current: str) -> tuple[str, ...]:
    """CIPS_OLD_SECRET_KEYS: comma-separated, in order, blanks, repeats and the current key left
    out (keys are URL-safe, so they hold no comma)."""
    keys: list[str] = []
    for key in os.environ.get("CIPS_OLD_SECRET_KEYS", "").split(","):
        key = key.strip()
        if key and key != current and key not in keys:
            keys.append(key)
    return tuple(keys)


def _min_cell() -> int:
    value = int(os.environ.get("CIPS_MIN_CELL", str(DEFAULT_MIN_CELL)))
    if value < MIN_CELL_FLOOR:
        raise ValueError(f"CIPS_MIN_CELL must be at least {MIN_CELL_FLOOR}, got {value}")
    return value


def load_settings() -> Settings:
    """Read the settings from the environment (call again after changing it)."""
    dirs = os.environ.get("CIPS_QUESTIONNAIRE_DIRS", "")
    secret_key = _secret_key()
    return Settings(
        database_url=os.environ.get("DATABASE_URL", DEFAULT_DATABASE_URL),
        secret_key=secret_key,
        old_secret_keys=_old_secret_keys(secret_key),
        min_cell=_min_cell(),
        questionnaire_dirs=tuple(Path(d) for d in dirs.split(os.pathsep) if d),
        bot_username=os.environ.get("TELEGRAM_BOT_USERNAME") or None,
        telegram_token=os.environ.get("TELEGRAM_BOT_TOKEN") or None,
        telegram_api_url=os.environ.get("TELEGRAM_API_URL") or DEFAULT_TELEGRAM_API_URL,
        send_rate=float(os.environ.get("CIPS_SEND_RATE", "30")),
        chat_rate=float(os.environ.get("CIPS_CHAT_RATE", "1")),
        chat_burst=float(os.environ.get("CIPS_CHAT_BURST", "3")),
        replies_unlimited=os.environ.get("CIPS_REPLIES_UNLIMITED", "") in ("1", "true", "yes"),
        public_url=os.environ.get("CIPS_PUBLIC_URL", "").strip().rstrip("/") or None,
        miniapp_max_age=int(os.environ.get("CIPS_MINIAPP_MAX_AGE", "86400")),
        max_request_bytes=max_request_bytes(),
        import_limits=import_limits(),
    )
