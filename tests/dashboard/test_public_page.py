"""The public display: no account, aggregates only, small counts hidden, slides rotate."""

from sqlmodel import Session

from tests.dashboard.conftest import AppDB, open_page
from tracker.models import User
from tracker.services import create_locality

PUBLIC = "views/public.py"


def _html(at) -> str:  # type: ignore[no-untyped-def]
    return "\n".join(h.proto.body for h in at.get("html"))


def test_public_page_shows_every_slide_and_hides_small_counts(app_db: AppDB) -> None:
    at = open_page(PUBLIC, period="all")
    assert not at.exception
    assert [h.value for h in at.header] == [
        "You said", "We did", "How fast we answered", "What we told you"]
    html = _html(at)
    assert "fewer than 5" in html  # two inputs in all
    assert "forage" not in html  # an input's own words never appear
    assert "officer.a" not in html
    assert [b for b in at.get("download_button")], "a printable handout is offered"


def test_kiosk_mode_rotates_slides_without_sidebar(app_db: AppDB) -> None:
    at = open_page(PUBLIC, kiosk="1", period="all")
    assert not at.exception
    first = [h.value for h in at.header]
    assert len(first) == 1
    assert not at.sidebar.children or all(not c for c in at.sidebar.children.values())
    at.run()
    second = [h.value for h in at.header]
    assert second != first and len(second) == 1


def test_unknown_place_falls_back_to_the_mission(app_db: AppDB) -> None:
    at = open_page(PUBLIC, region="Atlantis")
    assert any("Atlantis" in w.value for w in at.warning)
    assert not at.exception


def test_a_locality_link_means_the_locality_not_its_namesake_territory(app_db: AppDB) -> None:
    """A territory often bears its main town's name: ``locality=`` must mean the town."""
    w = app_db.world
    with Session(app_db.engine) as session:
        admin = session.get(User, w.admin.id)
        create_locality(session=session, actor=admin, data={
            "name": "Kivale", "level": "locality", "parent_id": w.town.parent_id})
    at = open_page(PUBLIC, locality="Kivale", period="all")
    # A territory has no public screen of its own: had the link meant it, the page would
    # have raised. (The new town's count reads "fewer than 5" like every place of a
    # region that small, so the count cannot tell the two apart.)
    assert not at.warning and not at.exception
    assert any("Kivale" in c.value for c in at.caption)
    at = open_page(PUBLIC, region="Kivale", period="all")  # a territory is not a region
    assert any("Kivale" in w.value for w in at.warning)


def test_region_parameter_by_name(app_db: AppDB) -> None:
    at = open_page(PUBLIC, region="South", period="all")
    assert any("South" in c.value for c in at.caption)
    assert "0" in _html(at)
