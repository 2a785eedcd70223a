"""Ed25519 signing keys of this installation, kept as files, and the signed envelope.

The keys live in CIPS_SIGNING_KEYS_DIR (default `signing-keys/` in the working folder, beside
the default SQLite file), never in the database, whose readers must not be able to sign: each
private key in `<key id>.key` (PKCS #8 PEM, mode 0600, folder 0700), its public key in
`<key id>.pub` (the file a host trusts), and `keys.json` saying which key signs (the active one)
and which were retired (rotated out) or revoked. A key id is the first 32 hex digits of the
SHA-256 of the raw 32-byte public key.

An envelope is `{"payload": ..., "signature": ..., "key_id": ...}`: the signature (base64) is
over the payload's canonical JSON bytes (RFC 8785, the `rfc8785` package), so that any
installation re-serializing the payload checks the same bytes. The file itself is the canonical
JSON of the envelope, so that no byte of it can change unnoticed (not even white space).
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import json
import os
from dataclasses import dataclass
from pathlib import Path

import rfc8785
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

STATE = "keys.json"


class SigningKeyError(Exception):
    """A key store problem, said in a sentence for the operator."""


@dataclass(frozen=True)
class KeyInfo:
    key_id: str
    created_at: str
    retired_at: str | None
    revoked_at: str | None
    active: bool
    public_path: Path


def keys_dir() -> Path:
    return Path(os.environ.get("CIPS_SIGNING_KEYS_DIR") or "signing-keys")


def canonical(payload: object) -> bytes:
    """The payload's canonical JSON bytes (RFC 8785)."""
    return rfc8785.dumps(payload)


def raw_public(public: Ed25519PublicKey) -> bytes:
    return public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def key_id_of(public: Ed25519PublicKey | bytes) -> str:
    raw = public if isinstance(public, bytes) else raw_public(public)
    return hashlib.sha256(raw).hexdigest()[:32]


def load_public(data: bytes) -> Ed25519PublicKey:
    """A public key from a PEM file's bytes; `SigningKeyError` if it is not an Ed25519 public key."""
    try:
        key = serialization.load_pem_public_key(data)
    except ValueError as exc:
        raise SigningKeyError("not a PEM public key file") from exc
    if not isinstance(key, Ed25519PublicKey):
        raise SigningKeyError("not an Ed25519 public key")
    return key


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


def _state(folder: Path) -> dict:
    path = folder / STATE
    return json.loads(path.read_text()) if path.exists() else {"active": None, "keys": {}}


def _write_state(folder: Path, state: dict) -> None:
    temporary = folder / (STATE + ".new")
    temporary.write_text(json.dumps(state, indent=2, sort_keys=True))
    temporary.replace(folder / STATE)


def list_keys(folder: Path | None = None) -> list[KeyInfo]:
    folder = folder or keys_dir()
    state = _state(folder)
    return [
        KeyInfo(
            key_id,
            info["created_at"],
            info.get("retired_at"),
            info.get("revoked_at"),
            key_id == state["active"],
            folder / f"{key_id}.pub",
        )
        for key_id, info in sorted(state["keys"].items(), key=lambda kv: kv[1]["created_at"])
    ]


def create_key(folder: Path | None = None, rotate: bool = False) -> KeyInfo:
    """A new signing key, made the active one; with `rotate`, the active one is retired (files
    it signed stay valid); without, an active key already there is refused."""
    folder = folder or keys_dir()
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    state = _state(folder)
    if state["active"] and not rotate:
        raise SigningKeyError(
            f"this installation already signs with key {state['active']}: "
            "`cips keys create --rotate` replaces it"
        )
    private = Ed25519PrivateKey.generate()
    key_id = key_id_of(private.public_key())
    pem = private.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption())  # fmt: skip
    # Created 0600 from the start: never readable by others, not even for an instant.
    descriptor = os.open(folder / f"{key_id}.key", os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "wb") as file:
        file.write(pem)
    public_pem = private.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    (folder / f"{key_id}.pub").write_bytes(public_pem)
    if state["active"]:
        state["keys"][state["active"]]["retired_at"] = _now()
    state["keys"][key_id] = {"created_at": _now()}
    state["active"] = key_id
    _write_state(folder, state)
    return next(k for k in list_keys(folder) if k.key_id == key_id)


def revoke_key(key_id: str, folder: Path | None = None) -> KeyInfo:
    """Mark a key revoked (it signs nothing more; tell the hosts that trust it). Its private
    key file is deleted."""
    folder = folder or keys_dir()
    state = _state(folder)
    if key_id not in state["keys"]:
        raise SigningKeyError(f"no signing key {key_id} in {folder}")
    state["keys"][key_id]["revoked_at"] = _now()
    if state["active"] == key_id:
        state["active"] = None
    _write_state(folder, state)
    (folder / f"{key_id}.key").unlink(missing_ok=True)
    return next(k for k in list_keys(folder) if k.key_id == key_id)


def active_key(folder: Path | None = None) -> tuple[str, Ed25519PrivateKey]:
    folder = folder or keys_dir()
    state = _state(folder)
    if not state["active"]:
        raise SigningKeyError(
            f"no signing key in {folder.resolve()}: create one with `cips keys create` "
            "(CIPS_SIGNING_KEYS_DIR says where keys are kept)"
        )
    key_id = state["active"]
    private = serialization.load_pem_private_key((folder / f"{key_id}.key").read_bytes(), None)
    assert isinstance(private, Ed25519PrivateKey)
    return key_id, private


def sign(payload: dict, folder: Path | None = None) -> dict:
    """The envelope of `payload`, signed with the active key."""
    key_id, private = active_key(folder)
    signature = private.sign(canonical(payload))
    return {"payload": payload, "signature": base64.b64encode(signature).decode(), "key_id": key_id}


def verify(envelope: dict, public: Ed25519PublicKey) -> bool:
    """Whether the envelope's signature is the key's over its payload's canonical bytes."""
    try:
        signature = base64.b64decode(envelope["signature"], validate=True)
        if base64.b64encode(signature).decode() != envelope["signature"]:
            return False  # another spelling of the same bytes: the file was altered
        public.verify(signature, canonical(envelope["payload"]))
    except (InvalidSignature, ValueError, rfc8785.CanonicalizationError):
        return False
    return True
