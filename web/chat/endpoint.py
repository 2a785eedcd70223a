"""The local Telegram's Bot API over HTTP, where the bot's TELEGRAM_API_URL points.

`POST /local-telegram/bot<token>/<method>` answers as api.telegram.org does: `{"ok": true,
"result": ...}`, or `{"ok": false, "error_code", "description"}` with the HTTP status. The token
is generated for each run, so nobody else on the network can read the bot's updates.
"""

from __future__ import annotations

import hmac

from flask import Blueprint, current_app, jsonify, request

from web.chat import local_telegram
from web.chat.bot_api import BotApiError, parse_params

bp = Blueprint("local_telegram", __name__, url_prefix="/local-telegram")


@bp.route("/bot<token>/<method>", methods=["GET", "POST"])
def bot_api(token: str, method: str):
    telegram = local_telegram(current_app)
    if not hmac.compare_digest(token.encode(), telegram.token.encode()):
        return jsonify(ok=False, error_code=401, description="Unauthorized"), 401
    params = parse_params(request.get_data(), request.content_type or "")
    try:
        result = telegram.call(method, params)
    except BotApiError as exc:
        body = {"ok": False, "error_code": exc.code, "description": exc.description}
        if exc.retry_after is not None:
            body["parameters"] = {"retry_after": exc.retry_after}
        return jsonify(body), exc.code
    return jsonify(ok=True, result=result)
