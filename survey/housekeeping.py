"""What the clock does besides reminders: closing campaigns on time, and purging what anonymity
says must go (DESIGN.md, "Anonymity").

- A campaign whose closing time has passed is closed: its contact records (the only link from a
  Telegram account to a response) are deleted, with any reminder still waiting for them, and
  every response left is sealed (survey.sealing).
- A contact that never consented (it holds an encrypted chat address and nothing else) is deleted
  after `ABANDONED_AFTER` without activity.
- The bot's record of handled updates is deleted after a day.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from survey.campaign_editing import close_now
from survey.storage.models import Campaign, Contact, HandledUpdate, Outbox

ABANDONED_AFTER = dt.timedelta(days=7)
HANDLED_UPDATES_KEPT = dt.timedelta(days=1)


def close_due_campaigns(session: Session, now: dt.datetime, k: int) -> list[str]:
    """Close (and seal) every campaign whose time is up; their codes. Once committed, the
    caller runs `survey.sealing.wipe`."""
    due = session.scalars(
        select(Campaign)
        .where(Campaign.closes_at <= now, Campaign.closed_at.is_(None))
        .with_for_update(skip_locked=True, of=Campaign)
    ).all()
    for campaign in due:
        contact_ids = select(Contact.id).where(Contact.campaign_id == campaign.id)
        session.execute(delete(Outbox).where(Outbox.contact_id.in_(contact_ids)))
        close_now(session, campaign, now, k)
    return [campaign.code for campaign in due]


def purge(session: Session, now: dt.datetime) -> dict[str, int]:
    """Delete what is no longer needed; how many of each."""
    abandoned = session.execute(
        delete(Contact).where(
            Contact.respondent_id.is_(None), Contact.last_progress_at < now - ABANDONED_AFTER
        )
    ).rowcount
    updates = session.execute(
        delete(HandledUpdate).where(HandledUpdate.handled_at < now - HANDLED_UPDATES_KEPT)
    ).rowcount
    return {"abandoned contacts": abandoned, "handled updates": updates}
