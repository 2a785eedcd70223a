"""The Telegram bot's username, which every deep link, QR code and poster needs.

The bot reads it from Telegram's getMe when it starts (with a real token) and stores it here, so
that the web back end, the API and the command line, in other processes, make working links
without being told. TELEGRAM_BOT_USERNAME, when set, wins over what is stored. Without either,
links carry a placeholder and every place that shows one says that it does not work yet
(`LINK_UNUSABLE`).
"""

from __future__ import annotations

import re

from sqlalchemy import select
from sqlalchemy.orm import Session

from survey.config import Settings
from survey.storage.models import AppSetting, utcnow

BOT_USERNAME_KEY = "telegram_bot_username"
# Telegram: 5 to 32 characters, letters, digits and underscores (a bot's ends in "bot").
USERNAME = re.compile(r"^[A-Za-z0-9_]{5,32}$")

# What the command line says where a link would be (the web pages say it translated).
LINK_UNUSABLE = (
    "this link does not work yet: the bot's username is unknown. Start the bot once with "
    "TELEGRAM_BOT_TOKEN set (`cips bot` or `cips run`: it asks Telegram for its username and "
    "stores it), or set TELEGRAM_BOT_USERNAME."
)


def stored_bot_username(session: Session) -> str | None:
    return session.scalar(select(AppSetting.value).where(AppSetting.key == BOT_USERNAME_KEY))


def store_bot_username(session: Session, username: str) -> None:
    """Remember the username Telegram gave the bot (getMe), replacing any earlier one."""
    username = username.lstrip("@")
    if not USERNAME.match(username):
        raise ValueError(f"not a Telegram username: {username!r}")
    row = session.get(AppSetting, BOT_USERNAME_KEY)
    if row is None:
        session.add(AppSetting(key=BOT_USERNAME_KEY, value=username))
    elif row.value != username:
        row.value = username
        row.updated_at = utcnow()


def bot_username(session: Session, settings: Settings) -> str | None:
    """TELEGRAM_BOT_USERNAME if set, else the username the bot stored, else None (no working
    link can be made)."""
    return settings.bot_username or stored_bot_username(session)
