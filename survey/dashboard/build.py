"""`campaign_dashboard`: a campaign's dashboard put together from its counters (counters), its
breakdowns suppressed (breakdowns) and its rates (rates), as a `Dashboard` (figures)."""

from __future__ import annotations

import datetime as dt
from collections import Counter

from sqlalchemy.orm import Session

from survey.channels import channel_rows
from survey.dashboard.breakdowns import days_grouped, funnel, group_rows, reminder_figures
from survey.dashboard.counters import day_counts, left_off_counts, reminder_days, status_groups
from survey.dashboard.figures import CampaignInfo, Dashboard, Precision, Totals
from survey.dashboard.rates import margin_of_error, rate, responses_needed
from survey.questionnaire import Questionnaire
from survey.storage.models import FINISHED, Campaign, RespondentStatus

NO_SOURCE = ""  # the source value of respondents who came through the plain link


def campaign_dashboard(
    session: Session,
    campaign: Campaign,
    questionnaire: Questionnaire,
    *,
    min_cell: int,
    now: dt.datetime | None = None,
) -> Dashboard:
    """Every figure of the campaign dashboard, suppressed."""
    now = now or dt.datetime.now(dt.UTC)
    k = min_cell
    by_status: Counter = Counter()
    started_by = {"language": Counter(), "source": Counter()}
    completed_by = {"language": Counter(), "source": Counter()}
    awaiting_seal = 0
    for sealed, status, language, source, n in status_groups(session, campaign):
        by_status[status] += n
        if not sealed and status in FINISHED:
            awaiting_seal += n
        started_by["language"][language] += n
        started_by["source"][source or NO_SOURCE] += n
        if status == RespondentStatus.COMPLETED:
            completed_by["language"][language] += n
            completed_by["source"][source or NO_SOURCE] += n
    started_on, completed_on = day_counts(session, [campaign.id])
    started = sum(by_status.values())
    completed = by_status[RespondentStatus.COMPLETED]

    offered = campaign.administration.language_list
    languages = offered + sorted(set(started_by["language"]) - set(offered))
    tags = [source.tag for source in campaign.sources]
    sources = [NO_SOURCE, *tags, *sorted(set(started_by["source"]) - {NO_SOURCE, *tags})]

    population = campaign.target_population
    margin = margin_of_error(completed, population)
    target = campaign.target_margin
    closed_on = (campaign.closed_at or campaign.closes_at or now).date()
    return Dashboard(
        campaign=CampaignInfo(
            code=campaign.code,
            administration=campaign.administration.code,
            questionnaire=campaign.questionnaire_id,
            wave=campaign.wave,
            status=str(campaign.status(now)),
            opens_at=campaign.opens_at,
            closes_at=campaign.closes_at,
            closed_at=campaign.closed_at,
        ),
        as_of=now,
        min_cell=k,
        totals=Totals(
            started=started,
            in_progress=by_status[RespondentStatus.IN_PROGRESS],
            completed=completed,
            withdrawn=by_status[RespondentStatus.WITHDRAWN],
            awaiting_seal=awaiting_seal,
            completion_rate=rate(completed, started),
            target_population=population,
            response_rate=rate(completed, population),
        ),
        precision=Precision(
            margin_of_error=None if margin is None else round(margin, 2),
            target_margin=target,
            completed_needed=responses_needed(target, population) if target else None,
            target_met=None if target is None or margin is None else margin <= target,
        ),
        per_day=days_grouped(started_on, completed_on, k, min(now.date(), closed_on)),
        funnel=funnel(
            [q.id for q in questionnaire.questions],
            left_off_counts(session, campaign, questionnaire),
            completed,
            k,
        ),
        by_language=group_rows(started_by["language"], completed_by["language"], languages, k),
        by_source=group_rows(started_by["source"], completed_by["source"], sources, k),
        reminders=reminder_figures(reminder_days(session, campaign.id), k),
        by_channel=channel_rows(session, campaign.id, k),
    )
