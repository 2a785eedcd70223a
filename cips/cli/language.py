"""What the data commands (`cips import`, `export`, `analyze`, `codebook`) say in their user's
language: the --language option (from LANG), the languages --labels may name, and an invalid
file's problems, one a line, then what they mean."""

from __future__ import annotations

import os

import click

from analysis import labels
from survey.i18n import Text, available_languages, match_language, render


def default_language() -> str:
    for variable in ("LC_ALL", "LC_MESSAGES", "LANG"):
        if found := match_language(os.environ.get(variable), available_languages()):
            return found
    return "en"


def language_option(function):
    return click.option(
        "--language",
        type=click.Choice(available_languages()),
        default=default_language,
        show_default="from LANG, else en",
        help="Language of the messages, names and labels.",
    )(function)


class TranslatedError(click.ClickException):
    """click's error, its "Error:" in the command's --language as well as its message."""

    def __init__(self, message: str, language: str):
        super().__init__(message)
        self.language = language

    def show(self, file=None) -> None:
        text = Text(labels.ERROR, {"message": self.format_message()})
        click.echo(render(text, self.language), file=file, err=file is None)


def labels_choice() -> click.Choice:
    return click.Choice(available_languages())


# A file in the wrong form altogether (labels in another language) has a problem in nearly every
# cell: the first ones and the count say it, with the hint, where a thousand lines would bury it.
MAX_PROBLEMS_SHOWN = 50


def file_problems(
    error, language: str, outcome: str = labels.IMPORT_FAILED
) -> click.ClickException:
    """A file's problems on stderr (the first MAX_PROBLEMS_SHOWN, then how many more), what
    they seem to have in common, then what they mean (nothing was imported)."""
    for problem in error.problems[:MAX_PROBLEMS_SHOWN]:
        click.echo(problem.render(language), err=True)
    if (more := len(error.problems) - MAX_PROBLEMS_SHOWN) > 0:
        click.echo(render(Text(labels.MORE_PROBLEMS, {"count": more}), language), err=True)
    if error.hint is not None:
        click.echo(render(error.hint, language), err=True)
    text = Text(outcome, {"count": len(error.problems), "file": error.file})
    return TranslatedError(render(text, language), language)
