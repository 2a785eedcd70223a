"""The chat page: a person answers the survey in the browser, as they would in the Telegram app.

It stands in for Telegram when cips runs without a bot token (`cips run`): what the person
types or presses becomes a Telegram update in the local Telegram, the bot (the same code as
in production) fetches it over HTTP and answers, and the page shows the chat. It needs no
JavaScript: after each action the page waits until the bot has answered and gone quiet, then
shows the chat again (a reminder arriving later appears on the next visit or "Refresh").

Each browser is one Telegram user with a random id kept in its session cookie; "Start as
someone else" draws a new one (one person answers a campaign only once). The app language of
the "phone" is the page's language, which Telegram would send as the user's language_code.
"""

from __future__ import annotations

import datetime as dt
import itertools
import secrets

from flask import (
    Blueprint,
    abort,
    current_app,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from sqlalchemy import select

from survey.campaign_editing import source_payload
from survey.engine.questions import title_text
from survey.i18n import render
from survey.storage.models import Campaign
from web.chat import local_telegram
from web.chat.bot_api import MAX_TEXT
from web.chat.telegram import LocalTelegram
from web.i18n import current_language
from web.state import app_state, db_session

bp = Blueprint("chat", __name__, url_prefix="/chat")

REPLY_QUIET_S = 0.3  # the bot has answered once it has been silent this long
REPLY_TIMEOUT_S = 8.0
_callback_ids = itertools.count(1)


def _telegram() -> LocalTelegram:
    return local_telegram(current_app)


def _person() -> dict:
    """This browser's Telegram user (a Bot API User object)."""
    if "chat_person" not in session:
        session["chat_person"] = 10**11 + secrets.randbelow(9 * 10**11)
    return {"id": session["chat_person"], "is_bot": False, "first_name": "Respondent",
            "language_code": current_language()}  # fmt: skip


def _open_campaigns() -> list[tuple[Campaign, str]]:
    """Open campaigns and the title of their questionnaire in the page's language."""
    now = dt.datetime.now(dt.UTC)
    questionnaires = app_state().questionnaires
    rows = []
    for campaign in db_session().scalars(select(Campaign).order_by(Campaign.code)):
        questionnaire = questionnaires.get(campaign.questionnaire_id)
        if campaign.status(now) == "open" and questionnaire is not None:
            rows.append((campaign, render(title_text(questionnaire), current_language())))
    return rows


def _after_action():
    _telegram().wait_for_quiet(_person()["id"], quiet=REPLY_QUIET_S, timeout=REPLY_TIMEOUT_S)
    return redirect(url_for("chat.page", _anchor="latest"))


@bp.get("")
def page():
    telegram = _telegram()
    person = _person()
    language = current_language()
    commands = telegram.commands.get(language) or telegram.commands.get(None) or []
    return render_template(
        "chat/chat.html",
        messages=telegram.chat(person["id"]),
        commands=commands,
        campaigns=_open_campaigns(),
        start_code=request.args.get("start", ""),
        max_text=MAX_TEXT,
        bot_name=telegram.bot_user["first_name"],
    )


@bp.post("/send")
def send():
    text = request.form.get("text", "")
    if text.strip():
        _telegram().send_text(_person(), text)
    return _after_action()


@bp.post("/start")
def start():
    code = request.form.get("code", "").strip()
    _telegram().send_text(_person(), f"/start {code}" if code else "/start")
    return _after_action()


@bp.post("/press")
def press():
    telegram, person = _telegram(), _person()
    message = telegram.message(person["id"], request.form.get("message_id", type=int) or 0)
    if message is None or not message.from_bot:
        abort(404)
    telegram.press(person, message, request.form.get("data", ""), f"local-{next(_callback_ids)}")
    return _after_action()


@bp.post("/new")
def new_person():
    session.pop("chat_person", None)
    return redirect(url_for("chat.page"))


def start_link(campaign_code: str, tag: str | None = None) -> str:
    """The chat page opened as a campaign's (or outreach channel's) deep link would open."""
    return url_for("chat.page", start=source_payload(campaign_code, tag))
