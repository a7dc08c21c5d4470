"""Project rules that are easy to break silently."""

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LIBRARY = sorted((ROOT / "tracker").rglob("*.py"))


def _imports(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(a.name.split(".")[0] for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module.split(".")[0])
    return names


def test_library_never_imports_streamlit() -> None:
    offenders = [p.name for p in LIBRARY if "streamlit" in _imports(p)]
    assert offenders == []


def test_dashboard_builds_no_sql() -> None:
    """Pages call library functions; SQL construction belongs in tracker."""
    sql = re.compile(r"(?<![\w.])(select|text|insert|update|delete)\(|\.execute\(|\.exec\("
                     r"|from sqlmodel import|from sqlalchemy import (?!Engine\b)")
    offenders = [
        p.name for p in (ROOT / "dashboard").rglob("*.py") if sql.search(p.read_text(encoding="utf-8"))
    ]
    assert offenders == []


def test_modules_stay_small() -> None:
    big = [p.name for p in LIBRARY if "versions" not in p.parts
           and len(p.read_text(encoding="utf-8").splitlines()) > 400]
    assert big == []


def test_readme_gives_the_two_commands() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "make run" in readme and "make test" in readme
    assert "make test" in (ROOT / ".ci" / "run").read_text()


def test_no_translated_literal_inside_an_f_string() -> None:
    """Babel's extractor cannot see ``_("...")`` inside an f-string on Python 3.11."""
    hidden = re.compile(r"""f(["']).*?\{[^}]*\b(_|gettext|ngettext)\(\s*["']""")
    offenders = [
        f"{p.relative_to(ROOT)}:{n}"
        for p in [*LIBRARY, *(ROOT / "dashboard").rglob("*.py")]
        for n, line in enumerate(p.read_text(encoding="utf-8").splitlines(), 1)
        if hidden.search(line)
    ]
    assert offenders == []
