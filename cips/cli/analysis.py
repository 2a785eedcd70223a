"""`cips analyze`: the result tables of SCORING.md and their charts, from the database or from
interchange files (the files themselves go in and out through `cips.cli.interchange`)."""

from __future__ import annotations

from pathlib import Path

import click

from analysis import labels
from cips.cli import context
from cips.cli.language import file_problems, language_option
from survey.config import MIN_CELL_FLOOR

# pandas and matplotlib are imported inside the command, so that every other `cips` command
# starts without them.
TABLE_FORMATS = ("csv", "xlsx", "json")


def _min_cell(value: int | None) -> int:
    k = context.settings().min_cell if value is None else value
    if k < MIN_CELL_FLOOR:
        raise click.BadParameter(f"must be at least {MIN_CELL_FLOOR}", param_hint="--min-cell")
    return k


def _open_campaigns(session, administration: str | None, wave: str | None) -> list[str]:
    """The codes of the open campaigns in scope: their responses are not analysed until they
    close (analysis.database reads released campaigns only)."""
    from sqlalchemy import select

    from survey.storage.models import Administration, Campaign

    query = select(Campaign.code).join(Administration).where(Campaign.closed_at.is_(None))
    if administration is not None:
        query = query.where(Administration.code == administration)
    if wave is not None:
        query = query.where(Campaign.wave == wave)
    return list(session.scalars(query.order_by(Campaign.code)))


def _nothing(said: str, still_open: list[str]) -> str:
    """Why there is nothing to analyse, naming the open campaigns that hold responses back."""
    if not still_open:
        return said
    if len(still_open) == 1:
        code = still_open[0]
        return (f"{said}: campaign {code} is open: its responses are analysed when it closes "
                f"(cips campaign close {code})")  # fmt: skip
    return (f"{said}: campaigns {', '.join(still_open)} are open: their responses are analysed "
            f"when they close (cips campaign close CODE)")  # fmt: skip


@click.command("analyze")
@click.option("--administration", help="Only this administration (default: all).")
@click.option("--wave", help="Only this wave (trends compare it with the wave before).")
@click.option("--input", "inputs", multiple=True,
              type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="Score interchange files instead of the database (repeatable).")  # fmt: skip
@click.option("--format", "fmt", type=click.Choice(TABLE_FORMATS), required=True)
@click.option("--out", required=True, type=click.Path(file_okay=False, path_type=Path))
@click.option("--min-cell", type=int, help="Small-cell threshold k (default CIPS_MIN_CELL, >= 5).")
@click.option("--kpi", "kpis", multiple=True,
              help="An indicator for the KPI table, e.g. officials:item:ai2:pct_favourable "
                   "(repeatable; default: the index and every key factor).")  # fmt: skip
@click.option("--top", default=10, show_default=True, help="Rows per level in 'problems'.")
@click.option("--completed-only", is_flag=True, help="Leave out respondents who did not finish.")
@click.option("--charts", is_flag=True, help="Also draw the charts (PNG and SVG) into OUT/charts.")
@click.option("--exclude-straightliners", is_flag=True,
              help="Leave out respondents who gave one answer to every statement of each key "
                   "factor (judged on two or more factors with at least 4 answers); the notes "
                   "count them either way.")  # fmt: skip
@click.option("--unweighted", is_flag=True,
              help="Unweighted figures even where margins are set (cips weights set); files are "
                   "always read unweighted.")  # fmt: skip
@language_option
def analyze(
    administration: str | None,
    wave: str | None,
    inputs: tuple[Path, ...],
    fmt: str,
    out: Path,
    min_cell: int | None,
    kpis: tuple[str, ...],
    top: int,
    completed_only: bool,
    charts: bool,
    exclude_straightliners: bool,
    language: str,
    unweighted: bool = False,
) -> None:
    """Write the result tables of SCORING.md (items, factors, gaps, trends, problems, kpis) and
    the straight-lining counts (quality), small cells suppressed, into OUT as csv, xlsx or json.
    The workbook is in --language: headers, names, statements, answers and notes."""
    from analysis.database import load_database
    from analysis.frames import AnalysisError
    from analysis.loading import load_files
    from analysis.output import write_results
    from analysis.reports import Kpi, UnknownKpi
    from analysis.results import analyze as analyze_data
    from analysis.validation import InvalidFile

    k = _min_cell(min_cell)
    weighted = False
    still_open: list[str] = []  # what the database holds back until it closes
    try:
        indicators = [Kpi.parse(text) for text in kpis] or None
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--kpi") from exc
    try:
        if inputs:
            data = load_files(inputs, questionnaires=context.questionnaires())
        else:
            db = context.database()
            try:
                with db.transaction() as session:
                    data = load_database(session, administration=administration,
                                         questionnaires=context.questionnaires())  # fmt: skip
                    still_open = _open_campaigns(session, administration, wave)
                    if not unweighted:  # raking weights where margins are set (README, Weights)
                        from sqlalchemy import select

                        from analysis.margins import apply
                        from survey.storage.models import Campaign

                        weighted = apply(session, data, list(session.scalars(select(Campaign))))
                        # --wave W: weighted only if W's own campaigns have margins (an
                        # earlier wave's, loaded for the trends, do not make W weighted).
                        if wave is not None:
                            weighted = any(s.weights is not None for s in data if s.wave == wave)
                    scope = f"wave {wave}" if wave else "every wave"
                    context.audit_record(session, "export", administration=administration,
                                         format=fmt, detail=f"result tables ({scope}) into "
                                                            f"{out.name}")  # fmt: skip
            finally:
                db.dispose()
        data = data.select(administration, completed_only)
        results = analyze_data(data, min_cell=k, language=language, kpis=indicators, top=top,
                               exclude_straightliners=exclude_straightliners,
                               weighted=weighted)  # fmt: skip
    except InvalidFile as exc:
        raise file_problems(exc, language, labels.INPUT_FAILED) from exc
    except UnknownKpi as exc:
        raise click.BadParameter(str(exc), param_hint="--kpi") from exc
    except (AnalysisError, ValueError) as exc:
        raise click.ClickException(str(exc)) from exc
    if wave is not None:
        if not (results.factors["wave"] == wave).any():
            raise click.ClickException(_nothing(f"no responses for wave {wave}", still_open))
        results = results.for_wave(wave)
    if results.factors.empty:
        raise click.ClickException(_nothing("no responses to analyse", still_open))
    for path in write_results(results, out, fmt, {s.key: s.questionnaire for s in data}):
        click.echo(f"wrote {path}")
    if charts:
        from analysis.charts import write_charts

        written = write_charts(results, out / "charts")
        click.echo(f"wrote {len(written)} charts into {out / 'charts'}")
