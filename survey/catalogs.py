"""Keeping the gettext catalogs of `locales/` in step with the sources.

`extract_questionnaire` is a Babel extractor for questionnaire files (each text with a context
naming its questionnaire and question, so every questionnaire translates on its own);
`update_catalogs` re-extracts `locales/messages.pot` and merges it into every language;
`check_catalogs` lists what keeps a catalog from being complete.
"""

from __future__ import annotations

import io
import os
import re
import tomllib
from collections.abc import Iterator
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po, write_po

from survey.i18n import DOMAIN, SOURCE_LANGUAGE, locales_dir

KEYWORDS = {"_": None, "gettext": None, "ngettext": (1, 2), "pgettext": ((1, "c"), 2), "N_": None,
            "lazy_gettext": None}  # fmt: skip
PLACEHOLDER = re.compile(r"\{[a-z_0-9]*\}")


def extract_questionnaire(fileobj, keywords, comment_tags, options) -> Iterator[tuple]:
    """Babel extractor: every text of a questionnaire TOML file, with its context."""
    data = tomllib.loads(fileobj.read().decode("utf-8"))
    qid = data.get("id", "")
    if "title" in data:
        yield 0, "pgettext", (f"{qid}:title", data["title"]), []
    for section in ("demographics", "items"):
        for question in data.get(section, []):
            yield 0, "pgettext", (f"{qid}:{question['id']}", question["text"]), []
            for choice in question.get("choices", []):
                context = f"{qid}:{question['id']}:{choice['code']}"
                yield 0, "pgettext", (context, choice["label"]), []
    for construct in data.get("constructs", []):
        yield 0, "pgettext", (f"{qid}:construct:{construct['id']}", construct["name"]), []


def project_root() -> Path:
    return locales_dir().parent


def extract_template() -> Catalog:
    root = project_root()
    catalog = Catalog(project="cips", domain=DOMAIN, charset="utf-8")
    with (root / "babel.cfg").open() as mapping:
        method_map, options_map = parse_mapping_cfg(mapping)
    for filename, lineno, message, comments, context in extract_from_dir(
        str(root), method_map, options_map, keywords=KEYWORDS
    ):
        catalog.add(message, None, [(filename, lineno)], auto_comments=comments, context=context)
    # An administration's own questionnaires (CIPS_QUESTIONNAIRE_DIRS) are translated alike.
    for folder in filter(None, os.environ.get("CIPS_QUESTIONNAIRE_DIRS", "").split(os.pathsep)):
        for path in sorted(Path(folder).glob("*.toml")):
            with path.open("rb") as handle:
                for lineno, _, (context, message), _ in extract_questionnaire(handle, (), (), {}):
                    catalog.add(message, None, [(str(path), lineno)], context=context)
    return catalog


def _write(catalog: Catalog, path: Path) -> None:
    buffer = io.BytesIO()
    write_po(buffer, catalog, width=100, omit_header=False, sort_output=True)
    path.write_bytes(buffer.getvalue())


def update_catalogs(new_languages: tuple[str, ...] = ()) -> list[Path]:
    """Re-extract the template and merge it into every catalog (creating `new_languages`)."""
    template = extract_template()
    folder = locales_dir()
    _write(template, folder / f"{DOMAIN}.pot")
    written = []
    languages = {p.parent.parent.name for p in folder.glob(f"*/LC_MESSAGES/{DOMAIN}.po")}
    for language in sorted(languages | set(new_languages)):
        path = folder / language / "LC_MESSAGES" / f"{DOMAIN}.po"
        if path.exists():
            with path.open("rb") as handle:
                catalog = read_po(handle, locale=language)
        else:
            path.parent.mkdir(parents=True, exist_ok=True)
            catalog = Catalog(locale=language, domain=DOMAIN, project="cips", charset="utf-8",
                              fuzzy=False)  # fmt: skip
        catalog.update(template, update_header_comment=False)
        catalog.obsolete.clear()
        _write(catalog, path)
        written.append(path)
    return written


def check_catalogs(folder: Path | None = None) -> list[str]:
    """Every problem that keeps a catalog from complete: missing, fuzzy, placeholders, stale."""
    template = extract_template()
    problems: list[str] = []
    folder = folder or locales_dir()
    for path in sorted(folder.glob(f"*/LC_MESSAGES/{DOMAIN}.po")):
        language = path.parent.parent.name
        if language == SOURCE_LANGUAGE:
            continue
        with path.open("rb") as handle:
            catalog = read_po(handle, locale=language)
        for message in template:
            if not message.id:
                continue
            ours = catalog.get(message.id, message.context)
            where = f"{language}: {message.context + ' | ' if message.context else ''}{message.id!r:.80}"
            if ours is None:
                problems.append(f"{where}: missing (run `cips translations update`)")
                continue
            strings = ours.string if isinstance(ours.string, tuple | list) else (ours.string,)
            if not all(strings):
                problems.append(f"{where}: not translated")
            elif ours.fuzzy:
                problems.append(f"{where}: fuzzy")
            elif isinstance(ours.id, tuple) and len(strings) != catalog.num_plurals:
                problems.append(f"{where}: needs {catalog.num_plurals} plural forms")
            else:
                expected = set(
                    PLACEHOLDER.findall(
                        message.id if isinstance(message.id, str) else message.id[0]
                    )
                )
                for string in strings:
                    if set(PLACEHOLDER.findall(string)) != expected:
                        problems.append(f"{where}: placeholders {sorted(expected)} not kept")
        extra = {(m.id, m.context) for m in catalog if m.id} - {
            (m.id, m.context) for m in template if m.id
        }
        problems += [f"{language}: {context or ''} {msgid!r:.60}: not in the sources (run `cips translations update`)"
                     for msgid, context in sorted(extra, key=str)]  # fmt: skip
    return problems
