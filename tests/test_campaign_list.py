"""The campaign list read without the models (survey.campaign_list) says what the models say, on
SQLite and PostgreSQL, and names only columns the models have."""

from __future__ import annotations

import datetime as dt

import pytest

from survey.campaign_list import (
    ADMINISTRATIONS,
    CAMPAIGNS,
    PARTICIPATION_COUNTS,
    figures_by_campaign,
    listed_campaigns,
)
from survey.campaigns import campaign_figures, create_administration, create_campaign
from survey.loader import load_questionnaires
from survey.storage.models import Base, Campaign, CampaignStatus, Respondent, RespondentStatus
from tests.cli_support import run_cips


@pytest.mark.parametrize("light", [CAMPAIGNS, ADMINISTRATIONS, PARTICIPATION_COUNTS])
def test_every_column_read_is_the_models_own(light):
    modelled = Base.metadata.tables[light.name]
    for column in light.columns:
        assert column.name in modelled.columns, f"{light.name}.{column.name} is not in the models"
        assert isinstance(modelled.columns[column.name].type, type(column.type)), column.name


def _campaigns(db, now: dt.datetime) -> dict[str, int]:
    questionnaires = load_questionnaires()
    with db.transaction() as session:
        admin = create_administration(session, "BF", "Douanes", "Africa/Ouagadougou", ["fr"])
        made = {
            code: create_campaign(session, admin, questionnaires[q], "2026", code=code)
            for code, q in [("open", "cips-officials"), ("later", "cips-private-sector"),
                            ("shut", "cips-officials"), ("old", "cips-officials")]
        }  # fmt: skip
        made["later"].opens_at = now + dt.timedelta(days=1)
        made["shut"].closed_at = now - dt.timedelta(hours=1)
        made["old"].closed_at = now - dt.timedelta(days=400)
        made["old"].archived_at = now - dt.timedelta(days=30)
        statuses = {
            "open": [RespondentStatus.COMPLETED] * 3 + [RespondentStatus.IN_PROGRESS] * 2,
            "shut": [RespondentStatus.WITHDRAWN, RespondentStatus.COMPLETED],
            "old": [RespondentStatus.COMPLETED],
        }
        for code, states in statuses.items():
            session.add_all(
                Respondent(campaign_id=made[code].id, language="fr", status=s) for s in states
            )
        session.flush()
        return {code: c.id for code, c in made.items()}


def test_the_list_is_what_the_models_say(db):
    now = dt.datetime.now(dt.UTC)
    ids = _campaigns(db, now)
    with db.engine.connect() as connection:
        listed = listed_campaigns(connection, now)
        everything = listed_campaigns(connection, now, with_archived=True)
    assert [c.code for c in listed] == ["open", "later", "shut"]
    assert [(c.code, c.archived) for c in everything][-1] == ("old", True)
    assert {c.code: c.status for c in everything} == {
        "open": CampaignStatus.OPEN,
        "later": CampaignStatus.SCHEDULED,
        "shut": CampaignStatus.CLOSED,
        "old": CampaignStatus.CLOSED,
    }
    assert {c.code: (c.figures.started, c.figures.completed) for c in everything} == {
        "open": (5, 3),
        "later": (0, 0),
        "shut": (2, 1),
        "old": (1, 1),
    }
    with db.transaction() as session:
        for shown in everything:
            campaign = session.get(Campaign, ids[shown.code])
            assert shown.status == campaign.status(now)
            assert shown.figures == campaign_figures(session, campaign)
            assert (shown.administration, shown.questionnaire_id, shown.wave) == (
                campaign.administration.code,
                campaign.questionnaire_id,
                campaign.wave,
            )
        # The ORM's sessions run the same query (the web's list, `cips campaign show`).
        assert figures_by_campaign(session, ids.values()) == {
            ids[c.code]: c.figures for c in everything
        }


def test_cips_campaign_list_prints_it(db, monkeypatch):
    """`cips campaign list` on each backend (its read-only transaction on the engine alone)."""
    now = dt.datetime.now(dt.UTC)
    _campaigns(db, now)
    monkeypatch.setenv("DATABASE_URL", db.url)
    lines = run_cips("campaign", "list").output.splitlines()
    assert [line.split()[:5] for line in lines] == [
        ["open", "BF", "cips-officials", "2026", "open"],
        ["later", "BF", "cips-private-sector", "2026", "scheduled"],
        ["shut", "BF", "cips-officials", "2026", "closed"],
    ]
    assert "started     5  completed     3" in lines[0]
    archived = run_cips("campaign", "list", "--archived").output.splitlines()
    assert archived[-1].startswith("old ") and archived[-1].endswith("  archived")
