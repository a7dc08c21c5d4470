"""The mapping file: the shipped ones are valid and documented, a broken one stops the run
with one clear sentence, and a suggested one is a mapping the user can save and load."""

import re

import pytest

from tests.io.samples import EXAMPLES, MAPPINGS, kobo_rows, kobo_split, read_rows
from tracker.io.exporter import ALL_COLUMNS
from tracker.io.mapping import FIELDS, MappingError, load_mapping, parse_mapping, to_toml
from tracker.io.suggest import suggest_mapping

SHIPPED = sorted(MAPPINGS.glob("*.toml"))
MINIMAL = """
[input]
received_at = { column = "Date" }
locality = { column = "Place" }
channel_code = { value = "town_hall" }
type_code = { value = "request" }
theme_codes = { value = "basic_services" }
language = { value = "fr" }
original_text = { column = "Text" }
"""


def test_the_three_mappings_are_shipped() -> None:
    assert {p.stem for p in SHIPPED} == {"kobo_feedback", "spreadsheet_log", "hearback_export"}


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: p.stem)
def test_shipped_mappings_load_and_write_back_the_same(path) -> None:  # type: ignore[no-untyped-def]
    mapping = load_mapping(path)
    assert parse_mapping(to_toml(mapping), default_name=path.stem) == mapping


def test_every_field_is_documented() -> None:
    readme = (MAPPINGS / "README.md").read_text()
    for section, fields in FIELDS.items():
        assert f"[{section}]" in readme
        for name in fields:
            assert f"`{name}`" in readme, name


def test_hearback_mapping_reads_every_column_the_export_writes() -> None:
    mapping = load_mapping(MAPPINGS / "hearback_export.toml")
    informational = {"loop_state", "loop_closed_at", "recorded_by"}
    assert set(mapping.columns()) | informational == set(ALL_COLUMNS)


@pytest.mark.parametrize(("text", "message"), [
    ("[input", "not valid TOML"),
    ("[source]\nname = 'x'", "needs an [input] section"),
    (MINIMAL + "[inputs]\n", "unknown section [inputs]"),
    (MINIMAL + "[source]\ncolour = 'red'", "[source] has no setting 'colour'"),
    (MINIMAL + "[source]\nformat = 'ods'", "use csv, xlsx, kobo or odk"),
    (MINIMAL + "[source]\ntimezone = 'Mars/Olympus'", "not a known time zone"),
    (MINIMAL + "[source]\nheader_row = 0", "header_row must be a whole number"),
    (MINIMAL + "[source]\ndelimiter = ';;'", "delimiter must be one character"),
    (MINIMAL + "[source]\nformula_escape = 'yes'", "formula_escape must be true or false"),
    (MINIMAL.replace('original_text = { column = "Text" }', ""), "[input] needs original_text"),
    (MINIMAL + 'urgency = "high"', "must be a table such as"),
    (MINIMAL + 'colour = { column = "C" }', "[input] has no field 'colour'"),
    (MINIMAL + 'urgency = { column = "U", value = "high" }', "give either column or value"),
    (MINIMAL + 'urgency = { default = "high" }', "give either column or value"),
    (MINIMAL + 'urgency = { column = "U", fmt = "x" }', "unknown key 'fmt'"),
    (MINIMAL + 'urgency = { column = "U", format = "%d" }', "format applies to dates only"),
    (MINIMAL + 'urgency = { column = "U", split = " " }', "split applies to lists"),
    (MINIMAL + 'urgency = { column = "U", map = "x" }', "map must be a table"),
    (MINIMAL + 'urgency = { column = "" }', "the column name is empty"),
    (MINIMAL + "[action]\ntitle = { column = 'A' }", "[action] needs kind_code"),
    (MINIMAL + "[action]\nwhen = 'yes'\nkind_code = { value = 'other' }\ntitle = { column = 'A' }",
     "when must be"),
    (MINIMAL + "[report_back]\naudience = { value = 'community' }\nmethod = { value = 'radio' }"
     "\nreported_at = { column = 'D' }", "needs message"),
    (MINIMAL + "[locality]\nlevel = { value = 'locality' }", "[locality] needs path"),
])
def test_broken_mappings_say_what_is_wrong(text: str, message: str) -> None:
    with pytest.raises(MappingError, match=re.escape(message)):
        parse_mapping(text)


def test_a_missing_mapping_file(tmp_path) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(MappingError, match="cannot read the mapping"):
        load_mapping(tmp_path / "none.toml")
    bad = tmp_path / "bad.toml"
    bad.write_bytes(b"\xff\xfe\x00")
    with pytest.raises(MappingError, match="not UTF-8"):
        load_mapping(bad)


def test_the_file_name_is_the_default_namespace(tmp_path) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "office_log.toml"
    path.write_text(MINIMAL)
    assert load_mapping(path).source.name == "office_log"


def test_suggestion_for_a_spreadsheet_log() -> None:
    rows = read_rows(EXAMPLES / "spreadsheet_log.csv")
    s = suggest_mapping(rows[0], rows[1:], name="log")
    assert parse_mapping(s.toml) == s.mapping
    i = s.mapping.sections["input"].fields
    assert (i["received_at"].column, i["received_at"].format) == ("Date", "%d/%m/%Y")
    assert i["locality"].column == "Place" and i["original_text"].column == "Issue raised"
    assert i["type_code"].map["Request"] == "request"
    assert s.mapping.source.id_column == "No."
    a = s.mapping.sections["action"].fields
    assert a["title"].column == "Action taken" and a["status"].map["Done"] == "done"
    assert a["closed_at"].column == "Date closed"
    rb = s.mapping.sections["report_back"].fields
    assert rb["message"].column == "Feedback given"
    assert rb["reported_at"].column == "Date of feedback"
    assert "input.language" in s.notes and "# no column found" in s.toml


@pytest.mark.parametrize("split", [False, True], ids=["one-column", "split-columns"])
def test_suggestion_for_a_kobo_export(split: bool) -> None:
    rows = kobo_split(kobo_rows()) if split else kobo_rows()
    s = suggest_mapping(rows[0], rows[1:], name="kobo")
    i = s.mapping.sections["input"].fields
    assert s.mapping.source.id_column == "_uuid" and s.mapping.source.format == "kobo"
    assert i["received_at"].column == "group_contexte/date_retour"
    assert i["theme_codes"].column == "group_retour/themes"
    assert i["theme_codes"].split == " "
    assert "eau" in s.notes["input.theme_codes"]  # left for the user to map
    assert parse_mapping(s.toml) == s.mapping


def test_suggestion_without_recognisable_headers_still_parses() -> None:
    s = suggest_mapping(["a", "b"], [["1", "2"]])
    assert s.mapping.sections["input"].fields["received_at"].column == "? received_at"
    assert "no id column found" in s.toml
    assert parse_mapping(s.toml) == s.mapping
