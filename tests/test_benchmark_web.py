"""The benchmark page and its role (issue 23, item 4): a `benchmark` analyst sees the benchmark
(aggregates, chart, downloads) and nothing of any campaign: every other page of the app answers
403 (each GET route of the app tried with real campaign, administration and wave values), no
API token works for it; admins see the page too, coordinators and analysts do not."""

from __future__ import annotations

import pytest

from analysis.importing import import_file
from analysis.interchange import write
from analysis.synthetic import generate_wave
from survey.loader import load_questionnaires
from survey.storage.models import Role
from tests.web_support import add_user, sign_in
from web.users import AccountError, create_token

pytest_plugins = ["tests.web_fixtures"]
QUESTIONNAIRES = load_questionnaires()


@pytest.fixture
def bench_world(world, tmp_path):
    """CI's and BF's 2026 officials imported (released), both opted in, and a benchmark user."""
    from analysis.benchmark.store import join

    with world.db.transaction() as session:
        for seed, code in enumerate(("CI", "BF")):
            frame = generate_wave(QUESTIONNAIRES["cips-officials"], 40, administration=code,
                                  wave="2026", seed=seed)  # fmt: skip
            path = write(frame, tmp_path / f"{code}.csv")
            import_file(session, path, QUESTIONNAIRES["cips-officials"])
        add_user(session, "bench", Role.BENCHMARK, None)
    with world.db.transaction() as session:
        join(session, "CI", "West Africa")
        join(session, "BF", "West Africa")
    return world


def client_of(world, username):
    client = world.app.test_client()
    assert sign_in(client, username).status_code == 302
    return client


def test_the_benchmark_role_sees_the_benchmark(bench_world):
    client = client_of(bench_world, "bench")
    page = client.get("/benchmark")
    assert page.status_code == 200
    assert "2 administrations take part." in page.text
    assert "2 administrations with at least 10 respondents; 5 needed" in page.text
    assert 'id="benchmark-chart-officials"' in page.text
    assert client.get("/benchmark/chart-officials.png").data.startswith(b"\x89PNG")
    for fmt in ("csv", "xlsx", "json"):
        response = client.get(f"/benchmark/benchmark.{fmt}")
        assert response.status_code == 200 and response.data
    assert "Customs officials" in client.get("/benchmark", headers={"Accept-Language": "en"}).text
    french = client.get("/language/fr?next=/benchmark", follow_redirects=True)
    assert "Comparaison entre administrations" in french.text
    # The home page sends it to the benchmark.
    assert client.get("/").headers["Location"].endswith("/benchmark")


def _get_routes(app):
    for rule in app.url_map.iter_rules():
        if "GET" in rule.methods and not rule.endpoint.startswith(("benchmark.", "static")):
            yield rule


def test_the_benchmark_role_gets_403_on_every_other_page(bench_world):
    """The attack: a benchmark analyst tries every page of the app with real values."""
    client = client_of(bench_world, "bench")
    values = {"code": bench_world.campaigns["CI"], "campaign": bench_world.campaigns["CI"],
              "administration": "CI", "wave": "2026", "fmt": "csv", "name": "factors",
              "question": "q1", "survey": "officials", "token_id": "1", "id": "1"}  # fmt: skip
    allowed = {"auth.", "two_factor.", "health.", "respond.", "miniapp.", "local_telegram.", "api.",
               "chat."}  # fmt: skip
    tried = 0
    adapter = bench_world.app.url_map.bind("localhost")
    for rule in _get_routes(bench_world.app):
        if rule.endpoint.startswith(tuple(allowed)) or rule.endpoint in ("language", "index"):
            continue
        arguments = {name: values.get(name, "x") for name in rule.arguments}
        for fmt in ("csv", "png", "pdf", "xlsx", "json", "svg", "md", "sav", "dta", "zip"):
            try:
                url = adapter.build(rule.endpoint, {**arguments, "fmt": fmt} if "fmt" in
                                    arguments else arguments)  # fmt: skip
                break
            except ValueError:
                continue
        response = client.get(url)
        assert response.status_code == 403, (rule.endpoint, url, response.status_code)
        tried += 1
    assert tried > 20
    # The respondents' pages are public on purpose: they show a survey, never answers.


def test_the_benchmark_role_has_no_api_access(bench_world):
    from sqlalchemy import select

    from survey.storage.models import ApiToken, User

    with bench_world.db.transaction() as session:
        user = session.scalar(select(User).where(User.username == "bench"))
        with pytest.raises(AccountError):
            create_token(session, user, "script")
        # A token made while the account had another role stops working once it is a benchmark
        # analyst's.
        user.role = Role.ANALYST
        user.administration_id = session.scalar(select(User.administration_id).where(
            User.username == "ci-analyst"))  # fmt: skip
        token = create_token(session, user, "script")
        user.role, user.administration_id = Role.BENCHMARK, None
        assert session.scalar(select(ApiToken.id).where(ApiToken.user_id == user.id))
    client = bench_world.app.test_client()
    response = client.get("/api/v1/campaigns", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 401


@pytest.mark.parametrize("username, status", [("admin", 200), ("ci-analyst", 403),
                                              ("ci-coordinator", 403)])  # fmt: skip
def test_who_else_sees_the_benchmark(bench_world, username, status):
    assert client_of(bench_world, username).get("/benchmark").status_code == status


def test_an_admin_opts_an_administration_in_and_out(world):
    """Own administrations take part only when an admin opts them in (here on the page);
    nobody else may."""
    from analysis.benchmark.store import participants
    from tests.web_support import post_form

    def taking_part() -> list[tuple[str, str]]:
        with world.db.reads() as session:
            return [(p.administration, p.region)
                    for p in participants(session, QUESTIONNAIRES, 10)]  # fmt: skip

    with world.db.transaction() as session:
        frame = generate_wave(QUESTIONNAIRES["cips-officials"], 30, administration="CI",
                              wave="2026", seed=3)  # fmt: skip
        import_file(session, write(frame, "ci.csv"), QUESTIONNAIRES["cips-officials"])
        add_user(session, "bench", Role.BENCHMARK, None)
    for username, page in (("bench", "/benchmark"), ("ci-coordinator", "/campaigns"),
                           ("ci-analyst", "/campaigns")):  # fmt: skip
        response = post_form(client_of(world, username), page, "/benchmark/members",
                             {"administration": "CI", "region": "West", "action": "join"})  # fmt: skip
        assert response.status_code == 403, username
    assert taking_part() == []
    admin = client_of(world, "admin")
    page = admin.get("/benchmark")
    assert 'id="member-CI"' in page.text
    join = post_form(admin, "/benchmark", "/benchmark/members",
                     {"administration": "CI", "region": "West Africa", "action": "join"})  # fmt: skip
    assert join.status_code == 302
    assert taking_part() == [("CI", "West Africa")]
    post_form(
        admin, "/benchmark", "/benchmark/members", {"administration": "CI", "action": "leave"}
    )
    assert taking_part() == []
