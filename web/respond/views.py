"""The routes of the web survey: `/s/<code>` shows where the respondent is, and every form posts
an event to the conversation engine, then redirects back there (post/redirect/get: reloading or
going Back never sends an answer twice, and always shows the current question).

- `GET /s/<code>[?s=tag][&lang=xx]`: the current prompt of this browser's conversation, else
  the start page (language, the access code when the campaign asks for one);
- `POST /s/<code>/start`: start (or continue) with this browser's token, checking an access code
  (spent at consent: `_HELD_CODE`);
- `POST /s/<code>`: an answer, a button (consent, language, confirmation, skip), back, stop,
  delete;
- `POST /s/<code>/forget`: "leave and forget this browser".

A note for the next page (an error, the thanks at the end) waits in the session, shown once.
The engine's turn and a form read as its event are in `conversation`, what is looked up before
it in `lookups`; the Mini App (`miniapp`) uses both, and draws its pages with `draw`.
"""

from __future__ import annotations

import dataclasses

from flask import (
    Blueprint,
    Response,
    abort,
    make_response,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import force_locale
from flask_wtf.csrf import CSRFError

from survey import access_codes, channels
from survey.access_codes import Redeemed
from survey.engine import Reply, ReplyKind, messages
from survey.engine import events as ev
from survey.engine.questions import title_text
from survey.engine.replies import reply_from_data, reply_to_data, text_from_data, text_to_data
from survey.i18n import (
    SOURCE_LANGUAGE,
    Text,
    available_languages,
    is_right_to_left,
    language_name,
    render,
    verbatim,
)
from survey.storage.models import Campaign, CampaignStatus, utcnow
from web.respond import conversation, identity, lookups, texts
from web.respond.pages import Page, page_for, split_notes
from web.state import app_state, db_session, lookups_only

bp = Blueprint("respond", __name__, url_prefix="/s")
NOTE_KEY = "respond_note"
# The access code a browser started with, as its keyed hash, until it consents: the code is
# spent by the consent (survey.engine.consenting), not by the start, so that "No, thank you"
# (or closing the page at the consent) leaves it unused, as the decline page says. In Flask's
# signed session, so that it cannot be swapped for a code not checked at the start; a hash, so
# that the next person at a shared computer cannot read a usable code from it.
_HELD_CODE = "respond_code"


def _sender(token: str, language: str | None = None, campaign: Campaign | None = None) -> ev.Sender:
    """The browser as the engine sees it; in a campaign that asks for access codes its response
    counts under the access code channel (survey.channels), else under the web link."""
    codes = campaign is not None and campaign.web_access == access_codes.CODES
    return ev.Sender(identity.CHANNEL, token, language_hint=language,
                     entry=channels.CODE if codes else channels.WEB)  # fmt: skip


# -- notes that wait for the next page ---------------------------------------------------------


def _leave_note(campaign: Campaign, reply: Reply | None, notes: list[Text] = ()) -> None:
    session[NOTE_KEY] = {
        "campaign": campaign.code,
        "reply": reply_to_data(reply) if reply is not None else None,
        "notes": [text_to_data(t) for t in notes],
    }


def _take_note(campaign: Campaign) -> tuple[Reply | None, list[Text]]:
    data = session.pop(NOTE_KEY, None)
    if not data or data.get("campaign") != campaign.code:
        return None, []
    reply = reply_from_data(data["reply"]) if data.get("reply") else None
    return reply, [text_from_data(t) for t in data.get("notes", [])]


# -- drawing -----------------------------------------------------------------------------------


def draw(page: Page, campaign: Campaign | None, *, template: str = "respond/page.html",
         status: int = 200, **context) -> Response:  # fmt: skip
    """A respondent's page in the page's language, under the questionnaire's title (none before
    a campaign is known); the web survey's and the Mini App's."""
    title = ""
    if campaign is not None:
        questionnaire = app_state().questionnaires[campaign.questionnaire_id]
        title = render(title_text(questionnaire), page.language)
    with force_locale(page.language):
        html = render_template(
            template,
            page=page,
            campaign=campaign,
            title=title,
            t=lambda msgid, **args: render(Text(msgid, args), page.language),
            texts=texts,
            **context,
        )
    return make_response(html, status)


def _info_page(campaign: Campaign | None, language: str, *parts: Text,
               status: int = 200) -> Response:  # fmt: skip
    page = Page(language=language, direction="rtl" if is_right_to_left(language) else "ltr")
    page.paragraphs = [render(p, language) for p in parts]
    return draw(page, campaign, status=status)


def _landing(campaign: Campaign, notes: list[Text] = (), status: int = 200) -> Response:
    language = lookups.landing_language(campaign)
    page = Page(language=language, direction="rtl" if is_right_to_left(language) else "ltr")
    page.notes = [render(n, language) for n in notes]
    languages = [(code, language_name(code)) for code in lookups.offered(campaign)]
    return draw(page, campaign, template="respond/start.html", status=status,
                 languages=languages, needs_code=campaign.web_access == access_codes.CODES,
                 source_tag=(request.values.get("s") or "")[:32])  # fmt: skip


def _closed_page(campaign: Campaign) -> Response | None:
    status = campaign.status(utcnow())
    language = lookups.landing_language(campaign)
    if status is CampaignStatus.CLOSED:
        return _info_page(campaign, language, Text(messages.CAMPAIGN_CLOSED))
    if status is CampaignStatus.SCHEDULED:
        # The engine says when it opens, in the respondent's language.
        reply = conversation.handle(
            ev.Start(_sender(identity.new_token(), language), campaign.code)
        )
        return _info_page(campaign, language, *reply[-1].parts)
    return None


# -- routes ------------------------------------------------------------------------------------


@bp.get("/<code>")
def survey(code: str):
    lookups_only()  # the engine's turn is the transaction; what comes before only looks up
    token = identity.token()
    campaign, contact = lookups.with_contact(code, token)
    if campaign is None:
        language = request.accept_languages.best_match(available_languages()) or "en"
        unknown = Text(texts.UNKNOWN_LINK, {"code": verbatim(code[:64])})
        return _info_page(None, language, unknown, status=404)
    if campaign.code != code:
        return redirect(url_for("respond.survey", code=campaign.code, **request.args), 303)
    note_reply, notes = _take_note(campaign)
    if note_reply is not None and note_reply.kind is ReplyKind.INFO:
        return _info_page(campaign, note_reply.language, *notes, *note_reply.parts)
    if contact is not None:
        replies = conversation.handle(ev.Resume(_sender(token, campaign=campaign)))
        reply = replies[-1]
        if reply.kind is ReplyKind.INFO:  # the campaign closed meanwhile
            return _info_page(campaign, reply.language, *reply.parts)
        questionnaire = app_state().questionnaires[campaign.questionnaire_id]
        page = page_for(reply, questionnaire, None, notes)
        response = draw(page, campaign, languages_form=lookups.language_buttons(campaign))
        identity.keep(response, campaign, token)  # renewed: a closing date moved later counts
        return response
    if (closed := _closed_page(campaign)) is not None:
        return closed
    if token and lookups.took_part(token, campaign):
        language = lookups.landing_language(campaign)
        return _info_page(campaign, language, *notes, Text(messages.ALREADY_TOOK_PART))
    return _landing(campaign, notes)


@bp.post("/<code>/start")
def start(code: str):
    campaign = lookups.campaign_by_code(code) or abort(404)
    if not _csrf_ok():
        _leave_note(campaign, None, [Text(texts.EXPIRED_FORM)])
        return _back(campaign)
    token = identity.token()
    if token and lookups.contact(token, campaign) is not None:
        return _back(campaign)  # already under way: continue
    if (closed := _closed_page(campaign)) is not None:
        return closed
    language = lookups.landing_language(campaign)
    fresh = token is None
    if campaign.web_access != access_codes.CODES and token and lookups.took_part(token, campaign):
        return _info_page(campaign, language, Text(messages.ALREADY_TOOK_PART))  # once a browser
    if campaign.web_access == access_codes.CODES:
        fresh = True  # a code opens a new response, in a new identity
        typed = request.form.get("access_code", "")
        outcome = _check(campaign, typed)
        if outcome is not Redeemed.OK:
            message = {
                Redeemed.USED: messages.CODE_USED,
                Redeemed.UNKNOWN: texts.CODE_UNKNOWN,
                Redeemed.LOCKED: texts.CODE_LOCKED,
            }[outcome]
            status = 429 if outcome is Redeemed.LOCKED else 422
            return _landing(campaign, [Text(message)], status=status)
        secret = app_state().settings.secret_key
        session[_HELD_CODE] = {
            "campaign": campaign.code,
            "hash": access_codes.code_hash(secret, campaign.code, typed),
        }
    if fresh:
        token = identity.new_token()
    tag = (request.form.get("s") or "").strip().lower()
    payload = f"{campaign.code}__{tag}" if tag else campaign.code
    conversation.handle(ev.Start(_sender(token, language, campaign), payload))
    response = _back(campaign)
    identity.keep(response, campaign, token)
    return response


def _check(campaign: Campaign, typed: str) -> Redeemed:
    """Check the code (spending nothing) in its own transaction, committed before the
    conversation starts, so that a wrong code counts against the campaign's tries."""
    settings = app_state().settings
    session_ = db_session()
    outcome = access_codes.check(session_, settings.secret_key, campaign, typed, utcnow())
    session_.commit()
    return outcome


def _with_held_code(event: ev.Event | None, campaign: Campaign) -> ev.Event | None:
    """A consent in a campaign that asks for codes carries the code this browser started with
    (none if it started before the codes were made: the engine then asks for one)."""
    if not isinstance(event, ev.Consent) or campaign.web_access != access_codes.CODES:
        return event
    held = session.get(_HELD_CODE) or {}
    hashed = held.get("hash") if held.get("campaign") == campaign.code else None
    return dataclasses.replace(event, access_code=hashed)


@bp.post("/<code>")
def act(code: str):
    lookups_only()  # the engine's turn is the transaction; what comes before only looks up
    token = identity.token()
    campaign, contact = lookups.with_contact(code, token)
    if campaign is None:
        abort(404)
    if not _csrf_ok():
        _leave_note(campaign, None, [Text(texts.EXPIRED_FORM)])
        return _back(campaign)
    if contact is None:
        # Left, forgotten, expired, or finished: nothing to answer here any more.
        if token is None:
            _leave_note(campaign, None, [Text(texts.NO_BROWSER_SURVEY)])
        return _back(campaign)
    questionnaire = app_state().questionnaires[campaign.questionnaire_id]
    sender = _sender(token, campaign=campaign)
    event, problem, typed = conversation.event_for_form(sender, questionnaire)
    if problem is not None:
        replies = conversation.handle(ev.Resume(sender))
        page = page_for(replies[-1], questionnaire, None, [problem], typed)
        return draw(page, campaign, status=422, languages_form=lookups.language_buttons(campaign))
    event = _with_held_code(event, campaign)
    replies = conversation.handle(event) if event is not None else []
    if isinstance(event, ev.Consent):
        session.pop(_HELD_CODE, None)  # spent, refused or declined: re-typed to start again
    if replies:
        last = replies[-1]
        if last.kind is ReplyKind.INFO:
            _leave_note(campaign, last)
        else:
            notes, _ = split_notes(last, questionnaire)
            if notes:
                _leave_note(campaign, None, notes)
    return _back(campaign)


@bp.post("/<code>/forget")
def forget(code: str):
    campaign = lookups.campaign_by_code(code) or abort(404)
    session.pop(NOTE_KEY, None)
    session.pop(_HELD_CODE, None)
    language = request.form.get("language") or lookups.landing_language(campaign)
    if language not in available_languages():
        language = SOURCE_LANGUAGE
    response = _info_page(campaign, language, Text(texts.FORGOTTEN))
    identity.forget(response, campaign)
    response.headers["Clear-Site-Data"] = '"cache"'
    return response


def _back(campaign: Campaign) -> Response:
    return redirect(url_for("respond.survey", code=campaign.code), 303)


def _csrf_ok() -> bool:
    from web import csrf

    try:
        csrf.protect()
    except CSRFError:
        return False
    return True
