"""A real headless Chromium for the browser tests, and screenshots kept in `test-artifacts/`."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

ARTIFACTS = Path(__file__).resolve().parents[1] / "test-artifacts"
CHROMIUM_FLAGS = ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                  "--disable-background-networking", "--window-size=1280,900", "--lang=en-US"]  # fmt: skip


def chromium():
    webdriver = pytest.importorskip("selenium.webdriver")
    binary = shutil.which("chromium") or shutil.which("chromium-browser")
    driver = shutil.which("chromedriver")
    if not (binary and driver):
        message = "Chromium and chromedriver are needed (apt-get install chromium chromium-driver)"
        if os.environ.get("CI") or os.environ.get("CIPS_REQUIRE_POSTGRES"):
            pytest.fail(message)
        pytest.skip(message)
    options = webdriver.ChromeOptions()
    options.binary_location = binary
    for flag in CHROMIUM_FLAGS:
        options.add_argument(flag)
    return webdriver.Chrome(options=options, service=webdriver.ChromeService(driver))


@pytest.fixture(scope="session")
def _chromium():
    """One Chromium for the run (with xdist, the browser tests share one worker: see below)."""
    driver = chromium()
    yield driver
    driver.quit()


@pytest.fixture
def browser(_chromium):
    """The run's Chromium as a new profile would be: no cookies, a desktop's size, a blank page."""
    _chromium.get("about:blank")
    _chromium.execute_cdp_cmd("Network.clearBrowserCookies", {})
    _chromium.set_window_size(1280, 900)
    _chromium.implicitly_wait(5)
    return _chromium


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Tests that use the browser run on one xdist worker (--dist loadgroup), so that a run
    starts Chromium once."""
    for item in items:
        if "browser" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.xdist_group("browser"))


def shot(browser, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    browser.save_screenshot(str(ARTIFACTS / f"web-{name}.png"))


def click_and_wait(browser, element, timeout: float = 20) -> None:
    """Click something that loads a new page, and return once the old page is gone.

    WebDriver's click returns as soon as the click is dispatched; a form submission may still be
    on its way, so reading `current_url` straight after it races the navigation.
    """
    from selenium.common.exceptions import WebDriverException
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    page = browser.find_element(By.TAG_NAME, "html")
    element.click()

    def replaced(_) -> bool:
        try:
            page.is_enabled()
        except WebDriverException:  # stale, or "node does not belong to the document"
            return True
        return False

    WebDriverWait(browser, timeout).until(replaced)
