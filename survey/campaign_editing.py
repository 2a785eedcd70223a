"""Changing a campaign after it is created: schedule, targets, reminder policy, opening and
closing now, and its outreach sources (one deep link per channel, `code__tag`).

Creation stays in `survey.campaigns`; the code and questionnaire of a campaign never change,
since links, posters and answers already point at them.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session, object_session

from survey import sealing
from survey.campaigns import CampaignError, ReminderPolicy, check_schedule, deep_link
from survey.engine.starting import SOURCE_SEPARATOR, SOURCE_TAG
from survey.reminders import reschedule_campaign
from survey.storage.models import (
    Campaign,
    CampaignSource,
    CampaignStatus,
    Contact,
    Respondent,
    RespondentStatus,
    SealedResponse,
)

START_PAYLOAD_MAX = 64  # Telegram's limit on a deep-link parameter


def check_targets(target: int | None, target_margin: float | None) -> None:
    if target is not None and target < 1:
        raise CampaignError("the target population must be at least 1")
    if target_margin is not None and not 0 < target_margin < 50:
        raise CampaignError("the target margin of error must be between 0 and 50 points")


def update_campaign(
    campaign: Campaign,
    *,
    opens_at: dt.datetime | None,
    closes_at: dt.datetime | None,
    target: int | None,
    target_margin: float | None,
    policy: ReminderPolicy,
    now: dt.datetime | None = None,
) -> None:
    """Set what a coordinator may change on an existing campaign (all fields at once); `now`
    (default: the clock) is when a new closing time must still be ahead of."""
    check_schedule(
        opens_at,
        closes_at,
        now or dt.datetime.now(dt.UTC),
        current_closes_at=campaign.closes_at,
    )
    check_targets(target, target_margin)
    policy.check()
    campaign.opens_at = opens_at
    campaign.closes_at = closes_at
    campaign.target_population = target
    campaign.target_margin = target_margin
    campaign.remind_after_s = policy.remind_after_s
    campaign.remind_every_s = policy.remind_every_s
    campaign.max_reminders = policy.max_reminders
    campaign.quiet_start_hour, campaign.quiet_end_hour = policy.quiet_hours
    campaign.last_call_before_s = policy.last_call_before_s
    session = object_session(campaign)
    if session is not None:
        session.flush()
        reschedule_campaign(session, campaign)  # the new policy applies to everyone in progress


class CampaignReleased(CampaignError):
    """A closed campaign with sealed responses: its results are released and never change."""


def open_now(campaign: Campaign, now: dt.datetime) -> None:
    """Open at once: a scheduled campaign starts now; a campaign closed early reopens, unless
    it has responses: closing released them, and a release never changes (reading it before and
    after one more person answered would single that person out)."""
    if campaign.status(now) is CampaignStatus.OPEN:
        return
    if campaign.closed_at is not None:
        sealed = select(SealedResponse.id).where(SealedResponse.campaign_id == campaign.id)
        if object_session(campaign).scalar(sealed.limit(1)) is not None:
            raise CampaignReleased("its results are released: create a new campaign instead")
    if campaign.closes_at is not None and campaign.closes_at <= now:
        raise CampaignError("its closing time has passed: set a later one first")
    campaign.closed_at = None
    if campaign.opens_at is None or campaign.opens_at > now:
        campaign.opens_at = now


class CampaignAlreadyClosed(CampaignError):
    """The campaign was closed already, by hand or by the clock at its closing time."""


def answering_now(session: Session, campaign: Campaign) -> int:
    """How many people are part-way through the campaign's questionnaire (closing cuts them off)."""
    answering = select(func.count()).where(
        Respondent.campaign_id == campaign.id, Respondent.status == RespondentStatus.IN_PROGRESS
    )
    return session.scalar(answering) or 0


def close_now(session: Session, campaign: Campaign, now: dt.datetime, k: int) -> int:
    """Close at once, forget every way to reach its respondents, and seal every response left
    (DESIGN.md, Anonymity 2 and 3); how many were sealed. Once committed, the caller runs
    `survey.sealing.wipe`.

    A campaign closed already (`closed_at`: by hand, or by the clock once its closing time
    passed) is refused: its release was made then. One whose closing time has passed but which
    the clock has not closed yet is closed here, as the clock would.
    """
    if campaign.closed_at is not None:
        raise CampaignAlreadyClosed(f"campaign {campaign.code} is already closed")
    campaign.closed_at = now
    session.execute(delete(Contact).where(Contact.campaign_id == campaign.id))
    return sealing.seal_campaign(session, campaign, k, closing=True)


def source_payload(campaign_code: str, tag: str | None) -> str:
    return f"{campaign_code}{SOURCE_SEPARATOR}{tag}" if tag else campaign_code


def source_link(bot_username: str | None, campaign_code: str, tag: str | None = None) -> str:
    """The deep link of a campaign, or of one of its outreach channels."""
    return deep_link(bot_username, source_payload(campaign_code, tag))


def add_source(session: Session, campaign: Campaign, tag: str, label: str) -> CampaignSource:
    tag = tag.strip().lower()
    label = label.strip()
    if not SOURCE_TAG.match(tag):
        raise CampaignError("a source tag is 1-32 lower-case letters, digits or -")
    if len(source_payload(campaign.code, tag)) > START_PAYLOAD_MAX:
        raise CampaignError("campaign code and source tag together are too long for a link")
    if not label:
        raise CampaignError("give the source a name")
    taken = session.scalar(
        select(CampaignSource).where(
            CampaignSource.campaign_id == campaign.id, CampaignSource.tag == tag
        )
    )
    session.expire(campaign, ["sources"])
    if taken:
        raise CampaignError(f"the source tag {tag} is already used in this campaign")
    source = CampaignSource(campaign=campaign, tag=tag, label=label[:100])
    session.add(source)
    session.flush()
    return source


def remove_source(session: Session, campaign: Campaign, tag: str) -> None:
    """Drop a source from the list; responses that came through it keep their tag."""
    session.execute(
        delete(CampaignSource).where(
            CampaignSource.campaign_id == campaign.id, CampaignSource.tag == tag
        )
    )
    session.expire(campaign, ["sources"])
