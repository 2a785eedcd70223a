"""The local stand-in for Telegram: a Bot API kept in memory (`bot_api`; `telegram` adds the
people's side), served to the bot over HTTP (`endpoint`), and a chat page where a person answers
as they would in the Telegram app (`page`). `cips run` installs them when no bot token is set; `cips demo` drives simulated
respondents through them.
"""

from __future__ import annotations

from flask import Flask

from web.chat.telegram import LocalTelegram

CONFIG_KEY = "CIPS_LOCAL_TELEGRAM"


def init_app(app: Flask, telegram: LocalTelegram) -> None:
    """Serve `telegram`'s Bot API to the bot and the chat page to people."""
    from web import csrf
    from web.chat import endpoint, page

    app.config[CONFIG_KEY] = telegram
    app.register_blueprint(endpoint.bp)
    csrf.exempt(endpoint.bp)
    app.register_blueprint(page.bp)
    app.jinja_env.globals["local_chat_link"] = page.start_link


def local_telegram(app: Flask) -> LocalTelegram | None:
    return app.config.get(CONFIG_KEY)
