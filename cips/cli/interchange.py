"""`cips import`, `cips export`, `cips codebook` and `cips generate`: respondent-level data in
and out (the interchange format of SCORING.md, SPSS and Stata files), the codebook of those
files, made-up waves."""

from __future__ import annotations

from pathlib import Path

import click

from analysis import labels
from cips.cli import context
from cips.cli.language import file_problems, labels_choice, language_option
from survey.i18n import Text, render

# pandas is imported inside the commands, so that every other `cips` command starts without it.
STAT_FORMATS = ("sav", "dta")  # SPSS, Stata
EXPORT_FORMATS = ("csv", "xlsx", *STAT_FORMATS)
CODEBOOK_FORMATS = ("md", "xlsx")


@click.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--questionnaire", "questionnaire_id", help="Questionnaire id (default: the file's).")
@click.option("--administration", help="Administration code (default: the file's).")
@click.option("--wave", help="Wave label (default: the file's).")
@click.option("--labels", "labels_language", type=labels_choice(),
              help="Also read answer labels in this language (as `cips export --labels` writes).")  # fmt: skip
@click.option("--code", help="Code of the campaign to create (default: from the file's digest).")
@click.option("--allow-duplicates", is_flag=True,
              help="Import even if most of the file's responses are in the wave already (the "
                   "same answers: an export of it, or a file imported before).")  # fmt: skip
@language_option
def import_(
    file: Path,
    questionnaire_id: str | None,
    administration: str | None,
    wave: str | None,
    labels_language: str | None,
    code: str | None,
    allow_duplicates: bool,
    language: str,
) -> None:
    """Import an earlier wave from FILE (.csv or .xlsx, the interchange format).

    Every cell is checked first; a file with any problem is not imported at all, and each
    problem is listed with its row and column. A file whose responses are mostly in the wave
    already is refused (see --allow-duplicates). The respondents go into a new, closed campaign.
    """
    from analysis.importing import import_file
    from analysis.interchange import FileProblem, read_raw
    from analysis.loading import questionnaire_named
    from analysis.validation import InvalidFile
    from survey.campaigns import CampaignError

    if questionnaire_id is not None:
        questionnaire = context.questionnaire_by_id(questionnaire_id)
    else:
        try:
            raw = read_raw(file)
            first = raw.rows[0] if raw.rows else []
            questionnaire = questionnaire_named(file, raw.header, first, context.questionnaires())
        except FileProblem as exc:
            raise click.ClickException(render(exc.text, language)) from exc
        except InvalidFile as exc:
            raise file_problems(exc, language) from exc
    db = context.database()
    try:
        with db.transaction() as session:
            done = import_file(session, file, questionnaire, administration=administration,
                               wave=wave, labels_language=labels_language, code=code,
                               allow_duplicates=allow_duplicates)  # fmt: skip
        context.store_releases(db)  # an imported wave is released at import
    except InvalidFile as exc:
        raise file_problems(exc, language) from exc
    except CampaignError as exc:
        raise click.ClickException(str(exc)) from exc
    finally:
        db.dispose()
    args = {"count": done.respondents, "completed": done.completed, "campaign": done.campaign}
    click.echo(render(Text(labels.IMPORTED, args), language))


@click.command("export")
@click.option("--campaign", "campaign_code", required=True, help="Campaign code.")
@click.option("--labels", "labels_language", type=labels_choice(),
              help="csv, xlsx: write answer labels in this language instead of codes; sav, dta: "
                   "the language of the variable and value labels (default: the questionnaire's "
                   "own).")  # fmt: skip
@click.option("--format", "fmt", type=click.Choice(EXPORT_FORMATS),
              help="File format (default: from the file name).")  # fmt: skip
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False, path_type=Path))
@click.option("--free-text", is_flag=True,
              help="Write only the free-text answers, as (question, text) rows in random order, "
                   "joined to nothing else (they may identify people: handle with care).")  # fmt: skip
def export(
    campaign_code: str,
    labels_language: str | None,
    fmt: str | None,
    output: Path,
    free_text: bool,
) -> None:
    """Write a campaign's respondents in the interchange format (anonymous: random ids only,
    no free text), or with --free-text its free-text answers alone, detached.

    sav (SPSS) and dta (Stata) files hold the same rows with numeric codes, variable and value
    labels, and Don't know / Prefer not to answer as declared missing values (see `cips
    codebook`)."""
    from analysis.database import export_campaign
    from analysis.free_text import free_texts, write_free_texts
    from analysis.interchange import write
    from survey.campaigns import CampaignError, get_campaign

    fmt = fmt or output.suffix.lower().lstrip(".")
    if fmt not in EXPORT_FORMATS:
        raise click.ClickException(
            "give --format csv|xlsx|sav|dta, or an output file ending in one of them"
        )
    if free_text and labels_language:
        raise click.UsageError("--labels does not apply to --free-text (the texts are as typed)")
    if free_text and fmt in STAT_FORMATS:
        raise click.UsageError("--free-text writes csv or xlsx only")
    if output.suffix.lower() != f".{fmt}":
        output = output.with_name(output.name + f".{fmt}")
    db = context.database()
    weights = None
    try:
        with db.transaction() as session:
            campaign = get_campaign(session, campaign_code)
            questionnaire = context.questionnaire_by_id(campaign.questionnaire_id)
            _released(session, campaign)
            if free_text:
                frame = free_texts(session, campaign, questionnaire)
            elif fmt in STAT_FORMATS:
                import pandas as pd

                from analysis.margins import campaign_weights

                frame = export_campaign(session, campaign, questionnaire)  # codes
                found = campaign_weights(session, campaign, context.questionnaires())
                if found is not None:  # one per row of `frame`
                    aligned = found.reindex(frame["respondent_id"]).to_numpy()
                    weights = pd.Series(aligned, index=frame.index)
            else:
                frame = export_campaign(session, campaign, questionnaire, labels=labels_language)
            what = "free-text answers" if free_text else "respondent-level data"
            context.audit_record(session, "export", administration=campaign.administration.code,
                                 campaign=campaign.code, format=fmt,
                                 detail=f"{what}, {len(frame)} rows: {output.name}")  # fmt: skip
    except CampaignError as exc:
        raise click.ClickException(str(exc)) from exc
    finally:
        db.dispose()
    release = (
        f"the release of campaign {campaign_code}, closed {campaign.closed_at:%Y-%m-%d %H:%M} UTC"
    )
    if free_text:
        write_free_texts(frame, output, fmt)
        click.echo(f"wrote {len(frame)} free-text answers of {release} to {output}")
    elif fmt in STAT_FORMATS:
        from analysis.statfiles import write_stat_file
        from survey.engine.questions import title_text

        language = labels_language or questionnaire.source_language
        title = render(title_text(questionnaire), language)
        # The `weight` variable when the campaign's wave has margins (cips weights set).
        write_stat_file(frame, questionnaire, output, language, file_label=title,
                        weights=weights)  # fmt: skip
        click.echo(f"wrote {len(frame)} respondents of {release} to {output}")
    else:
        write(frame, output)
        click.echo(f"wrote {len(frame)} respondents of {release} to {output}")


def _released(session, campaign) -> None:
    """Respondent-level data and free text come only from a closed campaign's sealed responses,
    and only when there are at least k of them (DESIGN.md, Anonymity 7)."""
    from sqlalchemy import func, select

    from survey.storage.models import SealedResponse

    context.refuse_open(campaign, "its responses are released")
    k = context.settings().min_cell
    sealed = session.scalar(select(func.count()).where(SealedResponse.campaign_id == campaign.id))
    if sealed < k:
        raise click.ClickException(
            f"campaign {campaign.code} has {sealed} responses, fewer than {k} (CIPS_MIN_CELL): "
            "it publishes no respondent-level data"
        )


@click.command("codebook")
@click.option("--questionnaire", "questionnaire_id", required=True, help="Questionnaire id.")
@click.option("--language", type=labels_choice(),
              help="Language of the labels and texts (default: the questionnaire's own).")  # fmt: skip
@click.option("--format", "fmt", type=click.Choice(CODEBOOK_FORMATS),
              help="File format (default: from the file name).")  # fmt: skip
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False, path_type=Path))
def codebook(questionnaire_id: str, language: str | None, fmt: str | None, output: Path) -> None:
    """Write the codebook of a questionnaire's respondent-level files, as md or xlsx.

    Every variable with its label (and the label cut to fit Stata or SPSS where it differs),
    codes and labels, missing codes, key factor, reverse coding, linked item, constructs and
    skip logic, in one language."""
    from analysis.codebook import build_codebook, write_codebook

    questionnaire = context.questionnaire_by_id(questionnaire_id)
    fmt = fmt or output.suffix.lower().lstrip(".")
    if fmt not in CODEBOOK_FORMATS:
        raise click.ClickException("give --format md|xlsx, or an output file ending in either")
    if output.suffix.lower() != f".{fmt}":
        output = output.with_name(output.name + f".{fmt}")
    book = build_codebook(questionnaire, language or questionnaire.source_language)
    write_codebook(book, output)
    _record_codebook(questionnaire.id, fmt, output.name)
    click.echo(
        f"wrote the codebook of {questionnaire.id} ({len(book.entries)} variables) to {output}"
    )


def _record_codebook(questionnaire_id: str, fmt: str, name: str) -> None:
    """Record the codebook in the audit log; it holds no responses, so a database that cannot
    be reached only draws a warning (the codebook is written all the same)."""
    from sqlalchemy.exc import SQLAlchemyError

    try:
        db = context.database()
        try:
            with db.transaction() as session:
                context.audit_record(session, "export", format=fmt,
                                     detail=f"codebook of {questionnaire_id}: {name}")  # fmt: skip
        finally:
            db.dispose()
    except (click.ClickException, SQLAlchemyError) as exc:
        message = exc.message if isinstance(exc, click.ClickException) else type(exc).__name__
        click.echo(f"warning: not recorded in the audit log ({message})", err=True)


@click.command("generate")
@click.argument("questionnaire_id")
@click.option("--respondents", default=500, show_default=True)
@click.option("--administration", default="DEMO", show_default=True)
@click.option("--wave", default="2026-1", show_default=True)
@click.option("--seed", default=0, show_default=True, help="Seed of the random answers.")
@click.option("--shift", default=0.0, show_default=True,
              help="Move every view up (favourable) or down, in standard deviations.")  # fmt: skip
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False, path_type=Path))
def generate(
    questionnaire_id: str,
    respondents: int,
    administration: str,
    wave: str,
    seed: int,
    shift: float,
    output: Path,
) -> None:
    """Write a made-up wave of QUESTIONNAIRE_ID in the interchange format (for demonstrations)."""
    from analysis.interchange import write
    from analysis.synthetic import generate_wave

    questionnaire = context.questionnaire_by_id(questionnaire_id)
    frame = generate_wave(questionnaire, respondents, administration=administration, wave=wave,
                          seed=seed, shift=shift)  # fmt: skip
    try:
        write(frame, output)
    except ValueError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"wrote {len(frame)} made-up respondents to {output}")
