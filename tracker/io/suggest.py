"""A first mapping for a file nobody has mapped yet, from its headers and a few rows.

The Import page shows it as TOML for the user to correct and save; every guess that
is not read from a column is flagged with a comment. Headers are matched in English
and French (the languages of most mission spreadsheets and Kobo forms), ignoring case,
accents and any Kobo/ODK group path.
"""

import difflib
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field

from tracker.io.mapping import FieldRule, Mapping, Section, SourceOptions, to_toml
from tracker.reference import TermItem
from tracker.seed import ACTION_KINDS, CHANNELS, INPUT_TYPES, SECTIONS, THEMES

# field -> header words, most specific first; (section, field)
_HEADERS: list[tuple[str, str, tuple[str, ...]]] = [
    ("source", "id_column", ("_uuid", "uuid", "key", "instanceid", "meta instanceid", "id", "no",
                             "n°", "no.", "number", "numero", "ref", "reference")),
    ("report_back", "message", ("feedback given", "report back", "reported back",
                                "retour donne", "retour a la communaute", "message retour")),
    ("report_back", "reported_at", ("date of feedback", "feedback date", "date feedback",
                                    "date du retour", "date retour communaute",
                                    "date report back")),
    ("report_back", "method", ("feedback via", "feedback channel", "retour par", "moyen retour")),
    ("action", "closed_at", ("date closed", "closed on", "date de cloture", "date cloture",
                             "closing date", "date resolved", "date fermeture")),
    ("action", "title", ("action taken", "action prise", "actions taken", "response",
                         "reponse", "follow up", "suivi", "action")),
    ("action", "status", ("status", "statut", "etat", "state")),
    ("action", "section_code", ("responsible", "responsable", "focal point", "section")),
    ("input", "received_at", ("date received", "date de reception", "date_retour",
                              "date retour", "received", "date", "today", "_submission_time",
                              "submissiondate")),
    ("input", "locality", ("locality", "localite", "place", "village", "location", "lieu",
                           "site", "town", "ville", "quartier")),
    ("input", "channel_code", ("channel", "canal", "via", "source")),
    ("input", "type_code", ("type of feedback", "type_retour", "type", "nature", "kind")),
    ("input", "theme_codes", ("category", "categorie", "themes", "theme", "topic", "sujet",
                              "sector", "secteur")),
    ("input", "original_text", ("issue raised", "issue", "concern", "feedback", "texte",
                                "text", "message", "comment", "commentaire", "description",
                                "plainte", "probleme", "details")),
    ("input", "language", ("language", "langue", "lang")),
    ("input", "source_group", ("group", "groupe", "respondent", "who")),
    ("input", "women", ("women", "femmes")),
    ("input", "men", ("men", "hommes")),
    ("input", "consent_contact", ("consent", "consentement")),
]
_STATUS = {"planned": ("open", "ouvert", "planned", "planifie", "pending", "en attente", "new"),
           "in_progress": ("in progress", "en cours", "ongoing", "started"),
           "done": ("done", "closed", "fait", "termine", "resolu", "resolved", "completed",
                    "complete", "ferme"),
           "not_possible": ("not possible", "impossible", "rejected", "rejete", "not feasible")}
_CODE_FIELDS = {"channel_code": "channel", "type_code": "input_type", "theme_codes": "theme",
                "section_code": "section"}
_DATE_FORMATS = [(re.compile(r"^\d{4}-\d{2}-\d{2}"), None),
                 (re.compile(r"^\d{1,2}/\d{1,2}/\d{4} \d{1,2}:\d{2}$"), "%d/%m/%Y %H:%M"),
                 (re.compile(r"^\d{1,2}/\d{1,2}/\d{4}$"), "%d/%m/%Y"),
                 (re.compile(r"^\d{1,2}\.\d{1,2}\.\d{4}$"), "%d.%m.%Y"),
                 (re.compile(r"^\d{1,2}-\d{1,2}-\d{4}$"), "%d-%m-%Y")]


@dataclass(frozen=True)
class Suggestion:
    """A mapping to start from, its TOML text, and the guesses the user should check."""

    mapping: Mapping
    toml: str
    notes: dict[str, str] = field(default_factory=dict)


def _plain(text: str) -> str:
    """A header as compared: no group path, no case, no accents, underscores as spaces."""
    text = text.rsplit("/", 1)[-1]
    text = re.sub(r"^group[\w]*-", "", text)  # ODK Central's group-field
    folded = unicodedata.normalize("NFKD", text.casefold())
    folded = "".join(c for c in folded if not unicodedata.combining(c))
    return folded if folded.startswith("_") else " ".join(folded.replace("_", " ").split())


def _with_choices(headers: list[str]) -> list[str]:
    """The headers, plus the question behind split multiple-choice columns (q/option)."""
    bases: dict[str, int] = {}
    for h in headers:
        if "/" in h:
            bases[h.rpartition("/")[0]] = bases.get(h.rpartition("/")[0], 0) + 1
    return headers + [b for b, n in bases.items() if n >= 2 and b not in headers]


def _default_terms() -> list[TermItem]:
    items = [TermItem("channel", c, str(lbl), None, False, True) for c, lbl in CHANNELS]
    items += [TermItem("input_type", c, str(lbl), None, False, True) for c, lbl in INPUT_TYPES]
    items += [TermItem("theme", c, str(lbl), None, r, True) for c, lbl, r in THEMES]
    items += [TermItem("section", c, str(lbl), p, False, True) for c, lbl, p in SECTIONS]
    items += [TermItem("action_kind", c, str(lbl), None, False, True) for c, lbl in ACTION_KINDS]
    return items


def _assign(headers: list[str]) -> dict[tuple[str, str], str]:
    """Header for each (section, field): exact matches first, then the longest phrase
    (never for the id, where a loose match would pick any column with "no" in it)."""
    headers = _with_choices(headers)
    plain = {h: _plain(h) for h in headers}
    taken: set[str] = set()
    found: dict[tuple[str, str], str] = {}
    declared = [(s, f, w) for s, f, words in _HEADERS for w in words]
    longest = sorted(declared, key=lambda t: len(t[2]), reverse=True)
    for exact, pairs in ((True, declared), (False, longest)):
        for section, name, word in pairs:
            if (section, name) in found or (section == "source" and not exact):
                continue
            for header in headers:
                p = plain[header]
                hit = p == _plain(word) if exact else re.search(
                    rf"(^|\W){re.escape(_plain(word))}(\W|$)", p) is not None
                if header not in taken and hit:
                    found[(section, name)] = header
                    taken.add(header)
                    break
    return found


def _column(headers: list[str], sample: list[list[str]], header: str) -> list[str]:
    if header not in headers:  # a split multiple choice: its values are the options chosen
        options = [(i, h.rpartition("/")[2]) for i, h in enumerate(headers)
                   if h.rpartition("/")[0] == header]
        return [" ".join(o for i, o in options if i < len(r) and r[i].strip() in ("1", "true"))
                for r in sample]
    i = headers.index(header)
    return [r[i].strip() for r in sample if i < len(r) and r[i].strip()]


def _date_format(values: list[str]) -> str | None:
    for pattern, fmt in _DATE_FORMATS:
        if values and all(pattern.match(v) for v in values):
            if fmt and fmt.startswith("%d/") and any(int(v.split("/")[1]) > 12 for v in values):
                fmt = "%m/%d/%Y" + fmt[8:]
            return fmt
    return None


def _code_map(values: Iterable[str], kind: str, terms: list[TermItem],
              split: str | None) -> tuple[dict[str, str], list[str]]:
    """Each distinct sample value → the code whose code or label it closely resembles;
    and the values that resemble none (for the user to map)."""
    items = [t for t in terms if t.kind == kind and t.active]
    names = {t.code.casefold(): t.code for t in items}
    names |= {_plain(t.label): t.code for t in items}
    out: dict[str, str] = {}
    unknown: list[str] = []
    for cell in values:
        for value in (cell.split() if split == " " else re.split(r"[;,|]", cell)):
            value = value.strip()
            if not value or value in out or value in unknown or value in names.values():
                continue
            close = difflib.get_close_matches(_plain(value), list(names), n=1, cutoff=0.8)
            if close:
                out[value] = names[close[0]]
            else:
                unknown.append(value)
    return out, unknown


def _status_map(values: Iterable[str]) -> dict[str, str]:
    out: dict[str, str] = {}
    for value in values:
        for code, words in _STATUS.items():
            if _plain(value) in words:
                out[value] = code
    return out


def suggest_mapping(headers: list[str], sample: list[list[str]] | None = None, *,
                    name: str = "import", terms: list[TermItem] | None = None) -> Suggestion:
    """A mapping for a file with these ``headers`` (and these first rows)."""
    sample = sample or []
    terms = terms if terms is not None else _default_terms()
    found = _assign(headers)
    kobo = "_uuid" in headers or any(h.endswith("instanceID") for h in headers)
    notes: dict[str, str] = {}
    sections: dict[str, dict[str, FieldRule]] = {"input": {}, "action": {}, "report_back": {}}
    for (section, fname), header in found.items():
        if section == "source":
            continue
        values = _column(headers, sample, header)
        rule = FieldRule(column=header)
        if fname in ("received_at", "closed_at", "reported_at"):
            rule = FieldRule(column=header, format=_date_format(values))
        elif fname in _CODE_FIELDS:
            split = " " if kobo and fname == "theme_codes" else None
            mapped, unknown = _code_map(values, _CODE_FIELDS[fname], terms, split)
            rule = FieldRule(column=header, map=mapped, split=split)
            if unknown:
                notes[f"{section}.{fname}"] = ("map these values to codes: "
                                               + ", ".join(unknown[:12]))
        elif fname == "status":
            rule = FieldRule(column=header, map=_status_map(values), default="planned")
        sections[section][fname] = rule
    fallbacks = {"received_at": None, "locality": None, "original_text": None,
                 "channel_code": "cla_engagement", "type_code": "request",
                 "theme_codes": "basic_services", "language": "fr"}
    for fname, value in fallbacks.items():
        if fname not in sections["input"]:
            if value is None:
                notes[f"input.{fname}"] = "no column found: name the column that holds it"
                sections["input"][fname] = FieldRule(column=f"? {fname}")
            else:
                notes[f"input.{fname}"] = "no column found: every row gets this value; check it"
                sections["input"][fname] = FieldRule(value=value)
    if sections["action"].get("title"):
        sections["action"].setdefault("kind_code", FieldRule(value="other"))
        sections["action"]["not_possible_reason"] = FieldRule(value="other")
    else:
        sections.pop("action")
    if sections["report_back"].get("message"):
        rb = sections["report_back"]
        rb.setdefault("audience", FieldRule(value="community"))
        if "method" not in rb:
            rb["method"] = FieldRule(value="town_hall")
            notes["report_back.method"] = "no column found: every report-back gets this method"
        if "reported_at" not in rb:
            rb["reported_at"] = sections["input"]["received_at"]
            notes["report_back.reported_at"] = "no feedback date found: the input's date is used"
    else:
        sections.pop("report_back")
    id_column = found.get(("source", "id_column"))
    source = SourceOptions(name=name, id_column=id_column, format="kobo" if kobo else None)
    if id_column is None:
        notes["source"] = ("no id column found: rows are recognised by their content; set "
                           "id_column if the file has a stable id")
    mapping = Mapping(source=source, sections={
        n: Section(n, fields) for n, fields in sections.items()})
    text = to_toml(mapping, comments=notes)
    if "source" in notes:
        text = f"# {notes['source']}\n" + text
    text += ("\n# Places the file names that Hearback does not know are rejected; set\n"
             "# [source] parent = \"Region > Territory\" to create them there instead.\n")
    return Suggestion(mapping=mapping, toml=text, notes=notes)
