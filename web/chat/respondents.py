"""Simulated respondents who answer through the local Telegram, as people would on their phones.

Each plays one made-up response drawn by `analysis.synthetic.generate_wave` (a latent view of
integrity per key factor, reverse-coded items answered the other way round, some "Don't know"
and "Prefer not to answer", skip logic followed, some who stop part-way): they open the
campaign's link, agree, and then answer each question the bot asks, by pressing its button or
typing (numbers, free text), until the thanks, or until the point where their response stops,
where they simply leave. Nothing is written to the database by them: only the bot does, as for
anyone else. `cips demo` drives them.
"""

from __future__ import annotations

import itertools
import secrets
import threading
from dataclasses import dataclass

from survey.engine.inputs import SEPARATOR
from survey.engine.replies import Action
from survey.questionnaire import MULTIPLE_CHOICE_SEPARATOR, Question, Questionnaire, QuestionType
from web.chat.bot_api import ChatMessage
from web.chat.telegram import LocalTelegram

WAIT_S = 120.0  # for the bot's next message before giving up on a respondent
_query_ids = itertools.count(1)
# Simulated Telegram user ids: 12 digits from 7 (real ones are shorter), new ones in every run, so
# that a second run's people are not taken for the first run's.
SIMULATED_IDS = range(7 * 10**11, 8 * 10**11)
_user_ids = itertools.count(SIMULATED_IDS.start + secrets.randbelow(10**11 - 10**7))


@dataclass
class Outcome:
    answers: int = 0
    completed: bool = False
    stalled: bool = False  # the bot did not answer in time (reported, never expected)


class SimulatedRespondent:
    def __init__(self, telegram: LocalTelegram, questionnaire: Questionnaire, sheet: dict,
                 language: str):  # fmt: skip
        self.telegram = telegram
        self.questions: dict[str, Question] = {q.id: q for q in questionnaire.questions}
        self.sheet = sheet  # question id -> the answer's code(s) or text; "" where they stop
        self.user = {"id": next(_user_ids), "is_bot": False, "first_name": "Simulated",
                     "language_code": language}  # fmt: skip
        self.outcome = Outcome()
        self.answered: set[str] = set()

    # -- what they see ---------------------------------------------------------------------

    def _bot_messages(self) -> list[ChatMessage]:
        return [m for m in self.telegram.chats.get(self.user["id"], []) if m.from_bot]

    def _wait(self, found) -> object:
        """The first non-None `found(messages)` once the bot has said it."""
        result = []
        ok = self.telegram.wait_until(
            lambda: bool(result.append(found(self._bot_messages())) or result[-1] is not None),
            WAIT_S,
        )
        if not ok:
            self.outcome.stalled = True
            return None
        return result[-1]

    def _next_question(self, seen: int):
        """The latest question not yet answered, "end" after the thanks, else None (wait)."""

        def found(messages: list[ChatMessage]):
            for message in reversed(messages):
                question = _question_of(message)
                if question is not None and question not in self.answered:
                    return message, question
            if any(not m.keyboard and m.edits == 0 for m in messages[seen:]):
                return "end"
            return None

        return self._wait(found)

    # -- what they do ----------------------------------------------------------------------

    def _press(self, message: ChatMessage, data: str) -> None:
        self.telegram.press(self.user, message, data, f"sim-{next(_query_ids)}")

    def run(self, campaign_code: str) -> Outcome:
        seen = len(self._bot_messages())
        self.telegram.send_text(self.user, f"/start {campaign_code}")
        reply = self._wait(lambda messages: messages[seen] if len(messages) > seen else None)
        consent = reply and any(b.get("callback_data") == "c||yes" for b in reply.buttons)
        if not consent:  # e.g. this person already answered this campaign
            return self.outcome
        seen = len(self._bot_messages())
        self._press(reply, "c||yes")
        while (current := self._next_question(seen)) not in (None, "end"):
            message, question_id = current
            answer = self.sheet.get(question_id, "")
            if answer == "":  # where their response stops: they leave
                return self.outcome
            seen = len(self._bot_messages())
            self._answer(message, self.questions[question_id], answer)
            self.answered.add(question_id)
            self.outcome.answers += 1
        self.outcome.completed = current == "end"
        return self.outcome

    def _answer(self, message: ChatMessage, question: Question, answer: str) -> None:
        if question.type in (QuestionType.NUMBER, QuestionType.TEXT):
            self.telegram.send_text(self.user, answer)
        elif question.type is QuestionType.MULTIPLE_CHOICE:
            for code in answer.split(MULTIPLE_CHOICE_SEPARATOR):
                edits = message.edits
                self._press(message, SEPARATOR.join((Action.TOGGLE, question.id, code)))
                self._wait(lambda _, edits=edits: True if message.edits > edits else None)
            self._press(message, SEPARATOR.join((Action.DONE, question.id, "")))
        else:
            self._press(message, SEPARATOR.join((Action.ANSWER, question.id, answer)))


def _question_of(message: ChatMessage) -> str | None:
    """The question a message asks, from its buttons' data (ids only, never text)."""
    for button in message.buttons:
        if "callback_data" not in button:
            continue  # "Answer as a form" (a Mini App): the simulated people answer in the chat
        action, question_id, _ = button["callback_data"].split(SEPARATOR)
        if action in (Action.ANSWER, Action.TOGGLE, Action.DONE, Action.SKIP) and question_id:
            return question_id
    return None


def run_all(respondents: list[tuple[SimulatedRespondent, str]]) -> list[Outcome]:
    """Every respondent at once (one thread each), as people answer at the same time."""
    threads = [threading.Thread(target=r.run, args=(code,), daemon=True) for r, code in respondents]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return [r.outcome for r, _ in respondents]
