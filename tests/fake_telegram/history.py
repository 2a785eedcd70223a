"""The calls the fake served, as tests question them afterwards: which calls, the most messages
within a window, whether the bot confirmed an update."""

from __future__ import annotations

import threading

from tests.fake_telegram.limits import most_within
from tests.fake_telegram.records import Served


class History:
    """Questions asked of FakeTelegram's `served` (under its `lock`), and its `updates`."""

    lock: threading.Condition
    served: list[Served]
    updates: list[dict]

    @property
    def calls(self) -> list[tuple[str, int | None]]:
        """(method, chat) of every call served, in order of arrival."""
        with self.lock:
            return [(s.method, s.chat) for s in self.served]

    def served_calls(
        self, method: str | None = None, chat: int | None = None, since: int = 0
    ) -> list[Served]:
        """The calls served (from index `since` of `served`), of a method and chat if given."""
        with self.lock:
            return [s for s in self.served[since:]
                    if (method is None or s.method == method) and (chat is None or s.chat == chat)]  # fmt: skip

    def max_in_window(
        self, seconds: float = 1.0, chat: int | None = None, *, tried: bool = False
    ) -> int:
        """The most messages delivered (sendMessage and editMessageText answered ok), in all
        chats or in `chat`, within any `seconds` (times of arrival less than that apart).
        `tried`: count the bot's attempts instead, refused ones included (not injected faults):
        what the bot sent, whatever the limits let through."""
        with self.lock:
            times = sorted(
                s.at
                for s in self.served
                if s.message
                and (s.ok or (tried and not s.injected))
                and (chat is None or s.chat == chat)
            )
        return most_within(times, seconds)

    def confirmed(self, update_id: int) -> bool:
        """Whether the bot confirmed the update: a getUpdates with an offset past it arrived
        after the latest getUpdates that handed it out (so the bot has handled it)."""
        with self.lock:
            if any(u["update_id"] == update_id for u in self.updates):
                return False  # waiting to be handed out (again)
            handed = None
            for index, served in enumerate(self.served):
                if served.method == "getUpdates" and update_id in served.returned:
                    handed = index
            if handed is None:
                return False
            return any(
                s.method == "getUpdates" and (s.params.get("offset") or 0) > update_id
                for s in self.served[handed + 1 :]
            )
