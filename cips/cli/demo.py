"""`cips demo`: two waves of simulated respondents, answering through the real delivery path."""

from __future__ import annotations

import asyncio
import datetime as dt
import time

import click

from analysis.synthetic import generate_wave
from cips.cli import context
from cips.embedded import DatabaseBusy, Embedded, local_telegram, sole_bot
from survey import sealing
from survey.campaign_editing import close_now
from survey.demo import demo_campaigns
from survey.i18n import available_languages
from survey.storage.migrate import upgrade
from web.chat.respondents import SimulatedRespondent, run_all

DEMO_SEED = 2026
# The current wave is a little more favourable than the last, so trends have something to show.
WAVE_SHIFT = {False: 0.0, True: 0.3}


@click.command("demo")
@click.option("--respondents", default=40, show_default=True, type=click.IntRange(2, 2000),
              help="Simulated respondents per wave, half officials and half private sector.")  # fmt: skip
@click.option("--seed", default=DEMO_SEED, show_default=True, help="Draws the same answers again.")
def demo(respondents: int, seed: int) -> None:
    """Fill the demo administration: last year's wave (then closed) and this year's (left open).

    Simulated respondents answer through the real bot, the local chat stand-in for Telegram
    standing in for their phones: plausible, varied answers, some "Don't know", some who stop
    part-way. Run it with `cips run` stopped (both would answer the same chats); a wave whose
    campaigns are closed is not filled again.
    """
    settings = context.settings()
    note = hidden_scores_note(respondents, settings.min_cell, "--respondents")
    if note:
        click.echo(note)
    try:
        with sole_bot(settings.database_url):
            upgrade(settings.database_url)
            asyncio.run(_fill(settings, respondents, seed))
    except DatabaseBusy as exc:
        raise click.ClickException(str(exc)) from exc


def hidden_scores_note(respondents: int, k: int, option: str) -> str | None:
    """What to expect when a wave gets too few people for its scores to be published: each of
    the two surveys gets half of them, and some stop part-way (a score needs k respondents).
    `option` is how the command that prints it sets the number (`--respondents`, `--demo`)."""
    if respondents >= 4 * k:
        return None
    return (f"note: {respondents} respondents per wave make about {respondents // 2} per survey; "
            f"a score is shown only from {k} respondents on (CIPS_MIN_CELL), so some or all "
            f"scores will stay hidden. {option} {4 * k} or more shows them.")  # fmt: skip


async def _fill(settings, respondents: int, seed: int) -> None:
    db = context.database()
    questionnaires = context.questionnaires()
    telegram = local_telegram()
    embedded = Embedded(settings, db, questionnaires, port=0, telegram=telegram,
                        clock=False).start()  # fmt: skip
    stop = asyncio.Event()
    bot = asyncio.create_task(embedded.run_bot(stop))
    try:
        await asyncio.to_thread(fill_demo, telegram, db, questionnaires, respondents, seed)
    finally:
        stop.set()
        await bot


def fill_demo(telegram, db, questionnaires, respondents: int, seed: int) -> None:
    """Last year's wave, then this year's, once the bot is up (it sets its menu last)."""
    if not telegram.wait_until(lambda: None in telegram.commands, timeout=60):
        click.echo("demo: the bot did not start; no respondents simulated", err=True)
        return
    year = dt.datetime.now(dt.UTC).year
    for number, (wave, current) in enumerate([(str(year - 1), False), (str(year), True)]):
        _fill_wave(telegram, db, questionnaires, wave, current, respondents, seed + number)


def _fill_wave(telegram, db, questionnaires, wave: str, current: bool, respondents: int,
               seed: int) -> None:  # fmt: skip
    now = dt.datetime.now(dt.UTC)
    with db.transaction() as session:
        campaigns = demo_campaigns(session, questionnaires, wave, current=current)
        plan = [(c.code, questionnaires[c.questionnaire_id]) for c in campaigns
                if c.status(now) == "open"]  # fmt: skip
    if not plan:
        click.echo(f"wave {wave}: its campaigns are closed, left as they are")
        return
    people = []
    for index, (code, questionnaire) in enumerate(plan):
        count = respondents // len(plan) + (index < respondents % len(plan))
        sheets = generate_wave(questionnaire, count, wave=wave, seed=seed * 10 + index,
                               shift=WAVE_SHIFT[current], languages=tuple(available_languages()),
                               answer_free_text=True)  # fmt: skip
        for row in sheets.to_dict("records"):
            people.append((SimulatedRespondent(telegram, questionnaire, row, row["language"]),
                           code))  # fmt: skip
    click.echo(f"wave {wave}: {len(people)} simulated respondents answering "
               f"({', '.join(code for code, _ in plan)})...")  # fmt: skip
    started = time.perf_counter()
    outcomes = run_all(people)
    elapsed = time.perf_counter() - started
    answers = sum(o.answers for o in outcomes)
    completed = sum(o.completed for o in outcomes)
    stalled = sum(o.stalled for o in outcomes)
    click.echo(f"wave {wave}: {completed} completed, {len(outcomes) - completed} stopped part-way;"
               f" {answers} answers in {elapsed:.0f} s ({answers / elapsed:.0f} answers/s)")  # fmt: skip
    if stalled:
        click.echo(
            f"wave {wave}: {stalled} respondents got no answer from the bot in time", err=True
        )
    if not current:
        with db.transaction() as session:
            for campaign in demo_campaigns(session, questionnaires, wave, current=False):
                close_now(session, campaign, dt.datetime.now(dt.UTC), context.settings().min_cell)
        sealing.wipe(db, resealed=True)
        click.echo(f"wave {wave}: campaigns closed")
