"""The `cips` command: a click group whose sub-commands live in the modules beside this one."""

from __future__ import annotations

import logging

import click

from cips.cli.analysis import analyze, export, generate, import_
from cips.cli.bot import bot
from cips.cli.campaigns import administration, campaign
from cips.cli.chat import chat
from cips.cli.clock import clock, reminders
from cips.cli.data import db, questionnaire
from cips.cli.demo import demo
from cips.cli.run import run
from cips.cli.translations import translations
from cips.cli.web import user, web


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option("-v", "--verbose", is_flag=True, help="Log more detail.")
def main(verbose: bool) -> None:
    """Run the Customs Integrity Perception Survey over Telegram and score its results."""
    logging.basicConfig(
        level=logging.DEBUG if verbose else logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    if not verbose:
        logging.getLogger("alembic").setLevel(logging.WARNING)
    # Anonymity: these libraries log request URLs (with the bot token) and, when debugging,
    # whole updates (with chat and user ids). They never log below WARNING, even with -v.
    for name in ("httpx", "httpcore", "telegram", "tornado.access"):
        logging.getLogger(name).setLevel(logging.WARNING)


main.add_command(run)
main.add_command(demo)
main.add_command(bot)
main.add_command(db)
main.add_command(questionnaire)
main.add_command(administration)
main.add_command(campaign)
main.add_command(chat)
main.add_command(clock)
main.add_command(reminders)
main.add_command(translations)
main.add_command(import_)
main.add_command(export)
main.add_command(analyze)
main.add_command(generate)
main.add_command(web)
main.add_command(user)
