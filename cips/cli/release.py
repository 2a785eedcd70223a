"""`cips release export`: a wave's aggregate results as a signed file that travels to a
benchmark host (analysis.benchmark: payload, signing); nothing respondent-level leaves."""

from __future__ import annotations

import os
from pathlib import Path

import click

from cips.cli import context


@click.group("release")
def release() -> None:
    """A wave's aggregate results as a signed file, for benchmarks across administrations."""


@release.command("export")
@click.option("--campaign", "campaign_code", required=True,
              help="A closed campaign: the file holds its whole wave's release.")  # fmt: skip
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False, path_type=Path))
def export(campaign_code: str, output: Path) -> None:
    """Write the wave's published aggregates (items, key factors, constructs, overall index, by
    survey; counts; whether weighted, and the effective n where it is), suppressed as published
    with CIPS_MIN_CELL, signed with this installation's key (cips keys create), in the JSON
    format of analysis/benchmark/schema/release-2.schema.json."""
    from analysis.benchmark import signing
    from analysis.benchmark.payload import build_payload
    from analysis.frames import AnalysisError
    from analysis.releases import campaigns_of
    from analysis.releases import release as wave_release
    from survey.campaigns import CampaignError, get_campaign

    try:
        signing.active_key()  # before any work: say at once that a key is missing
    except signing.SigningKeyError as exc:
        raise click.ClickException(str(exc)) from exc
    with context.database_refusing(CampaignError, AnalysisError) as db:
        with db.reads() as session:
            campaign = get_campaign(session, campaign_code)
            context.refuse_open(campaign, "its wave's results are released")
            administration = campaign.administration
            campaigns = campaigns_of(session, administration)
            questionnaires = context.questionnaires()
            published = wave_release(session, administration, campaign.wave, "en",
                                     context.settings().min_cell, questionnaires, campaigns)  # fmt: skip
            payload = build_payload(published, administration.name, campaigns, questionnaires)
            code, wave = administration.code, campaign.wave
        envelope = signing.sign(payload)
        data = signing.canonical(envelope) + b"\n"
        descriptor = os.open(output, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
        with os.fdopen(descriptor, "wb") as file:
            file.write(data)
        with db.transaction() as session:
            context.audit_record(session, "export", administration=code, campaign=campaign_code,
                                 format="json", detail=f"signed release of wave {wave} "
                                                       f"({published.version}): {output.name}")  # fmt: skip
    click.echo(f"wrote the signed release of {code} wave {wave} (release {published.version}, "
               f"k = {payload['k']}, key {envelope['key_id']}) to {output}")  # fmt: skip
