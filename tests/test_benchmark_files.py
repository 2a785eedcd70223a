"""Signed release files (issue 23, items 1 and 2): `cips release export` writes a wave's
aggregates signed with the installation's Ed25519 key; the round trip verifies; one byte changed,
another key, an unsigned, untrusted, revoked, schema-invalid or low-k file is refused by
`cips benchmark import`; a newer release supersedes, the same one twice changes nothing; and no
respondent-level value is in the file (a scan against the respondents' answers)."""

from __future__ import annotations

import json
import random
import stat

import pandas as pd
import pytest
from sqlalchemy import select

from analysis.benchmark import files, signing
from analysis.interchange import write
from analysis.synthetic import generate_wave
from cips.cli import context
from survey.loader import load_questionnaires
from survey.storage.db import Database
from survey.storage.migrate import upgrade
from survey.storage.models import BenchmarkRelease
from tests.cli_support import run_cips

QUESTIONNAIRES = load_questionnaires()


@pytest.fixture
def cips(database_url, monkeypatch, tmp_path):
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.setenv("CIPS_SIGNING_KEYS_DIR", str(tmp_path / "keys"))
    run_cips("administration", "create", "CI", "--name", "Côte d'Ivoire", "--timezone", "UTC")
    yield run_cips
    context.settings.cache_clear()


def import_wave(
    cips, tmp_path, wave="2026", seed=1, officials=40, traders=30
) -> list[pd.DataFrame]:
    frames = []
    for qid, n in (("cips-officials", officials), ("cips-private-sector", traders)):
        frame = generate_wave(QUESTIONNAIRES[qid], n, administration="CI", wave=wave, seed=seed)
        path = write(frame, tmp_path / f"{qid}-{wave}.csv")
        cips("import", str(path), "--code", f"ci-{wave}-{qid[5:8]}")
        frames.append(frame)
    return frames


def export(cips, tmp_path, campaign="ci-2026-off", name="ci.json"):
    path = tmp_path / name
    cips("release", "export", "--campaign", campaign, "-o", str(path))
    return path


def trusted(key_dir, administration="CI", kind="administration") -> dict[str, files.Trusted]:
    out = {}
    for pub in key_dir.glob("*.pub"):
        public = signing.load_public(pub.read_bytes())
        key_id = signing.key_id_of(public)
        out[key_id] = files.Trusted(key_id, signing.raw_public(public), kind, administration,
                                    "West Africa", False)  # fmt: skip
    return out


def test_export_round_trip_verifies_and_the_private_key_is_kept_private(cips, tmp_path):
    import_wave(cips, tmp_path)
    cips("keys", "create")
    path = export(cips, tmp_path)
    private = next((tmp_path / "keys").glob("*.key"))
    assert stat.S_IMODE(private.stat().st_mode) == 0o600
    assert stat.S_IMODE((tmp_path / "keys").stat().st_mode) == 0o700
    accepted = files.check(path, trusted(tmp_path / "keys"), "cips-release", min_cell=10)
    payload = accepted.payload
    assert payload["k"] == 10 and payload["administration"]["code"] == "CI"
    assert {s["survey"] for s in payload["surveys"]} == {"officials", "private_sector"}
    assert {u["kind"] for u in payload["units"]} == {"factor", "construct", "index"}
    # The key id is the public key's digest.
    assert accepted.key.key_id == signing.key_id_of(accepted.key.public_key)


def test_one_byte_changed_anywhere_is_refused(cips, tmp_path):
    import_wave(cips, tmp_path)
    cips("keys", "create")
    path = export(cips, tmp_path)
    keys = trusted(tmp_path / "keys")
    original = path.read_bytes()
    rng = random.Random(4)
    # Every byte of the signature and key id, and a sample of the rest (digits included).
    signature_at = original.index(b'"signature":"') + len(b'"signature":"')
    positions = set(range(signature_at, signature_at + 88))
    positions |= set(rng.sample(range(len(original)), 300))
    digits = [i for i, b in enumerate(original) if chr(b).isdigit()]
    positions |= set(rng.sample(digits, 200))
    altered = tmp_path / "altered.json"
    for position in sorted(positions):
        data = bytearray(original)
        replacement = rng.choice(
            [b for b in b'0123456789abcdefABCDEF+/= ,.:"{}' if b != data[position]]
        )
        data[position] = replacement
        altered.write_bytes(bytes(data))
        with pytest.raises(files.Refused):
            files.check(altered, keys, "cips-release", min_cell=10)
    # Not even white space can be added: the file is canonical, byte for byte.
    altered.write_bytes(original.replace(b'{"key_id"', b'{ "key_id"', 1))
    with pytest.raises(files.Refused, match="canonical"):
        files.check(altered, keys, "cips-release", min_cell=10)
    files.check(path, keys, "cips-release", min_cell=10)  # the original still passes


def test_a_file_signed_with_another_key_is_refused(cips, tmp_path):
    import_wave(cips, tmp_path)
    cips("keys", "create")
    first = trusted(tmp_path / "keys")
    cips("keys", "create", "--rotate")
    path = export(cips, tmp_path)  # signed with the second key, which the host does not trust
    with pytest.raises(files.Refused, match="does not trust"):
        files.check(path, first, "cips-release", min_cell=10)
    # Claiming the trusted key's id does not help: the signature is not that key's.
    envelope = json.loads(path.read_bytes())
    envelope["key_id"] = next(iter(first))
    path.write_bytes(signing.canonical(envelope))
    with pytest.raises(files.Refused, match="signature does not match"):
        files.check(path, first, "cips-release", min_cell=10)


def numbers(value) -> set[float]:
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return set()
    if isinstance(value, (int, float)):
        return {round(float(value), 6)}
    items = value.values() if isinstance(value, dict) else value
    return set().union(*(numbers(v) for v in items)) if items else set()


def test_no_respondent_level_value_is_in_the_exported_file(cips, tmp_path):
    """Scan: no respondent id, no answer row, no breakdown figure; every number in the file is
    a count or an overall figure of the release as published."""
    frames = import_wave(cips, tmp_path, officials=45, traders=8)
    cips("keys", "create")
    path = export(cips, tmp_path)
    text = path.read_text()
    for frame in frames:
        for respondent in frame["respondent_id"]:
            assert respondent not in text
    payload = json.loads(text)["payload"]
    allowed_keys = {"items", "units", "surveys"}
    assert set(payload) - allowed_keys <= {"kind", "schema_version", "administration", "wave",
                                           "campaigns", "release", "exported_at", "k",
                                           "weighted"}  # fmt: skip
    # The overall figures of the release, recomputed here from the respondents' answers.
    from analysis.frames import Dataset, build_response_set
    from analysis.results import analyze

    data = Dataset()
    for frame, qid in zip(frames, ("cips-officials", "cips-private-sector"), strict=True):
        frame = frame.assign(completed=frame["completed"] == "true")
        data.add(build_response_set(QUESTIONNAIRES[qid], "CI", "2026", frame))
    results = analyze(data, min_cell=10)
    published = set()
    for table in (results.items, results.factors):
        overall = table[(table["group_var"] == "") & ~table["suppressed"]]
        for column in ("n_valid", "n_dk", "n_pna", "n_respondents", "score", "pct_favourable",
                       "pct_unfavourable"):  # fmt: skip
            if column in overall:
                published |= {round(float(v), 6) for v in overall[column].dropna()}
    counts = {float(len(f)) for f in frames} | {float((f["completed"] == "true").sum())
                                                 for f in frames}  # fmt: skip
    assert numbers(payload["items"]) | numbers(payload["units"]) <= published
    assert numbers(payload["surveys"]) <= counts
    # A survey below k shows nothing but suppressed cells: the traders (8) are below 10.
    suppressed = [i for i in payload["items"] if i["suppressed"]]
    assert suppressed and all(i["score"] is None and i["n_valid"] is None for i in suppressed)


@pytest.fixture
def host(monkeypatch, tmp_path):
    """host(): run the next commands on the benchmark host's own database (SQLite)."""
    url = f"sqlite:///{tmp_path / 'host.db'}"
    upgrade(url)

    def switch(to_host: bool = True, exporter_url: str | None = None) -> None:
        monkeypatch.setenv("DATABASE_URL", url if to_host else exporter_url)
        context.settings.cache_clear()

    switch.url = url
    return switch


def host_releases(url: str) -> list[tuple[str, str, str]]:
    db = Database(url)
    try:
        with db.reads() as session:
            rows = session.execute(select(BenchmarkRelease.administration, BenchmarkRelease.wave,
                                          BenchmarkRelease.version))  # fmt: skip
            return sorted(tuple(r) for r in rows)
    finally:
        db.dispose()


def signed(tmp_path, payload: dict, name: str):
    path = tmp_path / name
    path.write_bytes(signing.canonical(signing.sign(payload, tmp_path / "keys")))
    return path


def test_the_host_takes_trusted_releases_once_and_refuses_the_rest(cips, host, database_url,
                                                                    tmp_path):  # fmt: skip
    import_wave(cips, tmp_path)
    cips("keys", "create")
    first = export(cips, tmp_path, name="first.json")
    public = next((tmp_path / "keys").glob("*.pub"))
    payload = json.loads(first.read_bytes())["payload"]

    host()
    refused = cips("benchmark", "import", str(first), ok=False)
    assert "does not trust" in refused.output and host_releases(host.url) == []
    cips("benchmark", "trust", str(public), "--administration", "CI", "--region", "West Africa")
    assert "imported CI wave 2026" in cips("benchmark", "import", str(first)).output
    before = host_releases(host.url)
    again = cips("benchmark", "import", str(first)).output
    assert "already imported; nothing changed" in again and host_releases(host.url) == before

    # Unsigned, schema-invalid, k below ours, another administration's results under CI's key:
    # each refused with its reason, nothing stored.
    unsigned = tmp_path / "unsigned.json"
    unsigned.write_bytes(signing.canonical({"payload": payload}))
    invalid = signed(tmp_path, {**payload, "respondents": [{"respondent_id": "r1"}]}, "bad.json")
    low_k = signed(tmp_path, {**payload, "k": 5}, "low.json")
    other = signed(tmp_path, {**payload, "administration": {"code": "BF", "name": "x"}}, "bf.json")
    reasons = {unsigned: "unsigned", invalid: "not a valid file", low_k: "k = 5, below",
               other: "signed with the key trusted for CI"}  # fmt: skip
    for path, reason in reasons.items():
        result = cips("benchmark", "import", str(path), ok=False)
        assert reason in result.output, result.output
    assert host_releases(host.url) == before

    # A newer release of the wave (another campaign closed in it) supersedes; the older file
    # imported again after it changes nothing.
    host(False, database_url)
    frame = generate_wave(QUESTIONNAIRES["cips-officials"], 20, administration="CI", wave="2026",
                          seed=9)  # fmt: skip
    cips("import", str(write(frame, tmp_path / "more.csv")), "--code", "ci-2026-more")
    second = export(cips, tmp_path, name="second.json")
    host()
    assert "replaced the older release of CI wave 2026" in cips(
        "benchmark", "import", str(second)).output  # fmt: skip
    newer = host_releases(host.url)
    assert newer != before and len(newer) == 1
    assert "is older than the release imported" in cips("benchmark", "import", str(first)).output
    assert host_releases(host.url) == newer

    # Revoked: refused from now on.
    key_id = signing.key_id_of(signing.load_public(public.read_bytes()))
    cips("benchmark", "revoke", key_id)
    assert "was revoked" in cips("benchmark", "import", str(second), ok=False).output


def test_own_administrations_take_part_only_once_their_admin_opted_in(cips, tmp_path):
    from analysis.benchmark.store import participants

    import_wave(cips, tmp_path)

    def taking_part() -> list[tuple[str, str, bool]]:
        db = context.database()
        try:
            with db.reads() as session:
                found = participants(session, QUESTIONNAIRES, 10)
                return [(p.administration, p.region, p.own) for p in found]
        finally:
            db.dispose()

    assert taking_part() == []
    cips("benchmark", "join", "--administration", "CI", "--region", "West Africa")
    assert taking_part() == [("CI", "West Africa", True)]
    cips("benchmark", "leave", "--administration", "CI")
    assert taking_part() == []


def test_a_revoked_signing_key_signs_nothing_more(cips, tmp_path):
    import_wave(cips, tmp_path)
    cips("keys", "create")
    assert "already signs" in cips("keys", "create", ok=False).output  # no silent replacement
    key_id = next((tmp_path / "keys").glob("*.pub")).stem
    cips("keys", "revoke", key_id)
    assert not (tmp_path / "keys" / f"{key_id}.key").exists()
    assert "revoked" in cips("keys", "list").output
    refused = cips("release", "export", "--campaign", "ci-2026-off", "-o",
                   str(tmp_path / "x.json"), ok=False)  # fmt: skip
    assert "no signing key" in refused.output and not (tmp_path / "x.json").exists()
