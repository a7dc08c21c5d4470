"""Arbitrary cells and broken rows: the importer never raises, every row is imported,
a duplicate or rejected with a reason, the counts add up, and a second run adds nothing."""

import os

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlmodel import Session

from tests.io.conftest import Places, count, run
from tests.io.samples import csv_bytes
from tests.io.test_rejections import BASE, HEAD, MAPPING
from tracker.io.mapping import parse_mapping
from tracker.loop import facts_drift
from tracker.models import ImportKey, Input
from tracker.repeats import repeat_drift

EXAMPLES = int(os.environ.get("HEARBACK_FUZZ_EXAMPLES",
                              "400" if os.environ.get("HEARBACK_SLOW") == "1" else "30"))
PLAUSIBLE = {
    "id": ["1", "2", "3", "007", "7"],
    "received": ["2026-03-02T08:00", "2026-03-02", "02/03/2026", "2026-03-02T08:00:00+03:00",
                 "2099-01-01", "2026-13-01"],
    "place": ["Kasolima", "Sakaré", "Mbuvi > Kasolima", "Kabala", "Nowhere > X", "kasolima "],
    "channel": ["town_hall", "radio_call_in", "pigeon"],
    "type": ["Request", "Alert", "request", "Blah"],
    "themes": ["basic_services", "health;security", "crsv", "magic", "basic_services,health"],
    "status": ["done", "planned", "in_progress", "not_possible", "finished", ""],
    "closed": ["2026-03-10", "2026-03-01", "", "soon"],
    "told": ["2026-03-12", "2026-03-01", ""],
    "women": ["3", "0", "-1", "12.0", "many", ""],
    "consent": ["oui", "non", "1", "0", "perhaps", ""],
    "sensitivity": ["", "internal", "restricted", "public", "secret"],
    "commitment": ["false", "yes", ""],
    "due": ["2026-04-01", "", "tomorrow"],
    "uid": ["", "6b7e1f0a-3c1d-4a61-9a0e-2f1c7d9b2a01", "not-a-uid"],
}
anything = st.text(st.characters(codec="utf-8"), max_size=12)
cell = {c: st.one_of(st.sampled_from(PLAUSIBLE.get(c, [BASE[c]])), anything) for c in HEAD}
good_row = st.fixed_dictionaries({c: st.sampled_from(PLAUSIBLE.get(c, [BASE[c]])) for c in HEAD})
wild_row = st.fixed_dictionaries(cell)
broken_row = st.lists(anything, min_size=0, max_size=len(HEAD) + 3)
rows = st.lists(st.one_of(good_row, wild_row, broken_row), min_size=1, max_size=8)


@settings(max_examples=EXAMPLES, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(rows=rows)
def test_any_file_is_imported_or_rejected_row_by_row(session: Session, places: Places,
                                                     rows: list) -> None:
    cells = [list(r.values()) if isinstance(r, dict) else r for r in rows]
    data = csv_bytes([HEAD, *cells])
    mapping = parse_mapping(MAPPING)
    inputs_before = count(session, Input)
    first = run(session, places.admin, data, mapping)
    expected = sum(1 for r in cells if any(c.strip() for c in r))  # blank lines are no rows
    assert first.rows_read == expected
    assert first.rows_read == first.imported + first.duplicates + first.rejected
    assert len(first.rejections) == first.rejected
    assert all(r.line >= 2 and r.reason for r in first.rejections)
    assert count(session, Input) - inputs_before <= first.imported
    assert count(session, ImportKey) == count(session, Input)
    assert facts_drift(session) == [] and repeat_drift(session) == []
    again = run(session, places.admin, data, mapping)
    assert again.imported == 0
    assert (again.duplicates, again.rejected) == (first.imported + first.duplicates,
                                                  first.rejected)
