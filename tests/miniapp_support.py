"""Helpers of the Mini App tests: Telegram's signed initData, and a respondent inside Telegram
who answers through the Flask test client without cookies (as in the web client's frame)."""

from __future__ import annotations

import html
import json
import re
import time
from dataclasses import dataclass, field
from urllib.parse import urlencode

from web.respond.init_data import sign

TOKEN_FIELD = re.compile(r'<input type="hidden" name="mt" value="([^"]+)">')


def init_data(bot_token: str, user_id: int, *, language: str = "en", age: float = 0,
              start_param: str | None = None, **extra: str) -> str:  # fmt: skip
    """initData as a Telegram client gets it for this user, signed with `bot_token`, made `age`
    seconds ago."""
    user = {"id": user_id, "first_name": "Awa", "language_code": language}
    fields = {
        "query_id": "AAHdF6IQAAAAAN0XohDhrOrc",
        "user": json.dumps(user, separators=(",", ":")),
        "auth_date": str(int(time.time() - age)),
        "signature": "Zm9yIHRoaXJkIHBhcnRpZXMsIG5vdCBjaGVja2VkIGhlcmU",
        **extra,
    }
    if start_param:
        fields["start_param"] = start_param
    return urlencode({**fields, "hash": sign(fields, bot_token)})


@dataclass
class InsideTelegram:
    """The Mini App's pages as the frame in Telegram shows them: forms posted with the token the
    last page carried; no cookie ever kept (`use_cookies=False`)."""

    client: object
    page: str = ""
    status: int = 0
    responses: list = field(default_factory=list)

    def open(self) -> InsideTelegram:
        return self._keep(self.client.get("/tg/app"))

    def enter(self, data: str) -> InsideTelegram:
        return self._keep(self.client.post("/tg/app/enter", data={"init_data": data}))

    def _keep(self, response) -> InsideTelegram:
        self.status = response.status_code
        self.page = response.get_data(as_text=True)
        self.responses.append(response)
        return self

    @property
    def token(self) -> str:
        match = TOKEN_FIELD.search(self.page)
        assert match, self.page
        return html.unescape(match.group(1))

    def post(self, data: dict, token: str | None = None) -> InsideTelegram:
        data = {**data, "mt": token if token is not None else self.token}
        return self._keep(self.client.post("/tg/app", data=data))

    def press(self, data: str) -> InsideTelegram:
        return self.post({"b": data})

    def answer(self, question: str, *values: str) -> InsideTelegram:
        return self.post({"q": question, "value": list(values)})

    def type(self, question: str, text: str) -> InsideTelegram:
        return self.post({"q": question, "text": text})

    def text(self) -> str:
        return html.unescape(re.sub(r"[ \t\n]+", " ", re.sub(r"<[^>]+>", " ", self.page)))
