"""`cips keys rotate`: after a rotation of CIPS_SECRET_KEY, encrypt the stored chat addresses again
under the new key (survey.key_rotation), and say which campaigns still need the old keys.
`cips keys create|list|revoke`: the Ed25519 keys that sign this installation's release and
benchmark files (analysis.benchmark.signing: files in CIPS_SIGNING_KEYS_DIR, not the database).

Exit status 1 when some address cannot be read with any kept key: an old key was dropped from
CIPS_OLD_SECRET_KEYS too early (README, "Rotating CIPS_SECRET_KEY").
"""

from __future__ import annotations

import datetime as dt

import click

from cips.cli import context


@click.group("keys")
def keys() -> None:
    """CIPS_SECRET_KEY and its old keys (CIPS_OLD_SECRET_KEYS); the Ed25519 keys that sign
    release and benchmark files (create, list, revoke)."""


@keys.command("rotate")
def rotate() -> None:
    """Encrypt every stored chat address again under CIPS_SECRET_KEY (run after a rotation)."""
    from survey.anonymity import ChatCipher
    from survey.key_rotation import open_campaigns, rotate_tokens

    settings = context.settings()
    db = context.database()
    try:
        done = rotate_tokens(db, ChatCipher(settings.secret_key, settings.old_secret_keys))
        still_open = open_campaigns(db, dt.datetime.now(dt.UTC))
    finally:
        db.dispose()
    click.echo(
        f"encrypted again under CIPS_SECRET_KEY: {done.contacts} conversation(s) under way, "
        f"{done.outbox} message(s) waiting"
    )
    if still_open:
        click.echo(
            "keep the old keys in CIPS_OLD_SECRET_KEYS until these campaigns have closed (people "
            "who started them before the rotation are found under the old key): "
            + ", ".join(still_open)
        )
    else:
        click.echo("no campaign is open: the old keys can be dropped from CIPS_OLD_SECRET_KEYS")
    if done.unreadable:
        raise click.ClickException(
            f"{done.unreadable_contacts} conversation(s) and {done.unreadable_outbox} message(s) "
            "hold a chat address that neither CIPS_SECRET_KEY nor any key of CIPS_OLD_SECRET_KEYS "
            "can read: an old key was dropped too early. Put it back in CIPS_OLD_SECRET_KEYS "
            "(nothing was deleted); until then those people get no reminders and the bot drops "
            "those messages."
        )


@keys.command("create")
@click.option("--rotate", is_flag=True,
              help="Replace the active signing key (files it signed stay valid where trusted).")  # fmt: skip
def create(rotate: bool) -> None:
    """Create the Ed25519 key that signs this installation's release and benchmark files.

    The private key is written to CIPS_SIGNING_KEYS_DIR (default ./signing-keys) with mode
    0600, never into the database; give the public key file (.pub) to the benchmark host."""
    from analysis.benchmark import signing

    try:
        made = signing.create_key(rotate=rotate)
    except signing.SigningKeyError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"signing key {made.key_id} created; give its public key to the benchmark host: "
               f"{made.public_path}")  # fmt: skip


@keys.command("list")
def list_() -> None:
    """The signing keys: active, retired by a rotation, or revoked."""
    from analysis.benchmark import signing

    found = signing.list_keys()
    if not found:
        click.echo("no signing key yet: cips keys create")
    for key in found:
        state = ("revoked " + key.revoked_at if key.revoked_at else
                 "retired " + key.retired_at if key.retired_at else
                 "active" if key.active else "")  # fmt: skip
        click.echo(f"{key.key_id}  created {key.created_at}  {state}  {key.public_path}")


@keys.command("revoke")
@click.argument("key_id")
def revoke(key_id: str) -> None:
    """Revoke a signing key (deletes its private key); tell the hosts that trust it to revoke
    it too (cips benchmark revoke KEY_ID)."""
    from analysis.benchmark import signing

    try:
        signing.revoke_key(key_id)
    except signing.SigningKeyError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"signing key {key_id} revoked; hosts that trust it: cips benchmark revoke "
               f"{key_id}; then cips keys create for a new one")  # fmt: skip
