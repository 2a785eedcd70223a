"""`cips audit ...`: print the audit log, verify its chain, show its head, trim it."""

from __future__ import annotations

import datetime as dt

import click

from cips.cli import context


def _since(text: str | None) -> dt.datetime | None:
    if not text:
        return None
    try:
        day = dt.date.fromisoformat(text)
    except ValueError as exc:
        raise click.BadParameter("a date, YYYY-MM-DD", param_hint="--since") from exc
    return dt.datetime.combine(day, dt.time(), dt.UTC)


@click.group(invoke_without_command=True)
@click.option("--since", help="Only entries from this day on (YYYY-MM-DD, UTC).")
@click.option("--actor", help="Only this account's entries (cli:NAME for commands, clock).")
@click.option("--action", help="Only this action; a prefix like 'campaign' takes campaign.*.")
@click.option("--limit", type=int, help="At most this many entries (the newest).")
@click.pass_context
def audit(
    ctx: click.Context, since: str | None, actor: str | None, action: str | None,
    limit: int | None,
) -> None:  # fmt: skip
    """The audit log (sign-ins, downloads and exports, releases, account and campaign changes),
    oldest first; `cips audit verify` checks its hash chain."""
    if ctx.invoked_subcommand is not None:
        return
    from survey import audit as audit_

    wanted = audit_.Filter(since=_since(since), actor=actor, action=action, limit=limit)
    db = context.database()
    try:
        with db.transaction() as session:
            rows = audit_.entries(session, wanted)
            for row in reversed(rows):
                where = " ".join(f"{name}={value}" for name, value in (
                    ("administration", row.administration), ("campaign", row.campaign),
                    ("format", row.format), ("address", row.address)) if value)  # fmt: skip
                detail = f"  {row.detail}" if row.detail else ""
                click.echo(f"{row.seq:>7} {row.at:%Y-%m-%d %H:%M:%S}Z {row.actor:<20} "
                           f"{row.action:<20} {where}{detail}".rstrip())  # fmt: skip
    finally:
        db.dispose()


@audit.command("verify")
def verify() -> None:
    """Check the hash chain from the first kept entry to the last; say where it breaks (exit
    status 1)."""
    from survey import audit as audit_

    db = context.database()
    try:
        with db.transaction() as session:
            checked, broken = audit_.verify(session)
            seq, head = audit_.head(session)
    finally:
        db.dispose()
    if broken is not None:
        click.echo(f"audit log NOT intact: {broken} ({checked} entries verified before it)")
        raise SystemExit(1)
    click.echo(f"audit log intact: {checked} entries chained; head entry {seq} {head}")


@audit.command("head")
def head() -> None:
    """Print the latest entry's number and hash: note it down, or send it elsewhere (a mail, a
    ticket, another machine's log), to catch a chain rewritten from some entry on."""
    from survey import audit as audit_

    db = context.database()
    try:
        with db.transaction() as session:
            seq, hash_ = audit_.head(session)
    finally:
        db.dispose()
    click.echo(f"{seq} {hash_}")


@audit.command("trim")
def trim() -> None:
    """Delete the entries older than CIPS_AUDIT_RETENTION_DAYS (730 by default; the clock does
    it hourly), keeping the chain verifiable from the first kept entry."""
    from survey import audit as audit_

    days = audit_.retention_days()
    db = context.database()
    try:
        with db.transaction() as session:
            deleted = audit_.trim(session, dt.timedelta(days=days), actor=audit_.cli_actor(),
                                  now=dt.datetime.now(dt.UTC))  # fmt: skip
    finally:
        db.dispose()
    click.echo(f"{deleted} entries older than {days} days deleted")
