"""The questionnaire loader: the built-in CIPS questionnaires, and every error a broken file can hold."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from survey.loader import QuestionnaireError, load_questionnaire, load_questionnaires
from survey.questionnaire import QuestionType

WHISTLEBLOWER_STATEMENTS = [
    "Reports of corrupt behaviour in my Customs administration result in action against that behaviour",
    "Reports of corruption in my administration are investigated in a fair manner",
    "Senior management is setting a positive example to fight against corruption",
    "Management encourage employees to report instances of corruption",
    "The code of conduct is applied with fairness",
]


@pytest.fixture(scope="module")
def builtin():
    return load_questionnaires()


def agreement_items(questionnaire):
    return [i for i in questionnaire.items if i.type is QuestionType.AGREEMENT]


@pytest.mark.parametrize(
    ("qid", "min_items", "min_per_factor"),
    [("cips-officials", 35, 3), ("cips-private-sector", 25, 2)],
)
def test_builtin_questionnaires_cover_every_key_factor(builtin, qid, min_items, min_per_factor):
    questionnaire = builtin[qid]
    items = agreement_items(questionnaire)
    per_factor = Counter(i.factor for i in items)
    assert len(items) >= min_items
    assert set(per_factor) == set(range(1, 11))
    assert min(per_factor.values()) >= min_per_factor
    assert sum(i.reverse for i in items) >= 3
    closing = questionnaire.items[-1]
    assert closing.type is QuestionType.TEXT and not closing.required


def test_whistleblower_statements_word_for_word(builtin):
    officials = builtin["cips-officials"]
    by_text = {i.text: i for i in officials.items}
    construct = next(c for c in officials.constructs if c.id == "whistleblower_protection")
    assert sorted(construct.items) == sorted(by_text[s].id for s in WHISTLEBLOWER_STATEMENTS)


def test_links_pair_items_across_the_two_questionnaires(builtin):
    officials, private = builtin["cips-officials"], builtin["cips-private-sector"]
    pairs = [(i, private.question(i.link)) for i in officials.items if i.link]
    assert len(pairs) >= 8
    for official_item, private_item in pairs:
        assert private_item.link == official_item.id
        assert private_item.factor == official_item.factor


def test_demographics_of_cips(builtin):
    assert {"gender", "experience", "leadership", "location", "function"} <= {
        q.id for q in builtin["cips-officials"].demographics
    }
    assert len(builtin["cips-private-sector"].demographics) >= 3


def write(tmp_path: Path, body: str, name: str = "q.toml") -> Path:
    path = tmp_path / name
    path.write_text(body, encoding="utf-8")
    return path


HEADER = """
id = "test-q"
version = "1"
survey = "officials"
title = "Test"
source_language = "en"
"""


def errors_of(path: Path) -> list[str]:
    with pytest.raises(QuestionnaireError) as caught:
        load_questionnaire(path)
    return [str(e) for e in caught.value.errors]


def test_a_minimal_questionnaire_loads(tmp_path):
    path = write(
        tmp_path,
        HEADER
        + """
[[items]]
id = "a1"
type = "agreement"
factor = 3
text = "Rules are published"

[[items]]
id = "n1"
type = "number"
text = "How many times?"
min = 0
max = 50
show_if = { question = "a1", in = ["4", "5"] }
""",
    )
    questionnaire = load_questionnaire(path)
    assert [q.id for q in questionnaire.questions] == ["a1", "n1"]
    assert questionnaire.question("n1").is_shown({"a1": "5"})
    assert not questionnaire.question("n1").is_shown({"a1": "2"})
    assert not questionnaire.question("n1").is_shown({})


def test_every_error_is_named_with_file_question_and_reason(tmp_path):
    path = write(
        tmp_path,
        HEADER
        + """
[[demographics]]
id = "gender"
type = "single_choice"
text = "Gender?"
choices = []

[[items]]
id = "a1"
type = "agreement"
factor = 11
text = "Unknown factor"

[[items]]
id = "a2"
type = "agreement"
factor = 2
text = "First"

[[items]]
id = "a2"
type = "agreement"
factor = 2
text = "Duplicate"

[[items]]
id = "a3"
type = "agreement"
factor = 2
text = "Skip on a later question"
show_if = { question = "a4", in = ["1"] }

[[items]]
id = "a4"
type = "agreement"
factor = 2
text = "Skip on itself"
show_if = { question = "a4", in = ["1"] }

[[items]]
id = "a5"
type = "agreement"
factor = 2
text = "Skip on nothing"
show_if = { question = "nowhere", in = ["1"] }

[[items]]
id = "a6"
type = "agreement"
text = "No factor"

[[items]]
id = "a7"
type = "agreement"
factor = 2
text = "Impossible code"
show_if = { question = "a2", in = ["7"] }

[[items]]
id = "n1"
type = "number"
text = "Bad bounds"
min = 10
max = 1

[[items]]
id = "t1"
type = "text"
text = "Wrong key"
reverse = true

[[constructs]]
id = "c1"
name = "Broken construct"
items = ["a2", "zz"]
""",
    )
    errors = errors_of(path)
    expected = [
        ("question 'gender'", "empty choice list"),
        ("question 'a1'", "unknown factor 11"),
        ("question 'a2'", "duplicate id"),
        ("question 'a3'", "unknown question 'a4'"),
        ("question 'a4'", "itself (a cycle)"),
        ("question 'a5'", "unknown question 'nowhere'"),
        ("question 'a6'", "needs a key factor"),
        ("question 'a7'", "cannot be answered 7"),
        ("question 'n1'", "min (10) must be below max (1)"),
        ("question 't1'", "'reverse' does not apply to a text question"),
        ("construct 'c1'", "unknown items zz"),
    ]
    for where, reason in expected:
        assert any(e.startswith(str(path)) and where in e and reason in e for e in errors), (
            f"missing error {where}: {reason} in {errors}"
        )
    assert len(errors) == len(expected)


def test_syntax_errors_and_missing_fields(tmp_path):
    [syntax] = errors_of(write(tmp_path, "id = 'x\n", "bad.toml"))
    assert "not valid TOML" in syntax
    errors = errors_of(write(tmp_path, 'id = "Bad Id"\nsurvey = "citizens"\ncolour = 1\n'))
    for reason in (
        "malformed id",
        "unknown survey",
        "missing 'version'",
        "unknown key 'colour'",
        "no items",
    ):
        assert any(reason in e for e in errors), reason


def test_dangling_and_one_way_links_are_reported(tmp_path):
    first = write(
        tmp_path,
        HEADER.replace('"test-q"', '"q-one"')
        + 'counterpart = "q-two"\n'
        + '[[items]]\nid = "a1"\ntype = "agreement"\nfactor = 1\ntext = "x"\nlink = "b9"\n'
        + '[[items]]\nid = "a2"\ntype = "agreement"\nfactor = 1\ntext = "y"\nlink = "b2"\n',
        "one.toml",
    )
    second = write(
        tmp_path,
        HEADER.replace('"test-q"', '"q-two"').replace("officials", "private_sector")
        + 'counterpart = "q-one"\n'
        + '[[items]]\nid = "b2"\ntype = "agreement"\nfactor = 1\ntext = "z"\n',
        "two.toml",
    )
    with pytest.raises(QuestionnaireError) as caught:
        load_questionnaires(extra=[first, second])
    errors = [str(e) for e in caught.value.errors]
    assert any("'a1'" in e and "unknown item 'b9'" in e for e in errors)
    assert any("'a2'" in e and "does not link back" in e for e in errors)
