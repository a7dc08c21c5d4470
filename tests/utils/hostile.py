"""Hostile text for every free-text field: markup, script, SQL, spreadsheet formulas,
a very long string, and a right-to-left override.

Each value is what a careless or malicious officer, importer or URL could type; the
tests show it is stored exactly, shown as text and exported as inert cells.
"""

LONG = ("Lorem <b>ipsum</b> [x](javascript:y) " * 600)[:20_000]

HOSTILE: dict[str, str] = {
    "script": "<script>alert(1)</script>",
    "img": "<img src=x onerror=alert(1)>",
    "md_link": "[click](javascript:alert(1))",
    "sql": "'); DROP TABLE input; --",
    "hyperlink": '=HYPERLINK("http://x","y")',
    "at_sum": "@SUM(1+1)",
    "long": LONG,
    "rtl": "Mbeto \u202etxet desrever\u202c end",
}

# Fields limited to a few hundred characters take every value but the long one; the
# long one must be refused with a plain validation error, never cut or half stored.
SHORT: dict[str, str] = {k: v for k, v in HOSTILE.items() if len(v) <= 200}


def collapsed(text: str) -> str:
    """``text`` as one Markdown line shows it: runs of whitespace become one space."""
    return " ".join(text.split())
