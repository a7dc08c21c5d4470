"""Imports keep the rollups current: new inputs, and follow-ups of inputs already there.

A new input is added to its cells rather than recounted (``tracker.rollups.add``), while
inputs already stored whose repeat flag an import changes are recounted; so imports are
checked where both happen at once: rows landing in cells that already hold inputs,
back-dated rows turning later inputs into repeats, batches of every size.
"""

import random
from datetime import datetime, timedelta

import pytest
from sqlmodel import Session

from tests.io.conftest import Places, mapping, run
from tests.io.samples import EXAMPLES, csv_bytes, read_rows
from tracker.repeats import repeat_drift
from tracker.rollups.build import rollup_drift

LOG = EXAMPLES / "spreadsheet_log.csv"
DATES = ("Date", "Date closed", "Date of feedback")


def test_imports_keep_the_rollups_current(session: Session, places: Places) -> None:
    rows = read_rows(LOG)
    first = run(session, places.admin, csv_bytes([rows[0], *rows[1:5]]), mapping("spreadsheet_log"))
    assert first.imported == 4
    assert rollup_drift(session) == []
    later = run(session, places.admin, csv_bytes([rows[0], *rows[3:]]), mapping("spreadsheet_log"))
    assert later.imported == 4
    assert rollup_drift(session) == []


def _log(n: int, first_no: int, rng: random.Random, days: int) -> list[list[str]]:
    """``n`` rows of the example log, numbered from ``first_no``, each moved (with its
    follow-up dates) to a random day within ``days`` of the example's first date."""
    head, *body = read_rows(LOG)
    cols = [head.index(c) for c in DATES]
    out = [head]
    for k in range(n):
        row = list(rng.choice(body))
        base = datetime.strptime(row[cols[0]], "%d/%m/%Y")
        shift = timedelta(days=rng.randrange(-days, days))
        for c in cols:
            if row[c]:
                when = datetime.strptime(row[c], "%d/%m/%Y") - base + base + shift
                row[c] = when.strftime("%d/%m/%Y")
        row[0] = str(first_no + k)
        out.append(row)
    return out


@pytest.mark.parametrize("batch_size", [1, 7, 1000])
def test_interleaved_imports_keep_rollups_and_repeat_flags(
        session: Session, places: Places, batch_size: int) -> None:
    rng = random.Random(batch_size)
    for first_no, days in ((1, 20), (500, 40), (900, 60)):  # later files reach further back
        result = run(session, places.admin, csv_bytes(_log(30, first_no, rng, days)),
                     mapping("spreadsheet_log"), batch_size=batch_size)
        assert result.imported == 30, result
        assert rollup_drift(session) == []
        assert repeat_drift(session) == []
