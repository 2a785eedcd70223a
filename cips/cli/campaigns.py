"""`cips administration ...` and `cips campaign ...`: organising survey waves."""

from __future__ import annotations

import datetime as dt

import click

from cips.cli import context
from survey.campaign_input import (
    MAX_REMINDERS,
    CampaignError,
    format_duration,
    parse_duration,
    parse_quiet_hours,
)

# The ORM (survey.campaigns, the models) is imported in the commands that use it: `cips campaign
# list` reads without it, to start at once (survey.campaign_list, bench/cli_start.py).


def _link(session, code: str, indent: str) -> str:
    """The campaign's deep link; while the bot's username is unknown, also (on the next line,
    after `indent`) that it does not work yet and how to fix that."""
    from survey.bot_identity import LINK_UNUSABLE, bot_username
    from survey.campaigns import deep_link

    username = bot_username(session, context.settings())
    link = deep_link(username, code)
    return link if username else f"{link}\n{indent}warning: {LINK_UNUSABLE}"


def _web_link(code: str, indent: str) -> str:
    """The campaign's web survey link; while respondents may not reach it (CIPS_PUBLIC_URL unset
    or local), also (on the next line, after `indent`) the warning the web gives."""
    from web.respond.links import NOT_REACHABLE, public_base, reachable, web_link

    settings = context.settings()
    link = web_link(public_base(settings), code)
    warning = NOT_REACHABLE.get(reachable(settings))
    return f"{link}\n{indent}warning: {warning}" if warning else link


def _languages(text: str) -> list[str]:
    return [code.strip() for code in text.split(",") if code.strip()]


@click.group()
def administration() -> None:
    """Customs administrations (each runs its own campaigns)."""


@administration.command("create")
@click.argument("code")
@click.option("--name", required=True, help="Full name, e.g. 'Direction générale des douanes'.")
@click.option("--timezone", "timezone", required=True, help="IANA time zone, e.g. Africa/Abidjan.")
@click.option("--languages", default="en,fr,es,ar,pt", show_default=True, help="Offered languages.")
def administration_create(code: str, name: str, timezone: str, languages: str) -> None:
    """Create the administration CODE."""
    from survey.campaigns import create_administration

    db = context.database()
    try:
        with db.transaction() as session:
            created = create_administration(session, code, name, timezone, _languages(languages))
            context.audit_record(session, "administration.create", administration=created.code)
            click.echo(f"administration {created.code} created ({created.timezone})")
    except CampaignError as exc:
        raise click.ClickException(str(exc)) from exc


@administration.command("list")
def administration_list() -> None:
    """Every administration: its code (as --administration takes it), time zone, languages and
    name."""
    from sqlalchemy import select

    from survey.storage.models import Administration

    with context.database().sessions() as session:
        found = session.scalars(select(Administration).order_by(Administration.code)).all()
        if not found:
            click.echo("no administrations yet: cips administration create CODE ...")
        for item in found:
            click.echo(f"{item.code:<12} {item.timezone:<22} {item.languages:<16} {item.name}")


@click.group()
def campaign() -> None:
    """Campaigns: one questionnaire, one wave, one administration."""


@campaign.command("create")
@click.option("--administration", "administration_code", required=True)
@click.option("--questionnaire", "questionnaire_id", required=True)
@click.option("--wave", required=True, help="Wave label, e.g. 2026 or 2026-1.")
@click.option("--code", help="Campaign code used in the deep link (default: derived).")
@click.option("--opens", help="Opening time (ISO 8601, local to the administration).")
@click.option("--closes", help="Closing time (ISO 8601, local; in the future).")
@click.option("--target", type=int, help="Target population (for the response rate).")
@click.option("--remind-after", default="24h", show_default=True)
@click.option("--remind-every", default="48h", show_default=True)
@click.option("--max-reminders", default=3, show_default=True, type=int,
              help=f"At most this many reminders per person (0-{MAX_REMINDERS}).")  # fmt: skip
@click.option("--quiet-hours", default="20-08", show_default=True, help="Local hours, HH-HH.")
@click.option("--last-call", default="24h", show_default=True, help="Before closing; 'off'.")
def campaign_create(
    administration_code: str,
    questionnaire_id: str,
    wave: str,
    code: str | None,
    opens: str | None,
    closes: str | None,
    target: int | None,
    remind_after: str,
    remind_every: str,
    max_reminders: int,
    quiet_hours: str,
    last_call: str,
) -> None:
    """Create a campaign; prints its code and deep link."""
    from survey.campaigns import ReminderPolicy, create_campaign, get_administration, parse_time

    questionnaire = context.questionnaire_by_id(questionnaire_id)
    db = context.database()
    try:
        with db.transaction() as session:
            admin = get_administration(session, administration_code)
            policy = ReminderPolicy(
                remind_after_s=parse_duration(remind_after),
                remind_every_s=parse_duration(remind_every),
                max_reminders=max_reminders,
                quiet_hours=parse_quiet_hours(quiet_hours),
                last_call_before_s=None if last_call == "off" else parse_duration(last_call),
            )
            created = create_campaign(
                session,
                admin,
                questionnaire,
                wave,
                code=code,
                opens_at=parse_time(opens, admin.timezone) if opens else None,
                closes_at=parse_time(closes, admin.timezone, end_of_day=True) if closes else None,
                target=target,
                policy=policy,
            )
            context.audit_record(
                session,
                "campaign.create",
                administration=admin.code,
                campaign=created.code,
                detail=f"{questionnaire.id}, wave {wave}",
            )
            click.echo(f"campaign {created.code} created")
            click.echo(f"link: {_link(session, created.code, '')}")
    except CampaignError as exc:
        raise click.ClickException(str(exc)) from exc


@campaign.command("update")
@click.argument("code")
@click.option("--opens", help="Opening time (ISO 8601, local); 'none' to clear.")
@click.option("--closes", help="Closing time (ISO 8601, local; in the future); 'none' to clear.")
@click.option("--target", type=int, help="Target population.")
@click.option("--remind-after", help="First reminder after this long without progress.")
@click.option("--remind-every", help="Then one every ...")
@click.option("--max-reminders", type=int,
              help=f"At most this many reminders per person (0-{MAX_REMINDERS}).")  # fmt: skip
@click.option("--quiet-hours", help="Local hours without reminders, HH-HH (00-00: none).")
@click.option("--last-call", help="Last call this long before closing; 'off'.")
def campaign_update(code: str, **changes: str | int | None) -> None:
    """Change a campaign's schedule, target or reminder policy (what is not given stays)."""
    from survey.campaign_editing import update_campaign
    from survey.campaigns import ReminderPolicy, get_campaign, parse_time

    db = context.database()
    try:
        with db.transaction() as session:
            c = get_campaign(session, code)
            zone = c.administration.timezone

            def when(text: str | None, current: dt.datetime | None, end: bool = False):
                if text is None:
                    return current
                return None if text == "none" else parse_time(text, zone, end_of_day=end)

            def duration(text: str | None, current: int | None) -> int | None:
                return current if text is None else parse_duration(text)

            last_call = changes["last_call"]
            policy = ReminderPolicy(
                remind_after_s=duration(changes["remind_after"], c.remind_after_s),
                remind_every_s=duration(changes["remind_every"], c.remind_every_s),
                max_reminders=(
                    c.max_reminders
                    if changes["max_reminders"] is None
                    else changes["max_reminders"]
                ),
                quiet_hours=(
                    (c.quiet_start_hour, c.quiet_end_hour)
                    if changes["quiet_hours"] is None
                    else parse_quiet_hours(changes["quiet_hours"])
                ),
                last_call_before_s=(
                    None if last_call == "off" else duration(last_call, c.last_call_before_s)
                ),
            )
            update_campaign(
                c,
                opens_at=when(changes["opens"], c.opens_at),
                closes_at=when(changes["closes"], c.closes_at, end=True),
                target=c.target_population if changes["target"] is None else changes["target"],
                target_margin=c.target_margin,
                policy=policy,
            )
            given = ", ".join(k for k, v in changes.items() if v is not None)
            context.audit_record(
                session,
                "campaign.edit",
                administration=c.administration.code,
                campaign=c.code,
                detail=given or None,
            )
            click.echo(f"campaign {c.code} updated")
    except CampaignError as exc:
        raise click.ClickException(str(exc)) from exc


@campaign.command("list")
@click.option("--archived", is_flag=True, help="Also the archived campaigns (marked so).")
def campaign_list(archived: bool) -> None:
    """Every campaign with its status and figures (the archived ones with --archived)."""
    from survey.campaign_list import listed_campaigns

    now = dt.datetime.now(dt.UTC)
    with context.reading() as connection:
        campaigns = listed_campaigns(connection, now, with_archived=archived)
        if not campaigns:
            hidden = not archived and listed_campaigns(connection, now, with_archived=True)
            click.echo(
                "no campaigns but archived ones: list them with --archived"
                if hidden
                else "no campaigns yet: create one with `cips campaign create`"
            )
    for c in campaigns:
        click.echo(
            f"{c.code:<28} {c.administration:<8} {c.questionnaire_id:<22} {c.wave:<8} "
            f"{c.status:<9} started {c.figures.started:>5}  completed {c.figures.completed:>5}"
            + ("  archived" if c.archived else "")
        )


def _when(value: dt.datetime | None, timezone: str) -> str:
    if value is None:
        return "-"
    from zoneinfo import ZoneInfo

    return value.astimezone(ZoneInfo(timezone)).strftime("%Y-%m-%d %H:%M %Z")


@campaign.command("close")
@click.argument("code")
def campaign_close(code: str) -> None:
    """Close now: nobody can answer any more, every contact record is erased, and every response
    left is sealed; its results are released (DESIGN.md, Anonymity 3 and 7)."""
    from survey import sealing
    from survey.campaign_editing import close_now
    from survey.campaigns import get_campaign

    db = context.database()
    try:
        with db.transaction() as session:
            c = get_campaign(session, code)
            sealed = close_now(session, c, dt.datetime.now(dt.UTC), context.settings().min_cell)
            context.audit_record(
                session,
                "release",
                administration=c.administration.code,
                campaign=c.code,
                detail="closed now; final release made",
            )
    except CampaignError as exc:  # no such campaign, or closed already (its release made then)
        raise click.ClickException(str(exc)) from exc
    sealing.wipe(db, resealed=True)
    tables = context.store_releases(db)
    click.echo(f"campaign {code} closed; {sealed} responses sealed; its results are released "
               f"({tables} result tables stored)")  # fmt: skip


@campaign.command("show")
@click.argument("code")
def campaign_show(code: str) -> None:
    """One campaign: link, schedule, reminder policy and response figures."""
    from survey.campaigns import campaign_figures, get_campaign

    now = dt.datetime.now(dt.UTC)
    with context.database().transaction() as session:
        try:
            c = get_campaign(session, code)
        except CampaignError as exc:
            raise click.ClickException(str(exc)) from exc
        tz = c.administration.timezone
        figures = campaign_figures(session, c)
        rate = f"{figures.completion_rate:.1f}%" if figures.completion_rate is not None else "-"
        # Everyone who started is one of these; after the close, those still answering then
        # are the responses it cut off.
        unfinished = figures.started - figures.completed - figures.withdrawn
        if c.closed_at:
            closed = [f"closed        {_when(c.closed_at, tz)} (its results are released)"]
            unfinished_line = f"cut off       {unfinished} (still answering when it closed)"
        else:
            closed, unfinished_line = [], f"in progress   {unfinished}"
        lines = [
            f"campaign      {c.code} ({c.status(now)})",
            f"link          {_link(session, c.code, ' ' * 14)}",
            f"web survey    {_web_link(c.code, ' ' * 14)}",
            f"administration {c.administration.code}: {c.administration.name}",
            f"questionnaire {c.questionnaire_id} {c.questionnaire_version}, wave {c.wave}",
            f"opens         {_when(c.opens_at, tz)}",
            f"closes        {_when(c.closes_at, tz)}",
            *closed,
            f"target        {c.target_population or '-'}",
            f"reminders     after {format_duration(c.remind_after_s)}, every "
            f"{format_duration(c.remind_every_s)}, at most {c.max_reminders}, quiet "
            f"{c.quiet_start_hour:02d}-{c.quiet_end_hour:02d}, last call "
            + (format_duration(c.last_call_before_s) if c.last_call_before_s else "off"),
            f"started       {figures.started}",
            f"completed     {figures.completed} ({rate} of started)",
            f"withdrawn     {figures.withdrawn}",
            unfinished_line,
            f"to be sealed  {figures.awaiting_seal} (finished, waiting "
            f"for a batch of {context.settings().min_cell})",
        ]
        click.echo("\n".join(lines))


@campaign.command("archive")
@click.argument("code")
def campaign_archive(code: str) -> None:
    """Archive a closed campaign: left out of `cips campaign list` and the web's lists (shown
    with --archived), its results kept."""
    from survey.campaign_life import archive
    from survey.campaigns import get_campaign

    try:
        with context.database().transaction() as session:
            found = get_campaign(session, code)
            archive(found, dt.datetime.now(dt.UTC))
            context.audit_record(
                session, "campaign.archive", administration=found.administration.code, campaign=code
            )
    except CampaignError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"campaign {code} archived; `cips campaign unarchive {code}` brings it back")


@campaign.command("unarchive")
@click.argument("code")
def campaign_unarchive(code: str) -> None:
    """Bring an archived campaign back into the lists."""
    from survey.campaign_life import unarchive
    from survey.campaigns import get_campaign

    try:
        with context.database().transaction() as session:
            found = get_campaign(session, code)
            unarchive(found)
            context.audit_record(
                session,
                "campaign.unarchive",
                administration=found.administration.code,
                campaign=code,
            )
    except CampaignError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"campaign {code} is listed again")


@campaign.command("delete")
@click.argument("code")
@click.option("--confirm", "typed_code", metavar="CODE",
              help="The campaign's code again: needed when it has completed responses.")  # fmt: skip
def campaign_delete(code: str, typed_code: str | None) -> None:
    """Delete a campaign and everything of it (responses, channels, contacts, messages waiting,
    reminder figures), in one transaction. With completed responses, only with --confirm CODE."""
    from survey import sealing
    from survey.campaign_life import DeletionRefused, delete_campaign
    from survey.campaigns import get_campaign

    db = context.database()
    try:
        with db.transaction() as session:
            found = get_campaign(session, code)
            administration = found.administration.code
            delete_campaign(session, found, admin=True, typed_code=typed_code)
            context.audit_record(
                session, "campaign.delete", administration=administration, campaign=code
            )
    except DeletionRefused as exc:
        raise click.ClickException(
            f"campaign {code} has completed responses: to delete them with it, type its code "
            f"again: cips campaign delete {code} --confirm {code}"
        ) from exc
    except CampaignError as exc:
        raise click.ClickException(str(exc)) from exc
    sealing.wipe(db, resealed=True)
    click.echo(f"campaign {code} deleted")


@campaign.command("next-wave")
@click.argument("code")
@click.option("--code", "new_code", required=True, help="The new campaign's code (in its link).")
@click.option("--wave", required=True, help="The new wave's label, e.g. 2027.")
@click.option("--opens", help="Opening time (ISO 8601, local to the administration).")
@click.option("--closes", help="Closing time (ISO 8601, local; in the future).")
def campaign_next_wave(
    code: str, new_code: str, wave: str, opens: str | None, closes: str | None
) -> None:
    """A new campaign for the next wave: the questionnaire, target, reminder policy and
    channels of campaign CODE, under a new code and wave label."""
    from survey.campaign_life import next_wave
    from survey.campaigns import get_campaign, parse_time

    db = context.database()
    try:
        with db.transaction() as session:
            old = get_campaign(session, code)
            questionnaire = context.questionnaire_by_id(old.questionnaire_id)
            zone = old.administration.timezone
            created = next_wave(
                session,
                old,
                questionnaire,
                code=new_code,
                wave=wave,
                opens_at=parse_time(opens, zone) if opens else None,
                closes_at=parse_time(closes, zone, end_of_day=True) if closes else None,
            )
            context.audit_record(session, "campaign.next-wave",
                                 administration=old.administration.code, campaign=created.code,
                                 detail=f"wave {wave}, from {code}")  # fmt: skip
            click.echo(f"campaign {created.code} created for wave {created.wave}")
            click.echo(f"link: {_link(session, created.code, '')}")
            for source in created.sources:
                click.echo(f"channel {source.tag}: {source.label}")
    except CampaignError as exc:
        raise click.ClickException(str(exc)) from exc


def _add_codes_command() -> None:
    from cips.cli.access_codes import codes

    campaign.add_command(codes)


_add_codes_command()
