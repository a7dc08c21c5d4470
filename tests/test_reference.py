"""Which place a link names: ``tracker.reference.places_named``."""

import pytest

from tracker.reference import Place, places_named


def _place(id_: int, name: str, level: str, path: str) -> Place:
    return Place(id_, name, level, None, None, path, None, None, None)


# A territory named after its main town, and a town whose name another territory shares.
PLACES = [
    _place(1, "Kiravo", "region", "Kiravo"),
    _place(2, "Musakalé", "territory", "Kiravo › Musakalé"),
    _place(3, "Musakalé", "locality", "Kiravo › Musakalé › Musakalé"),
    _place(4, "Lwandi", "territory", "Kiravo › Lwandi"),
    _place(5, "Centre", "locality", "Kiravo › Musakalé › Centre"),
    _place(6, "Centre", "locality", "Kiravo › Lwandi › Centre"),
]


@pytest.mark.parametrize(("wanted", "level", "ids"), [
    ("Musakalé", "locality", [3]),  # the town, not the territory of the same name
    ("musakalé ", "locality", [3]),
    ("Musakalé", "territory", [2]),
    ("Musakalé", "region", []),
    ("3", "locality", [3]),
    ("2", "locality", []),  # a number of a place of another level
    ("Centre", "locality", [5, 6]),  # shared: only a number or a path tells them apart
    ("Kiravo › Lwandi › Centre", "locality", [6]),
    ("kiravo/lwandi/centre", "locality", [6]),
    ("Kiravo > Musakalé > Centre", "locality", [5]),
    ("Atlantis", "locality", []),
])
def test_a_link_names_places_of_its_own_level(wanted: str, level: str, ids: list[int]) -> None:
    assert [p.id for p in places_named(PLACES, wanted, level)] == ids
