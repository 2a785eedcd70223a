"""`cips chat`: take a survey in the terminal, through the same engine the Telegram bot uses.

A channel in a dozen lines: buttons are numbered, typing a number presses one, `/back`, `/help`,
`/language`, `/stop`, `/delete` work as in Telegram, and anything else is sent as typed text.
"""

from __future__ import annotations

import datetime as dt

import click
from sqlalchemy import select

from cips.cli import context
from survey.demo import demo_campaigns
from survey.engine import ConversationEngine, Reply, Sender, Typed
from survey.engine.inputs import event_for_button, event_for_command
from survey.i18n import render
from survey.storage.models import Campaign


def _demo_campaign(db, questionnaires) -> str:
    """The first open campaign, or the demo one created for the occasion."""
    now = dt.datetime.now(dt.UTC)
    with db.transaction() as session:
        for campaign in session.scalars(select(Campaign).order_by(Campaign.id)):
            if campaign.status(now) == "open":
                return campaign.code
        campaign = demo_campaigns(session, questionnaires, str(now.year))[0]
        click.echo(f"(created the demo campaign {campaign.code})")
        return campaign.code


def _show(reply: Reply) -> None:
    if reply.progress:
        click.secho(f"[{reply.progress[0]}/{reply.progress[1]}]", dim=True)
    for paragraph in (render(part, reply.language) for part in reply.parts):
        click.echo(paragraph)
    for number, button in enumerate(reply.buttons, start=1):
        mark = "x" if button.selected else " "
        click.secho(f"  {number:>2}. [{mark}] {render(button.label, reply.language)}", fg="cyan")
    click.echo()


@click.command("chat")
@click.option("--campaign", "campaign_code", help="Campaign code (default: an open campaign).")
@click.option(
    "--language", default=None, help="Your language hint, e.g. fr (as Telegram sends it)."
)
def chat(campaign_code: str | None, language: str | None) -> None:
    """Answer a survey in the terminal, as a respondent would on Telegram."""
    settings = context.settings()
    db = context.database()
    questionnaires = context.questionnaires()
    engine = ConversationEngine(
        db,
        questionnaires,
        settings.secret_key,
        min_cell=settings.min_cell,
        old_secret_keys=settings.old_secret_keys,
    )
    code = campaign_code or _demo_campaign(db, questionnaires)
    sender = Sender("terminal", f"terminal-{dt.datetime.now(dt.UTC).timestamp()}", None, language)
    buttons = []
    replies = engine.handle(event_for_command(sender, "start", code))
    while True:
        for reply in replies:
            _show(reply)
        buttons = next((r.buttons for r in reversed(replies) if r.buttons), buttons)
        try:
            line = click.prompt(">", prompt_suffix=" ", default="", show_default=False)
        except (EOFError, click.Abort):
            click.echo()
            return
        if line.startswith("/"):
            name, _, argument = line[1:].partition(" ")
            event = event_for_command(sender, name, argument)
        elif line.strip().isdigit() and 1 <= int(line) <= len(buttons):
            event = event_for_button(sender, buttons[int(line) - 1])
        else:
            event = Typed(sender, line)
        replies = engine.handle(event)
