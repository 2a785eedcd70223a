"""An engine reply as a web page: the view model the template draws, in the reply's language.

One page shows one prompt. A question is a fieldset whose legend is the question: radio
buttons (one answer: agreement scale with Don't know and Prefer not to answer, single choice),
checkboxes (multiple choice), a number field or a text area; the current answer is pre-selected
when the respondent comes back to it. Other prompts (language, consent, confirmations) are
buttons. Notes (an explanation, an error) come first, in a live region.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from survey.engine import messages
from survey.engine.inputs import button_data
from survey.engine.replies import Action, Reply, ReplyKind
from survey.i18n import Text, is_right_to_left, render
from survey.questionnaire import MULTIPLE_CHOICE_SEPARATOR, Questionnaire, QuestionType

ANSWERS = (Action.ANSWER, Action.TOGGLE)


@dataclass(frozen=True)
class Option:
    value: str
    label: str
    checked: bool = False


@dataclass(frozen=True)
class Submit:
    """A button of the form: `data` is the engine's button data."""

    data: str
    label: str
    primary: bool = False


@dataclass
class Page:
    language: str
    direction: str
    notes: list[str] = field(default_factory=list)
    paragraphs: list[str] = field(default_factory=list)
    progress: tuple[int, int] | None = None
    progress_text: str = ""
    question_id: str | None = None
    legend: str = ""
    hints: list[str] = field(default_factory=list)
    input: str = ""  # "radio" | "checkbox" | "number" | "text" | "" (buttons only)
    options: list[Option] = field(default_factory=list)
    text_value: str = ""
    max_length: int | None = None
    number_min: str = ""
    number_max: str = ""
    buttons: list[Submit] = field(default_factory=list)
    answering: bool = False  # back, stop and delete are offered


def split_notes(reply: Reply, questionnaire: Questionnaire | None) -> tuple[list[Text], list[Text]]:
    """(notes, the rest): a question's notes are the parts before the question's own text."""
    if reply.kind is not ReplyKind.QUESTION or questionnaire is None:
        return [], list(reply.parts)
    context = f"{questionnaire.id}:{reply.question_id}"
    for i, part in enumerate(reply.parts):
        if part.context == context:
            return list(reply.parts[:i]), list(reply.parts[i:])
    return [], list(reply.parts)


def page_for(
    reply: Reply,
    questionnaire: Questionnaire | None,
    answers: dict[str, str] | None = None,  # None: read the current answer from the reply
    extra_notes: list[Text] = (),
    typed: str = "",
) -> Page:
    """The page of `reply` (the engine's last reply of a turn)."""
    language = reply.language
    say = lambda text: render(text, language)  # noqa: E731
    page = Page(language=language, direction="rtl" if is_right_to_left(language) else "ltr")
    notes, rest = split_notes(reply, questionnaire)
    page.notes = [say(t) for t in (*extra_notes, *notes)]
    if reply.kind is ReplyKind.QUESTION and questionnaire is not None:
        _question(page, reply, questionnaire, rest, answers, typed, say)
        return page
    page.paragraphs = [say(t) for t in rest]
    page.buttons = [
        Submit(button_data(b), say(b.label), primary=i == 0) for i, b in enumerate(reply.buttons)
    ]
    return page


def _question(page, reply, questionnaire, parts, answers, typed, say) -> None:
    question = questionnaire.question(reply.question_id)
    page.answering = True
    page.question_id = question.id
    page.progress = reply.progress
    if reply.progress:
        number, total = reply.progress
        page.progress_text = say(Text(messages.PROGRESS, {"number": number, "total": total}))
    page.legend = say(parts[0])
    # The current answer is shown by the pre-selected input; other hints are said.
    page.hints = [say(p) for p in parts[1:] if p.msgid != messages.CURRENT_ANSWER]
    current = answers.get(question.id, "") if answers is not None else _current(reply)
    answer_buttons = [b for b in reply.buttons if b.action in ANSWERS]
    if question.type is QuestionType.MULTIPLE_CHOICE:
        page.input = "checkbox"
        chosen = set(current.split(MULTIPLE_CHOICE_SEPARATOR))
        page.options = [
            Option(b.value, say(b.label), b.selected or b.value in chosen) for b in answer_buttons
        ]
    elif answer_buttons:
        page.input = "radio"
        page.options = [Option(b.value, say(b.label), b.value == current) for b in answer_buttons]
    elif question.type is QuestionType.NUMBER:
        page.input = "number"
        page.text_value = typed or current
        page.number_min = _plain(question.min)
        page.number_max = _plain(question.max)
    else:
        page.input = "text"
        page.text_value = typed or current
        page.max_length = question.max_length
    page.buttons = [
        Submit(button_data(b), say(b.label)) for b in reply.buttons if b.action is Action.SKIP
    ]


def _current(reply: Reply) -> str:
    """The answer already given to the question, read from the reply itself ("Your answer so
    far: ..." names it as its button does, or verbatim for numbers and text), so that showing a
    page needs no query of its own. Multiple choice marks its buttons `selected` instead."""
    for part in reply.parts:
        if part.msgid == messages.CURRENT_ANSWER:
            answer = part.args["answer"]
            for button in reply.buttons:
                if button.action in ANSWERS and button.label == answer:
                    return button.value
            return answer.msgid if not answer.translate else ""
    return ""


def _plain(value) -> str:
    if value is None:
        return ""
    return str(int(value)) if float(value).is_integer() else str(value)
