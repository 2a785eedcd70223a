"""`cips report`: the country report of a closed campaign's wave, as a PDF, from its release
(`analysis.report`)."""

from __future__ import annotations

from pathlib import Path

import click

from cips.cli import context
from survey.i18n import available_languages

# matplotlib, pandas and SQLAlchemy are imported inside the command, so that `cips --help`
# stays light.


@click.command("report")
@click.option("--campaign", "campaign_code", required=True,
              help="A campaign of the wave (closed): the report covers its whole wave.")  # fmt: skip
@click.option("--language", type=click.Choice(available_languages()), default="en", show_default=True,
              help="Language of the report.")  # fmt: skip
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False, path_type=Path))
def report(campaign_code: str, language: str, output: Path) -> None:
    """Write the country report of a closed campaign's wave as a PDF, from its release.

    A few A4 pages to publish: response figures with their margin of error, the key factors
    ranked with 95% intervals, officials against traders, the change since the previous wave,
    the weakest statements, the constructs, the comparison with the region's administrations
    (when a host's benchmark was imported: cips benchmark import), and the method; small cells
    suppressed (k = CIPS_MIN_CELL). The same release gives the same file on every run."""
    from analysis.frames import AnalysisError
    from analysis.releases import campaigns_of, release
    from analysis.report import write_report
    from survey.campaigns import CampaignError, get_campaign

    # release() stores what it computes in a session of its own
    with (
        context.database_refusing(CampaignError, AnalysisError) as db,
        db.reads() as session,
    ):
        campaign = get_campaign(session, campaign_code)
        context.refuse_open(campaign, "its wave's report is made from the release")
        administration = campaign.administration
        campaigns = campaigns_of(session, administration)
        closed = [c.closed_at for c in campaigns if c.wave == campaign.wave and c.closed_at]
        questionnaires = context.questionnaires()
        published = release(session, administration, campaign.wave, language,
                            context.settings().min_cell, questionnaires, campaigns)  # fmt: skip
        from analysis.benchmark.store import latest_benchmark

        size = write_report(published, questionnaires, administration.name,
                            max(closed).date(), output, latest_benchmark(session))  # fmt: skip
    click.echo(f"wrote the report of {administration.code} wave {campaign.wave} "
               f"(release {published.version}, {language}, {size // 1024} KB) to {output}")  # fmt: skip
