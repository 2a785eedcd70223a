"""`cips benchmark`: benchmarks across administrations (analysis.benchmark).

On a benchmark host: `trust` an administration's public key (with its region), `import` its
signed release files, `join` the installation's own administrations whose admin opts in,
`show` the benchmark (the host's view: every administration's values) and `export` the
published file (distributions only, signed by the host). On an administration's installation:
`trust --host` the host's key and `import` its published file, for the country report.
"""

from __future__ import annotations

from pathlib import Path

import click

from cips.cli import context

FORMATS = ("csv", "xlsx", "json")


@click.group("benchmark")
def benchmark() -> None:
    """Benchmarks across administrations: trust keys, import signed releases, show and publish
    the distributions."""


@benchmark.command("trust")
@click.argument("keyfile", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--administration", "code", help="The administration whose releases this key signs.")
@click.option("--region", help="The administration's region (its benchmark group).")
@click.option("--host", "host", help="Instead: the name of a benchmark host whose published "
              "benchmark files this key signs.")  # fmt: skip
def trust(keyfile: Path, code: str | None, region: str | None, host: str | None) -> None:
    """Trust the public key in KEYFILE (a .pub file of `cips keys create`)."""
    from analysis.benchmark.store import BenchmarkError
    from analysis.benchmark.store import trust as trust_key

    if bool(host) == bool(code):
        raise click.UsageError("give either --administration CODE --region NAME, or --host NAME")
    if code and not region:
        raise click.UsageError("--region is required with --administration")
    with context.database_refusing(BenchmarkError) as db, db.transaction() as session:
        if host:
            row = trust_key(session, keyfile.read_bytes(), "host", name=host)
        else:
            row = trust_key(session, keyfile.read_bytes(), "administration",
                            administration=code, region=region)  # fmt: skip
        key_id = row.key_id
        context.audit_record(session, "benchmark.trust", administration=code,
                             detail=f"key {key_id} ({host or region})")  # fmt: skip
    click.echo(f"trusted key {key_id} for " + (f"host {host}" if host else f"{code} ({region})"))


@benchmark.command("revoke")
@click.argument("key_id")
def revoke(key_id: str) -> None:
    """Revoke a trusted key: its files are refused, and what it signed leaves the benchmark."""
    from analysis.benchmark.store import BenchmarkError
    from analysis.benchmark.store import revoke as revoke_key

    with context.database_refusing(BenchmarkError) as db, db.transaction() as session:
        row = revoke_key(session, key_id)
        code = row.administration
        context.audit_record(session, "benchmark.revoke", administration=code,
                             detail=f"key {key_id}")  # fmt: skip
    click.echo(f"revoked key {key_id} ({code or 'host'}): its releases left the benchmark")


@benchmark.command("import")
@click.argument("paths", nargs=-1, required=True,
                type=click.Path(exists=True, dir_okay=False, path_type=Path))  # fmt: skip
@click.option("--region", help="For a host's benchmark file: the region of it that this "
              "installation's administrations belong to (default: compare with all).")  # fmt: skip
def import_(paths: tuple[Path, ...], region: str | None) -> None:
    """Import signed files: administrations' releases (on a host), or a host's published
    benchmark (for the country report). Each is checked (signature of a trusted key, schema,
    k not below CIPS_MIN_CELL); a refused file changes nothing."""
    from analysis.benchmark import files, store

    db = context.database()
    refused = 0
    try:
        for path in paths:
            try:
                kind = _kind(path)
                with db.transaction() as session:
                    if kind == "cips-benchmark":
                        said = store.import_benchmark(session, path, region)
                    else:
                        said = store.import_release(session, path, context.settings().min_cell)
                    context.audit_record(session, "benchmark.import", format="json",
                                         detail=said[:500])  # fmt: skip
                click.echo(said)
            except files.Refused as exc:
                refused += 1
                click.echo(str(exc), err=True)
    finally:
        db.dispose()
    if refused:
        raise click.ClickException(f"{refused} of {len(paths)} file(s) refused")


def _kind(path: Path) -> str | None:
    from analysis.benchmark import files

    envelope = files.read(path)
    payload = envelope.get("payload")
    return payload.get("kind") if isinstance(payload, dict) else None


@benchmark.command("join")
@click.option("--administration", "code", required=True)
@click.option("--region", required=True)
def join(code: str, region: str) -> None:
    """Let an administration of this installation take part in its benchmark with its own
    releases (its admin's decision; `cips benchmark leave` undoes it)."""
    from analysis.benchmark.store import BenchmarkError
    from analysis.benchmark.store import join as join_benchmark

    with context.database_refusing(BenchmarkError) as db, db.transaction() as session:
        join_benchmark(session, code, region)
        context.audit_record(session, "benchmark.join", administration=code, detail=region)
    click.echo(f"{code} takes part in the benchmark ({region}) with its releases")


@benchmark.command("leave")
@click.option("--administration", "code", required=True)
def leave(code: str) -> None:
    """An administration of this installation no longer takes part."""
    from analysis.benchmark.store import BenchmarkError
    from analysis.benchmark.store import leave as leave_benchmark

    with context.database_refusing(BenchmarkError) as db, db.transaction() as session:
        leave_benchmark(session, code)
        context.audit_record(session, "benchmark.leave", administration=code)
    click.echo(f"{code} no longer takes part in the benchmark")


@benchmark.command("list")
def list_() -> None:
    """The trusted keys and the releases taking part."""
    from sqlalchemy import select

    from survey.storage.models import BenchmarkKey, BenchmarkRelease

    db = context.database()
    try:
        with db.reads() as session:
            for key in session.scalars(select(BenchmarkKey).order_by(BenchmarkKey.trusted_at)):
                who = (
                    f"host {key.name}"
                    if key.kind == "host"
                    else f"{key.administration} ({key.region})"
                )
                state = " revoked" if key.revoked_at else ""
                click.echo(f"key {key.key_id}  {who}{state}")
            statement = select(BenchmarkRelease).order_by(BenchmarkRelease.administration,
                                                          BenchmarkRelease.wave)  # fmt: skip
            for row in session.scalars(statement):
                click.echo(f"release {row.administration} wave {row.wave} ({row.version}, "
                           f"released {row.released_at:%Y-%m-%d}, key {row.key_id})")  # fmt: skip
    finally:
        db.dispose()


@benchmark.command("show")
@click.option("--region", help="Only this region's groups (default: all administrations and "
              "every region).")  # fmt: skip
@click.option("--wave", help="The releases of this wave label, or of this year (each "
              "administration's latest wave of it); default: each one's latest.")  # fmt: skip
@click.option("--since", help="An earlier wave label or year: each administration's rank and "
              "difference then, and their change.")  # fmt: skip
@click.option("--format", "fmt", type=click.Choice(FORMATS), required=True)
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False, path_type=Path))
def show(region: str | None, wave: str | None, since: str | None, fmt: str, output: Path) -> None:
    """Write the benchmark as the host's benchmark role sees it: per item, key factor,
    construct and the index, per survey, the median and quartiles across administrations,
    every administration's value, rank and difference from the median, the suppressed groups
    and why, and the items left out; with --since, each one's position in that earlier
    benchmark and its change."""
    from analysis.benchmark.output import write_view

    found = _compute(wave)
    if since is not None:
        from analysis.benchmark.waves import with_changes

        found = with_changes(found, _compute(since))
    count = write_view(found, fmt, output, region=region)
    click.echo(f"wrote the benchmark of {len(found.participants)} administration(s), {count} "
               f"group(s) published, to {output}")  # fmt: skip


@benchmark.command("export")
@click.option("--wave", help="The releases of this wave label (default: each one's latest).")
@click.option("--host", "host", required=True, help="The host's name, as administrations see it.")
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False, path_type=Path))
def export(wave: str | None, host: str, output: Path) -> None:
    """Write the published benchmark, signed with this installation's key: the distributions
    only (administrations, quartiles and median of each published group), never an
    administration's value, minimum or maximum."""
    from analysis.benchmark import signing
    from analysis.benchmark.published import published_payload

    try:
        signing.active_key()
    except signing.SigningKeyError as exc:
        raise click.ClickException(str(exc)) from exc
    found = _compute(wave)
    envelope = signing.sign(published_payload(found, host, wave))
    output.write_bytes(signing.canonical(envelope) + b"\n")
    db = context.database()
    try:
        with db.transaction() as session:
            context.audit_record(session, "export", format="json",
                                 detail=f"published benchmark: {output.name}")  # fmt: skip
    finally:
        db.dispose()
    click.echo(f"wrote the published benchmark of {len(found.participants)} administration(s) "
               f"(distributions only, key {envelope['key_id']}) to {output}")  # fmt: skip


def _compute(wave: str | None):
    from analysis.benchmark.compute import compute
    from analysis.benchmark.store import participants

    db = context.database()
    k = context.settings().min_cell
    try:
        with db.reads() as session:
            found = participants(session, context.questionnaires(), k, wave)
    finally:
        db.dispose()
    if not found:
        raise click.ClickException("no release takes part in the benchmark yet: cips benchmark "
                                   "trust ... then cips benchmark import FILE...")  # fmt: skip
    return compute(found, k)
