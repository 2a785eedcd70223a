"""Reading a signed benchmark file and deciding whether to take it: the checks, in the order a
forger would have to pass them, each refusal said in a sentence.

1. JSON, an envelope `{payload, signature, key_id}` and nothing else (else: unsigned);
2. the key is trusted here, and not revoked;
3. the signature is that key's over the payload's canonical bytes (else: altered);
4. the payload is valid against its JSON Schema (`schema/<kind>-<schema_version>.schema.json`:
   a release of version 1 or 2, a benchmark of version 1);
5. for a release: it was suppressed with a k at least ours, and it is the administration's
   that the key was trusted for (a key cannot speak for another administration).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import jsonschema

from analysis.benchmark import signing
from analysis.benchmark.payload import schema

ENVELOPE_KEYS = {"payload", "signature", "key_id"}
# kind -> schema_version -> schema: version 1 releases (before `weighted`) are still taken.
SCHEMAS = {
    "cips-release": {1: "release-1", 2: "release-2"},
    "cips-benchmark": {1: "benchmark-1"},
}


class Refused(Exception):
    """A file not taken, and why."""


@dataclass(frozen=True)
class Trusted:
    """A trusted public key, as the host stored it."""

    key_id: str
    public_key: bytes  # raw 32 bytes
    kind: str  # "administration" or "host"
    administration: str | None
    region: str | None
    revoked: bool


@dataclass(frozen=True)
class Accepted:
    envelope: dict
    payload: dict
    key: Trusted
    digest: str  # SHA-256 of the payload's canonical bytes


@cache
def _validator(name: str) -> jsonschema.protocols.Validator:
    document = schema(name)
    cls = jsonschema.validators.validator_for(document)
    return cls(document, format_checker=cls.FORMAT_CHECKER)


def schema_problems(payload: object) -> list[str]:
    """What is wrong with `payload` against its schema (empty: valid)."""
    kind = payload.get("kind") if isinstance(payload, dict) else None
    if kind not in SCHEMAS:
        return [f"unknown kind {kind!r} (expected one of {', '.join(sorted(SCHEMAS))})"]
    version = payload.get("schema_version")
    if isinstance(version, bool) or version not in SCHEMAS[kind]:
        known = ", ".join(map(str, SCHEMAS[kind]))
        return [f"schema_version: {version!r} is not one this installation reads ({known})"]
    errors = sorted(
        _validator(SCHEMAS[kind][version]).iter_errors(payload), key=lambda e: list(e.path)
    )
    return [f"{'/'.join(map(str, e.path)) or '(top)'}: {e.message}" for e in errors[:5]]


def read(path: Path) -> dict:
    """The envelope of the file at `path`; `Refused` when it is not one."""
    try:
        envelope = json.loads(path.read_bytes())
        signing.canonical(envelope)
    except (UnicodeDecodeError, json.JSONDecodeError, ValueError) as exc:
        raise Refused(f"{path.name}: not a JSON file ({exc}); refused") from exc
    if not isinstance(envelope, dict) or set(envelope) != ENVELOPE_KEYS:
        raise Refused(
            f"{path.name}: unsigned or not a CIPS file: expected exactly payload, signature and "
            "key_id; refused"
        )
    if path.read_bytes().rstrip(b"\n") != signing.canonical(envelope):
        raise Refused(f"{path.name}: altered: a signed file is the canonical JSON (RFC 8785) of "
                      "its envelope, byte for byte; refused")  # fmt: skip
    return envelope


def check(
    path: Path, trusted: dict[str, Trusted], kind: str, min_cell: int | None = None
) -> Accepted:
    """The file's envelope and payload if it passes every check (module docstring)."""
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

    envelope = read(path)
    key_id = envelope["key_id"]
    key = trusted.get(key_id) if isinstance(key_id, str) else None
    if key is None:
        raise Refused(f"{path.name}: signed with key {key_id}, which this installation does not "
                      "trust (cips benchmark trust KEYFILE ...); refused")  # fmt: skip
    if key.revoked:
        raise Refused(f"{path.name}: signed with key {key_id}, which was revoked; refused")
    public = Ed25519PublicKey.from_public_bytes(key.public_key)
    if not isinstance(envelope["signature"], str) or not signing.verify(envelope, public):
        raise Refused(f"{path.name}: the signature does not match its content (altered, or "
                      f"not signed by key {key_id}); refused")  # fmt: skip
    payload = envelope["payload"]
    if problems := schema_problems(payload):
        raise Refused(f"{path.name}: not a valid file: " + "; ".join(problems) + "; refused")
    if payload["kind"] != kind:
        raise Refused(f"{path.name}: a {payload['kind']} file where a {kind} file was expected; "
                      "refused")  # fmt: skip
    if kind == "cips-release":
        if key.kind != "administration" or payload["administration"]["code"] != key.administration:
            raise Refused(f"{path.name}: the results of {payload['administration']['code']}, "
                          f"signed with the key trusted for {key.administration or 'a host'}; "
                          "refused")  # fmt: skip
        if min_cell is not None and payload["k"] < min_cell:
            raise Refused(f"{path.name}: small cells suppressed with k = {payload['k']}, below "
                          f"this installation's k = {min_cell}; refused")  # fmt: skip
    elif key.kind != "host":
        raise Refused(f"{path.name}: a benchmark signed with an administration's key, not a "
                      "host's; refused")  # fmt: skip
    digest = hashlib.sha256(signing.canonical(payload)).hexdigest()
    return Accepted(envelope, payload, key, digest)
