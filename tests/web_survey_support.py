"""Helpers of the web survey tests: an app with a small questionnaire, and a respondent who
answers through the Flask test client (or any client with `get`/`post`) as a browser would."""

from __future__ import annotations

import datetime as dt
import html
import re
from dataclasses import dataclass, field

from survey.campaigns import create_administration, create_campaign
from survey.loader import load_questionnaire
from tests.test_engine import SMALL
from tests.web_support import csrf_token

LEGEND = re.compile(r'<legend id="question">(.*?)</legend>', re.S)
PROGRESS = re.compile(r'<label for="progress-bar" id="progress">(.*?)</label>', re.S)
NOTES = re.compile(r'<div class="notes" role="alert" id="notes">(.*?)</div>', re.S)
SOURCE = re.compile(r'<input type="hidden" name="s" value="([^"]*)">')
CHECKED = re.compile(r'value="([^"]*)" checked>')


def make_campaigns(db, tmp_path, monkeypatch, *, closes_at: dt.datetime | None = None) -> dict:
    """The small questionnaire (skip logic, every question type) in campaign `small`, in an
    administration offering English, French and Arabic."""
    folder = tmp_path / "questionnaires"
    folder.mkdir(exist_ok=True)
    (folder / "small.toml").write_text(SMALL)
    monkeypatch.setenv("CIPS_QUESTIONNAIRE_DIRS", str(folder))
    small = load_questionnaire(folder / "small.toml")
    with db.transaction() as session:
        admin = create_administration(session, "BF", "Douanes", "Africa/Ouagadougou",
                                      ["en", "fr", "ar"])  # fmt: skip
        create_campaign(session, admin, small, "2026", code="small", closes_at=closes_at)
    return {"small": small}


@dataclass
class WebRespondent:
    """A browser on `/s/<code>`: follows redirects, keeps cookies, posts forms with their token."""

    client: object
    code: str
    page: str = ""
    status: int = 0
    history: list[str] = field(default_factory=list)

    @property
    def url(self) -> str:
        return f"/s/{self.code}"

    def open(self, query: str = "") -> WebRespondent:
        response = self.client.get(self.url + query)
        self._keep(response)
        return self

    def _keep(self, response) -> None:
        self.status = response.status_code
        self.page = response.get_data(as_text=True)
        self.history.append(self.page)
        self.response = response

    def post(self, path: str, data: dict, *, follow: bool = True) -> WebRespondent:
        token = csrf_token(next(p for p in reversed(self.history or [self.page])
                                if 'name="csrf_token"' in p)) if 'name="csrf_token"' not in self.page \
            else csrf_token(self.page)  # fmt: skip
        response = self.client.post(
            path, data={**data, "csrf_token": token}, follow_redirects=follow
        )
        self._keep(response)
        return self

    def start(self, language: str = "en", access_code: str | None = None) -> WebRespondent:
        data = {"language": language}
        if tag := SOURCE.search(self.page):  # the form's hidden field, as a browser sends it
            data["s"] = html.unescape(tag.group(1))
        if access_code is not None:
            data["access_code"] = access_code
        return self.post(self.url + "/start", data)

    def press(self, data: str) -> WebRespondent:
        return self.post(self.url, {"b": data})

    def answer(self, question: str, *values: str) -> WebRespondent:
        return self.post(self.url, {"q": question, "value": list(values)})

    def type(self, question: str, text: str) -> WebRespondent:
        return self.post(self.url, {"q": question, "text": text})

    def nav(self, what: str) -> WebRespondent:
        return self.post(self.url, {"nav": what})

    def forget(self) -> WebRespondent:
        response = self.client.post(self.url + "/forget", data={"language": "en"})
        self._keep(response)
        return self

    # -- reading -------------------------------------------------------------------------------

    def question(self) -> str | None:
        match = LEGEND.search(self.page)
        return html.unescape(match.group(1)) if match else None

    def progress(self) -> str | None:
        match = PROGRESS.search(self.page)
        return html.unescape(match.group(1)) if match else None

    def notes(self) -> str:
        match = NOTES.search(self.page)
        return html.unescape(re.sub(r"<[^>]+>", " ", match.group(1))) if match else ""

    def checked(self) -> list[str]:
        return CHECKED.findall(self.page)

    def text(self) -> str:
        return html.unescape(re.sub(r"<[^>]+>", " ", self.page))

    def consent(self) -> WebRespondent:
        return self.press("c||yes")

    def complete_small(self, note: str = "fine") -> WebRespondent:
        """From the consent page to the thanks: every question of the small questionnaire."""
        self.consent()
        self.answer("role", "broker")
        self.answer("a1", "4")
        self.answer("asked", "no")
        self.answer("modes", "online", "office")
        self.type("visits", "3")
        return self.type("note", note)
