"""Creating and describing administrations and campaigns (shared by the CLI and the web)."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import select
from sqlalchemy.orm import Session

from survey.campaign_input import (  # noqa: F401 (their home before; imported from here too)
    DURATION_UNITS,
    MAX_REMINDERS,
    CampaignCodeTaken,
    CampaignError,
    format_duration,
    parse_duration,
    parse_quiet_hours,
)
from survey.campaign_list import CampaignFigures, figures_by_campaign
from survey.questionnaire import Questionnaire
from survey.storage.models import (
    Administration,
    Campaign,
)

ADMINISTRATION_CODE = re.compile(r"^[A-Za-z0-9_-]{2,32}$")
# Telegram deep-link parameters allow A-Z, a-z, 0-9, _ and -, up to 64 characters.
CAMPAIGN_CODE = re.compile(r"^[A-Za-z0-9_-]{3,64}$")
WAVE_LABEL = re.compile(r"^[A-Za-z0-9._-]{1,32}$")


def parse_time(text: str, timezone: str, end_of_day: bool = False) -> dt.datetime:
    """An ISO 8601 date or date-time; without an offset it is local to the administration.

    A bare date means the start of that day, or with `end_of_day` the end of it (so that
    `--closes 2026-12-31` keeps the campaign open on the 31st).
    """
    try:
        value = dt.datetime.fromisoformat(text)
    except ValueError as exc:
        raise CampaignError(f"not a date or time: {text!r} (use e.g. 2026-12-01T08:00)") from exc
    if end_of_day and len(text.strip()) == len("2026-12-31"):
        value += dt.timedelta(days=1)
    if value.tzinfo is None:
        value = value.replace(tzinfo=ZoneInfo(timezone))
    return value.astimezone(dt.UTC)


# Administration codes are case-sensitive, as stored: they are written into the results' URLs
# (/results/<code>/<wave>), signed release and benchmark files and interchange files, all
# compared exactly, and a database may already hold two codes that differ only in case (its
# unique constraint is case-sensitive), so a case-insensitive lookup could be ambiguous there.
# Instead a new code may not differ only in case from an existing one, and a code that is not
# found is answered with the one that differs only in case, or the list of known codes.


def create_administration(
    session: Session, code: str, name: str, timezone: str, languages: list[str]
) -> Administration:
    if not ADMINISTRATION_CODE.match(code):
        raise CampaignError(f"administration code {code!r}: use 2-32 letters, digits, - or _")
    try:
        ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise CampaignError(f"unknown time zone {timezone!r} (e.g. Africa/Ouagadougou)") from exc
    if same := _alike(administration_codes(session), code):
        raise CampaignError(f"administration {same[0]} already exists")
    administration = Administration(
        code=code, name=name, timezone=timezone, languages=",".join(languages)
    )
    session.add(administration)
    session.flush()
    return administration


def administration_codes(session: Session) -> list[str]:
    return list(session.scalars(select(Administration.code).order_by(Administration.code)))


def _alike(codes: list[str], code: str) -> list[str]:
    """The codes among `codes` that are `code` up to case."""
    return [known for known in codes if known.casefold() == code.casefold()]


def get_administration(session: Session, code: str) -> Administration:
    administration = session.scalar(select(Administration).where(Administration.code == code))
    if administration is None:
        known = administration_codes(session)
        if alike := _alike(known, code):
            hint = f"did you mean {' or '.join(alike)}? codes are case-sensitive"
        else:
            hint = f"known: {', '.join(known)}" if known else "none created yet"
        raise CampaignError(f"no administration {code} ({hint})")
    return administration


def get_campaign(session: Session, code: str) -> Campaign:
    campaign = session.scalar(select(Campaign).where(Campaign.code == code))
    if campaign is None:
        raise CampaignError(f"no campaign {code}")
    return campaign


@dataclass
class ReminderPolicy:
    remind_after_s: int = 24 * 3600
    remind_every_s: int = 48 * 3600
    max_reminders: int = 3
    quiet_hours: tuple[int, int] = (20, 8)
    last_call_before_s: int | None = 24 * 3600

    def check(self) -> None:
        """Refuse a policy outside the limits (durations and quiet hours are checked as they
        are parsed, `survey.campaign_input`)."""
        if not 0 <= self.max_reminders <= MAX_REMINDERS:
            raise CampaignError(
                f"the maximum number of reminders must be between 0 and {MAX_REMINDERS}"
            )


class ClosingTimePassed(CampaignError):
    """A closing time not in the future: the clock would close the campaign at its next round
    and release its results for good (the web says so next to the field)."""


def check_schedule(
    opens_at: dt.datetime | None,
    closes_at: dt.datetime | None,
    now: dt.datetime,
    *,
    current_closes_at: dt.datetime | None = None,
) -> None:
    """The schedule of a new or edited campaign (creation, settings and next wave all check it).

    An opening time in the past is accepted: it means open now. A closing time must be in the
    future, since closing cannot be undone (contacts erased, results released): a typo in the
    year must not end the fieldwork. A closing time left as it was (`current_closes_at`) is
    accepted even when past, so that a closed campaign's other settings can still be edited;
    compared to the minute, as the web form shows it.
    """
    if opens_at and closes_at and closes_at <= opens_at:
        raise CampaignError("the campaign must close after it opens")
    if closes_at is None or closes_at > now:
        return
    minute = dict(second=0, microsecond=0)
    if current_closes_at and closes_at.replace(**minute) == current_closes_at.replace(**minute):
        return
    raise ClosingTimePassed(
        "the closing time is not in the future: closing ends the fieldwork for good (contact "
        "records erased, results released), so give a later one"
    )


def _default_code(administration: Administration, questionnaire: Questionnaire, wave: str) -> str:
    short = {"officials": "off", "private_sector": "ps"}.get(questionnaire.survey, "q")
    return re.sub(r"[^A-Za-z0-9_-]", "-", f"{administration.code}-{wave}-{short}").lower()


def create_campaign(
    session: Session,
    administration: Administration,
    questionnaire: Questionnaire,
    wave: str,
    *,
    code: str | None = None,
    opens_at: dt.datetime | None = None,
    closes_at: dt.datetime | None = None,
    target: int | None = None,
    policy: ReminderPolicy | None = None,
    now: dt.datetime | None = None,
) -> Campaign:
    """A new campaign; `now` (default: the clock) is when its schedule is checked against."""
    policy = policy or ReminderPolicy()
    code = code or _default_code(administration, questionnaire, wave)
    if not CAMPAIGN_CODE.match(code):
        raise CampaignError(f"campaign code {code!r}: use 3-64 letters, digits, - or _")
    if not WAVE_LABEL.match(wave):
        raise CampaignError(f"wave label {wave!r}: use up to 32 letters, digits, '.', - or _")
    if session.scalar(select(Campaign).where(Campaign.code == code)):
        raise CampaignCodeTaken(f"campaign code {code} is taken; choose another with --code")
    check_schedule(opens_at, closes_at, now or dt.datetime.now(dt.UTC))
    if target is not None and target < 1:
        raise CampaignError("the target population must be at least 1")
    policy.check()
    campaign = Campaign(
        code=code,
        administration=administration,
        questionnaire_id=questionnaire.id,
        questionnaire_version=questionnaire.version,
        wave=wave,
        opens_at=opens_at,
        closes_at=closes_at,
        target_population=target,
        remind_after_s=policy.remind_after_s,
        remind_every_s=policy.remind_every_s,
        max_reminders=policy.max_reminders,
        quiet_start_hour=policy.quiet_hours[0],
        quiet_end_hour=policy.quiet_hours[1],
        last_call_before_s=policy.last_call_before_s,
    )
    session.add(campaign)
    session.flush()
    return campaign


def campaign_figures(session: Session, campaign: Campaign) -> CampaignFigures:
    """The campaign's figures (`survey.campaign_list`: from the participation counters)."""
    return figures_by_campaign(session, [campaign.id])[campaign.id]


def deep_link(bot_username: str | None, campaign_code: str) -> str:
    return f"https://t.me/{bot_username or '<your_bot>'}?start={campaign_code}"
