"""`cips weights set|show|clear`: a campaign's population margins for raking weights
(`analysis.weights`, `analysis.margins`)."""

from __future__ import annotations

from pathlib import Path

import click

from analysis import labels
from cips.cli import context
from cips.cli.language import TranslatedError
from survey.i18n import Text, available_languages, render


@click.group()
def weights() -> None:
    """Population margins for raking weights (post-stratification), per campaign."""


def _language_option(function):
    return click.option("--language", type=click.Choice(available_languages()), default="en",
                        show_default=True, help="Language of the error messages.")(function)  # fmt: skip


@weights.command("set")
@click.option("--campaign", "campaign_code", required=True, help="A closed campaign.")
@click.option("--margins", "margins_file", required=True,
              type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="CSV with the columns question,value,population: one row per category of "
                   "each raking question.")  # fmt: skip
@_language_option
def set_(campaign_code: str, margins_file: Path, language: str) -> None:
    """Set a closed campaign's population margins: its wave's results become weighted, in a new
    release version (the earlier one kept).

    Each question's populations must sum to the same total, and every category must hold at
    least k (CIPS_MIN_CELL) completed responses."""
    from analysis.frames import AnalysisError
    from analysis.margins import set_margins
    from analysis.weights import MarginsError, parse_csv
    from survey import audit
    from survey.campaigns import CampaignError, get_campaign

    db = context.database()
    try:
        margins = parse_csv(margins_file.read_text(encoding="utf-8-sig"))
        with db.transaction() as session:
            campaign = get_campaign(session, campaign_code)
            set_margins(session, campaign, margins, context.questionnaires(),
                        context.settings().min_cell, actor=audit.cli_actor())  # fmt: skip
        stored = context.store_releases(db)
    except MarginsError as exc:
        problems = "\n".join(f"- {render(p, language)}" for p in exc.problems)
        heading = render(Text(labels.MARGINS_NOT_SET, {"campaign": campaign_code}), language)
        raise TranslatedError(f"{heading}\n{problems}", language) from exc
    except (CampaignError, AnalysisError) as exc:
        raise TranslatedError(str(exc), language) from exc
    finally:
        db.dispose()
    questions = ", ".join(margins.populations)
    click.echo(f"margins set for {campaign_code} (raking on {questions}); "
               f"{stored} release table(s) stored")  # fmt: skip


@weights.command("show")
@click.option("--campaign", "campaign_code", required=True)
def show(campaign_code: str) -> None:
    """Print the campaign's margins as CSV (question,value,population), and the weights' range
    and Kish effective sample size."""
    from analysis.margins import campaign_weights, margins_of
    from analysis.weights import kish
    from survey.campaigns import CampaignError, get_campaign

    with context.database_refusing(CampaignError) as db, db.reads() as session:
        campaign = get_campaign(session, campaign_code)
        margins = margins_of(session, campaign)
        found = campaign_weights(session, campaign, context.questionnaires()) if margins else None
    if margins is None:
        click.echo(f"{campaign_code} has no margins: its results are unweighted")
        return
    click.echo("question,value,population")
    for question, value, population in margins.rows():
        click.echo(f"{question},{value},{population:g}")
    if found is not None and len(found):
        click.echo(f"# weights from {found.min():.3f} to {found.max():.3f}; Kish effective n "
                   f"{kish(found):.1f} of {len(found)} respondents", err=True)  # fmt: skip


@weights.command("clear")
@click.option("--campaign", "campaign_code", required=True)
def clear(campaign_code: str) -> None:
    """Clear the campaign's margins: its wave's results are unweighted again, in a new release
    version (the earlier ones kept)."""
    from analysis.margins import clear_margins
    from survey import audit
    from survey.campaigns import CampaignError, get_campaign

    with context.database_refusing(CampaignError) as db:
        with db.transaction() as session:
            campaign = get_campaign(session, campaign_code)
            cleared = clear_margins(session, campaign, actor=audit.cli_actor())
        if cleared:
            context.store_releases(db)
    click.echo(
        f"margins of {campaign_code} cleared" if cleared else f"{campaign_code} had no margins"
    )
