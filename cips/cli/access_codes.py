"""`cips campaign codes CODE -n N -o FILE.csv [--cards FILE.pdf]`: one-time access codes for the
web survey, written once (cips keeps only their keyed hashes: survey.access_codes)."""

from __future__ import annotations

from pathlib import Path

import click

from cips.cli import context


@click.command("codes")
@click.argument("code")
@click.option("-n", "--count", type=click.IntRange(1, 10_000), required=True,
              help="How many codes to generate.")  # fmt: skip
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), required=True,
              help="The CSV to write (code, link).")  # fmt: skip
@click.option("--cards", type=click.Path(dir_okay=False, path_type=Path),
              help="Also write printable cards (PDF, ten an A4 page).")  # fmt: skip
def codes(code: str, count: int, output: Path, cards: Path | None) -> None:
    """Generate COUNT one-time access codes for campaign CODE's web survey (from then on the
    web survey asks for one). They are shown only now: keep the files."""
    from survey import access_codes
    from survey.campaigns import CampaignError, get_campaign
    from survey.engine.questions import title_text
    from survey.i18n import render
    from web.code_cards import CardText, codes_csv, codes_pdf
    from web.respond.links import NOT_REACHABLE, reachable, web_link

    settings = context.settings()
    if output.exists() or (cards is not None and cards.exists()):
        raise click.ClickException("will not overwrite an existing file: choose a new name")
    base = settings.public_url or "http://127.0.0.1:5000"
    questionnaires = context.questionnaires()
    try:
        with context.database().transaction() as session:
            campaign = get_campaign(session, code)
            generated = access_codes.generate(session, settings.secret_key, campaign, count)
            questionnaire = questionnaires[campaign.questionnaire_id]
            title = render(title_text(questionnaire), "en")
            link = web_link(base, campaign.code)
            warning = NOT_REACHABLE.get(reachable(settings))
            output.write_bytes(codes_csv(list(generated.codes), link, warning))
            if cards is not None:
                text = CardText(title, "Open this address and type the code:", "Access code")
                cards.write_bytes(codes_pdf(list(generated.codes), link, text, warning))
            context.audit_record(session, "campaign.codes",
                                 administration=campaign.administration.code,
                                 campaign=campaign.code, format="csv+pdf" if cards else "csv",
                                 detail=f"{count} access codes generated: {output.name}")  # fmt: skip
    except (CampaignError, ValueError) as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"{count} access codes for {campaign.code} written to {output}"
               + (f" and {cards}" if cards else ""))  # fmt: skip
    click.echo(f"web survey: {link}")
    if warning:
        click.echo(f"warning: {warning}")
