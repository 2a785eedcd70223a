"""A real Chromium on a 360-px-wide phone screen answers the web survey: in English with the
keyboard alone for one question, going back, closing the page and resuming; in Arabic right to
left; with JavaScript disabled; and in an access-code campaign. Screenshots in
`test-artifacts/`."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import select
from werkzeug.serving import make_server

from survey import access_codes
from survey.storage.models import Campaign, Respondent, RespondentStatus
from tests.browser_support import click_and_wait, shot
from tests.conftest import TEST_SECRET
from tests.web_survey_support import make_campaigns
from web import create_app

pytestmark = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)


@pytest.fixture
def server(db, database_url, tmp_path, monkeypatch):
    make_campaigns(db, tmp_path, monkeypatch)
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


@pytest.fixture
def phone(browser):
    browser.set_window_size(360, 800)
    yield browser
    browser.execute_cdp_cmd("Emulation.setScriptExecutionDisabled", {"value": False})


def by_id(browser, element_id):
    from selenium.webdriver.common.by import By

    return browser.find_element(By.ID, element_id)


def fits(browser) -> None:
    """Nothing wider than the phone: no sideways scrolling."""
    width = browser.execute_script("return document.documentElement.clientWidth")
    scroll = browser.execute_script("return document.documentElement.scrollWidth")
    assert scroll <= width, (scroll, width)


def choose(browser, value: str) -> None:
    from selenium.webdriver.common.by import By

    radio = browser.find_element(By.CSS_SELECTOR, f'input[name="value"][value="{value}"]')
    label = browser.find_element(By.CSS_SELECTOR, f'label[for="{radio.get_attribute("id")}"]')
    label.click()  # by its label, as a finger would
    assert radio.is_selected()
    click_and_wait(browser, by_id(browser, "next"))


def legend(browser) -> str:
    return by_id(browser, "question").text


def answer_rest(browser) -> None:
    """From "asked" to the thanks."""
    from selenium.webdriver.common.by import By

    choose(browser, "no")
    for value in ("online", "office"):
        browser.find_element(By.CSS_SELECTOR, f'input[value="{value}"] + label').click()
    click_and_wait(browser, by_id(browser, "next"))
    by_id(browser, "answer").send_keys("4")
    click_and_wait(browser, by_id(browser, "next"))
    by_id(browser, "answer").send_keys("Queues are long.")
    click_and_wait(browser, by_id(browser, "next"))


def test_a_phone_answers_in_english_with_back_and_resume(server, phone, db):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys

    phone.get(f"{server}/s/small?s=port")
    fits(phone)
    click_and_wait(phone, by_id(phone, "start"))
    assert "Do you agree to take part?" in phone.page_source
    click_and_wait(phone, phone.find_element(By.CSS_SELECTOR, "button.primary"))
    assert legend(phone) == "Your role?" and "Question 1 of 7" in phone.page_source
    shot(phone, "survey-360-1-question")
    fits(phone)
    # The keyboard alone: Tab to the first answer, Space to choose it, Enter to send.
    body = phone.find_element(By.TAG_NAME, "body")
    for _ in range(20):
        body.send_keys(Keys.TAB)
        active = phone.switch_to.active_element
        if active.get_attribute("name") == "value":
            break
    active.send_keys(Keys.SPACE)
    assert active.get_attribute("value") == "broker" and active.is_selected()
    page = phone.find_element(By.TAG_NAME, "html")
    active.send_keys(Keys.ENTER)
    from selenium.webdriver.support.ui import WebDriverWait

    WebDriverWait(phone, 10).until(lambda b: legend(b) == "Rules are published")
    assert page is not None
    choose(phone, "4")
    assert legend(phone) == "Were you asked for a payment?"
    click_and_wait(phone, by_id(phone, "back"))
    assert legend(phone) == "Rules are published"
    assert phone.find_element(By.CSS_SELECTOR, 'input[value="4"]').is_selected()
    # The page is closed and opened again later: the survey continues where it was.
    phone.get("about:blank")
    phone.get(f"{server}/s/small")
    assert legend(phone) == "Rules are published"
    choose(phone, "4")
    answer_rest(phone)
    assert "Thank you!" in phone.page_source
    shot(phone, "survey-360-2-thanks")
    with db.transaction() as session:
        respondent = session.scalars(select(Respondent)).one()
        assert respondent.status == RespondentStatus.COMPLETED
        assert respondent.source_tag == "port"


def test_a_phone_answers_in_arabic_right_to_left_without_javascript(server, phone, db):
    from selenium.webdriver.common.by import By

    phone.execute_cdp_cmd("Emulation.setScriptExecutionDisabled", {"value": True})
    phone.get("data:text/html,<p id=x>off</p><script>x.textContent='on'</script>")
    assert by_id(phone, "x").text == "off"  # scripts really are off
    phone.get(f"{server}/s/small?lang=ar")
    html = phone.find_element(By.TAG_NAME, "html")
    assert html.get_attribute("dir") == "rtl" and html.get_attribute("lang") == "ar"
    click_and_wait(phone, by_id(phone, "start"))
    assert "هل توافق على المشاركة؟" in phone.page_source
    click_and_wait(phone, phone.find_element(By.CSS_SELECTOR, "button.primary"))
    fits(phone)
    # Right to left: the answers' labels sit to the left of their radio buttons.
    radio = phone.find_element(By.ID, "option-1")
    label = phone.find_element(By.CSS_SELECTOR, 'label[for="option-1"]')
    assert label.rect["x"] < radio.rect["x"]
    shot(phone, "survey-360-3-arabic")
    choose(phone, "carrier")
    choose(phone, "5")
    answer_rest(phone)
    assert "شكرًا" in phone.page_source or "شكرا" in phone.page_source
    shot(phone, "survey-360-4-arabic-thanks")
    with db.transaction() as session:
        respondent = session.scalars(select(Respondent)).one()
        assert respondent.language == "ar" and respondent.status == RespondentStatus.COMPLETED


def test_a_phone_answers_with_an_access_code_and_leaves(server, phone, db):
    from selenium.webdriver.common.by import By

    with db.transaction() as session:
        campaign = session.scalars(select(Campaign)).one()
        code = access_codes.generate(session, TEST_SECRET, campaign, 1).codes[0]
    phone.get(f"{server}/s/small")
    by_id(phone, "access-code").send_keys(code.lower())
    click_and_wait(phone, by_id(phone, "start"))
    click_and_wait(phone, phone.find_element(By.CSS_SELECTOR, "button.primary"))
    choose(phone, "broker")
    # Leave a shared computer: the next person finds no survey and no answer, even with Back.
    click_and_wait(phone, by_id(phone, "forget"))
    assert "This browser has forgotten the survey" in phone.page_source
    phone.back()  # the question page, fetched again (no-store): nothing of it is left
    assert phone.find_elements(By.ID, "access-code") and not phone.find_elements(By.ID, "question")
    assert "Your role?" not in phone.page_source
    shot(phone, "survey-360-5-forgotten")


def axe_script() -> str:
    """axe-core (the npm package): `npm install axe-core` in the project folder, or AXE_CORE_JS."""
    import os
    from pathlib import Path

    candidates = [os.environ.get("AXE_CORE_JS", ""),
                  Path(__file__).resolve().parents[1] / "node_modules/axe-core/axe.min.js"]  # fmt: skip
    for candidate in candidates:
        if candidate and Path(candidate).is_file():
            return Path(candidate).read_text(encoding="utf-8")
    pytest.skip("axe-core is needed: npm install axe-core (or set AXE_CORE_JS)")


def serious_violations(browser, script: str) -> list[str]:
    browser.execute_script(script)
    result = browser.execute_async_script(
        "const done = arguments[arguments.length - 1];"
        "axe.run(document, {runOnly: ['wcag2a', 'wcag2aa', 'best-practice']})"
        ".then(r => done(r.violations.map(v => [v.id, v.impact, v.nodes.length])))"
    )
    return [
        f"{id_} ({impact}, {n})" for id_, impact, n in result if impact in ("serious", "critical")
    ]


def test_axe_finds_no_serious_violation(server, phone):
    from selenium.webdriver.common.by import By

    script = axe_script()
    phone.set_script_timeout(60)
    for language in ("en", "ar"):
        phone.get(f"{server}/s/small?lang={language}")
        assert serious_violations(phone, script) == [], language
        click_and_wait(phone, by_id(phone, "start"))
        assert serious_violations(phone, script) == [], language
        click_and_wait(phone, phone.find_element(By.CSS_SELECTOR, "button.primary"))
        assert serious_violations(phone, script) == [], language
        choose(phone, "broker")
        choose(phone, "4")
        choose(phone, "no")
        assert serious_violations(phone, script) == [], language  # checkboxes
        click_and_wait(phone, by_id(phone, "forget"))
        assert serious_violations(phone, script) == [], language
