"""What the respondent pages look up before the engine's turn: the campaign of a link's code, the
browser's contact there and whether it already took part, and the languages the campaign offers
(the start page's language from the link, the form or the browser)."""

from __future__ import annotations

from flask import request
from sqlalchemy import and_, bindparam, select

from survey.anonymity import participation_mark, user_hash
from survey.i18n import SOURCE_LANGUAGE, available_languages, language_name
from survey.storage.models import Campaign, Contact, Participation, Respondent
from web.respond import identity
from web.state import app_state, db_session


def campaign_by_code(code: str) -> Campaign | None:
    return db_session().scalar(
        select(Campaign)
        .where(Campaign.code.in_({code, code.lower()}))
        .order_by((Campaign.code == code).desc())
        .limit(1)
    )


def offered(campaign: Campaign) -> list[str]:
    available = available_languages()
    chosen = [c for c in campaign.administration.language_list if c in available]
    return chosen or available


def language_buttons(campaign: Campaign) -> list[tuple[str, str]]:
    languages = offered(campaign)
    return [(code, language_name(code)) for code in languages] if len(languages) > 1 else []


def landing_language(campaign: Campaign) -> str:
    languages = offered(campaign)
    chosen = request.args.get("lang") or request.form.get("language")
    if chosen in languages:
        return chosen
    return request.accept_languages.best_match(languages) or languages[0] or SOURCE_LANGUAGE


def contact(token: str, campaign: Campaign) -> Contact | None:
    hashed = user_hash(app_state().settings.secret_key, identity.CHANNEL, token)
    return db_session().scalar(
        select(Contact).where(
            Contact.channel == identity.CHANNEL,
            Contact.user_hash == hashed,
            Contact.campaign_id == campaign.id,
        )
    )


# Built once (the hot path of every answer and page): a campaign by its code (the code as typed
# first, else in lower case) with the browser's contact there, if any.
_WITH_CONTACT = (
    select(Campaign, Contact)
    .outerjoin(
        Contact,
        and_(
            Contact.campaign_id == Campaign.id,
            Contact.channel == identity.CHANNEL,
            Contact.user_hash == bindparam("hashed"),
        ),
    )
    .where(Campaign.code.in_(bindparam("codes", expanding=True)))
    .order_by((Campaign.code == bindparam("code")).desc())
    .limit(1)
)


def with_contact(code: str, token: str | None) -> tuple[Campaign | None, Contact | None]:
    """`campaign_by_code(code)` and, when the browser has a token, its `contact` there, in one
    statement (a round trip less on every answer and page)."""
    if not token:
        return campaign_by_code(code), None
    hashed = user_hash(app_state().settings.secret_key, identity.CHANNEL, token)
    params = {"hashed": hashed, "codes": sorted({code, code.lower()}), "code": code}
    row = db_session().execute(_WITH_CONTACT, params).first()
    return (row[0], row[1]) if row is not None else (None, None)


def took_part(token: str, campaign: Campaign) -> bool:
    mark = participation_mark(
        app_state().settings.secret_key, campaign.code, identity.CHANNEL, token
    )
    session_ = db_session()
    if session_.get(Participation, (campaign.id, mark)) is not None:
        return True
    waiting = select(Respondent.id).where(
        Respondent.campaign_id == campaign.id, Respondent.mark == mark
    )
    return session_.scalar(waiting.limit(1)) is not None
