"""A campaign's population margins in the database: read, set (checked), cleared, and applied
to the response sets of a release (`analysis.releases`).

Margins are entered per campaign and weight the whole response set the campaign belongs to
(every closed campaign of its administration, wave and questionnaire, scored together): two
campaigns of one set cannot hold different margins. They are set on a closed campaign only,
since the check that every category holds at least k completed responses reads its release.
Each change is a new `WeightMargins` row (the earlier ones stay) and an audit-log entry, in one
transaction; the release version digests the current margins, so a change makes a new version
and the earlier one stays as it was.
"""

from __future__ import annotations

import pandas as pd
from sqlalchemy import select
from sqlalchemy.orm import Session

from analysis.frames import Dataset
from analysis.weights import Margins, MarginsError, check, response_weights
from survey import audit
from survey.factors import N_
from survey.i18n import Text
from survey.questionnaire import Questionnaire
from survey.storage.models import Campaign, WeightMargins

SET = "weights.set"
CLEAR = "weights.clear"

NOT_CLOSED = N_(
    "Campaign {campaign} is open: margins are set once it is closed, since they are checked "
    "against its released responses."
)
OTHER_MARGINS = N_(
    "Campaign {other}, of the same wave and questionnaire, has other margins: its responses "
    "are weighted together with {campaign}'s. Set the same margins or clear them there first."
)
NOTHING_RELEASED = N_("Campaign {campaign} has no released responses to weight.")


def current(session: Session, campaign_ids: list[int]) -> dict[int, str]:
    """The current margins (canonical JSON) of those campaigns that have some."""
    if not campaign_ids:
        return {}
    rows = session.execute(
        select(WeightMargins.campaign_id, WeightMargins.margins)
        .where(WeightMargins.campaign_id.in_(campaign_ids))
        .order_by(WeightMargins.id)
    ).all()
    latest = {campaign_id: margins for campaign_id, margins in rows}  # the last row wins
    return {campaign_id: margins for campaign_id, margins in latest.items() if margins}


def margins_of(session: Session, campaign: Campaign) -> Margins | None:
    found = current(session, [campaign.id]).get(campaign.id)
    return Margins.from_json(found) if found else None


def _siblings(session: Session, campaign: Campaign) -> list[Campaign]:
    """The closed campaigns weighted together with `campaign` (itself included)."""
    return list(
        session.scalars(
            select(Campaign).where(
                Campaign.administration_id == campaign.administration_id,
                Campaign.wave == campaign.wave,
                Campaign.questionnaire_id == campaign.questionnaire_id,
                Campaign.closed_at.is_not(None),
            )
        )
    )


def set_margins(
    session: Session,
    campaign: Campaign,
    margins: Margins,
    questionnaires: dict[str, Questionnaire],
    k: int,
    *,
    actor: str,
    address: str | None = None,
) -> None:
    """Check `margins` against the campaign's released responses and store them, with an
    audit entry, in `session`'s transaction (the caller commits). Raises `MarginsError`."""
    from analysis.database import load_database

    if campaign.closed_at is None:
        raise MarginsError([Text(NOT_CLOSED, {"campaign": campaign.code})])
    mine = margins.to_json()
    siblings = _siblings(session, campaign)
    held = current(session, [c.id for c in siblings])
    for other in siblings:
        if other.id != campaign.id and held.get(other.id, mine) != mine:
            raise MarginsError(
                [Text(OTHER_MARGINS, {"other": other.code, "campaign": campaign.code})]
            )
    data = load_database(session, administration=campaign.administration.code,
                         wave=campaign.wave, questionnaires=questionnaires)  # fmt: skip
    survey = str(questionnaires[campaign.questionnaire_id].survey)
    response_set = data.get(campaign.administration.code, campaign.wave, survey)
    if response_set is None or not len(response_set):
        raise MarginsError([Text(NOTHING_RELEASED, {"campaign": campaign.code})])
    check(margins, response_set, k)
    response_weights(response_set, margins)  # raises AnalysisError if it cannot converge
    _store(session, campaign, mine, SET, actor, address, _summary(margins))


def clear_margins(
    session: Session, campaign: Campaign, *, actor: str, address: str | None = None
) -> bool:
    """Clear the campaign's margins (its results unweighted again, in a new release version);
    False if it had none."""
    if margins_of(session, campaign) is None:
        return False
    _store(session, campaign, None, CLEAR, actor, address, None)
    return True


def _summary(margins: Margins) -> str:
    """The audit entry's detail: the questions and their total."""
    questions = ", ".join(margins.populations)
    first = next(iter(margins.populations))
    return f"raking on {questions}; population {margins.total(first):,.0f}"


def _store(session, campaign, margins, action, actor, address, detail) -> None:
    session.add(WeightMargins(campaign_id=campaign.id, set_by=actor[:64], margins=margins))
    audit.record(session, action, actor=actor, administration=campaign.administration.code,
                 campaign=campaign.code, address=address, detail=detail)  # fmt: skip
    session.flush()


def apply(session: Session, data: Dataset, campaigns: list[Campaign]) -> bool:
    """Give each response set of `data` the weights of its campaigns' margins (`campaigns`: any
    campaigns, those of `data` among them); whether any set was weighted. Raises
    `AnalysisError` when the raking does not converge."""
    held = current(session, [c.id for c in campaigns if c.closed_at is not None])
    by_set: dict[tuple[str, str, str], str] = {}
    for campaign in sorted(campaigns, key=lambda c: c.id):
        if campaign.id in held:  # `set_margins` keeps one set's margins alike; first one wins
            key = (campaign.administration.code, campaign.wave, campaign.questionnaire_id)
            by_set.setdefault(key, held[campaign.id])
    weighted = False
    for response_set in data:
        found = by_set.get((response_set.administration, response_set.wave,
                            response_set.questionnaire.id))  # fmt: skip
        if found:
            response_set.weights = response_weights(response_set, Margins.from_json(found))
            weighted = True
    return weighted


def campaign_weights(
    session: Session, campaign: Campaign, questionnaires: dict[str, Questionnaire]
) -> pd.Series | None:
    """The raking weight of each released respondent of the campaign's response set (index:
    respondent ids, as exported), or None when it has no margins."""
    from analysis.database import load_database
    from analysis.releases import campaigns_of

    campaigns = [
        c for c in campaigns_of(session, campaign.administration) if c.wave == campaign.wave
    ]
    data = load_database(session, administration=campaign.administration.code,
                         wave=campaign.wave, questionnaires=questionnaires)  # fmt: skip
    if not apply(session, data, campaigns):
        return None
    survey = str(questionnaires[campaign.questionnaire_id].survey)
    found = data.get(campaign.administration.code, campaign.wave, survey)
    return None if found is None else found.weights
