"""The `cips` command: a click group whose sub-commands live in the modules beside this one.

The sub-commands are loaded lazily (click's LazyGroup pattern): `cips health` imports only
`cips.cli.health`, and `cips --help` imports none of them, since the summaries it lists are kept
here (tests/test_cli_startup.py checks that they are the commands' own). A command module imports
what is heavy (pandas, matplotlib, python-telegram-bot, Flask) where it is used, so that a probe
or a listing starts at once (`bench/cli_start.py`).
"""

from __future__ import annotations

import importlib

import click

from cips import logs

# name: (module in cips.cli, attribute, the summary `cips --help` shows: the first paragraph of
# the command's help, up to its first full stop)
COMMANDS: dict[str, tuple[str, str, str]] = {
    "administration": ("campaigns", "administration",
                       "Customs administrations (each runs its own campaigns)."),
    "analyze": ("analysis", "analyze",
                "Write the result tables of SCORING.md (items, factors, gaps, trends, problems, "
                "kpis), small cells suppressed, into OUT as csv, xlsx or json."),
    "audit": ("audit", "audit",
              "The audit log (sign-ins, downloads and exports, releases, account and campaign "
              "changes), oldest first; `cips audit verify` checks its hash chain."),
    "bot": ("bot", "bot",
            "Run the Telegram bot (TELEGRAM_BOT_TOKEN; TELEGRAM_API_URL for another Bot API "
            "server)."),
    "benchmark": ("benchmark", "benchmark",
                  "Benchmarks across administrations: trust keys, import signed releases, show "
                  "and publish the distributions."),
    "campaign": ("campaigns", "campaign",
                 "Campaigns: one questionnaire, one wave, one administration."),
    "chat": ("chat", "chat", "Answer a survey in the terminal, as a respondent would on Telegram."),
    "clock": ("clock", "clock",
              "Run the scheduler: reminders, opening and closing campaigns, purges (exactly one)."),
    "codebook": ("interchange", "codebook",
                 "Write the codebook of a questionnaire's respondent-level files, as md or xlsx."),
    "db": ("data", "db", "The database schema."),
    "demo": ("demo", "demo",
             "Fill the demo administration: last year's wave (then closed) and this year's (left "
             "open)."),
    "export": ("interchange", "export",
               "Write a campaign's respondents in the interchange format (anonymous: random ids "
               "only, no free text), or with --free-text its free-text answers alone, detached."),
    "generate": ("interchange", "generate",
                 "Write a made-up wave of QUESTIONNAIRE_ID in the interchange format (for "
                 "demonstrations)."),
    "health": ("health", "health",
               "Check that the bot and clock are alive (heartbeat files), the web can serve "
               "(URL), and finished responses get sealed (--sealing)."),
    "import": ("interchange", "import_",
               "Import an earlier wave from FILE (.csv or .xlsx, the interchange format)."),
    "keys": ("keys", "keys",
             "CIPS_SECRET_KEY and its old keys (CIPS_OLD_SECRET_KEYS); the Ed25519 keys that sign "
             "release and benchmark files (create, list, revoke)."),
    "questionnaire": ("data", "questionnaire", "Questionnaire files: check them, show them."),
    "report": ("report", "report",
               "Write the country report of a closed campaign's wave as a PDF, from its release."),
    "release": ("release", "release",
                "A wave's aggregate results as a signed file, for benchmarks across "
                "administrations."),
    "reminders": ("clock", "reminders", "Reminders to people who left a survey half-way."),
    "run": ("run", "run",
            "Bot, web back end and clock in one process (a local chat page if no bot token is "
            "set)."),
    "translations": ("translations", "translations",
                     "Gettext catalogs (locales/<lang>/LC_MESSAGES/messages.po)."),
    "user": ("web", "user", "Accounts of the web back end: admins, coordinators and analysts."),
    "weights": ("weights", "weights",
                "Population margins for raking weights (post-stratification), per campaign."),
    "web": ("web", "web",
            "Run the web back end on the development server (production: gunicorn, see the "
            "Procfile)."),
}  # fmt: skip

# The long-running processes name themselves in JSON logs (`cips run` is all three in one);
# every other command is "cli".
ROLES = {"web": "web", "bot": "bot", "clock": "clock", "run": "run"}


def load_command(name: str) -> click.Command:
    """The sub-command `name`, importing its module now."""
    module, attribute, _summary = COMMANDS[name]
    command = getattr(importlib.import_module(f"cips.cli.{module}"), attribute)
    if not isinstance(command, click.Command):
        raise TypeError(f"cips.cli.{module}.{attribute} is not a click command")
    return command


class LazyGroup(click.Group):
    """A group that imports a sub-command's module only when that command is run (or asked for
    its own --help), and lists every command from the summaries in COMMANDS."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), *COMMANDS})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in self.commands and cmd_name in COMMANDS:
            self.add_command(load_command(cmd_name), cmd_name)
        return super().get_command(ctx, cmd_name)

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        """As click's, but a command not loaded yet is listed from its summary, unloaded."""
        names = self.list_commands(ctx)
        limit = formatter.width - 6 - max(len(name) for name in names)  # click's arithmetic
        rows = []
        for name in names:
            if command := self.commands.get(name):
                if not command.hidden:
                    rows.append((name, command.get_short_help_str(limit)))
            else:
                rows.append((name, click.utils.make_default_short_help(COMMANDS[name][2], limit)))
        with formatter.section("Commands"):
            formatter.write_dl(rows)


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.option("-v", "--verbose", is_flag=True, help="Log more detail.")
@click.option("--log-format", type=click.Choice(logs.FORMATS, case_sensitive=False), envvar="CIPS_LOG_FORMAT",
              default="text", show_default=True, show_envvar=True,
              help="json: one JSON object per line, for log collectors.")  # fmt: skip
@click.pass_context
def main(ctx: click.Context, verbose: bool, log_format: str) -> None:
    """Run the Customs Integrity Perception Survey over Telegram and score its results."""
    logs.setup(ROLES.get(ctx.invoked_subcommand or "", "cli"), log_format, verbose)
