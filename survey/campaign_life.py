"""A campaign's life after its fieldwork: archive it, delete it, or carry it over to the next
wave (shared by the CLI and the web; closing now is `survey.campaign_editing.close_now`).

- **Archive**: a closed campaign leaves the campaign lists (shown again on request); nothing of
  it changes, its results stay where they were. Unarchiving brings it back.
- **Delete**: the campaign and everything of it, in one transaction: its channels, its responses
  (under way, waiting for their seal, sealed), their participation marks, its per-day counters,
  its reminder figures, its dashboard counters, its contacts and the messages waiting for them. Allowed when no response
  was completed; otherwise only for an admin who types the campaign's code to confirm (the CLI
  is an operator's tool and counts as an admin). Each deletion is recorded in the audit log
  (`survey.audit`) by its caller, who knows who deletes, in the deletion's transaction.
- **Next wave**: a new campaign with the same questionnaire, target, reminder policy and
  channels (source tags) as an existing one, under a new code and wave label.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from survey.campaign_editing import add_source
from survey.campaigns import CampaignError, ReminderPolicy, create_campaign
from survey.questionnaire import Questionnaire
from survey.storage.models import (
    Answer,
    Campaign,
    CampaignSource,
    CampaignStatus,
    Contact,
    DailyCount,
    LeftOffCount,
    Outbox,
    Participation,
    ParticipationCount,
    ReminderDayCount,
    ReminderSent,
    Respondent,
    RespondentStatus,
    SealedAnswer,
    SealedResponse,
    SealedStatus,
)


class CampaignNotClosed(CampaignError):
    """Only a closed campaign may be archived."""


class DeletionRefused(CampaignError):
    """The campaign has completed responses: only an admin typing its code may delete it."""


def archive(campaign: Campaign, now: dt.datetime) -> None:
    """Leave the campaign out of the lists; its results are kept as they are."""
    if campaign.status(now) is not CampaignStatus.CLOSED:
        raise CampaignNotClosed(f"campaign {campaign.code} is not closed: close it first")
    campaign.archived_at = campaign.archived_at or now


def unarchive(campaign: Campaign) -> None:
    campaign.archived_at = None


def completed_responses(session: Session, campaign: Campaign) -> int:
    """Completed responses of the campaign, sealed or still waiting for their seal."""
    waiting = select(func.count()).where(
        Respondent.campaign_id == campaign.id, Respondent.status == RespondentStatus.COMPLETED
    )
    sealed = select(func.count()).where(
        SealedResponse.campaign_id == campaign.id,
        SealedResponse.status == SealedStatus.COMPLETED,
    )
    return (session.scalar(waiting) or 0) + (session.scalar(sealed) or 0)


def may_delete(session: Session, campaign: Campaign, *, admin: bool) -> bool:
    """Whether this user may delete the campaign (an admin still has to type its code when it
    has completed responses)."""
    return admin or completed_responses(session, campaign) == 0


def delete_campaign(
    session: Session, campaign: Campaign, *, admin: bool, typed_code: str | None = None
) -> None:
    """Delete the campaign and everything of it, in the caller's transaction.

    With completed responses, only `admin` with `typed_code` equal to the campaign's code. The
    caller wipes what was deleted once committed (`survey.sealing.wipe`).
    """
    if completed_responses(session, campaign) and not (
        admin and (typed_code or "").strip() == campaign.code
    ):
        raise DeletionRefused(
            f"campaign {campaign.code} has completed responses: only an admin may delete it, "
            "by typing its code to confirm"
        )
    campaign_id = campaign.id
    contacts = select(Contact.id).where(Contact.campaign_id == campaign_id)
    respondents = select(Respondent.id).where(Respondent.campaign_id == campaign_id)
    sealed = select(SealedResponse.id).where(SealedResponse.campaign_id == campaign_id)
    statements = (
        delete(Outbox).where(Outbox.contact_id.in_(contacts)),
        delete(Contact).where(Contact.campaign_id == campaign_id),
        delete(Answer).where(Answer.respondent_id.in_(respondents)),
        delete(Respondent).where(Respondent.campaign_id == campaign_id),
        delete(SealedAnswer).where(SealedAnswer.response_id.in_(sealed)),
        delete(SealedResponse).where(SealedResponse.campaign_id == campaign_id),
        delete(Participation).where(Participation.campaign_id == campaign_id),
        delete(DailyCount).where(DailyCount.campaign_id == campaign_id),
        delete(ReminderSent).where(ReminderSent.campaign_id == campaign_id),
        delete(CampaignSource).where(CampaignSource.campaign_id == campaign_id),
        # The dashboard's counters, last: the triggers that keep them fire on the deletes above.
        delete(ParticipationCount).where(ParticipationCount.campaign_id == campaign_id),
        delete(LeftOffCount).where(LeftOffCount.campaign_id == campaign_id),
        delete(ReminderDayCount).where(ReminderDayCount.campaign_id == campaign_id),
    )
    for statement in statements:
        session.execute(statement.execution_options(synchronize_session=False))
    session.expunge(campaign)
    session.execute(delete(Campaign).where(Campaign.id == campaign_id))


def next_wave(
    session: Session,
    campaign: Campaign,
    questionnaire: Questionnaire,
    *,
    code: str,
    wave: str,
    opens_at: dt.datetime | None = None,
    closes_at: dt.datetime | None = None,
    now: dt.datetime | None = None,
) -> Campaign:
    """A new campaign for the next wave: the questionnaire (`questionnaire`, its current
    version), target, reminder policy and channels of `campaign`, under a new code and wave;
    its schedule is checked as a new campaign's (`now`: default the clock)."""
    if not code.strip():
        raise CampaignError("give the next wave's campaign a code")
    if questionnaire.id != campaign.questionnaire_id:
        raise CampaignError(
            f"campaign {campaign.code} uses questionnaire {campaign.questionnaire_id}"
        )
    if wave.strip() == campaign.wave:
        raise CampaignError(f"campaign {campaign.code} is wave {campaign.wave}: give a new label")
    policy = ReminderPolicy(
        remind_after_s=campaign.remind_after_s,
        remind_every_s=campaign.remind_every_s,
        max_reminders=campaign.max_reminders,
        quiet_hours=(campaign.quiet_start_hour, campaign.quiet_end_hour),
        last_call_before_s=campaign.last_call_before_s,
    )
    created = create_campaign(
        session,
        campaign.administration,
        questionnaire,
        wave.strip(),
        code=code.strip(),
        opens_at=opens_at,
        closes_at=closes_at,
        target=campaign.target_population,
        policy=policy,
        now=now,
    )
    created.target_margin = campaign.target_margin
    created.last_call_before_s = campaign.last_call_before_s
    for source in campaign.sources:
        add_source(session, created, source.tag, source.label)
    session.flush()
    return created
