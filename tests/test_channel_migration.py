"""Migration 0016_channel_counts on a database with responses: each response under way gets the
channel its contact says (a Telegram contact the chat, a web one the access code in a campaign
that asks for codes, else the link), responses sealed before count as not recorded, and the
triggers keep the live counters from then on."""

from __future__ import annotations

from collections import Counter

import pytest
from sqlalchemy import text

from survey.storage.db import Database
from survey.storage.migrate import upgrade

# (respondent, status, campaign, contact's channel or None: finished, its contact gone)
LIVE = [("r1", "in_progress", "open", "telegram"), ("r2", "completed", "open", "telegram"),
        ("r3", "in_progress", "open", "web"), ("r4", "in_progress", "codes", "web"),
        ("r5", "completed", "open", None)]  # fmt: skip


def counts(db: Database) -> Counter:
    with db.engine.connect() as connection:
        return Counter({
            (code, sealed, status, channel): n
            for code, sealed, status, channel, n in connection.execute(text(
                "SELECT c.code, k.sealed, k.status, k.channel, k.n FROM channel_counts k "
                "JOIN campaigns c ON c.id = k.campaign_id WHERE k.n <> 0"))
        })  # fmt: skip


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_existing_responses_get_their_channel_and_the_triggers_keep_count(
    backend, tmp_path, request
):
    if backend == "sqlite":
        url = f"sqlite:///{tmp_path / 'old.db'}"
    else:
        url = request.getfixturevalue("empty_postgres_url")
    upgrade(url, "0016_channel_counts-1")
    db = Database(url)
    with db.engine.begin() as connection:
        connection.execute(text("INSERT INTO administrations (code, name, timezone, languages, "
                                "created_at) VALUES ('A', 'A', 'UTC', 'en', '2026-11-01')"))  # fmt: skip
        for code in ("open", "codes"):
            connection.execute(text(
                "INSERT INTO campaigns (code, administration_id, questionnaire_id, "
                "questionnaire_version, wave, remind_after_s, remind_every_s, max_reminders, "
                "quiet_start_hour, quiet_end_hour, created_at, web_access) SELECT :code, id, "
                "'q', '1', '1', 1, 1, 1, 20, 8, '2026-11-01', :code FROM administrations"),
                {"code": code})  # fmt: skip
        ids = dict(connection.execute(text("SELECT code, id FROM campaigns")).all())
        for respondent, status, campaign, channel in LIVE:
            connection.execute(text(
                "INSERT INTO respondents (id, campaign_id, language, status, started_on, "
                "updated_on) VALUES (:id, :c, 'en', :s, '2026-11-02', '2026-11-02')"),
                {"id": respondent, "c": ids[campaign], "s": status})  # fmt: skip
            if channel is not None:
                connection.execute(text(
                    "INSERT INTO contacts (id, campaign_id, channel, user_hash, respondent_id, "
                    "stage, last_progress_at, reminders_sent, unreachable) VALUES (:id, :c, :ch, "
                    ":h, :r, 'answering', '2026-11-02 10:00:00+00', 0, false)"),
                    {"id": "c" + respondent, "c": ids[campaign], "ch": channel,
                     "h": "h" + respondent, "r": respondent})  # fmt: skip
        connection.execute(text(
            "INSERT INTO sealed_responses (id, campaign_id, batch, language, status) "
            "VALUES ('s1', :c, 1, 'en', 'completed'), ('s2', :c, 1, 'en', 'cut_off')"),
            {"c": ids["open"]})  # fmt: skip
    upgrade(url)
    assert counts(db) == Counter({
        ("open", 0, "in_progress", "chat"): 1, ("open", 0, "completed", "chat"): 1,
        ("open", 0, "in_progress", "web"): 1, ("codes", 0, "in_progress", "code"): 1,
        ("open", 0, "completed", ""): 1,  # its contact was gone: the channel is not known
        ("open", 1, "completed", ""): 1, ("open", 1, "cut_off", ""): 1,
    })  # fmt: skip
    # The triggers keep the live part: a status change, a deletion, a new respondent.
    with db.engine.begin() as connection:
        connection.execute(text("UPDATE respondents SET status = 'withdrawn' WHERE id = 'r1'"))
        connection.execute(text("DELETE FROM respondents WHERE id = 'r4'"))
        connection.execute(text(
            "INSERT INTO respondents (id, campaign_id, language, status, channel, started_on, "
            "updated_on) VALUES ('r6', :c, 'en', 'in_progress', 'miniapp', '2026-11-03', "
            "'2026-11-03')"), {"c": ids["codes"]})  # fmt: skip
    after = counts(db)
    assert after[("open", 0, "withdrawn", "chat")] == 1
    assert after[("open", 0, "in_progress", "chat")] == 0
    assert after[("codes", 0, "in_progress", "code")] == 0
    assert after[("codes", 0, "in_progress", "miniapp")] == 1
    db.dispose()
