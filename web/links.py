"""The campaign links the pages, QR codes, posters and API show, and whether they work.

A link needs the bot's username: TELEGRAM_BOT_USERNAME, or the one the bot stored when it
started (survey.bot_identity). Without it a link would lead nowhere, so every place that shows
one says so instead, with how to fix it (`LINK_UNUSABLE`).
"""

from __future__ import annotations

from flask import g
from flask_babel import gettext as _

from survey.bot_identity import bot_username as stored_or_configured
from survey.campaign_editing import source_link
from web.state import app_state, db_session


def bot_username() -> str | None:
    """The bot's username (read once per request), or None when no working link can be made."""
    if "cips_bot_username" not in g:
        g.cips_bot_username = stored_or_configured(db_session(), app_state().settings)
    return g.cips_bot_username


def campaign_link(campaign_code: str, tag: str | None = None) -> str:
    """The deep link of a campaign (and channel); a placeholder when `bot_username()` is None."""
    return source_link(bot_username(), campaign_code, tag)


def link_unusable_text() -> str:
    """What every page with a link says while the bot's username is unknown, translated."""
    return _(
        "This link does not work yet: the bot's username is unknown. Start the bot once with "
        "TELEGRAM_BOT_TOKEN set (cips bot or cips run asks Telegram for the username and stores "
        "it), or set TELEGRAM_BOT_USERNAME, then reload this page."
    )
