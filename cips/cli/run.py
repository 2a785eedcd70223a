"""`cips run`: the embedded default, the whole product in one process on SQLite."""

from __future__ import annotations

import asyncio
import os
import threading

import click

from cips.cli import context
from cips.cli.demo import DEMO_SEED, fill_demo, hidden_scores_note
from cips.embedded import (
    ADMIN_USERNAME,
    DatabaseBusy,
    Embedded,
    local_telegram,
    prepare_first_run,
    sole_bot,
)
from survey.storage.migrate import upgrade


@click.command("run")
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Address of the web pages (0.0.0.0: reachable from other machines).")  # fmt: skip
@click.option("--port", default=5000, show_default=True, type=int)
@click.option("--demo", "demo_respondents", default=0, type=click.IntRange(0, 2000),
              help="Meanwhile, N simulated respondents per wave answer through the local chat "
                   "stand-in, as `cips demo` does: watch the dashboards fill.")  # fmt: skip
def run(host: str, port: int, demo_respondents: int) -> None:
    """Bot, web back end and clock in one process (a local chat page if no bot token is set)."""
    settings = context.settings()
    if demo_respondents and settings.telegram_token:
        raise click.UsageError("--demo needs the local chat stand-in: unset TELEGRAM_BOT_TOKEN")
    try:
        with sole_bot(settings.database_url):
            _run(settings, host, port, demo_respondents)
    except DatabaseBusy as exc:
        raise click.ClickException(str(exc)) from exc


def _run(settings, host: str, port: int, demo_respondents: int) -> None:
    upgrade(settings.database_url)  # the embedded default sets up its own database
    db = context.database()
    questionnaires = context.questionnaires()
    first = prepare_first_run(db, questionnaires)
    telegram = None if settings.telegram_token else local_telegram()
    try:
        embedded = Embedded(settings, db, questionnaires, host=host, port=port,
                             telegram=telegram).start()  # fmt: skip
    except OSError as exc:
        raise click.ClickException(f"cannot listen on {host}:{port}: {exc.strerror}") from exc
    _welcome(embedded, first, demo_respondents, settings.min_cell)
    _web_links(db, settings.public_url or embedded.url, settings)
    if demo_respondents:
        # A daemon thread: Ctrl-C stops cips run at once, even half-way through the demo.
        threading.Thread(target=fill_demo, daemon=True, name="cips-demo",
                         args=(telegram, db, questionnaires, demo_respondents, DEMO_SEED)).start()  # fmt: skip
    asyncio.run(embedded.run_bot())


def _web_links(db, base: str, settings) -> None:
    """The web survey link of each open demo campaign (the survey in a browser, no Telegram),
    and whether respondents elsewhere can reach it."""
    from sqlalchemy import select

    from survey.demo import campaign_code
    from survey.storage.models import Campaign, CampaignStatus, utcnow
    from web.respond.links import NOT_REACHABLE, reachable, web_link

    codes = [campaign_code("", audience, True) for audience in ("officials", "private_sector")]
    with db.transaction() as session:
        campaigns = session.scalars(select(Campaign).where(Campaign.code.in_(codes))).all()
        open_codes = sorted(c.code for c in campaigns if c.status(utcnow()) is CampaignStatus.OPEN)
    for code in open_codes:
        click.echo(f"  Answer in a browser instead (the web survey): {web_link(base, code)}")
    if open_codes and (warning := NOT_REACHABLE.get(reachable(settings))):
        click.echo(f"  (warning: {warning})")
    if open_codes:
        click.echo()


def _welcome(embedded: Embedded, first, demo_respondents: int, k: int) -> None:
    url = embedded.url
    click.echo()
    click.secho(f"cips is running: {url}/", bold=True)
    if first.admin_password:
        click.echo(f"  Sign in as {ADMIN_USERNAME!r} with the password {first.admin_password}")
        click.echo(
            f"  (shown only this once; change it with `cips user password {ADMIN_USERNAME}`)"
        )
    else:
        click.echo("  Sign in with your account (the first run printed the password of "
                   f"{ADMIN_USERNAME!r};")  # fmt: skip
        click.echo(f"   forgotten? `cips user password {ADMIN_USERNAME}` sets a new one)")
    if os.environ.get("CIPS_REQUIRE_2FA") == "off":
        click.echo("  Two-factor sign-in is optional here: turn it on for your account under")
        click.echo("  'Two-factor sign-in', and require it with CIPS_REQUIRE_2FA=admins (the")
        click.echo("  default outside cips run) or CIPS_REQUIRE_2FA=everyone.")
    if first.campaigns:
        click.echo(f"  Demo campaigns created: {', '.join(first.campaigns)}")
    if embedded.telegram is not None:
        click.echo(f"  Answer the survey as a respondent would: {url}/chat")
        click.echo("  (no TELEGRAM_BOT_TOKEN set: this chat page stands in for Telegram;")
        click.echo("   set the token of a bot made with @BotFather to reach real phones)")
    else:
        click.echo("  The Telegram bot is connected: open your bot's link in Telegram.")
    if demo_respondents:
        click.echo(f"  {demo_respondents} simulated respondents per wave are answering now: watch")
        click.echo("  the dashboards and the results fill. Ctrl-C to stop.")
        note = hidden_scores_note(demo_respondents, k, "--demo")
        if note:
            click.echo(f"  {note}")
    else:
        click.echo("  Simulated respondents fill the dashboards with `cips run --demo 40`")
        click.echo("  (or `cips demo` while cips run is stopped). Ctrl-C to stop.")
    click.echo()
