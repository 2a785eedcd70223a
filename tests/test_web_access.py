"""Who may see and do what: every route, every role, own and other administration.

Someone of one administration gets 404 for everything of another (pages and API), as if it did
not exist; an action their role does not allow answers 403; nobody signed in is sent to sign in.
"""

from __future__ import annotations

import pytest
from sqlalchemy import select

from survey.storage.models import ApiToken, Campaign, CampaignSource, User
from tests.web_support import csrf_token

# (method, path; {campaign} is filled in): the routes of a campaign.
CAMPAIGN_READS = ["/campaigns/{c}", "/campaigns/{c}/dashboard", "/campaigns/{c}/qr.png",
                  "/campaigns/{c}/qr.svg", "/campaigns/{c}/poster", "/campaigns/{c}/dashboard.csv",
                  "/campaigns/{c}/dashboard.xlsx", "/campaigns/{c}/web-qr.png",
                  "/campaigns/{c}/weights"]  # fmt: skip
CAMPAIGN_WRITES = [
    ("GET", "/campaigns/{c}/edit"),
    ("POST", "/campaigns/{c}/edit"),
    ("POST", "/campaigns/{c}/open"),
    ("GET", "/campaigns/{c}/close"),  # the confirmation page
    ("POST", "/campaigns/{c}/close"),
    ("POST", "/campaigns/{c}/sources"),
    ("POST", "/campaigns/{c}/sources/port/remove"),
    ("POST", "/campaigns/{c}/archive"),
    ("POST", "/campaigns/{c}/unarchive"),
    ("GET", "/campaigns/{c}/next-wave"),
    ("POST", "/campaigns/{c}/next-wave"),
    ("GET", "/campaigns/{c}/delete"),
    ("POST", "/campaigns/{c}/delete"),
    ("POST", "/campaigns/{c}/codes"),
    ("POST", "/campaigns/{c}/codes.csv"),
    ("POST", "/campaigns/{c}/codes.pdf"),
    ("POST", "/campaigns/{c}/weights"),  # population margins (tests/test_weights_web.py)
    ("POST", "/campaigns/{c}/weights/clear"),
]
API_CAMPAIGN = ["/api/v1/campaigns/{c}", "/api/v1/campaigns/{c}/dashboard"]
# The results of an administration's wave ({a}); the respondent-level file, which has role and
# closing rules of its own, is tested in test_web_results.py.
RESULT_READS = ["/results/{a}/2026", "/results/{a}/2026/results.xlsx"]
RESULT_ROUTES = {"/results", "/results/<administration>/<wave>",
                 "/results/<administration>/<wave>/results.xlsx",
                 "/results/<administration>/<wave>/charts/<name>.<any(png, svg):fmt>",
                 "/results/<administration>/<wave>/responses/<questionnaire>.<any(csv, xlsx):fmt>",
                 # Roles, scope and sign-in of these two: tests/test_results_complete.py.
                 "/results/<administration>/<wave>/breakdowns/<survey>/<question>",
                 "/results/<administration>/<wave>/free-text"}  # fmt: skip
EDIT_DATA = {"remind_after": "24h", "remind_every": "48h", "max_reminders": "3",
             "quiet_hours": "20-08", "last_call": "24h", "target_population": "300"}  # fmt: skip
# The user's own two-factor sign-in (tests/test_web_two_factor.py: enrolment, codes).
TWO_FACTOR_PAGES = ["/account/2fa", "/account/2fa/qr.svg"]
TWO_FACTOR_POSTS = ["/account/2fa/start", "/account/2fa/confirm", "/account/2fa/recovery-codes"]
# The audit log, admins only (the 403s for the other roles: tests/test_audit_actions.py).
AUDIT_PAGES = ["/audit", "/audit.csv"]
# The web survey is public on purpose: respondents sign in to nothing (tests/test_web_survey.py,
# tests/test_web_access_codes.py).
RESPONDENT_ROUTES = ["/s/<code>", "/s/<code>/start", "/s/<code>/forget"]
# The Mini App: public too, its respondent proven by Telegram's signed initData and the form
# token (tests/test_miniapp.py).
RESPONDENT_ROUTES += ["/tg/app", "/tg/app/enter"]
# /healthz is public on purpose (probes; it tells only "ok", "database" or "migrations"):
# tests/test_health.py.
# The benchmark page and downloads: tests/test_benchmark_web.py tries them for every role, and
# every other GET route as the benchmark role (403); the opt-in form (/benchmark/members) is for
# admins only, 403 for every other role.
BENCHMARK_ROUTES = ["/benchmark", "/benchmark/benchmark.<any(csv, xlsx, json):fmt>",
                    "/benchmark/chart-<any(officials, private_sector):survey>.png",
                    "/benchmark/members"]  # fmt: skip
OTHER_ROUTES = {"/healthz", "/", "/login", "/logout", "/language/<code>", "/static/<path:filename>",
                "/campaigns", "/campaigns/new", "/administrations", "/administrations/new",
                "/administrations/<code>/edit", "/account/tokens",
                "/account/tokens/<int:token_id>/revoke", "/api/v1/campaigns",
                "/login/code", *TWO_FACTOR_PAGES, *TWO_FACTOR_POSTS, *AUDIT_PAGES,
                *RESPONDENT_ROUTES, *BENCHMARK_ROUTES}  # fmt: skip

pytest_plugins = ["tests.web_fixtures"]


def _fill(path: str, code: str) -> str:
    return path.replace("{c}", code)


def test_every_route_is_in_this_file(world):
    covered = {p.replace("{c}", "<code>").replace("web-qr.png", "web-qr.<fmt>")
               for p in CAMPAIGN_READS + API_CAMPAIGN}  # fmt: skip
    covered |= {p.replace("{c}", "<code>").replace("/port/", "/<tag>/") for _, p in CAMPAIGN_WRITES}
    routes = {rule.rule for rule in world.app.url_map.iter_rules()}
    covered |= RESULT_ROUTES
    assert routes - covered - OTHER_ROUTES == set(), "a new route needs its permission tests"


def _campaign_state(world, code: str) -> tuple:
    with world.db.transaction() as session:
        c = session.scalar(select(Campaign).where(Campaign.code == code))
        tags = tuple(
            session.scalars(select(CampaignSource.tag).where(CampaignSource.campaign_id == c.id))
        )
        return (c.closed_at, c.opens_at, c.target_population, c.archived_at, tags)  # fmt: skip


@pytest.mark.parametrize("username", ["ci-coordinator", "ci-analyst"])
def test_nothing_of_another_administration_is_reachable(world, signed_in, username):
    client = signed_in(username)
    token = csrf_token(client.get("/account/tokens").text)
    theirs = world.campaigns["BF"]
    before = _campaign_state(world, theirs)
    for path in CAMPAIGN_READS:
        assert client.get(_fill(path, theirs)).status_code == 404, path
    for path in RESULT_READS:
        assert client.get(path.replace("{a}", "BF")).status_code == 404, path
    for method, path in CAMPAIGN_WRITES:
        data = {"csrf_token": token, "label": "Port", "tag": "port2", **EDIT_DATA}
        response = client.open(_fill(path, theirs), method=method, data=data)
        assert response.status_code == 404, (method, path)
    assert _campaign_state(world, theirs) == before, "nothing changed"
    # Their campaign is not listed, their administration neither.
    listing = client.get("/campaigns").text
    assert world.campaigns["CI"] in listing and theirs not in listing
    administrations = client.get("/administrations").text
    assert "Douanes ivoiriennes" in administrations and "Burkina" not in administrations
    # Unknown and foreign look the same.
    assert client.get("/campaigns/no-such-campaign").status_code == 404
    # The API, with this user's own token.
    headers = {"Authorization": f"Bearer {world.tokens[username]}"}
    for path in API_CAMPAIGN:
        assert client.get(_fill(path, theirs), headers=headers).status_code == 404, path
        assert client.get(_fill(path, world.campaigns["CI"]), headers=headers).status_code == 200
    listed = client.get("/api/v1/campaigns", headers=headers).get_json()["campaigns"]
    assert [c["code"] for c in listed] == [world.campaigns["CI"]]


def test_admin_sees_every_administration(world, signed_in):
    client = signed_in("admin")
    for code in world.campaigns.values():
        for path in CAMPAIGN_READS:
            assert client.get(_fill(path, code)).status_code == 200, path
        assert client.get(_fill("/campaigns/{c}/edit", code)).status_code == 200
    for administration in world.campaigns:
        for path in RESULT_READS:
            assert client.get(path.replace("{a}", administration)).status_code == 200, path
    headers = {"Authorization": f"Bearer {world.tokens['admin']}"}
    listed = client.get("/api/v1/campaigns", headers=headers).get_json()["campaigns"]
    assert sorted(c["code"] for c in listed) == sorted(world.campaigns.values())
    for path in ("/administrations/new", "/administrations/CI/edit", "/administrations/BF/edit"):
        assert client.get(path).status_code == 200


def test_analysts_read_but_change_nothing(world, signed_in):
    client = signed_in("ci-analyst")
    ours = world.campaigns["CI"]
    token = csrf_token(client.get("/account/tokens").text)
    for path in CAMPAIGN_READS:
        assert client.get(_fill(path, ours)).status_code == 200, path
    for path in RESULT_READS:
        assert client.get(path.replace("{a}", "CI")).status_code == 200, path
    before = _campaign_state(world, ours)
    for method, path in CAMPAIGN_WRITES:
        data = {"csrf_token": token, "label": "Port", "tag": "port2", **EDIT_DATA}
        assert client.open(_fill(path, ours), method=method, data=data).status_code == 403, path
    assert _campaign_state(world, ours) == before
    for path in ("/campaigns/new", "/administrations/new", "/administrations/CI/edit"):
        assert client.get(path).status_code == 403, path
    page = client.get(f"/campaigns/{ours}").text
    assert "Close now" not in page and "Edit" not in page and "Add a channel" not in page


def test_coordinators_manage_their_own_campaigns_only(world, signed_in):
    client = signed_in("ci-coordinator")
    ours = world.campaigns["CI"]
    token = csrf_token(client.get("/account/tokens").text)
    assert client.get("/campaigns/new").status_code == 200
    for path in ("/administrations/new", "/administrations/CI/edit", "/administrations/BF/edit"):
        assert client.get(path).status_code == 403, path
    steps = [
        ("/campaigns/{c}/sources", {"label": "Port", "tag": "port"}),
        ("/campaigns/{c}/edit", EDIT_DATA),
        ("/campaigns/{c}/close", {}),
        ("/campaigns/{c}/open", {}),
        ("/campaigns/{c}/sources/port/remove", {}),
    ]
    for path, data in steps:
        response = client.post(_fill(path, ours), data={"csrf_token": token, **data})
        assert response.status_code == 302, (path, response.text)
    closed_at, _, target, _, tags = _campaign_state(world, ours)
    assert (closed_at, target, tags) == (None, 300, ())
    # The campaign form offers only the coordinator's own administration.
    form = client.get("/campaigns/new").text
    assert 'value="CI"' in form and 'value="BF"' not in form
    response = client.post("/campaigns/new", data={
        "csrf_token": token, "administration": "BF", "questionnaire": "cips-officials",
        "wave": "2027", **EDIT_DATA})  # fmt: skip
    assert response.status_code == 400
    with world.db.transaction() as session:
        assert session.scalar(select(Campaign).where(Campaign.wave == "2027")) is None


def test_signed_out_visitors_are_sent_to_sign_in(world):
    client = world.app.test_client()
    code = world.campaigns["CI"]
    paths = [_fill(p, code) for p in CAMPAIGN_READS] + [
        "/campaigns", "/campaigns/new", "/administrations", "/administrations/new",
        "/account/tokens", _fill("/campaigns/{c}/edit", code), "/results", *TWO_FACTOR_PAGES,
    ] + [p.replace("{a}", "CI") for p in RESULT_READS]  # fmt: skip
    for path in paths:
        response = client.get(path)
        assert response.status_code == 302 and "/login" in response.location, path
    token = csrf_token(client.get("/login").text)
    for path in [p for _, p in CAMPAIGN_WRITES] + TWO_FACTOR_POSTS:
        response = client.post(_fill(path, code), data={"csrf_token": token})
        assert response.status_code == 302 and "/login" in response.location, path
    for path in ["/api/v1/campaigns"] + [_fill(p, code) for p in API_CAMPAIGN]:
        assert client.get(path).status_code == 401
        bad = {"Authorization": "Bearer cips_not-a-token"}
        assert client.get(path, headers=bad).status_code == 401


def test_every_form_needs_its_csrf_token(world, signed_in):
    client = signed_in("admin")
    code = world.campaigns["CI"]
    posts = [_fill(p, code) for _, p in CAMPAIGN_WRITES] + [
        "/campaigns/new", "/administrations/new", "/administrations/CI/edit", "/account/tokens",
        "/logout", "/login", *TWO_FACTOR_POSTS,
    ]  # fmt: skip
    before = _campaign_state(world, code)
    for path in posts:
        response = client.post(path, data={"label": "x", "tag": "x", **EDIT_DATA})
        assert response.status_code == 400, path
        assert "expired or was not sent from this site" in response.text
        bad = client.post(path, data={"csrf_token": "forged", **EDIT_DATA})
        assert bad.status_code == 400, path
    assert _campaign_state(world, code) == before


def test_tokens_belong_to_their_user(world, signed_in):
    with world.db.transaction() as session:
        bf_user = session.scalar(select(User).where(User.username == "bf-analyst"))
        foreign = session.scalar(select(ApiToken.id).where(ApiToken.user_id == bf_user.id))
    client = signed_in("ci-analyst")
    token = csrf_token(client.get("/account/tokens").text)
    response = client.post(f"/account/tokens/{foreign}/revoke", data={"csrf_token": token})
    assert response.status_code == 404
    headers = {"Authorization": f"Bearer {world.tokens['bf-analyst']}"}
    assert client.get("/api/v1/campaigns", headers=headers).status_code == 200


def test_the_openapi_file_documents_every_api_route(world):
    import json

    spec = json.loads(world.app.test_client().get("/static/openapi.json").data)
    documented = {"/api/v1" + path.replace("{code}", "<code>") for path in spec["paths"]}
    routes = {r.rule for r in world.app.url_map.iter_rules() if r.rule.startswith("/api/")}
    assert documented == routes
