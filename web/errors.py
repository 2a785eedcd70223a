"""Error pages in the user's language (HTML), or JSON for the API."""

from __future__ import annotations

from flask import Flask, current_app, jsonify, render_template, request
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from survey.limits import megabytes


def _too_large() -> str:
    limit = current_app.config.get("MAX_CONTENT_LENGTH")
    if not limit:
        return _("What you sent is too large.")
    message = _("What you sent is too large: this site accepts at most {size} MB at once.")
    return message.format(size=megabytes(limit))


def _messages() -> dict[int, str]:
    return {
        400: _("The request could not be understood."),
        403: _("You do not have access to this page."),
        404: _("There is nothing here, or it belongs to another administration."),
        405: _("This action is not available here."),
        413: _too_large(),
        429: _("Too many attempts. Please wait a moment and try again."),
        500: _("Something went wrong on our side. Please try again."),
    }


def _no_local_chat() -> bool:
    """/chat asked of an app without the local chat page: it exists only under `cips run` with
    no bot token (web.chat), and "nothing here" would not say why."""
    path = request.path
    return (path == "/chat" or path.startswith("/chat/")) and "chat" not in current_app.blueprints


def init_app(app: Flask) -> None:
    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException):
        code = error.code or 500
        message = _messages().get(code, error.description)
        if code == 404 and _no_local_chat():
            message = _(
                "The local chat page exists only under `cips run` without a bot token "
                "(TELEGRAM_BOT_TOKEN unset), where it stands in for Telegram. Here, people answer "
                "through the bot in Telegram or through the campaign's web survey link."
            )
        if request.path.startswith("/api/"):
            return jsonify({"error": error.name, "status": code}), code
        return render_template("error.html", code=code, message=message), code

    @app.errorhandler(CSRFError)
    def csrf_error(error: CSRFError):
        message = _("This form has expired or was not sent from this site. Please try again.")
        return render_template("error.html", code=400, message=message), 400
