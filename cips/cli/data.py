"""`cips db ...` and `cips questionnaire ...`: the schema and the questionnaire files."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import click

from cips.cli import context
from survey.factors import FACTOR_BY_NUMBER
from survey.loader import QuestionnaireError, load_questionnaire, load_questionnaires
from survey.questionnaire import QuestionType, questionnaire_as_dict
from survey.storage.migrate import current_revision, upgrade


@click.group()
def db() -> None:
    """The database schema."""


@db.command("upgrade")
def db_upgrade() -> None:
    """Apply the migrations to DATABASE_URL (creates the tables on a new database)."""
    upgrade(context.settings().database_url)
    db = context.database()
    click.echo(f"database at revision {current_revision(db.engine)}")
    db.dispose()


@click.group()
def questionnaire() -> None:
    """Questionnaire files: check them, show them."""


@questionnaire.command("check")
@click.argument("files", nargs=-1, required=True, type=click.Path(dir_okay=False, path_type=Path))
def questionnaire_check(files: tuple[Path, ...]) -> None:
    """Validate FILES (links are checked against the built-in questionnaires and each other)."""
    try:
        loaded = load_questionnaires(extra=files, folders=context.settings().questionnaire_dirs)
    except QuestionnaireError as exc:
        for error in exc.errors:
            click.echo(f"error: {error}", err=True)
        raise click.ClickException(f"{len(exc.errors)} error(s) found") from exc
    for path in files:
        q = loaded[load_questionnaire(path).id]
        agreement = [i for i in q.items if i.type is QuestionType.AGREEMENT]
        click.echo(
            f"ok: {path}: {q.id} {q.version} ({q.survey}): {len(q.demographics)} demographic "
            f"questions, {len(q.items)} items ({len(agreement)} agreement, "
            f"{sum(i.reverse for i in agreement)} reverse-coded, "
            f"{sum(bool(i.link) for i in q.items)} linked), {len(q.constructs)} construct(s)"
        )


@questionnaire.command("show")
@click.argument("ref")
@click.option("--json", "as_json", is_flag=True, help="Print the whole questionnaire as JSON.")
def questionnaire_show(ref: str, as_json: bool) -> None:
    """Show a questionnaire given by id (built-in or from CIPS_QUESTIONNAIRE_DIRS) or by FILE."""
    if Path(ref).is_file():
        try:
            q = load_questionnaire(ref)
        except QuestionnaireError as exc:
            raise click.ClickException(str(exc)) from exc
    else:
        q = context.questionnaire_by_id(ref)
    if as_json:
        click.echo(json.dumps(questionnaire_as_dict(q), indent=2, ensure_ascii=False))
        return
    click.echo(f"{q.id} {q.version} ({q.survey}): {q.title}")
    per_factor = Counter(i.factor for i in q.items if i.scored)
    for number, factor in FACTOR_BY_NUMBER.items():
        click.echo(f"  factor {number:>2} {factor.name}: {per_factor.get(number, 0)} items")
    for question in q.questions:
        flags = "".join(
            flag
            for flag, on in (("R", question.reverse), ("L", question.link), ("?", question.show_if))
            if on
        )
        factor = f"F{question.factor}" if question.factor else "-"
        click.echo(
            f"  {question.id:<16} {factor:<4} {question.type:<16} {flags:<3} {question.text}"
        )
    for construct in q.constructs:
        click.echo(f"  construct {construct.id}: {', '.join(construct.items)}")
