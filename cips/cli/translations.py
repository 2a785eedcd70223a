"""`cips translations ...`: keep the catalogs of `locales/` complete."""

from __future__ import annotations

import click

from survey.catalogs import check_catalogs, update_catalogs


@click.group()
def translations() -> None:
    """Gettext catalogs (locales/<lang>/LC_MESSAGES/messages.po)."""


@translations.command("update")
@click.option("--add", "new", multiple=True, help="Start a catalog for a new language (e.g. sw).")
def translations_update(new: tuple[str, ...]) -> None:
    """Extract every string from the sources and questionnaires and merge it into each catalog."""
    for path in update_catalogs(new):
        click.echo(f"updated {path}")


@translations.command("check")
def translations_check() -> None:
    """Fail on any missing, fuzzy, placeholder-mismatched or out-of-date entry."""
    problems = check_catalogs()
    for problem in problems:
        click.echo(problem, err=True)
    if problems:
        raise click.ClickException(f"{len(problems)} problem(s) in the catalogs")
    click.echo("all catalogs complete")
