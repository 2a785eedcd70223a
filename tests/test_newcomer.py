"""A newcomer's first minutes, in a real headless Chromium: `cips run` started as the README
says (fresh folder, no settings, no bot token), the chat page used to answer a whole survey as a
respondent would, then the dashboard, signed in with the password `cips run` printed, shows the
response. Screenshots are kept in `test-artifacts/`."""

from __future__ import annotations

import re
import time
from pathlib import Path

import pytest

from tests.browser_support import click_and_wait, shot
from tests.cli_support import CipsProcess, newcomer_env

WELCOME = re.compile(r"cips is running: (http://\S+)/\n.*?with the password (\S+)")


@pytest.fixture
def cips_run(tmp_path: Path):
    """`cips run --port 0` in an empty folder, with none of cips's variables set."""
    cips = CipsProcess(tmp_path, "run", "--port", "0")
    found = cips.wait_for(WELCOME.pattern + r".*polling")
    yield found.group(1), found.group(2), cips.log
    cips.interrupt()


def _answer_until_the_end(browser) -> int:
    """Answer every question on the chat page like a person; returns the number of answers."""
    from selenium.webdriver.common.by import By

    answers, answered = 0, None
    for _ in range(250):
        last = browser.find_elements(By.CSS_SELECTOR, "li.message.bot")[-1]
        # The card is edited in place: the same message with the same text is the question
        # just answered.
        shown = (last.get_attribute("data-message-id"), last.text)
        if shown == answered:
            # The page came back before the next question (a slow moment): look again, as a
            # person would.
            time.sleep(0.3)
            click_and_wait(browser, browser.find_element(By.ID, "refresh"))
            continue
        answered = shown
        buttons = last.find_elements(By.CSS_SELECTOR, ".keyboard button")
        values = [b.get_attribute("value") for b in buttons]
        if "c||yes" in values:
            click_and_wait(browser, buttons[values.index("c||yes")])
            continue
        ticks = [b for b, v in zip(buttons, values, strict=True) if v.startswith("t|")]
        options = [b for b, v in zip(buttons, values, strict=True) if v.startswith("a|")]
        if ticks:  # several choices: tick one, then Done
            click_and_wait(browser, ticks[0])
            last = browser.find_elements(By.CSS_SELECTOR, "li.message.bot")[-1]
            click_and_wait(browser, last.find_element(By.CSS_SELECTOR, "button[value^='d|']"))
        elif options:
            click_and_wait(browser, options[answers % min(len(options), 5)])
        elif "Thank you" in last.text:
            return answers
        else:  # a free-text question (perhaps with a Skip button): type the answer
            browser.find_element(By.ID, "text").send_keys("Queues at the border post are long.")
            click_and_wait(browser, browser.find_element(By.ID, "send"))
        answers += 1
    raise AssertionError("the survey did not end")


def test_a_newcomer_answers_in_the_chat_page_and_sees_the_dashboard(cips_run, browser):
    from selenium.webdriver.common.by import By

    url, password, log = cips_run
    browser.get(f"{url}/chat")
    assert "stands in for the Telegram app" in browser.find_element(By.ID, "stand-in").text
    click_and_wait(browser, browser.find_element(By.ID, "start-demo"))
    assert "Do you agree to take part?" in browser.page_source
    shot(browser, "newcomer-1-chat")
    answers = _answer_until_the_end(browser)
    assert answers > 40
    shot(browser, "newcomer-2-thanks")

    # The same chat page in Arabic, as someone else: right to left, the bot in Arabic.
    click_and_wait(browser, browser.find_element(By.ID, "new-person"))
    click_and_wait(browser, browser.find_element(By.ID, "lang-ar"))
    click_and_wait(browser, browser.find_element(By.ID, "start-demo-traders"))
    html = browser.find_element(By.TAG_NAME, "html")
    assert html.get_attribute("dir") == "rtl"
    bot_says = browser.find_elements(By.CSS_SELECTOR, "li.message.bot")[-1].text
    assert "هل توافق على المشاركة؟" in bot_says, bot_says
    shot(browser, "newcomer-3-chat-arabic")
    click_and_wait(browser, browser.find_element(By.ID, "lang-en"))

    browser.get(f"{url}/campaigns/demo/dashboard")
    browser.find_element(By.NAME, "username").send_keys("admin")
    browser.find_element(By.NAME, "password").send_keys(password)
    click_and_wait(browser, browser.find_element(By.ID, "sign-in"))
    assert browser.current_url.endswith("/campaigns/demo/dashboard")
    assert browser.find_element(By.ID, "kpi-completed").text == "1"
    shot(browser, "newcomer-4-dashboard")
    # The scores of the wave: none while the campaign is open (they are released when it
    # closes), and the page says so.
    click_and_wait(browser, browser.find_element(By.LINK_TEXT, "Scores of this wave"))
    assert "No released responses yet" in browser.find_element(By.ID, "results-empty").text
    # The campaign's page offers its link in the chat page, opened as the deep link would be.
    browser.get(f"{url}/campaigns/demo-traders")
    click_and_wait(browser, browser.find_element(By.ID, "local-chat-demo-traders"))
    assert browser.find_element(By.ID, "start").text == "Start"
    # The bot's token never reaches the log; nor does the respondent's chat id.
    assert "local-telegram/bot" not in log.read_text()


def test_with_a_token_cips_run_connects_the_real_bot_instead(tmp_path):
    """TELEGRAM_BOT_TOKEN set: the bot talks to Telegram (here the fake) and no chat page."""
    import urllib.error
    import urllib.request

    from tests.fake_telegram import TOKEN, FakeTelegram

    fake = FakeTelegram().start()
    cips = CipsProcess(tmp_path, "run", "--port", "0",
                       env=newcomer_env(TELEGRAM_BOT_TOKEN=TOKEN, TELEGRAM_API_URL=fake.url))  # fmt: skip
    try:
        fake.wait_until(lambda: None in fake.commands, timeout=60)
        url = cips.wait_for(r"cips is running: (http://\S+)/").group(1)
        assert "The Telegram bot is connected" in cips.output()
        user = fake.user(424242, "fr")
        user.send("/start demo")
        user.wait_for(lambda messages: any("Acceptez-vous" in m.text for m in messages))
        with pytest.raises(urllib.error.HTTPError) as missing:
            urllib.request.urlopen(f"{url}/chat")
        assert missing.value.code == 404
    finally:
        cips.interrupt()
        fake.stop()
    assert "424242" not in cips.output()
