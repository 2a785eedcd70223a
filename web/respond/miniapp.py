"""The survey as a Telegram Mini App: the web channel's pages, answered as the bot's respondent.

Telegram opens `GET /tg/app` (the bot's "Answer as a form" button) with the signed `initData`
in the URL fragment, which never reaches a server. A first-party script (`static/miniapp.js`,
no script from another host) puts it in a form and posts it once to `POST /tg/app/enter`, which
checks it (`init_data`) and answers with the current page of this Telegram user's conversation.
Every form of that page carries a short-lived signed token (itsdangerous, `TOKEN_TTL`) in a
hidden field, and `POST /tg/app` takes the next answer with it and answers with the next page.

Why no cookie: in Telegram's web client the pages run in a frame of web.telegram.org, where a
SameSite=Strict cookie (the web channel's identity, Flask's session) is never sent. So these
routes use neither: no post/redirect/get (the token would have to travel in the address), and
no CSRF cookie (the token in the form is the proof; a forged form has none).

One respondent: the engine is called with the bot's own sender (channel "telegram", the
Telegram user id), so the contact and the participation mark are the chat's: a person switches
between chat and form mid-survey, and a replayed initData finds the response under way or
already given, never a new one. These routes (and no others) may be framed by Telegram's web
clients (`web.security.framed_by_telegram`).
"""

from __future__ import annotations

import time

from flask import Blueprint, Response, request
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import select

from survey import channels
from survey.anonymity import user_hashes
from survey.engine import Reply, ReplyKind
from survey.engine import events as ev
from survey.i18n import Text, available_languages, is_right_to_left, match_language, render
from survey.storage.models import Campaign, Contact
from web.respond import conversation, lookups, texts, views
from web.respond.init_data import InvalidInitData, Refusal, validate
from web.respond.pages import Page, page_for
from web.security import framed_by_telegram
from web.state import app_state, db_session

bp = Blueprint("miniapp", __name__, url_prefix="/tg")
CHANNEL = "telegram"  # the bot's channel (bot.database.CHANNEL): the same contact, the same mark
TOKEN_FIELD = "mt"
TOKEN_TTL = 2 * 3600  # seconds; renewed with every page, so it ends only after 2 h idle
_SALT = "cips-miniapp-form"


# -- the form token ----------------------------------------------------------------------------


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(app_state().settings.secret_key, salt=_SALT)


def issue(sender: ev.Sender) -> str:
    """A token naming this Telegram user, signed with CIPS_SECRET_KEY (readable by its holder,
    who is that user: it holds their id and language, nothing else)."""
    return _serializer().dumps({"u": sender.user_id, "l": sender.language_hint})


def read(token: str) -> ev.Sender | None:
    """The sender of a genuine token younger than TOKEN_TTL, else None."""
    try:
        data = _serializer().loads(token, max_age=TOKEN_TTL)
    except (SignatureExpired, BadSignature):
        return None
    return _sender(str(data["u"]), data.get("l"))


def _sender(user_id: str, language: str | None) -> ev.Sender:
    """The bot's respondent (channel "telegram": the chat's contact and participation mark),
    whose response counts under the Mini App when it starts here (survey.channels)."""
    return ev.Sender(CHANNEL, user_id, language_hint=language, entry=channels.MINIAPP)


# -- drawing -----------------------------------------------------------------------------------


def _language(hint: str | None = None) -> str:
    offered = available_languages()
    return match_language(hint, offered) or request.accept_languages.best_match(offered) or "en"


def _draw(page: Page, campaign: Campaign | None, sender: ev.Sender | None, *,
          template: str = "respond/page.html", status: int = 200, **context) -> Response:  # fmt: skip
    """`views.draw`, with the form token of the Mini App's respondent (renewed on every page)."""
    token = issue(sender) if sender is not None else None
    return views.draw(page, campaign, template=template, status=status, miniapp_token=token,
                      **context)  # fmt: skip


def _notice(language: str, *parts: Text, status: int = 200, sender=None, campaign=None):
    page = Page(language=language, direction="rtl" if is_right_to_left(language) else "ltr")
    page.paragraphs = [render(p, language) for p in parts]
    return _draw(page, campaign, sender, status=status)


def _current_campaign(sender: ev.Sender) -> Campaign | None:
    """The campaign of this user's conversation under way (the engine's choice: the contact
    that progressed last), or None."""
    hashes = user_hashes(app_state().settings.secret_keys, CHANNEL, sender.user_id)
    contact = db_session().scalar(
        select(Contact)
        .where(Contact.channel == CHANNEL, Contact.user_hash.in_(hashes))
        .order_by(Contact.last_progress_at.desc())
        .limit(1)
    )
    return contact.campaign if contact is not None else None


def _show(sender: ev.Sender, replies: list[Reply], campaign: Campaign | None,
          notes: list[Text] = (), typed: str = "", status: int = 200) -> Response:  # fmt: skip
    """The page of the turn's last reply (the current prompt when the turn said nothing, as a
    double submit does)."""
    if not replies or replies[-1].kind is ReplyKind.ANSWER_RECORDED:
        replies = conversation.handle(ev.Resume(sender))
    reply = replies[-1]
    campaign = _current_campaign(sender) or campaign
    if reply.kind is ReplyKind.INFO:  # the end (thanks, stopped...), or nothing in progress
        return _notice(reply.language, *notes, *reply.parts, status=status, campaign=campaign)
    questionnaire = app_state().questionnaires[campaign.questionnaire_id]
    page = page_for(reply, questionnaire, None, list(notes), typed)
    return _draw(page, campaign, sender, status=status,
                 languages_form=lookups.language_buttons(campaign))  # fmt: skip


# -- routes ------------------------------------------------------------------------------------


@bp.get("/app")
@framed_by_telegram
def shell():
    """What Telegram opens: the script posts the fragment's initData to `enter`."""
    language = _language()
    page = Page(language=language, direction="rtl" if is_right_to_left(language) else "ltr")
    return _draw(page, None, None, template="respond/miniapp.html")


@bp.post("/app/enter")
@framed_by_telegram
def enter():
    settings = app_state().settings
    if not settings.telegram_token:
        return _notice(_language(), Text(texts.MINIAPP_UNAVAILABLE), status=503)
    try:
        user = validate(request.form.get("init_data", ""), settings.telegram_token,
                        time.time(), settings.miniapp_max_age)  # fmt: skip
    except InvalidInitData as refused:
        message = texts.MINIAPP_STALE if refused.reason is Refusal.STALE else texts.MINIAPP_FORGED
        return _notice(_language(), Text(message), status=403)
    sender = _sender(str(user.user_id), user.language_code)
    campaign = None
    if user.start_param:  # a direct link t.me/<bot>/<app>?startapp=CODE[__tag]: the bot's /start
        event: ev.Event = ev.Start(sender, user.start_param)
        campaign = lookups.campaign_by_code(user.start_param.partition("__")[0])
    else:  # the button under a question: the conversation under way, if any
        event = ev.Resume(sender)
    return _show(sender, conversation.handle(event), campaign)


@bp.post("/app")
@framed_by_telegram
def act():
    sender = read(request.form.get(TOKEN_FIELD, ""))
    if sender is None:
        return _notice(_language(), Text(texts.MINIAPP_EXPIRED), status=403)
    campaign = _current_campaign(sender)
    if campaign is None:  # finished, stopped or deleted (in the chat, or on another page)
        return _show(sender, conversation.handle(ev.Resume(sender)), None)
    questionnaire = app_state().questionnaires[campaign.questionnaire_id]
    event, problem, typed = conversation.event_for_form(sender, questionnaire)
    if problem is not None:
        return _show(sender, [], campaign, [problem], typed, status=422)
    replies = conversation.handle(event) if event is not None else []
    return _show(sender, replies, campaign)
