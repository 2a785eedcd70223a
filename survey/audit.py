"""The audit log: who did what, append-only and hash-chained (issue 21, item 4).

Each entry carries the SHA-256 of the entry before it (`prev_hash`) and its own hash, taken over
a canonical serialization of its fields (`canonical`): sorted-key JSON, UTF-8, times in UTC to
the microsecond. Editing an entry's text breaks its own hash; deleting or reordering entries
breaks the link of the entry after the gap. `verify` walks the chain and names the first entry
where it breaks.

Appending is serialized by one lock row (`audit_chain`, id 1): `record` takes it with SELECT ...
FOR UPDATE on PostgreSQL (SQLite's BEGIN IMMEDIATE already makes writers queue), reads the head
hash, writes the entry and moves the head, in the caller's transaction, so that an action and its
entry are committed together and two workers never fork the chain. The lock row also keeps the
`anchor`: the hash the first kept entry must link to (64 zeros until a trim deletes entries
older than the retention, `trim`). The head kept there also shows entries deleted from the end.

Entries name accounts, campaigns and administrations by code or name (kept after a deletion),
never a respondent: nothing here takes a respondent id, chat id or contact.
"""

from __future__ import annotations

import datetime as dt
import getpass
import hashlib
import json
import os
from dataclasses import dataclass

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from survey.storage.models import AuditChain, AuditEntry

GENESIS = "0" * 64
DEFAULT_RETENTION_DAYS = 730
CHAIN_ROW = 1
FIELDS = ("seq", "at", "actor", "action", "administration", "campaign", "format", "address",
          "detail", "prev_hash")  # fmt: skip

# The actions recorded (others may be added; the page and `cips audit` filter on any).
SIGNIN = "signin"
SIGNIN_FAILED = "signin.failed"
SIGNOUT = "signout"
TWO_FACTOR = "2fa"  # the 2FA work records its changes with this prefix (e.g. "2fa.enrol")
DOWNLOAD = "download"
EXPORT = "export"
RELEASE = "release"
USER = "user"  # user.create, user.password, user.role, user.deactivate
CAMPAIGN = "campaign"  # campaign.create, .edit, .open, .close, .archive, .delete, .next-wave
TOKEN = "token"  # token.create, token.revoke
TRIM = "audit.trim"


def cli_actor() -> str:
    """Who runs a `cips` command: the operating-system account, as `cli:<name>`."""
    try:
        name = getpass.getuser()
    except (OSError, KeyError):
        name = os.environ.get("USER", "") or "?"
    return f"cli:{name}"[:64]


@dataclass(frozen=True)
class Broken:
    """Where the chain breaks: the entry's sequence number (None: after the last entry) and why."""

    seq: int | None
    reason: str

    def __str__(self) -> str:
        where = f"entry {self.seq}" if self.seq is not None else "the end of the log"
        return f"the chain breaks at {where}: {self.reason}"


def _at_text(at: dt.datetime) -> str:
    return at.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def canonical(entry: AuditEntry) -> bytes:
    """The bytes an entry's hash is taken over: every field but the hash, sorted-key JSON."""
    fields = {name: getattr(entry, name) for name in FIELDS}
    fields["at"] = _at_text(entry.at)
    return json.dumps(fields, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode()


def entry_hash(entry: AuditEntry) -> str:
    return hashlib.sha256(canonical(entry)).hexdigest()


def _chain(session: Session) -> AuditChain:
    """The lock row, locked for this transaction (created on first use)."""
    statement = (
        select(AuditChain)
        .where(AuditChain.id == CHAIN_ROW)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    chain = session.scalar(statement)
    if chain is None:  # the migration inserts it; this serves a schema made some other way
        chain = AuditChain(id=CHAIN_ROW, head_hash=GENESIS, head_seq=0, anchor_hash=GENESIS)
        session.add(chain)
        session.flush()
    return chain


def _short(value: str | None, length: int) -> str | None:
    return None if value is None else str(value)[:length]


def record(
    session: Session,
    action: str,
    *,
    actor: str,
    administration: str | None = None,
    campaign: str | None = None,
    format: str | None = None,
    address: str | None = None,
    detail: str | None = None,
    now: dt.datetime | None = None,
) -> AuditEntry:
    """Append an entry in `session`'s transaction (the caller commits, with the action).

    `actor` is an account's user name, `cli:<os user>` or `clock`; `administration` and
    `campaign` are codes; `format` a file format; `address` the client's address where it
    matters (sign-ins); `detail` a short text (what changed, which file). Never a respondent.
    """
    chain = _chain(session)
    entry = AuditEntry(
        seq=chain.head_seq + 1,
        at=now or dt.datetime.now(dt.UTC),
        actor=_short(actor, 64) or "?",
        action=_short(action, 40) or "?",
        administration=_short(administration, 32),
        campaign=_short(campaign, 64),
        format=_short(format, 16),
        address=_short(address, 100),
        detail=_short(detail, 500),
        prev_hash=chain.head_hash,
    )
    entry.hash = entry_hash(entry)
    session.add(entry)
    chain.head_seq = entry.seq
    chain.head_hash = entry.hash
    session.flush()
    return entry


def verify(session: Session, batch: int = 1000) -> tuple[int, Broken | None]:
    """Walk the chain from the anchor: (entries checked, the first break or None)."""
    chain = session.get(AuditChain, CHAIN_ROW)
    expected = chain.anchor_hash if chain else GENESIS
    checked = 0
    last_seq: int | None = None
    after = -1
    while True:
        rows = session.scalars(
            select(AuditEntry).where(AuditEntry.seq > after).order_by(AuditEntry.seq).limit(batch)
        ).all()
        if not rows:
            break
        for entry in rows:
            if last_seq is not None and entry.seq != last_seq + 1:
                return checked, Broken(entry.seq, f"entries {last_seq + 1}-{entry.seq - 1} are "
                                                  "missing")  # fmt: skip
            if entry.prev_hash != expected:
                return checked, Broken(entry.seq, "it does not link to the entry before it "
                                                  "(an entry before it was deleted, moved or "
                                                  "rewritten)")  # fmt: skip
            if entry_hash(entry) != entry.hash:
                return checked, Broken(entry.seq, "its content does not match its hash (it "
                                                  "was edited)")  # fmt: skip
            expected = entry.hash
            last_seq = entry.seq
            checked += 1
        after = rows[-1].seq
    if chain is not None and chain.head_hash != expected:
        return checked, Broken(None, "the latest entries were deleted (the head hash kept in "
                                     "audit_chain is not the last entry's)")  # fmt: skip
    return checked, None


def head(session: Session) -> tuple[int, str]:
    """The latest entry's number and hash: note it down elsewhere to catch a rewritten chain."""
    chain = session.get(AuditChain, CHAIN_ROW)
    return (chain.head_seq, chain.head_hash) if chain else (0, GENESIS)


def trim(session: Session, retention: dt.timedelta, *, actor: str, now: dt.datetime) -> int:
    """Delete the entries older than `retention`, keeping the chain verifiable: the hash the
    first kept entry links to becomes the anchor. Records the trim itself; how many deleted.

    Only a prefix of the chain is deleted (every entry before the first one young enough), so
    an entry written late by a clock running behind never leaves a hole."""
    chain = _chain(session)
    cutoff = now - retention
    first_kept = session.scalar(select(func.min(AuditEntry.seq)).where(AuditEntry.at >= cutoff))
    if first_kept is None:  # everything is old: keep none but the record of this trim
        first_kept = chain.head_seq + 1
    old = session.scalar(select(func.count(AuditEntry.seq)).where(AuditEntry.seq < first_kept)) or 0
    if old == 0:
        return 0
    if first_kept <= chain.head_seq:
        anchor = session.scalar(select(AuditEntry.prev_hash).where(AuditEntry.seq == first_kept))
    else:
        anchor = chain.head_hash
    session.execute(delete(AuditEntry).where(AuditEntry.seq < first_kept))
    chain.anchor_hash = anchor
    session.flush()
    record(session, TRIM, actor=actor, detail=f"{old} entries older than {cutoff:%Y-%m-%d} "
                                              "deleted", now=now)  # fmt: skip
    return old


@dataclass(frozen=True)
class Filter:
    since: dt.datetime | None = None
    actor: str | None = None
    action: str | None = None  # "campaign" matches campaign.close, campaign.edit...
    limit: int | None = None


def entries(session: Session, wanted: Filter) -> list[AuditEntry]:
    """Entries matching `wanted`, newest first."""
    statement = select(AuditEntry).order_by(AuditEntry.seq.desc())
    if wanted.since is not None:
        statement = statement.where(AuditEntry.at >= wanted.since)
    if wanted.actor:
        statement = statement.where(AuditEntry.actor == wanted.actor)
    if wanted.action:
        statement = statement.where(
            (AuditEntry.action == wanted.action) | AuditEntry.action.startswith(wanted.action + ".")
        )
    if wanted.limit:
        statement = statement.limit(wanted.limit)
    return list(session.scalars(statement))


def retention_days() -> int:
    """CIPS_AUDIT_RETENTION_DAYS (default 730); at least 1."""
    value = int(os.environ.get("CIPS_AUDIT_RETENTION_DAYS", str(DEFAULT_RETENTION_DAYS)))
    if value < 1:
        raise ValueError(f"CIPS_AUDIT_RETENTION_DAYS must be at least 1, got {value}")
    return value
