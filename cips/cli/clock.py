"""`cips clock` (reminders, campaign closing, purges) and `cips reminders preview`."""

from __future__ import annotations

import datetime as dt
import logging
from collections import Counter
from pathlib import Path
from zoneinfo import ZoneInfo

import click
from sqlalchemy import select

from cips.cli import context
from survey.campaigns import CampaignError, get_campaign
from survey.reminders import planned
from survey.storage.models import Campaign
from web.clock import Clock, run_blocking

log = logging.getLogger(__name__)


@click.command("clock")
@click.option("--every", default=30.0, show_default=True,
              help="Seconds between two looks for due reminders.")  # fmt: skip
@click.option("--heartbeat", type=click.Path(path_type=Path), envvar="CIPS_HEARTBEAT_FILE",
              help="File touched at every reminder run (liveness checks).")  # fmt: skip
def clock(every: float, heartbeat: Path | None) -> None:
    """Run the scheduler: reminders, opening and closing campaigns, purges (exactly one)."""
    log.info("clock running: reminders every %g s; Ctrl-C to stop", every)
    clock = Clock(context.database(), context.questionnaires(), heartbeat=heartbeat,
                  min_cell=context.settings().min_cell)  # fmt: skip
    run_blocking(clock, every)


@click.group("reminders")
def reminders() -> None:
    """Reminders to people who left a survey half-way."""


@reminders.command("preview")
@click.option("--campaign", "campaign_code", help="One campaign (default: all).")
def preview(campaign_code: str | None) -> None:
    """How many reminders are due now, and when the next ones fall (sends nothing)."""
    now = dt.datetime.now(dt.UTC)
    with context.database().transaction() as session:
        if campaign_code:
            try:
                campaigns = [get_campaign(session, campaign_code)]
            except CampaignError as exc:
                raise click.ClickException(str(exc)) from exc
        else:
            campaigns = list(session.scalars(select(Campaign).order_by(Campaign.id)))
        for campaign in campaigns:
            times = planned(session, [campaign.id])
            due = sum(1 for t in times if t <= now)
            zone = ZoneInfo(campaign.administration.timezone)
            click.echo(f"{campaign.code}: {due} due now, {len(times) - due} planned")
            by_hour = Counter(
                t.astimezone(zone).strftime("%Y-%m-%d %H:00") for t in times if t > now
            )
            for hour, count in sorted(by_hour.items())[:24]:
                click.echo(f"  {hour} {campaign.administration.timezone:<16} {count:>6}")
