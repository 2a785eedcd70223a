"""`cips keys rotate`: after a rotation of CIPS_SECRET_KEY, encrypt the stored chat addresses again
under the new key (survey.key_rotation), and say which campaigns still need the old keys.

Exit status 1 when some address cannot be read with any kept key: an old key was dropped from
CIPS_OLD_SECRET_KEYS too early (README, "Rotating CIPS_SECRET_KEY").
"""

from __future__ import annotations

import datetime as dt

import click

from cips.cli import context


@click.group("keys")
def keys() -> None:
    """CIPS_SECRET_KEY and its old keys (CIPS_OLD_SECRET_KEYS)."""


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
