"""`cips health`: liveness and readiness checks for operators and container probes.

`--heartbeat FILE` passes when the file (touched by `cips bot` every 10 s and by `cips clock`
at every reminder run, see `--heartbeat` / CIPS_HEARTBEAT_FILE) is younger than `--max-age`;
`--url` passes when the web's `/healthz` answers 200. Exit status 0 when every check given
passes, 1 otherwise, with one line per check. Reads no settings and opens no database, so a
probe costs only the start of Python.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import click

from survey import liveness
from survey.campaigns import CampaignError, parse_duration


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
def health(heartbeats: tuple[Path, ...], max_age: int, urls: tuple[str, ...], timeout: int) -> None:
    """Check that the bot and clock are alive (heartbeat files) and the web can serve (URL)."""
    if not heartbeats and not urls:
        raise click.UsageError("give at least one --heartbeat FILE or --url URL")
    problems = []
    checks = [(str(p), check_heartbeat(p, max_age)) for p in heartbeats]
    checks += [(u, check_url(u, timeout)) for u in map(health_url, urls)]
    for name, problem in checks:
        if problem is None:
            click.echo(f"ok: {name}")
        else:
            problems.append(problem)
            click.echo(f"failed: {problem}", err=True)
    if problems:
        raise SystemExit(1)
