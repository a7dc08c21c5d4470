"""The importer's shortcuts give exactly what the slow, obvious code gives.

``tracker.io.shapecheck`` accepts a row's values without pydantic only when pydantic
would accept them, with the same result; uids and audit hashes are the same text the
``uuid`` and ``json`` modules give (old databases must still verify, merged ones must
not double their records).
"""

import hashlib
import json
import os
import re
import uuid
from datetime import UTC, date, datetime, timedelta, timezone
from typing import Any
from unittest import mock
from zoneinfo import ZoneInfo

from hypothesis import given, settings
from hypothesis import strategies as st

from tracker.audit import HASHED, digest
from tracker.codes import ActionStatus, Urgency
from tracker.errors import ValidationError
from tracker.io.cells import uuid5_maker
from tracker.io.plans import UID_NAMESPACE, derived_uid
from tracker.io.shapecheck import FastShape, validated
from tracker.models import new_uid
from tracker.shapes import ActionCreate, InputCreate, LocalityCreate, ReportBackCreate, parse

SHAPES = (InputCreate, ActionCreate, ReportBackCreate, LocalityCreate)
NOW = datetime(2026, 3, 2, 8, tzinfo=UTC)
ODD: list[Any] = [
    None, "", " ", "x", "fr", "en-US-too-long", "town_hall", "ab\ud800", "éé", "a" * 201,
    "a" * 301, "a" * 501, "+243 81 234 5678", "A_B-1", "john smith", "high", "HIGH",
    "restricted", "done", "not_possible", "other", "community", "visit", "aggregate", "rural",
    "locality", "mission", "2026-03-02", "3", 0, -1, 5, 10**20, True, False, 1.5, 45.0, -91.0,
    200.0, float("nan"), float("inf"), NOW, NOW.astimezone(ZoneInfo("Africa/Kinshasa")),
    datetime(2026, 3, 2, 8), datetime(2026, 3, 2, 8, tzinfo=timezone(timedelta(hours=3))),
    date(2026, 4, 1), [], ["a"], ["basic_services", "basic_services", ""], ["\ud800"], [1],
    [True], (1,), {}, {"fr": "x"}, {"fr": " "}, {" fr ": " bonjour "}, {"fr": 1}, {1: "x"},
    {"fr": "a", " fr": "b"}, Urgency.HIGH, ActionStatus.DONE,
]
GOOD: dict[type, dict[str, Any]] = {
    InputCreate: {"received_at": NOW, "channel_code": "town_hall", "locality_id": 5,
                  "type_code": "request", "theme_codes": ["basic_services"],
                  "original_text": " Le forage est en panne. ", "language": "fr",
                  "women": 3, "source_women": True, "urgency": "high"},
    ActionCreate: {"kind_code": "other", "title": "Réparation", "status": "done",
                   "not_possible_reason": "other", "created_at": NOW, "locality_id": None,
                   "due_date": date(2026, 4, 1)},
    ReportBackCreate: {"input_ids": [1], "audience": "community", "method": "visit",
                       "reported_at": NOW, "messages": {"fr": " Le forage est réparé. "},
                       "locality_id": None, "approved_public": False},
    LocalityCreate: {"name": "Kasolima", "level": "locality", "parent_id": 3,
                     "setting": "rural", "latitude": -1.5, "longitude": 29.0},
}


def _slow(shape: type, data: dict[str, Any]) -> dict[str, Any] | ValidationError:
    try:
        return parse(shape, data).model_dump()
    except ValidationError as exc:
        return exc


def _same(shape: type, data: dict[str, Any]) -> None:
    expected = _slow(shape, data)
    fast = FastShape(shape).check(data)
    if fast is not None:  # accepted without pydantic: pydantic accepts it, identically
        assert isinstance(expected, dict), (data, expected)
        assert list(fast.items()) == list(expected.items())
        assert [type(v) for v in fast.values()] == [type(v) for v in expected.values()]
    try:
        got: Any = validated(shape, data)
    except ValidationError as exc:
        assert isinstance(expected, ValidationError)
        assert (str(exc), exc.errors) == (str(expected), expected.errors)
    else:
        assert got == expected


def test_the_importer_shapes_are_checked_without_pydantic() -> None:
    for shape in SHAPES:
        assert FastShape(shape).usable, shape.__name__
        assert FastShape(shape).check(GOOD[shape]) is not None, shape.__name__
        _same(shape, GOOD[shape])


@st.composite
def _data(draw: st.DrawFn, shape: type) -> dict[str, Any]:
    data = dict(GOOD[shape])
    names = [*shape.model_fields, "not_a_field"]
    for name in draw(st.lists(st.sampled_from(names), max_size=4)):
        if draw(st.booleans()):
            data.pop(name, None)
        else:
            data[name] = draw(st.sampled_from(ODD))
    return data


@settings(max_examples=300, deadline=None)
@given(st.sampled_from(SHAPES).flatmap(lambda s: st.tuples(st.just(s), _data(s))))
def test_shortcut_and_pydantic_agree(case: tuple[type, dict[str, Any]]) -> None:
    _same(*case)


@given(st.text(max_size=60))
def test_derived_uids_are_uuid5(name: str) -> None:
    make = uuid5_maker(UID_NAMESPACE)
    assert make(name) == str(uuid.uuid5(UID_NAMESPACE, name))
    assert make(f"src\x1f{name}\x1finput") == derived_uid("src", name, "input")


def test_new_uids_are_uuid4_text() -> None:
    for _ in range(500):
        raw = os.urandom(16)
        with mock.patch("os.urandom", return_value=raw):
            assert new_uid() == str(uuid.UUID(bytes=raw, version=4))
    shape = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$")
    assert all(shape.match(new_uid()) for _ in range(500))


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=4), inner,
                                                                max_size=3),
    max_leaves=8)


@given(st.fixed_dictionaries({k: json_values for k in HASHED}),
       st.datetimes(timezones=st.sampled_from([UTC, timezone(timedelta(hours=3))])))
def test_event_hashes_are_the_canonical_json_ones(event: dict[str, Any], at: datetime) -> None:
    event["at"] = at
    content = {**event, "at": at.astimezone(UTC).isoformat(timespec="microseconds")}
    blob = json.dumps(content, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    try:
        expected = hashlib.sha256(blob.encode("utf-8")).hexdigest()
    except UnicodeEncodeError:  # a lone surrogate: digest refuses it the same way
        return
    assert digest(event) == expected
