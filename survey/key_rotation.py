"""After a rotation of CIPS_SECRET_KEY: the stored tokens encrypted again under the new key.

What can be recomputed is: the encrypted chat addresses of the contacts (conversations under way)
and of the outbox (messages waiting for Telegram) are read with any kept key and encrypted with
the current one (MultiFernet.rotate, which keeps each token's timestamp), so that the old key no
longer opens anything in the database. What cannot: a keyed hash is not reversible, so contact
hashes are rewritten by the engine when their person next writes, and participation marks are
left as they are (looked up under every kept key until their campaign closes).

Each batch is one short transaction, and each row is rewritten only if its token is still the
one read (compare and set), so this runs safely beside the bot: a row the bot changed or deleted
meanwhile is left to it. A token that no kept key can read is counted, never deleted: its key
was dropped from CIPS_OLD_SECRET_KEYS too early and must be put back.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import select, update

from survey.anonymity import ChatCipher
from survey.storage.db import Database
from survey.storage.models import Campaign, CampaignStatus, Contact, Outbox

BATCH = 500


@dataclass(frozen=True)
class Rotated:
    """What one rotation did, per table: tokens encrypted again, and tokens no kept key reads."""

    contacts: int = 0
    outbox: int = 0
    unreadable_contacts: int = 0
    unreadable_outbox: int = 0

    @property
    def unreadable(self) -> int:
        return self.unreadable_contacts + self.unreadable_outbox


def rotate_tokens(db: Database, cipher: ChatCipher, batch: int = BATCH) -> Rotated:
    """Encrypt every stored chat address not under the current key again under it."""
    contacts, unreadable_contacts = _rotate(db, cipher, Contact, batch)
    outbox, unreadable_outbox = _rotate(db, cipher, Outbox, batch)
    return Rotated(contacts, outbox, unreadable_contacts, unreadable_outbox)


def _rotate(db: Database, cipher: ChatCipher, table: type[Contact | Outbox], batch: int):
    rotated = unreadable = 0
    after = None
    while True:
        query = select(table.id, table.chat_secret).where(table.chat_secret.is_not(None))
        if after is not None:
            query = query.where(table.id > after)
        with db.transaction() as session:
            rows = session.execute(query.order_by(table.id).limit(batch)).all()
            for id_, token in rows:
                if cipher.is_current(token):
                    continue
                try:
                    new = cipher.rotate(token)
                except ValueError:
                    unreadable += 1
                    continue
                done = session.execute(
                    update(table)
                    .where(table.id == id_, table.chat_secret == token)
                    .values(chat_secret=new)
                )
                rotated += done.rowcount
        if len(rows) < batch:
            return rotated, unreadable
        after = rows[-1][0]


def open_campaigns(db: Database, now: dt.datetime) -> list[str]:
    """Codes of the campaigns open now: people may have started them under an old key (their
    contact hashes and marks), so that key is needed until these have closed."""
    with db.sessions() as session:
        campaigns = session.scalars(select(Campaign).order_by(Campaign.code)).all()
        return [c.code for c in campaigns if c.status(now) is CampaignStatus.OPEN]
