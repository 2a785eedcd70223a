"""One-time access codes: who may answer a campaign on the web when its link is not open to all.

A coordinator generates N codes; they are shown once, at generation, and stored only as keyed
hashes (`CIPS_SECRET_KEY`), so the database alone cannot tell a code. A code is 10 characters
from an alphabet without look-alikes (no 0/O, 1/I/L): 31^10, about 49.5 bits. It opens one
response: `redeem` marks it `used` in the transaction that lets the person in, and keeps nothing
else (no time, no respondent), so once the response is sealed the code leads to nothing.

The web survey checks a code at its start page (`check`, which spends nothing) and spends it
when the person agrees to take part (`spend`, in the consent's transaction): someone who
declines, or never gets past the consent, keeps an unused code and may come back with it, and
the conditional update still lets one code open one response only, whoever consents first.

Wrong codes are counted per campaign in windows of `WINDOW` (`AccessCodeTries`); past
`MAX_FAILURES` in a window every try is refused until the window ends, whatever the code.
Guessing one of 10,000 codes at that pace takes on the order of ten thousand years.
"""

from __future__ import annotations

import datetime as dt
import secrets
from dataclasses import dataclass
from enum import StrEnum

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from survey.anonymity import keyed_hash
from survey.storage.models import AccessCode, AccessCodeTries, Campaign

ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"  # no 0/O, 1/I/L
LENGTH = 10
MAX_CODES = 10_000  # per generation
WINDOW = dt.timedelta(minutes=10)
MAX_FAILURES = 30  # wrong codes per campaign and window

OPEN = "open"
CODES = "codes"


class Redeemed(StrEnum):
    """What typing a code led to."""

    OK = "ok"
    USED = "used"
    UNKNOWN = "unknown"
    LOCKED = "locked"  # too many wrong codes for this campaign lately


@dataclass(frozen=True)
class Generated:
    """Codes as people type them (`ABCDE-FGHJK`), in the order printed."""

    campaign_code: str
    codes: tuple[str, ...]


def new_code() -> str:
    return "".join(secrets.choice(ALPHABET) for _ in range(LENGTH))


def formatted(code: str) -> str:
    """`ABCDEFGHJK` as printed: `ABCDE-FGHJK`."""
    half = LENGTH // 2
    return f"{code[:half]}-{code[half:]}"


def normalized(typed: str) -> str:
    """What was typed, without spaces and dashes, in capitals."""
    return "".join(ch for ch in typed.upper() if ch not in " -\t\u00a0")


def code_hash(secret: str, campaign_code: str, code: str) -> str:
    return keyed_hash(secret, "access-code", campaign_code, normalized(code))


def generate(session: Session, secret: str, campaign: Campaign, count: int) -> Generated:
    """`count` new codes for `campaign` (which from now on asks for one)."""
    if not 1 <= count <= MAX_CODES:
        raise ValueError(f"the number of codes must be between 1 and {MAX_CODES}")
    codes: set[str] = set()
    while len(codes) < count:
        codes.add(new_code())
    session.add_all(
        AccessCode(campaign_id=campaign.id, code_hash=code_hash(secret, campaign.code, c))
        for c in codes
    )
    campaign.web_access = CODES
    session.flush()
    return Generated(campaign.code, tuple(formatted(c) for c in sorted(codes)))


def known(session: Session, secret: str, campaign: Campaign, codes: list[str]) -> bool:
    """Whether every one of `codes` is a code of `campaign` (to print cards of them)."""
    hashes = {code_hash(secret, campaign.code, c) for c in codes}
    found = session.scalars(
        select(AccessCode.code_hash).where(
            AccessCode.campaign_id == campaign.id, AccessCode.code_hash.in_(hashes)
        )
    ).all()
    return bool(hashes) and set(found) == hashes


def _window(now: dt.datetime) -> dt.datetime:
    seconds = int(WINDOW.total_seconds())
    return dt.datetime.fromtimestamp(int(now.timestamp()) // seconds * seconds, dt.UTC)


def _failures(session: Session, campaign: Campaign, now: dt.datetime) -> int:
    row = session.get(AccessCodeTries, (campaign.id, _window(now)))
    return row.failures if row is not None else 0


def _count_failure(session: Session, campaign: Campaign, now: dt.datetime) -> None:
    window = _window(now)
    session.execute(
        delete(AccessCodeTries).where(
            AccessCodeTries.campaign_id == campaign.id, AccessCodeTries.window_start < window
        )
    )
    row = session.get(AccessCodeTries, (campaign.id, window), with_for_update=True)
    if row is None:
        session.add(AccessCodeTries(campaign_id=campaign.id, window_start=window, failures=1))
    else:
        row.failures += 1
    session.flush()


def check(
    session: Session, secret: str, campaign: Campaign, typed: str, now: dt.datetime
) -> Redeemed:
    """Whether the code `typed` would open a response of `campaign` now, spending nothing (the
    start page: the code is spent at consent, `spend`). A wrong code counts against the
    campaign's tries (`LOCKED` past the limit), in the caller's transaction."""
    if _failures(session, campaign, now) >= MAX_FAILURES:
        return Redeemed.LOCKED
    used = session.scalar(
        select(AccessCode.used).where(
            AccessCode.campaign_id == campaign.id,
            AccessCode.code_hash == code_hash(secret, campaign.code, typed),
        )
    )
    if used is None:
        _count_failure(session, campaign, now)
        return Redeemed.UNKNOWN
    return Redeemed.USED if used else Redeemed.OK


def spend(session: Session, campaign: Campaign, hashed: str) -> Redeemed:
    """Spend the code whose keyed hash is `hashed` (`code_hash`), at most once, in the caller's
    transaction: `OK`, `USED` (spent before, or by a concurrent twin) or `UNKNOWN`.

    The update is conditional (`used` false), so two people with one code cannot both get in:
    on PostgreSQL the second waits for the first's commit, then finds the code used."""
    spent = session.execute(
        update(AccessCode)
        .where(
            AccessCode.campaign_id == campaign.id,
            AccessCode.code_hash == hashed,
            AccessCode.used.is_(False),
        )
        .values(used=True)
        .execution_options(synchronize_session=False)
    )
    if spent.rowcount == 1:
        return Redeemed.OK
    exists = session.scalar(
        select(AccessCode.used).where(
            AccessCode.campaign_id == campaign.id, AccessCode.code_hash == hashed
        )
    )
    return Redeemed.USED if exists is not None else Redeemed.UNKNOWN


def redeem(
    session: Session, secret: str, campaign: Campaign, typed: str, now: dt.datetime
) -> Redeemed:
    """Spend the code `typed` for `campaign`, at most once, in the caller's transaction (`check`
    and `spend` in one). A wrong code counts against the campaign's tries."""
    if _failures(session, campaign, now) >= MAX_FAILURES:
        return Redeemed.LOCKED
    outcome = spend(session, campaign, code_hash(secret, campaign.code, typed))
    if outcome is Redeemed.UNKNOWN:
        _count_failure(session, campaign, now)
    return outcome


def counts(session: Session, campaign: Campaign) -> tuple[int, int]:
    """(codes generated, codes used) of the campaign."""
    rows = session.scalars(select(AccessCode.used).where(AccessCode.campaign_id == campaign.id))
    used = list(rows)
    return len(used), sum(1 for u in used if u)
