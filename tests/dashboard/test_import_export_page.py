"""The Import and export page renders and exports what the role may read."""

from tests.dashboard.conftest import AppDB, click, open_page

PAGE = "views/import_export.py"


def test_page_renders_and_exports(app_db: AppDB) -> None:
    at = open_page(PAGE)
    assert not at.exception
    at.selectbox(key="ie_what").set_value("inputs")
    click(at, "Prepare the export")
    assert not at.exception
    assert at.get("download_button"), "a download is offered"


def test_viewer_cannot_import(app_db: AppDB) -> None:
    at = open_page(PAGE, as_user="viewer")
    assert any("cannot import" in i.value or "not import" in i.value for i in at.info)
