"""Each chart builder: its mark, its encodings, its titles through the Localizer, and RTL."""

from datetime import date
from pathlib import Path
from typing import Any

import altair as alt
import pandas as pd
import pytest
from babel.messages.catalog import Catalog
from babel.messages.pofile import write_po
from sqlmodel import Session

import tests.test_metrics as metrics_fixture
from tests.utils.factories import World
from tracker import breakdowns
from tracker.charts import (
    closure_chart,
    dimension_title,
    flow_chart,
    inclusion_chart,
    language_name,
    locality_map_chart,
    report_back_chart,
    vega_locale,
)
from tracker.i18n import Localizer
from tracker.metrics import Filters

world = metrics_fixture.world

FRENCH = {
    "Inputs received": "Contributions reçues",
    "Inputs closed": "Contributions clôturées",
    "Week starting": "Semaine du",
    "Inputs per week": "Contributions par semaine",
    "Loop closure rate": "Taux de boucles fermées",
    "Region": "Région",
    "Theme": "Thème",
    "Not recorded": "Non renseigné",
    "Days to first report-back": "Jours avant le premier retour",
    "Women among participants": "Femmes parmi les participants",
    "Share": "Part",
    "Longitude": "Longitude",
    "Latitude": "Latitude",
    "Rural": "Rural",
    "{low}–{high} days": "{low} à {high} jours",
    "Basic services and quick-impact project needs": "Services de base et projets à impact rapide",
}


@pytest.fixture
def french(tmp_path: Path) -> Localizer:
    """A French Localizer over a small catalog, to prove titles are translated, not just passed."""
    catalog = Catalog(locale="fr")
    for msgid, msgstr in FRENCH.items():
        catalog.add(msgid, msgstr)
    # CLDR gives French a third plural form ("many", for millions) in newer Babel: fill
    # every form the catalog has, the plural one beyond the first.
    for ids, (one, other) in {("<{n} day", "<{n} days"): ("moins de {n} jour", "moins de {n} jours"),
                              ("{n}+ day", "{n}+ days"): ("{n} jour et plus", "{n} jours et plus")
                              }.items():
        catalog.add(ids, (one, *[other] * (catalog.num_plurals - 1)))
    path = tmp_path / "fr" / "LC_MESSAGES" / "messages.po"
    path.parent.mkdir(parents=True)
    with path.open("wb") as fp:
        write_po(fp, catalog)
    return Localizer("fr", catalog_dir=tmp_path)


@pytest.fixture
def en() -> Localizer:
    return Localizer("en")


@pytest.fixture
def ar() -> Localizer:
    return Localizer("ar")


def _spec(chart: alt.Chart) -> dict[str, Any]:
    assert isinstance(chart, alt.Chart)
    spec = chart.to_dict()
    spec["values"] = next(iter(spec["datasets"].values())) if spec.get("datasets") else []
    return spec


def _tooltips(spec: dict[str, Any]) -> dict[str, str]:
    return {t["field"]: t["title"] for t in spec["encoding"]["tooltip"]}


def _flow() -> pd.DataFrame:
    return pd.DataFrame({"week": pd.to_datetime(["2026-03-02", "2026-03-09"]), "received": [3, 2],
                         "closed": [0, 3]})


def _distribution() -> pd.DataFrame:
    return pd.DataFrame({"bucket": [0, 1, 2], "low_days": [0, 1, 3], "high_days": [1, 3, None],
                         "label": ["<1 day", "1–3 days", "3+ days"], "inputs": [0, 1, 3]})


def _closure() -> pd.DataFrame:
    return pd.DataFrame({
        "key": ["basic_services", "security", None], "label": [
            "Basic services and quick-impact project needs", "Physical security and threats", None],
        "inputs": [3, 2, 1], "closed": [2, 0, 1], "closure_rate": [2 / 3, 0.0, 1.0],
        "overdue_open": [0, 2, 0]}, dtype=object).astype({"inputs": int, "closed": int,
                                                         "closure_rate": float, "overdue_open": int})


def _inclusion() -> pd.DataFrame:
    return pd.DataFrame({"month": pd.to_datetime(["2026-03-01", "2026-04-01"]),
                         "share_women": [0.52, None], "share_youth": [0.2, None],
                         "share_rural": [4 / 7, 1.0], "share_displaced": [1 / 7, 0.0]})


def _map() -> pd.DataFrame:
    return pd.DataFrame({
        "id": [4, 5, 6], "name": ["Mbeto", "Lisa", "Site Nord"], "region": ["North", "North", "South"],
        "latitude": [1.0, 1.1, 0.5], "longitude": [2.0, 2.1, 2.5], "setting": ["urban", "rural", None],
        "inputs": [3, 2, 0], "closed": [2, 0, 0], "closure_rate": [2 / 3, 0.0, None]})


def test_flow_chart(en: Localizer) -> None:
    spec = _spec(flow_chart(_flow(), en))
    assert spec["mark"]["type"] == "line"
    enc = spec["encoding"]
    assert (enc["x"]["field"], enc["x"]["type"], enc["x"]["title"]) == ("week", "temporal", "Week starting")
    assert (enc["y"]["field"], enc["y"]["title"]) == ("inputs", "Inputs per week")
    assert enc["y"]["axis"]["orient"] == "left"
    assert enc["color"]["scale"]["domain"] == ["Inputs received", "Inputs closed"]
    assert sorted((v["series"], v["inputs"]) for v in spec["values"]) == [
        ("Inputs closed", 0), ("Inputs closed", 3), ("Inputs received", 2), ("Inputs received", 3)]
    assert spec["config"]["locale"]["time"]["shortMonths"][0] == "Jan"


def test_report_back_chart(en: Localizer) -> None:
    spec = _spec(report_back_chart(_distribution(), en))
    assert spec["mark"]["type"] == "bar"
    enc = spec["encoding"]
    assert enc["x"]["sort"] == ["<1 day", "1–3 days", "3+ days"]
    assert (enc["x"]["title"], enc["y"]["title"]) == ("Days to first report-back", "Inputs reported back to")
    assert [v["inputs"] for v in spec["values"]] == [0, 1, 3]


def test_closure_chart(en: Localizer) -> None:
    spec = _spec(closure_chart(_closure(), en, "theme"))
    assert spec["mark"]["type"] == "bar"
    enc = spec["encoding"]
    assert (enc["y"]["field"], enc["y"]["type"], enc["y"]["title"]) == ("group", "nominal", "Theme")
    assert enc["y"]["sort"] == ["Basic services and quick-impact project needs",
                                "Physical security and threats", "Not recorded"]  # most inputs first
    assert (enc["x"]["field"], enc["x"]["axis"]["format"]) == ("closure_rate", "%")
    assert enc["x"]["scale"] == {"domain": [0, 1], "reverse": False}
    assert _tooltips(spec) == {"group": "Theme", "inputs": "Inputs received", "closed": "Inputs closed",
                               "closure_rate": "Loop closure rate", "overdue_open": "Overdue"}


def test_closure_chart_labels(en: Localizer, french: Localizer) -> None:
    languages = pd.DataFrame({"key": ["fr", "ar"], "label": [None, None], "inputs": [6, 1],
                              "closed": [3, 1], "closure_rate": [0.5, 1.0], "overdue_open": [2, 0]})
    assert _spec(closure_chart(languages, french, "language"))["encoding"]["y"]["sort"] == [
        "français", "arabe"]
    # Two places of the same name (in different regions) stay two bars.
    places = pd.DataFrame({"key": [4, 9], "label": ["Kasika", "Kasika"], "inputs": [2, 1], "closed": [1, 0],
                           "closure_rate": [0.5, 0.0], "overdue_open": [0, 0]})
    assert _spec(closure_chart(places, en, "locality"))["encoding"]["y"]["sort"] == ["Kasika", "Kasika (9)"]
    assert language_name("xx-unknown", en) == "xx-unknown"


def test_inclusion_chart(en: Localizer) -> None:
    spec = _spec(inclusion_chart(_inclusion(), en))
    assert spec["mark"]["type"] == "line"
    enc = spec["encoding"]
    assert (enc["y"]["field"], enc["y"]["axis"]["format"], enc["y"]["scale"]["domain"]) == (
        "share", "%", [0, 1])
    assert enc["x"]["field"] == "month" and enc["x"]["type"] == "temporal"
    assert enc["color"]["scale"]["domain"] == [
        "Women among participants", "Youth among participants", "Inputs from rural or remote places",
        "Inputs from displaced people"]
    assert len(spec["values"]) == 8


def test_locality_map_chart(en: Localizer) -> None:
    spec = _spec(locality_map_chart(_map(), en))
    assert spec["mark"]["type"] == "circle"
    enc = spec["encoding"]
    assert (enc["x"]["field"], enc["x"]["title"]) == ("longitude", "Longitude")
    assert (enc["y"]["field"], enc["y"]["title"]) == ("latitude", "Latitude")
    assert enc["x"]["scale"]["domain"] == pytest.approx([1.95, 2.55])  # the data's extent, padded
    assert enc["y"]["scale"]["domain"] == pytest.approx([0.45, 1.15])
    assert enc["x"]["scale"]["zero"] is False
    assert (enc["size"]["field"], enc["size"]["title"]) == ("inputs", "Inputs received")
    assert (enc["color"]["field"], enc["color"]["title"]) == ("closure_rate", "Loop closure rate")
    assert enc["color"]["condition"]["value"] == "#bdbdbd"  # no input: grey
    assert [v["setting"] for v in spec["values"]] == ["Urban", "Rural", "Not recorded"]
    assert "topojson" not in str(spec) and "url" not in spec["data"]


def test_empty_frames_still_chart(en: Localizer) -> None:
    empty_map = _map().iloc[0:0]
    assert _spec(locality_map_chart(empty_map, en))["encoding"]["x"]["scale"] == {"zero": False}
    assert _spec(flow_chart(_flow().iloc[0:0], en))["values"] == []


def test_titles_are_translated(french: Localizer) -> None:
    flow = _spec(flow_chart(_flow(), french))["encoding"]
    assert (flow["x"]["title"], flow["y"]["title"]) == ("Semaine du", "Contributions par semaine")
    assert flow["color"]["scale"]["domain"] == ["Contributions reçues", "Contributions clôturées"]
    closure = _spec(closure_chart(_closure(), french, "theme"))["encoding"]
    assert (closure["y"]["title"], closure["x"]["title"]) == ("Thème", "Taux de boucles fermées")
    assert closure["y"]["sort"] == ["Services de base et projets à impact rapide",
                                    "Physical security and threats", "Non renseigné"]
    buckets = _spec(report_back_chart(_distribution(), french))["encoding"]
    assert buckets["x"]["sort"] == ["moins de 1 jour", "1 à 3 jours", "3 jours et plus"]
    assert buckets["x"]["title"] == "Jours avant le premier retour"
    inclusion = _spec(inclusion_chart(_inclusion(), french))["encoding"]
    assert inclusion["y"]["title"] == "Part"
    assert inclusion["color"]["scale"]["domain"][0] == "Femmes parmi les participants"
    assert dimension_title(french, "region") == "Région"
    months = vega_locale(french)["time"]["months"]
    assert months[0] == "janvier" and vega_locale(french)["number"]["decimal"] == ","


@pytest.mark.parametrize("builder", ["flow", "report_back", "closure", "inclusion", "map"])
def test_rtl_puts_the_value_axis_on_the_right(ar: Localizer, en: Localizer, builder: str) -> None:
    build = {
        "flow": lambda loc: flow_chart(_flow(), loc),
        "report_back": lambda loc: report_back_chart(_distribution(), loc),
        "closure": lambda loc: closure_chart(_closure(), loc, "region"),
        "inclusion": lambda loc: inclusion_chart(_inclusion(), loc),
        "map": lambda loc: locality_map_chart(_map(), loc),
    }[builder]
    assert ar.direction == "rtl"
    rtl, ltr = _spec(build(ar))["encoding"], _spec(build(en))["encoding"]
    assert rtl["y"]["axis"]["orient"] == "right"
    assert ltr["y"]["axis"]["orient"] == "left"
    if builder != "map":  # time and bars run from the right; geography is never mirrored
        assert rtl["x"]["scale"]["reverse"] is True
        assert ltr["x"]["scale"]["reverse"] is False
    else:
        assert "reverse" not in rtl["x"]["scale"]


def test_builders_take_the_breakdown_frames(session: Session, world: World, en: Localizer) -> None:
    """The contract between the two modules: each builder draws what its breakdown returns."""
    now, f = metrics_fixture.NOW, Filters(until=date(2026, 3, 31))
    assert len(_spec(flow_chart(breakdowns.weekly_flow(session, f), en))["values"]) == 8
    assert [v["inputs"] for v in _spec(report_back_chart(
        breakdowns.report_back_distribution(session, f), en))["values"]] == [0, 1, 0, 3, 0, 0, 0, 0]
    for by in breakdowns.DIMENSIONS:
        spec = _spec(closure_chart(breakdowns.closure_by(session, f, by, now=now), en, by))
        assert sum(v["inputs"] for v in spec["values"]) >= 7
    assert _spec(closure_chart(breakdowns.closure_by(session, f, "region", now=now), en, "region"))[
        "encoding"]["y"]["sort"] == ["North", "South"]
    assert len(_spec(inclusion_chart(breakdowns.inclusion_over_time(session, f), en))["values"]) == 4
    assert [v["name"] for v in _spec(locality_map_chart(breakdowns.locality_map(session, f), en))[
        "values"]] == ["Mbeto", "Lisa", "Site Nord"]
