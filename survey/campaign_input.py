"""What operators type about a campaign, read without the database: durations and quiet hours,
and the error they raise. Kept apart from survey.campaigns so that `cips health` (a container
probe) reads its --max-age without importing SQLAlchemy."""

from __future__ import annotations

import re

DURATION = re.compile(r"^\s*(\d+)\s*([smhd])\s*$")
DURATION_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
QUIET_HOURS = re.compile(r"^\s*(\d{1,2})(?::00)?\s*-\s*(\d{1,2})(?::00)?\s*$")
# At most this many reminders per person: more is pestering. `ReminderPolicy.check` holds every
# policy to it (the command line, the web form, whose field reads its range from here).
MAX_REMINDERS = 10


class CampaignError(ValueError):
    """A request that cannot be carried out, with a message for the operator."""


class CampaignCodeTaken(CampaignError):
    """Another campaign has this code (the web asks for another in the form's own words)."""


def parse_duration(text: str) -> int:
    """'45s', '30m', '24h', '2d' -> seconds."""
    match = DURATION.match(text)
    if not match or int(match.group(1)) == 0:
        raise CampaignError(f"not a duration: {text!r} (use e.g. 45s, 30m, 24h, 2d)")
    return int(match.group(1)) * DURATION_UNITS[match.group(2)]


def duration_parts(seconds: int) -> tuple[int, str]:
    """(count, unit) in the largest unit that divides `seconds` exactly: 129600 -> (36, 'h')."""
    for unit in ("d", "h", "m"):
        if seconds % DURATION_UNITS[unit] == 0:
            return seconds // DURATION_UNITS[unit], unit
    return seconds, "s"


def format_duration(seconds: int) -> str:
    """The compact form operators type (`parse_duration`'s input): 129600 -> '36h'."""
    count, unit = duration_parts(seconds)
    return f"{count}{unit}"


def parse_quiet_hours(text: str) -> tuple[int, int]:
    """'20-08' -> (20, 8); '0-0' means no quiet hours."""
    match = QUIET_HOURS.match(text)
    if not match or not all(0 <= int(h) <= 23 for h in match.groups()):
        raise CampaignError(f"not quiet hours: {text!r} (use HH-HH, e.g. 20-08)")
    return int(match.group(1)), int(match.group(2))
