"""`cips health`: liveness and readiness checks for operators and container probes.

`--heartbeat FILE` passes when the file (touched by `cips bot` every 10 s and by `cips clock`
at every reminder run, see `--heartbeat` / CIPS_HEARTBEAT_FILE) is younger than `--max-age`;
`--url` passes when the web's `/healthz` answers 200; `--sending` reports the messages due for
Telegram, the oldest one's age (failing past a minute: the bot is not sending) and the 429s of
the last hour (from the bot's liveness file); `--sealing` reports the finished responses
that wait for their seal (DESIGN.md, Anonymity 3), and fails when a batch of k waits (the clock
is not sealing) or a closed campaign still has any. Exit status 0 when every check given passes,
1 otherwise, with one line per check. Without `--sealing` and `--sending` it reads no settings and
opens no database, so a probe costs only the start of Python.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import click

from survey import liveness
from survey.campaign_input import CampaignError, parse_duration

SENDING_LATE_S = 60  # a message due this long and not sent: the bot is not sending


def _seconds(_ctx, _param, value: str) -> int:
    try:
        return parse_duration(value)
    except CampaignError as exc:
        raise click.BadParameter(str(exc)) from exc


def check_heartbeat(path: Path, max_age_s: float, now: float | None = None) -> str | None:
    """What is wrong with the heartbeat file at `path`, or None when it is fresh."""
    try:
        age = liveness.age_s(path, now)
    except FileNotFoundError:
        return f"{path} does not exist: the process has not started, or writes another file"
    if age > max_age_s:
        return f"{path} was last touched {age:.0f} s ago (more than {max_age_s:g} s): the process is stuck or stopped"
    return None


def health_url(url: str) -> str:
    """`http://host:port` -> `http://host:port/healthz`; a URL with a path is kept as given."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise click.BadParameter(f"not an http(s) URL: {url!r}", param_hint="--url")
    if parts.path in ("", "/"):
        parts = parts._replace(path="/healthz")
    return urlunsplit(parts)


def check_url(url: str, timeout_s: float) -> str | None:
    """What is wrong with the web's health endpoint at `url`, or None when it answers 200."""
    try:
        with urllib.request.urlopen(url, timeout=timeout_s) as response:
            response.read()
            return None
    except urllib.error.HTTPError as exc:
        try:
            reason = json.loads(exc.read()).get("reason") or exc.reason
        except (ValueError, AttributeError):
            reason = exc.reason
        return f"{url} answered {exc.code} ({reason})"
    except (urllib.error.URLError, OSError) as exc:
        return f"{url} does not answer ({getattr(exc, 'reason', exc)})"


def sending_queue(heartbeats: tuple[Path, ...]) -> tuple[str, str | None]:
    """(what waits to go to Telegram, the problem or None): the outbox's messages due now, the
    oldest one's age, and the 429s of the last hour that the bot left in its liveness file."""
    import datetime as dt

    from sqlalchemy import func, select

    from cips.cli import context
    from survey.storage.models import Outbox

    now = dt.datetime.now(dt.UTC)
    with context.database().transaction() as session:
        due, oldest = session.execute(
            select(func.count(), func.min(Outbox.not_before)).where(Outbox.not_before <= now)
        ).one()
    age = 0.0 if oldest is None else (now - oldest.replace(tzinfo=dt.UTC)).total_seconds()
    too_many = [liveness.figures(p).get("429_last_hour") for p in heartbeats]
    name = f"sending: {due} messages due, the oldest {age:.0f} s old" + "".join(
        f", {n} answered 429 in the last hour" for n in too_many if n is not None
    )
    if age > SENDING_LATE_S:
        return name, f"{name}: the bot is not sending (is `cips bot` running?)"
    return name, None


def sealing_backlog() -> tuple[str, str | None]:
    """(what waits, the problem or None): finished responses waiting for their seal."""
    import datetime as dt

    from sqlalchemy import select

    from cips.cli import context
    from survey.sealing import waiting
    from survey.storage.models import Campaign

    k = context.settings().min_cell
    now = dt.datetime.now(dt.UTC)
    with context.database().transaction() as session:
        backlog = waiting(session)
        campaigns = session.scalars(select(Campaign)).all()
    codes = {c.id: c.code for c in campaigns}
    closed = {c.id for c in campaigns if c.status(now) == "closed"}
    total = sum(backlog.values())
    detail = ", ".join(f"{codes[c]} {n}" for c, n in sorted(backlog.items()))
    name = f"sealing: {total} finished responses wait for a batch of {k}" + (
        f" ({detail})" if detail else ""
    )
    stuck = [codes[c] for c, n in backlog.items() if n >= k or c in closed]
    if stuck:
        return (
            name,
            f"{name}; not sealed though they could be: {', '.join(sorted(stuck))} (is `cips clock` running?)",
        )
    return name, None


@click.command("health")
@click.option("--heartbeat", "heartbeats", multiple=True,
              type=click.Path(dir_okay=False, path_type=Path),
              help="A heartbeat file of `cips bot` or `cips clock` (repeatable).")  # fmt: skip
@click.option("--max-age", default="60s", show_default=True, callback=_seconds,
              help="Oldest a heartbeat may be: at least twice the process's interval.")  # fmt: skip
@click.option("--url", "urls", multiple=True,
              help="The web's address, e.g. http://127.0.0.1:8000 (/healthz is checked).")  # fmt: skip
@click.option("--timeout", default="5s", show_default=True, callback=_seconds,
              help="How long to wait for the web.")  # fmt: skip
@click.option("--sealing", is_flag=True,
              help="Report the responses waiting to be sealed (opens the database).")  # fmt: skip
@click.option("--sending", is_flag=True,
              help="Report the messages waiting for Telegram, the oldest one's age and the "
                   "429s of the last hour (opens the database; with the bot's --heartbeat "
                   "file for the 429s).")  # fmt: skip
def health(
    heartbeats: tuple[Path, ...],
    max_age: int,
    urls: tuple[str, ...],
    timeout: int,
    sealing: bool,
    sending: bool,
) -> None:
    """Check that the bot and clock are alive (heartbeat files), the web can serve (URL), and
    finished responses get sealed (--sealing)."""
    if not heartbeats and not urls and not sealing and not sending:
        raise click.UsageError(
            "give at least one --heartbeat FILE, --url URL, --sealing or --sending"
        )
    problems = []
    checks = [(str(p), check_heartbeat(p, max_age)) for p in heartbeats]
    checks += [(u, check_url(u, timeout)) for u in map(health_url, urls)]
    if sealing:
        checks.append(sealing_backlog())
    if sending:
        checks.append(sending_queue(heartbeats))
    for name, problem in checks:
        if problem is None:
            click.echo(f"ok: {name}")
        else:
            problems.append(problem)
            click.echo(f"failed: {problem}", err=True)
    if problems:
        raise SystemExit(1)
