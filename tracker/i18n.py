"""Translations and locale-aware formatting, one ``Localizer`` per request.

Catalogs are the ``.po`` files under ``i18n/``; they are compiled in memory the first
time a locale is used (``read_po`` → ``write_mo`` → ``Translations``), so a fresh clone
needs no build step and never serves a stale ``.mo``. One process serves every
visitor, so nothing here holds a "current language": callers pass a Localizer around.
"""

import io
import itertools
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import lru_cache
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from babel import Locale, UnknownLocaleError
from babel.dates import format_date, format_datetime
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.numbers import format_decimal, format_percent
from babel.support import NullTranslations, Translations

from tracker.settings import PROJECT_ROOT

CATALOG_DIR = PROJECT_ROOT / "i18n"
DOMAIN = "messages"
SOURCE_LOCALE = "en"
# Complete locales first; the others must at least cover the public display.
COMPLETE_LOCALES = ("en", "fr", "ar", "sw")
PUBLIC_LOCALES = ("ln", "sg", "bm")
LOCALES = COMPLETE_LOCALES + PUBLIC_LOCALES
# Where a string is missing, try these before English (Lingala, Sango and Bambara
# speakers in francophone missions read French).
FALLBACKS: dict[str, tuple[str, ...]] = {"ln": ("fr",), "sg": ("fr",), "bm": ("fr",)}


def N_(message: str) -> str:
    """Mark a string for extraction where it is translated later (e.g. stored labels)."""
    return message


class Text(str):
    """A message for the user that keeps its msgid and values: ``str()`` is the English
    text (logs, the CLI, tests), ``Localizer.gettext`` translates it and fills the values
    in the reader's language. ``Text(N_("…{name}…"), name=…)``, or ``Text.ngettext`` for
    a count (``{n}``, formatted as a number for the locale)."""

    msgid: str
    plural: str | None
    params: dict[str, Any]

    def __new__(cls, msgid: str, plural: str | None = None, /, **params: Any) -> "Text":
        english = plural if plural is not None and params.get("n") != 1 else msgid
        self = super().__new__(cls, english.format(**params) if params else english)
        self.msgid, self.plural, self.params = msgid, plural, params
        return self

    @classmethod
    def ngettext(cls, singular: str, plural: str, n: int, **params: Any) -> "Text":
        return cls(singular, plural, n=n, **params)


# Messages the library raises as plain text with a value in it (``f"… {name!r} …"``):
# their pattern, and how to rebuild them as a ``Text``. See ``known_message``.
_KNOWN: list[tuple[re.Pattern[str], Callable[..., Text]]] = []
_FIELD = re.compile(r"\{([a-zA-Z_][a-zA-Z0-9_]*)\}")


def known_message(template: str, make: Callable[..., Text] | None = None) -> None:
    """Teach every Localizer a message raised with values in it, so that translating the
    raised text works: ``template`` is that text with ``{name}`` where a value goes
    (``{n}``: a whole number); ``make`` turns the values into the ``Text`` shown
    (default: the template itself is the msgid)."""
    parts = _FIELD.split(template)
    pattern = "".join(
        re.escape(part) if i % 2 == 0 else (rf"(?P<{part}>\d+)" if part == "n" else rf"(?P<{part}>.+?)")
        for i, part in enumerate(parts))
    if make is None:
        def make(**values: Any) -> Text:
            return Text(template, **values)
    _KNOWN.append((re.compile(pattern, re.DOTALL), make))
    _recognise.cache_clear()


@lru_cache(maxsize=1024)
def _recognise(message: str) -> Text | None:
    """The ``Text`` behind a message raised as plain text, if it is a known one."""
    for pattern, make in _KNOWN:
        found = pattern.fullmatch(message)
        if found:
            values: dict[str, Any] = found.groupdict()
            if "n" in values:
                values["n"] = int(values["n"])
            return make(**values)
    return None


def po_path(locale: str, catalog_dir: Path = CATALOG_DIR) -> Path:
    return catalog_dir / locale / "LC_MESSAGES" / f"{DOMAIN}.po"


@lru_cache(maxsize=32)
def _compiled(locale: str, mtime: float, catalog_dir: Path) -> Translations | None:
    """The catalog of one locale compiled in memory; ``mtime`` keys the cache."""
    path = po_path(locale, catalog_dir)
    if not path.exists():
        return None
    with path.open("rb") as fp:
        catalog = read_po(fp, locale=locale)
    # An untranslated plural is a tuple of empty strings, which write_mo would keep (and
    # show the English msgid); drop it so the fallback language answers instead.
    for message in list(catalog):
        if message.id and isinstance(message.string, tuple) and not all(message.string):
            catalog.delete(message.id, context=message.context)
    buffer = io.BytesIO()
    write_mo(buffer, catalog)
    buffer.seek(0)
    return Translations(buffer, domain=DOMAIN)


def translations(locale: str, catalog_dir: Path = CATALOG_DIR) -> NullTranslations:
    """The locale's catalog chained to its fallbacks and finally to the English source."""
    chain: list[NullTranslations] = []
    for code in (locale, *FALLBACKS.get(locale, ())):
        path = po_path(code, catalog_dir)
        compiled = _compiled(code, path.stat().st_mtime if path.exists() else 0.0, catalog_dir)
        if compiled is not None:
            chain.append(_copy(compiled))
    if not chain:
        return NullTranslations()
    for upper, lower in itertools.pairwise(chain):
        upper.add_fallback(lower)
    return chain[0]


def _copy(compiled: Translations) -> Translations:
    """A shallow copy, so chaining fallbacks never alters the cached catalog."""
    clone = Translations.__new__(Translations)
    clone.__dict__.update(compiled.__dict__)
    clone._fallback = None
    return clone


def negotiate(preferred: list[str] | str | None, default: str = SOURCE_LOCALE) -> str:
    """Pick one of our locales from a browser or query-string preference."""
    if isinstance(preferred, str):
        preferred = [preferred]
    for candidate in preferred or []:
        language = candidate.replace("-", "_").split("_")[0].lower()
        if language in LOCALES:
            return language
    return default


@dataclass
class Localizer:
    """Translate and format for one viewer: locale, time zone and text direction."""

    locale: str = SOURCE_LOCALE
    timezone: str = "UTC"
    catalog_dir: Path = CATALOG_DIR
    _t: NullTranslations = field(init=False, repr=False)
    _babel: Locale = field(init=False, repr=False)

    def __post_init__(self) -> None:
        try:
            self._babel = Locale.parse(self.locale)
        except (UnknownLocaleError, ValueError):
            self.locale, self._babel = SOURCE_LOCALE, Locale.parse(SOURCE_LOCALE)
        self._t = translations(self.locale, self.catalog_dir)

    # Translation ------------------------------------------------------------------
    def gettext(self, message: str, **params: Any) -> str:
        """``message`` in the reader's language: a msgid, a ``Text``, or a message the
        library raised with a value in it (see ``known_message``)."""
        if isinstance(message, Text):
            return self._text(message, params)
        text = self._t.gettext(message)
        if text == message and not params and self.locale != SOURCE_LOCALE:
            known = _recognise(message)
            if known is not None:
                return self._text(known, {})
        return text.format(**params) if params else text

    def _text(self, message: Text, params: dict[str, Any]) -> str:
        values = {k: self.number(v) if isinstance(v, int | float) and not isinstance(v, bool)
                  else v for k, v in {**message.params, **params}.items()}
        if message.plural is not None:
            text = self._t.ngettext(message.msgid, message.plural, message.params["n"])
        else:
            text = self._t.gettext(message.msgid)
        return text.format(**values) if values else text

    def ngettext(self, singular: str, plural: str, n: int, **params: Any) -> str:
        """Plural by the locale's rules; ``{n}`` is formatted for the locale."""
        text = self._t.ngettext(singular, plural, n)
        return text.format(n=self.number(n), **params)

    def pgettext(self, context: str, message: str, **params: Any) -> str:
        text = self._t.pgettext(context, message)
        return text.format(**params) if params else text

    # Formatting -------------------------------------------------------------------
    @property
    def direction(self) -> str:
        return "rtl" if self._babel.text_direction == "rtl" else "ltr"

    @property
    def language_name(self) -> str:
        return self._babel.get_display_name(self._babel) or self.locale

    def number(self, value: float | int | None, digits: int = 0) -> str:
        if value is None:
            return "–"
        pattern = None if digits == 0 else "#,##0." + "0" * digits
        return format_decimal(value, format=pattern, locale=self._babel)

    def signed(self, value: float | int | None, digits: int = 0) -> str:
        """A change with its sign (``+3``, ``-1,5``); one that rounds to nothing has none."""
        if value is None:
            return "–"
        if round(value, digits) == 0:
            return self.number(0, digits)
        body = "#,##0" + ("." + "0" * digits if digits else "")
        return format_decimal(value, format=f"+{body};-{body}", locale=self._babel)

    def percent(self, value: float | None) -> str:
        return "–" if value is None else format_percent(value, locale=self._babel)

    def date(self, value: date | datetime | None, fmt: str = "medium") -> str:
        if value is None:
            return "–"
        if isinstance(value, datetime):
            value = value.astimezone(ZoneInfo(self.timezone)).date()
        return format_date(value, format=fmt, locale=self._babel)

    def datetime(self, value: datetime | None, fmt: str = "medium") -> str:
        if value is None:
            return "–"
        return format_datetime(value, format=fmt, tzinfo=ZoneInfo(self.timezone),
                               locale=self._babel)


def language_label(code: str) -> str:
    """A language's own name ("français", "العربية"), for pickers."""
    try:
        return Locale.parse(code).get_display_name(Locale.parse(code)) or code
    except (UnknownLocaleError, ValueError):
        return code
