"""The names coordinators read for the channels of survey.channels, in the page's language."""

from __future__ import annotations

from flask_babel import gettext as _

from survey import channels


def channel_name(key: str) -> str:
    names = {
        channels.CHAT: _("Telegram chat"),
        channels.MINIAPP: _("Form inside Telegram (Mini App)"),
        channels.WEB: _("Web link"),
        channels.CODE: _("Web, with an access code"),
        channels.NOT_RECORDED: _("Not recorded (sealed before channels were counted)"),
    }
    return names.get(key, key)
