"""A real headless Chromium against the app in a real server: sign in, create a campaign, watch
its dashboard change as respondents answer through the engine, switch to Arabic, look at it on a
phone-sized screen, then at the results of an imported wave. Screenshots are kept in
`test-artifacts/`."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
from werkzeug.serving import make_server

from analysis.importing import import_file
from analysis.interchange import write
from analysis.synthetic import generate_wave
from survey.campaigns import create_administration
from survey.engine import ConversationEngine
from survey.loader import load_questionnaires
from survey.storage.models import Role
from tests.browser_support import click_and_wait, shot
from tests.conftest import TEST_SECRET
from tests.engine_driver import Respondent as Person
from tests.web_support import PASSWORD, add_user
from web import create_app


@pytest.fixture
def server(db, database_url, monkeypatch):
    monkeypatch.setenv("TELEGRAM_BOT_USERNAME", "cips_test_bot")
    with db.transaction() as session:
        admin = create_administration(session, "CI", "Douanes ivoiriennes", "Africa/Abidjan",
                                      ["en", "fr", "es", "ar", "pt"])  # fmt: skip
        add_user(session, "awa", Role.COORDINATOR, admin)
    app = create_app(
        {"DATABASE_URL": database_url, "SESSION_COOKIE_SECURE": False, "WTF_CSRF_SSL_STRICT": False}
    )
    http = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=http.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{http.server_port}"
    http.shutdown()
    thread.join(5)
    app.extensions["cips"].db.dispose()


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_a_coordinator_runs_a_campaign_in_the_browser(server, browser, db):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select

    def text(element_id: str) -> str:
        return browser.find_element(By.ID, element_id).text

    browser.get(f"{server}/campaigns")
    assert "/login" in browser.current_url
    browser.find_element(By.NAME, "username").send_keys("awa")
    browser.find_element(By.NAME, "password").send_keys(PASSWORD)
    click_and_wait(browser, browser.find_element(By.ID, "sign-in"))
    click_and_wait(browser, browser.find_element(By.ID, "new-campaign"))
    Select(browser.find_element(By.NAME, "questionnaire")).select_by_value("cips-officials")
    browser.find_element(By.NAME, "wave").send_keys("2026")
    browser.find_element(By.NAME, "code").send_keys("ci-browser")
    browser.find_element(By.NAME, "target_population").send_keys("120")
    shot(browser, "1-new-campaign")
    click_and_wait(browser, browser.find_element(By.ID, "save-campaign"))
    assert browser.current_url.endswith("/campaigns/ci-browser")
    assert "https://t.me/cips_test_bot?start=ci-browser" in browser.page_source
    shot(browser, "2-campaign")

    click_and_wait(browser, browser.find_element(By.ID, "open-dashboard"))
    assert (text("kpi-started"), text("kpi-completed")) == ("0", "0")

    engine = ConversationEngine(db, load_questionnaires(), TEST_SECRET)
    for number in range(3):
        person = Person(engine, f"browser-{number}", language_hint="en")
        person.join("ci-browser")
        if number < 2:
            person.answer_everything()
    browser.refresh()
    assert (text("kpi-started"), text("kpi-completed")) == ("3", "2")
    assert text("kpi-completion") == "66.7%"
    shot(browser, "3-dashboard")

    click_and_wait(browser, browser.find_element(By.ID, "lang-ar"))
    html = browser.find_element(By.TAG_NAME, "html")
    assert (html.get_attribute("dir"), html.get_attribute("lang")) == ("rtl", "ar")
    assert "أين يتوقف المشاركون" in browser.page_source
    assert text("kpi-started") == "3"
    # Mirrored: the language switcher sits at the left end of the bar in Arabic.
    switcher = browser.find_element(By.CSS_SELECTOR, "nav.languages").rect
    brand = browser.find_element(By.CSS_SELECTOR, ".brand").rect
    assert switcher["x"] < brand["x"]
    shot(browser, "4-dashboard-arabic")

    browser.set_window_size(390, 844)
    browser.refresh()
    overflow = browser.execute_script(
        "return document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )
    assert overflow <= 0, "the dashboard fits a phone's width"
    shot(browser, "5-dashboard-phone")

    # An earlier wave comes from tablets; this wave's campaign is open, so it has no scores yet.
    frame = generate_wave(load_questionnaires()["cips-officials"], 30, administration="CI",
                          wave="2025", seed=1)  # fmt: skip
    write(frame, Path("officials-2025.csv"))
    with db.transaction() as session:
        import_file(session, Path("officials-2025.csv"), load_questionnaires()["cips-officials"])
    click_and_wait(browser, browser.find_element(By.ID, "open-results"))
    assert browser.find_element(By.ID, "results-empty").is_displayed()
    Select(browser.find_element(By.ID, "wave")).select_by_value("2025")
    click_and_wait(browser, browser.find_element(By.ID, "show-results"))
    assert browser.current_url.endswith("/results/CI/2025")
    charts = browser.find_elements(By.CSS_SELECTOR, ".result-chart img")
    assert charts and all(
        browser.execute_script("return arguments[0].complete && arguments[0].naturalWidth", c)
        for c in charts
    ), "the charts load under the page's content security policy"
    overflow = browser.execute_script(
        "return document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )
    assert overflow <= 0, "the results fit a phone's width"
    shot(browser, "6-results-arabic-phone")
