"""The campaign links the pages, QR codes, posters and API show, and whether they work.

A link needs the bot's username: TELEGRAM_BOT_USERNAME, or the one the bot stored when it
started (survey.bot_identity). Without it a link would lead nowhere, so every place that shows
one says so instead, with how to fix it (`LINK_UNUSABLE`).

The web survey's link needs the public address (CIPS_PUBLIC_URL, web.respond.links): without
it, or with a local one, the link may lead nowhere for respondents, so every page, poster and
code file that shows it says so beside it, with how to fix it (`web_link_warning`).
"""

from __future__ import annotations

from flask import g
from flask_babel import gettext as _

from survey.bot_identity import bot_username as stored_or_configured
from survey.campaign_editing import source_link
from web.respond.links import Reach, public_base, reachable
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


def web_link_warning() -> str | None:
    """What every page, poster and code file with a web survey link says while respondents may
    not reach it (CIPS_PUBLIC_URL unset, or local), translated; None when it is public."""
    reach = reachable(app_state().settings)
    address = public_base(app_state().settings)
    if reach is Reach.UNSET:
        return _(
            "CIPS_PUBLIC_URL is not set, so this web link uses the address cips was opened at "
            "({address}), which respondents may not be able to reach. Set CIPS_PUBLIC_URL to the "
            "public address of the web back end (for example https://cips.example.org) and "
            "restart cips."
        ).format(address=address)
    if reach is Reach.LOCAL:
        return _(
            "This web link points to {address}, an address of this computer or its local "
            "network that respondents' phones and computers cannot reach. Set CIPS_PUBLIC_URL to "
            "the public address of the web back end (for example https://cips.example.org) and "
            "restart cips."
        ).format(address=address)
    return None
