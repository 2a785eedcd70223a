"""`cips clock` (reminders, campaign closing, purges) and `cips reminders preview`."""

from __future__ import annotations

import datetime as dt
import logging
from pathlib import Path

import click
from sqlalchemy import select

from cips.cli import context
from survey.campaigns import CampaignError, get_campaign
from survey.reminders import ReminderRule, reminder_plan
from survey.storage.models import Campaign
from web.clock import Clock, run_blocking

log = logging.getLogger(__name__)
# The rule of each planned reminder, as the campaign's page names it.
RULES = {ReminderRule.FIRST: "first reminder", ReminderRule.REPEAT: "again",
         ReminderRule.LAST_CALL: "last call"}  # fmt: skip


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
    """The reminders due now and those planned for the next seven days, per hour in the
    administration's time zone, if nobody in progress answers meanwhile (sends nothing): the
    plan the campaign's web page shows (survey.reminders.reminder_plan)."""
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
            plan = reminder_plan(session, campaign, now)
            due = sum(row.count for row in plan if row.due)
            coming = [row for row in plan if not row.due]
            click.echo(f"{campaign.code}: {due} due now, {sum(r.count for r in coming)} planned "
                       "for the next seven days (if nobody in progress answers meanwhile)")  # fmt: skip
            zone = campaign.administration.timezone
            for row in coming:
                end = (row.hour + dt.timedelta(hours=1)).strftime("%H:00")
                click.echo(f"  {row.hour:%Y-%m-%d %H:00}-{end} {zone:<16} {row.count:>6}  "
                           f"{RULES[row.rule]}")  # fmt: skip
