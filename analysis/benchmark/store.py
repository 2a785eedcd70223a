"""The benchmark's storage: trusted keys, imported releases and host files, and the
installation's own administrations that opted in; and the participants a benchmark is computed
from."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from analysis.benchmark import files, signing
from analysis.frames import wave_order
from survey.questionnaire import Questionnaire
from survey.storage.models import (
    Administration,
    BenchmarkFile,
    BenchmarkKey,
    BenchmarkMember,
    BenchmarkRelease,
)


class BenchmarkError(Exception):
    """A benchmark operation refused, said in a sentence."""


@dataclass(frozen=True)
class Participant:
    """One administration's release in the benchmark."""

    administration: str
    name: str
    region: str
    wave: str
    payload: dict
    own: bool  # an administration of this installation (opted in), not an imported file


def trust(
    session: Session, public_pem: bytes, kind: str, *, administration: str | None = None,
    region: str | None = None, name: str | None = None,
) -> BenchmarkKey:  # fmt: skip
    """Trust a public key: an administration's (its releases take part, in `region`) or a
    host's (its benchmark files can be imported). Trusting it again updates the region; a
    revoked key is never trusted again."""
    try:
        public = signing.load_public(public_pem)
    except signing.SigningKeyError as exc:
        raise BenchmarkError(str(exc)) from exc
    key_id = signing.key_id_of(public)
    row = session.get(BenchmarkKey, key_id)
    if row is not None and row.revoked_at is not None:
        raise BenchmarkError(f"key {key_id} was revoked: it cannot be trusted again")
    if row is not None and (row.kind, row.administration) != (kind, administration):
        raise BenchmarkError(f"key {key_id} is already trusted for "
                             f"{row.administration or 'a host'}")  # fmt: skip
    if row is None:
        row = BenchmarkKey(key_id=key_id, public_key=signing.raw_public(public), kind=kind,
                           administration=administration)  # fmt: skip
        session.add(row)
    row.region, row.name = region, name
    session.flush()
    return row


def revoke(session: Session, key_id: str) -> BenchmarkKey:
    """Revoke a trusted key: files it signs are refused from now on, and the releases imported
    under it leave the benchmark (a revoked key may have signed forgeries)."""
    row = session.get(BenchmarkKey, key_id)
    if row is None:
        raise BenchmarkError(f"no trusted key {key_id}")
    row.revoked_at = row.revoked_at or dt.datetime.now(dt.UTC)
    return row


def trusted_keys(session: Session) -> dict[str, files.Trusted]:
    return {
        row.key_id: files.Trusted(
            row.key_id,
            row.public_key,
            row.kind,
            row.administration,
            row.region,
            row.revoked_at is not None,
        )
        for row in session.scalars(select(BenchmarkKey))
    }


def import_release(session: Session, path: Path, min_cell: int) -> str:
    """Store a signed release file (`files.Refused` says why not); what happened, in words.
    A newer release of the same administration and wave replaces the stored one; the same one
    again, or an older one, changes nothing."""
    accepted = files.check(path, trusted_keys(session), "cips-release", min_cell)
    payload = accepted.payload
    code, wave = payload["administration"]["code"], payload["wave"]
    released_at = dt.datetime.fromisoformat(payload["release"]["released_at"])
    if released_at.tzinfo is None:
        released_at = released_at.replace(tzinfo=dt.UTC)
    row = session.scalar(select(BenchmarkRelease).where(BenchmarkRelease.administration == code,
                                                        BenchmarkRelease.wave == wave))  # fmt: skip
    if row is not None and row.digest == accepted.digest:
        return f"{path.name}: {code} wave {wave} is already imported; nothing changed"
    if row is not None and row.released_at >= released_at:
        return (f"{path.name}: {code} wave {wave} of {released_at:%Y-%m-%d %H:%M} is older than "
                f"the release imported ({row.released_at:%Y-%m-%d %H:%M}); nothing changed")  # fmt: skip
    what = "replaced the older release of" if row is not None else "imported"
    if row is None:
        row = BenchmarkRelease(administration=code, wave=wave)
        session.add(row)
    row.key_id, row.version = accepted.key.key_id, payload["release"]["version"]
    row.released_at, row.digest = released_at, accepted.digest
    row.envelope = json.dumps(accepted.envelope, ensure_ascii=False).encode()
    row.imported_at = dt.datetime.now(dt.UTC)
    session.flush()
    return f"{path.name}: {what} {code} wave {wave} (release {row.version}, k = {payload['k']})"


def import_benchmark(session: Session, path: Path, region: str | None) -> str:
    """Store a host's signed benchmark file, for the country report; `region`: the file's region
    this installation's administrations belong to (None: all administrations)."""
    accepted = files.check(path, trusted_keys(session), "cips-benchmark")
    regions = {g["region"] for g in accepted.payload["groups"]}
    if region is not None and region not in regions:
        raise files.Refused(f"{path.name}: no region {region!r} in this benchmark (it has: "
                            f"{', '.join(sorted(r for r in regions if r)) or 'none'})")  # fmt: skip
    row = session.scalar(select(BenchmarkFile).where(BenchmarkFile.digest == accepted.digest))
    if row is not None:
        row.region = region
        return f"{path.name}: already imported; nothing changed"
    published = dt.datetime.fromisoformat(accepted.payload["published_at"])
    session.add(BenchmarkFile(key_id=accepted.key.key_id, digest=accepted.digest, region=region,
                              published_at=published,
                              envelope=json.dumps(accepted.envelope).encode()))  # fmt: skip
    session.flush()
    return f"{path.name}: imported the benchmark of {accepted.payload['host']}"


def latest_benchmark(session: Session) -> tuple[dict, str | None] | None:
    """The newest imported host benchmark whose key is not revoked: its payload and region."""
    statement = (select(BenchmarkFile).join(BenchmarkKey)
                 .where(BenchmarkKey.revoked_at.is_(None))
                 .order_by(BenchmarkFile.published_at.desc(), BenchmarkFile.id.desc()))  # fmt: skip
    row = session.scalars(statement).first()
    if row is None:
        return None
    return json.loads(row.envelope)["payload"], row.region


def join(session: Session, code: str, region: str) -> None:
    """An administration of this installation takes part with its releases (its admin opted
    in)."""
    administration = _administration(session, code)
    member = session.get(BenchmarkMember, administration.id)
    if member is None:
        session.add(BenchmarkMember(administration_id=administration.id, region=region))
    else:
        member.region = region


def leave(session: Session, code: str) -> None:
    administration = _administration(session, code)
    session.execute(delete(BenchmarkMember)
                    .where(BenchmarkMember.administration_id == administration.id))  # fmt: skip


def _administration(session: Session, code: str) -> Administration:
    found = session.scalar(select(Administration).where(Administration.code == code))
    if found is None:
        raise BenchmarkError(f"no administration {code}")
    return found


def participants(
    session: Session, questionnaires: dict[str, Questionnaire], min_cell: int,
    wave: str | None = None,
) -> list[Participant]:  # fmt: skip
    """Every administration's release in the benchmark: of `wave` (a label, or a year: the
    latest wave of that year), or each one's latest. The
    imported ones (keys not revoked) and the opted-in own ones (their release computed or read
    as the results pages do; an imported file of the same administration gives way to them)."""
    from analysis.benchmark.payload import build_payload
    from analysis.benchmark.waves import of_wave
    from analysis.releases import campaigns_of, release, released_waves

    found: dict[tuple[str, str], Participant] = {}
    statement = (select(BenchmarkRelease, BenchmarkKey).join(BenchmarkKey)
                 .where(BenchmarkKey.revoked_at.is_(None)))  # fmt: skip
    for row, key in session.execute(statement):
        payload = json.loads(row.envelope)["payload"]
        found[(row.administration, row.wave)] = Participant(
            row.administration, payload["administration"]["name"], key.region or "", row.wave,
            payload, own=False)  # fmt: skip
    members = session.execute(select(BenchmarkMember, Administration).join(Administration))
    for member, administration in list(members):
        campaigns = campaigns_of(session, administration)
        for label in released_waves(campaigns):
            if not of_wave(label, wave):
                continue
            published = release(session, administration, label, "en", min_cell, questionnaires,
                                campaigns)  # fmt: skip
            payload = build_payload(published, administration.name, campaigns, questionnaires)
            found[(administration.code, label)] = Participant(
                administration.code, administration.name, member.region, label, payload, own=True
            )
    chosen: dict[str, Participant] = {}
    for (code, label), participant in found.items():
        if not of_wave(label, wave):
            continue
        if code not in chosen or wave_order(label) > wave_order(chosen[code].wave):
            chosen[code] = participant
    return [chosen[code] for code in sorted(chosen)]
