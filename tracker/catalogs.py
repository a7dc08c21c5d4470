"""The translation workflow in one place: extract → update → check → status.

``hearback i18n update`` rewrites ``i18n/messages.pot`` from the sources and merges it
into every ``.po``; ``hearback i18n status`` prints how complete each catalog is. The
same functions back the tests that keep catalogs current and well-formed.
"""

import io
import re
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.pofile import read_po, write_po

from tracker.i18n import CATALOG_DIR, DOMAIN, LOCALES, SOURCE_LOCALE, po_path
from tracker.settings import PROJECT_ROOT

POT_PATH = CATALOG_DIR / f"{DOMAIN}.pot"
SOURCE_DIRS = ("tracker", "dashboard")
KEYWORDS = dict(DEFAULT_KEYWORDS) | {"N_": None}
_PLACEHOLDER = re.compile(r"\{([a-zA-Z_][a-zA-Z0-9_]*)\}")
# A fixed creation date keeps the template byte-identical between runs.
_FIXED_DATE = datetime(2026, 1, 1)


def extract(root: Path = PROJECT_ROOT) -> Catalog:
    """Every translatable string in the sources, as a template catalog."""
    catalog = Catalog(project="Hearback", version="1", creation_date=_FIXED_DATE,
                      copyright_holder="Hearback contributors",
                      charset="utf-8", fuzzy=False)
    method_map = [("**.py", "python")]
    for folder in SOURCE_DIRS:
        for filename, lineno, message, comments, context in extract_from_dir(
            root / folder, method_map, keywords=KEYWORDS, comment_tags=("TRANSLATORS:",),
            strip_comment_tags=True,
        ):
            path = f"{folder}/{filename}"
            catalog.add(message, None, [(path, lineno)], auto_comments=comments,
                        context=context)
    return catalog


def render(catalog: Catalog) -> bytes:
    buffer = io.BytesIO()
    write_po(buffer, catalog, width=100, sort_output=True, omit_header=False)
    return buffer.getvalue()


def update(catalog_dir: Path = CATALOG_DIR) -> list[Path]:
    """Write the template and merge it into each locale's catalog; return the files written."""
    template = extract()
    pot = catalog_dir / f"{DOMAIN}.pot"
    pot.parent.mkdir(parents=True, exist_ok=True)
    pot.write_bytes(render(template))
    written = [pot]
    for locale in LOCALES:
        if locale == SOURCE_LOCALE:
            continue
        path = po_path(locale, catalog_dir)
        if path.exists():
            with path.open("rb") as fp:
                catalog = read_po(fp, locale=locale)
        else:
            catalog = Catalog(locale=locale, project="Hearback", version="1", fuzzy=False,
                              creation_date=_FIXED_DATE, copyright_holder="Hearback contributors")
            path.parent.mkdir(parents=True, exist_ok=True)
        catalog.update(template, no_fuzzy_matching=True, update_header_comment=False)
        catalog.revision_date = _FIXED_DATE
        path.write_bytes(render(catalog))
        written.append(path)
    return written


@dataclass(frozen=True)
class Completeness:
    locale: str
    translated: int
    total: int
    fuzzy: int

    @property
    def percent(self) -> float:
        return 100.0 if not self.total else 100.0 * self.translated / self.total


def load(locale: str, catalog_dir: Path = CATALOG_DIR) -> Catalog | None:
    path = po_path(locale, catalog_dir)
    if not path.exists():
        return None
    with path.open("rb") as fp:
        return read_po(fp, locale=locale)


def _translated(message) -> bool:  # type: ignore[no-untyped-def]
    if message.fuzzy:
        return False
    if isinstance(message.string, tuple | list):
        return all(message.string)
    return bool(message.string)


def completeness(locale: str, msgids: set[str] | None = None,
                 catalog_dir: Path = CATALOG_DIR) -> Completeness:
    """How much of the template (or of ``msgids``) the locale's catalog translates."""
    template = extract() if msgids is None else None
    wanted = msgids if msgids is not None else {_key(m.id) for m in template if m.id}  # type: ignore[union-attr]
    if locale == SOURCE_LOCALE:
        return Completeness(locale, len(wanted), len(wanted), 0)
    catalog = load(locale, catalog_dir)
    done = fuzzy = 0
    if catalog is not None:
        for message in catalog:
            if not message.id or _key(message.id) not in wanted:
                continue
            fuzzy += bool(message.fuzzy)
            done += _translated(message)
    return Completeness(locale, done, len(wanted), fuzzy)


def _key(msgid: str | tuple[str, ...]) -> str:
    return msgid[0] if isinstance(msgid, tuple | list) else msgid


def placeholder_problems(locale: str, catalog_dir: Path = CATALOG_DIR) -> list[str]:
    """Entries whose ``{placeholders}`` differ between msgid and msgstr, and check() errors."""
    catalog = load(locale, catalog_dir)
    problems: list[str] = []
    if catalog is None:
        return [f"{locale}: no catalog"]
    for message, errors in catalog.check():
        problems += [f"{locale}: {message.id!r}: {e}" for e in errors]
    for message in catalog:
        if not message.id or not message.string:
            continue
        ids = message.id if isinstance(message.id, tuple | list) else (message.id,)
        strings = message.string if isinstance(message.string, tuple | list) else (message.string,)
        expected = set().union(*(_PLACEHOLDER.findall(i) for i in ids))
        for text in strings:
            if text and set(_PLACEHOLDER.findall(text)) - expected:
                problems.append(f"{locale}: {ids[0]!r}: unknown placeholder in {text!r}")
            elif text and len(ids) == 1 and set(_PLACEHOLDER.findall(text)) != expected:
                problems.append(f"{locale}: {ids[0]!r}: placeholders differ in {text!r}")
    return problems


PUBLIC_SOURCES = ("dashboard/views/public.py", "tracker/public/")


def public_msgids() -> set[str]:
    """Strings the public display shows: its own, and the theme names it lists."""
    from tracker.seed import THEMES

    ids = {
        _key(m.id) for m in extract()
        if m.id and any(path.startswith(PUBLIC_SOURCES) for path, _ in m.locations)
    }
    return ids | {label for _, label, _ in THEMES}
