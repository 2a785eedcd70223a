"""Campaigns in the browser's place: create, edit, open, close, channels, QR codes, poster,
and the dashboard and its API showing the database's figures."""

from __future__ import annotations

import datetime as dt
import io

import png
import qrcode
from sqlalchemy import func, select

from survey.campaign_editing import source_link
from survey.dashboard import campaign_dashboard
from survey.engine import ConversationEngine
from survey.loader import load_questionnaires
from survey.storage.models import Campaign, Contact, SealedResponse
from tests.conftest import TEST_SECRET
from tests.engine_driver import Respondent as Person
from tests.web_support import BOT, post_form

# Dates relative to today: the campaign opens in a month (so it is "scheduled") and runs a month.
OPENS = dt.datetime.combine(
    dt.datetime.now(dt.UTC).date() + dt.timedelta(days=30), dt.time(8, 0), dt.UTC
)
CLOSES = OPENS + dt.timedelta(days=30, hours=10)
NEW = {"administration": "CI", "questionnaire": "cips-private-sector", "wave": "2026-2",
       "code": "ci-traders", "opens_at": f"{OPENS:%Y-%m-%dT%H:%M}",
       "closes_at": f"{CLOSES:%Y-%m-%dT%H:%M}",
       "target_population": "800", "target_margin": "4", "remind_after": "2d",
       "remind_every": "3d", "max_reminders": "2", "quiet_hours": "21-07", "last_call": "off"}  # fmt: skip

pytest_plugins = ["tests.web_fixtures"]


def campaign(world, code: str) -> Campaign:
    with world.db.transaction() as session:
        found = session.scalar(select(Campaign).where(Campaign.code == code))
        found.sources  # noqa: B018 (loaded while the session is open)
        return found


def test_creating_and_editing_a_campaign(world, signed_in):
    client = signed_in("ci-coordinator")
    response = post_form(client, "/campaigns/new", "/campaigns/new", NEW)
    assert response.status_code == 302 and response.location == "/campaigns/ci-traders"
    created = campaign(world, "ci-traders")
    # Local times of the administration (Abidjan is UTC+0); the reminder policy as typed.
    assert created.opens_at == OPENS
    assert (created.target_population, created.target_margin) == (800, 4.0)
    assert (created.remind_after_s, created.remind_every_s, created.max_reminders) == (
        172800,
        259200,
        2,
    )
    assert (created.quiet_start_hour, created.quiet_end_hour, created.last_call_before_s) == (
        21,
        7,
        None,
    )
    page = client.get("/campaigns/ci-traders").text
    assert "Campaign ci-traders created." in page and "scheduled" in page
    form = client.get("/campaigns/ci-traders/edit").text
    assert (
        f'value="{OPENS:%Y-%m-%dT%H:%M}"' in form and 'value="2d"' in form and 'value="off"' in form
    )
    edited = {**NEW, "target_population": "900", "last_call": "12h", "closes_at": ""}
    response = post_form(client, "/campaigns/ci-traders/edit", "/campaigns/ci-traders/edit", edited)
    assert response.status_code == 302
    changed = campaign(world, "ci-traders")
    assert (changed.target_population, changed.last_call_before_s, changed.closes_at) == (
        900,
        43200,
        None,
    )
    # The same code again is refused, with the reason next to the field.
    again = post_form(client, "/campaigns/new", "/campaigns/new", NEW)
    assert again.status_code == 400 and "This campaign code is taken" in again.text


def test_bad_input_is_explained_and_nothing_is_saved(world, signed_in):
    client = signed_in("ci-coordinator")
    bad = {**NEW, "wave": "two thousand", "closes_at": f"{OPENS - dt.timedelta(days=1):%Y-%m-%dT%H:%M}", "remind_after": "soon",
           "quiet_hours": "25-99", "target_population": "many", "target_margin": "0"}  # fmt: skip
    response = post_form(client, "/campaigns/new", "/campaigns/new", bad)
    assert response.status_code == 400
    for message in ("Up to 32 letters, digits", "The campaign must close after it opens",
                    "Use a duration such as 30m, 24h or 2d", "Use two hours from 0 to 23",
                    "Please enter a whole number", "Between 0.5 and 25"):  # fmt: skip
        assert message in response.text, message
    # In French, the same mistakes are explained in French.
    client.get("/language/fr")
    response = post_form(client, "/campaigns/new", "/campaigns/new", bad)
    assert "Utilisez une durée comme 30m, 24h ou 2d" in response.text
    assert "Use a duration" not in response.text
    with world.db.transaction() as session:
        assert session.scalar(select(func.count()).select_from(Campaign)) == 2


def test_closing_forgets_contacts_and_reopens_only_what_was_not_released(world, signed_in):
    code = world.campaigns["CI"]
    engine = ConversationEngine(world.db, load_questionnaires(), TEST_SECRET)
    person = Person(engine, "4242", language_hint="en")
    person.command("start", code)  # reads the consent, decides nothing yet
    with world.db.transaction() as session:
        assert session.scalar(select(func.count()).select_from(Contact)) == 1
    client = signed_in("ci-coordinator")
    response = post_form(client, f"/campaigns/{code}", f"/campaigns/{code}/close", {})
    assert response.status_code == 302
    with world.db.transaction() as session:
        assert session.scalar(select(func.count()).select_from(Contact)) == 0
    assert campaign(world, code).closed_at is not None
    assert "closed" in client.get(f"/campaigns/{code}").text
    Person(engine, "4343").command("start", code)
    # Closed without a response: nothing was released, so it may reopen.
    post_form(client, f"/campaigns/{code}", f"/campaigns/{code}/open", {})
    assert campaign(world, code).closed_at is None
    newcomer = Person(engine, "4444", language_hint="en")
    newcomer.command("start", code)
    assert newcomer.prompt.kind.name == "CONSENT"
    newcomer.press("Yes, I agree")
    newcomer.press(newcomer.prompt.buttons[0].value)
    # Closed with a response (sealed as cut off): released, and a release never changes.
    post_form(client, f"/campaigns/{code}", f"/campaigns/{code}/close", {})
    with world.db.transaction() as session:
        assert session.scalar(select(func.count()).select_from(SealedResponse)) == 1
    refused = post_form(client, f"/campaigns/{code}", f"/campaigns/{code}/open", {})
    assert "results are released, so it cannot reopen" in client.get(refused.location).text
    assert campaign(world, code).closed_at is not None


def _decode_png(data: bytes) -> list[list[bool]]:
    width, _, rows, info = png.Reader(file=io.BytesIO(data)).asDirect()
    pixels = [list(row) for row in rows]
    white = 2 ** info["bitdepth"] - 1
    size = width // 10
    return [[pixels[y * 10 + 5][(x * 10 + 5) * info["planes"]] < white / 2 for x in range(size)]
            for y in range(size)]  # fmt: skip


def test_channels_links_qr_codes_and_poster(world, signed_in):
    code = world.campaigns["CI"]
    client = signed_in("ci-coordinator")
    add = post_form(client, f"/campaigns/{code}", f"/campaigns/{code}/sources",
                    {"label": "Port of Abidjan poster", "tag": "port-abidjan"})  # fmt: skip
    assert add.status_code == 302
    page = client.get(f"/campaigns/{code}").text
    link = source_link(BOT, code, "port-abidjan")
    assert link.endswith(f"?start={code}__port-abidjan") and link in page
    # A refused channel: the campaign page again, the error under the field, what was typed kept.
    for tag, error in (("brokers assoc", "1 to 32 lower-case letters, digits or -."),
                       ("port-abidjan", "already used in this campaign")):  # fmt: skip
        refused = post_form(client, f"/campaigns/{code}", f"/campaigns/{code}/sources",
                            {"label": "Brokers association", "tag": tag})  # fmt: skip
        assert refused.status_code == 400
        form = refused.text.split('action="/campaigns/' + code + '/sources"')[1].split("</form>")[0]
        tag_field = form.split('for="tag"')[1]
        assert 'class="error">' in tag_field and error in tag_field
        assert f'value="{tag}"' in form and 'value="Brokers association"' in form
        assert refused.text.count(error) == 1  # by the field, not also in a flash
        assert error not in client.get(f"/campaigns/{code}").text  # said once, where it belongs
    # The PNG holds exactly the QR code of the channel's link.
    image = client.get(f"/campaigns/{code}/qr.png?source=port-abidjan")
    assert image.mimetype == "image/png"
    expected = qrcode.QRCode(border=4)
    expected.add_data(link)
    expected.make(fit=True)
    assert _decode_png(image.data) == expected.get_matrix()
    plain = client.get(f"/campaigns/{code}/qr.svg")
    tagged = client.get(f"/campaigns/{code}/qr.svg?source=port-abidjan&download=1")
    assert plain.mimetype == "image/svg+xml" and b"<svg" in plain.data and plain.data != tagged.data
    assert "attachment" in tagged.headers["Content-Disposition"]
    assert client.get(f"/campaigns/{code}/qr.png?source=unknown").status_code == 404
    # The poster: one block per language of the administration, Arabic right to left.
    poster = client.get(f"/campaigns/{code}/poster?source=port-abidjan").text
    assert link in poster
    for text in (
        "Your opinion counts",
        "Votre avis compte",
        "Su opinión cuenta",
        "A sua opinião conta",
    ):
        assert text in poster, text
    assert 'lang="ar" dir="rtl"' in poster and 'lang="fr" dir="ltr"' in poster
    remove = post_form(
        client, f"/campaigns/{code}", f"/campaigns/{code}/sources/port-abidjan/remove", {}
    )
    assert remove.status_code == 302 and link not in client.get(f"/campaigns/{code}").text


def test_dashboard_page_and_api_show_the_database(world, signed_in):
    code = world.campaigns["CI"]
    engine = ConversationEngine(world.db, load_questionnaires(), TEST_SECRET)
    for number in range(3):
        person = Person(engine, f"p{number}", language_hint="en")
        person.join(code)
        if number == 0:
            person.answer_everything()
    client = signed_in("ci-analyst")
    page = client.get(f"/campaigns/{code}/dashboard").text
    assert 'id="kpi-started">3<' in page and 'id="kpi-completed">1<' in page
    assert 'id="kpi-completion">33.3%<' in page
    assert "No reminders yet." in page
    assert "&lt;10" in page, "the small English group is suppressed"
    # Fewer than k have started: no day chart (no bar, no scale that would read "1"), and why.
    assert '<svg class="chart"' not in page and 'id="daily-too-few"' in page
    api = client.get(f"/api/v1/campaigns/{code}/dashboard",
                     headers={"Authorization": f"Bearer {world.tokens['ci-analyst']}"}).get_json()  # fmt: skip
    with world.db.transaction() as session:
        found = session.scalar(select(Campaign).where(Campaign.code == code))
        direct = campaign_dashboard(
            session, found, load_questionnaires()["cips-officials"], min_cell=10
        ).as_json()
    assert {k: v for k, v in api.items() if k != "as_of"} == {
        k: v for k, v in direct.items() if k != "as_of"
    }
    assert api["totals"]["started"] == 3 and api["by_language"][0]["started"] is None


def test_reminder_durations_are_written_in_the_pages_language(world, signed_in):
    """Not the compact '1d' / '30s' typed in the forms: 'après 1 jour', 'بعد 30 ثانية'."""
    code = world.campaigns["CI"]
    with world.db.transaction() as session:
        found = session.scalar(select(Campaign).where(Campaign.code == code))
        found.remind_after_s, found.remind_every_s, found.last_call_before_s = 86400, 172800, 30
    client = signed_in("ci-coordinator")
    client.get("/language/fr")
    # CLDR keeps a number and its unit together (a no-break space in some languages).
    french = client.get(f"/campaigns/{code}").text.replace("\xa0", " ")
    assert "après 1 jour, puis tous les 2 jours" in french and "30 secondes" in french
    client.get("/language/ar")
    arabic = client.get(f"/campaigns/{code}").text.replace("\xa0", " ")
    assert "30 ثانية" in arabic and "30s" not in arabic and "1d" not in arabic
    client.get("/language/en")
    english = client.get(f"/campaigns/{code}").text.replace("\xa0", " ")
    assert "after 1 day, then every 2 days" in english and "last call 30 seconds" in english
    # The edit form keeps the compact syntax one types.
    assert 'value="1d"' in client.get(f"/campaigns/{code}/edit").text
