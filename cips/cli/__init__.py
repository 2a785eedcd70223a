"""The `cips` command: a click group whose sub-commands live in the modules beside this one."""

from __future__ import annotations

import click

from cips import logs
from cips.cli.analysis import analyze, export, generate, import_
from cips.cli.bot import bot
from cips.cli.campaigns import administration, campaign
from cips.cli.chat import chat
from cips.cli.clock import clock, reminders
from cips.cli.data import db, questionnaire
from cips.cli.demo import demo
from cips.cli.health import health
from cips.cli.run import run
from cips.cli.translations import translations
from cips.cli.web import user, web

# The long-running processes name themselves in JSON logs (`cips run` is all three in one);
# every other command is "cli".
ROLES = {"web": "web", "bot": "bot", "clock": "clock", "run": "run"}


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option("-v", "--verbose", is_flag=True, help="Log more detail.")
@click.option("--log-format", type=click.Choice(logs.FORMATS, case_sensitive=False), envvar="CIPS_LOG_FORMAT",
              default="text", show_default=True, show_envvar=True,
              help="json: one JSON object per line, for log collectors.")  # fmt: skip
@click.pass_context
def main(ctx: click.Context, verbose: bool, log_format: str) -> None:
    """Run the Customs Integrity Perception Survey over Telegram and score its results."""
    logs.setup(ROLES.get(ctx.invoked_subcommand or "", "cli"), log_format, verbose)


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
main.add_command(health)
main.add_command(web)
main.add_command(user)
