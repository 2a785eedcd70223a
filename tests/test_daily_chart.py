"""The per-day chart at low counts (issue 22, item 6): while few people answer each day, every day
would be hidden (fewer than k) and the chart empty; the days are grouped instead until no group
is hidden, every group shown holds at least k, and below k in all the page says why it is empty."""

from __future__ import annotations

import datetime as dt
import html
import itertools
import re
from collections import Counter

from hypothesis import given, settings
from hypothesis import strategies as st

from survey import daily
from survey.dashboard import days_grouped
from survey.storage.models import Campaign

pytest_plugins = ["tests.web_fixtures"]

K = 10
DAY = dt.date(2026, 3, 2)  # any day: the figures depend on the counts, not on the date


def days(*counts: int) -> Counter:
    return Counter({DAY + dt.timedelta(days=i): n for i, n in enumerate(counts) if n})


def test_five_a_day_go_by_two_days():
    rows = days_grouped(
        days(5, 5, 5, 5, 5, 5), days(4, 3, 5, 2, 6, 4), K, DAY + dt.timedelta(days=5)
    )
    assert [(r.label, r.days, r.started, r.completed) for r in rows] == [
        ("2026-03-02/2026-03-03", 2, 10, None),  # completed 7, 7, 10: the two 7s are hidden
        ("2026-03-04/2026-03-05", 2, 10, None),
        ("2026-03-06/2026-03-07", 2, 10, 10),
    ]


def test_enough_each_day_stays_day_by_day():
    rows = days_grouped(days(12, 0, 15), days(10, 0, 11), K, DAY + dt.timedelta(days=2))
    assert [(r.date, r.days, r.started, r.completed) for r in rows] == [
        (DAY, 1, 12, 10), (DAY + dt.timedelta(days=1), 1, 0, 0), (DAY + dt.timedelta(days=2), 1, 15, 11),
    ]  # fmt: skip


def test_fewer_than_k_in_all_hides_every_day():
    rows = days_grouped(days(3, 4, 2), days(1, 2), K, DAY + dt.timedelta(days=2))
    assert [(r.days, r.started) for r in rows] == [(1, None)] * 3


def test_a_slow_month_is_shown_by_the_week_and_the_rest():
    started = days(*[2] * 30)  # 2 a day: 14 a week; the first two days join the first week
    rows = days_grouped(started, Counter(), K, DAY + dt.timedelta(days=29))
    assert [(r.days, r.started) for r in rows] == [(9, 18), (7, 14), (7, 14), (7, 14)]
    assert rows[-1].label == "2026-03-25/2026-03-31"


@settings(max_examples=200, deadline=None)
@given(st.lists(st.integers(0, 15), min_size=1, max_size=40))
def test_every_group_shown_holds_k_and_the_days_add_up(counts):
    started = days(*counts)
    if not started:
        return
    until = DAY + dt.timedelta(days=len(counts) - 1)
    rows = days_grouped(started, started, K, until)
    assert all(r.started is None or r.started == 0 or r.started >= K for r in rows)
    assert all(r.days == rows[-1].days for r in rows[1:]) and rows[0].days < 2 * rows[-1].days
    assert rows[0].date == min(started) and rows[-1].last == until
    assert all(a.last + dt.timedelta(days=1) == b.date for a, b in itertools.pairwise(rows))
    if sum(counts) >= K:  # something is always shown, and nothing hidden
        assert all(r.started is not None for r in rows)
        assert sum(r.started for r in rows) == sum(counts)
    else:  # nobody shown (an empty day may show its 0)
        assert not any(r.started for r in rows)


def test_the_dashboard_draws_the_grouped_days(world, signed_in):
    today = dt.datetime.now(dt.UTC).date()
    with world.db.transaction() as session:
        campaign = session.query(Campaign).filter_by(code=world.campaigns["CI"]).one()
        for back in range(4):  # 6 a day for the last four days: hidden day by day
            daily.count(
                session, campaign.id, today - dt.timedelta(days=back), started=6, completed=6
            )
    page = html.unescape(
        signed_in("ci-coordinator").get(f"/campaigns/{world.campaigns['CI']}/dashboard").text
    )
    assert 'id="daily-grouped"' in page and "The days are grouped by 2 (" in page
    assert len(re.findall(r'class="bar-started"><title>[^<]*: Started 12<', page)) == 2
    assert "daily-too-few" not in page


def test_the_dashboard_says_why_it_draws_nothing(world, signed_in):
    today = dt.datetime.now(dt.UTC).date()
    with world.db.transaction() as session:
        campaign = session.query(Campaign).filter_by(code=world.campaigns["CI"]).one()
        daily.count(session, campaign.id, today, started=4, completed=1)
    client = signed_in("ci-coordinator")
    client.get("/language/fr")
    page = html.unescape(client.get(f"/campaigns/{world.campaigns['CI']}/dashboard").text)
    assert 'id="daily-too-few"' in page
    assert "Moins de 10 personnes ont commencé" in page and 'class="bar-started"' not in page
