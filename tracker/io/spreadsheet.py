"""Exports that open safely in a spreadsheet."""

import pandas as pd

# A cell starting with one of these is run as a formula by Excel and LibreOffice.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def neutralise(value: object) -> object:
    """Prefix formula-looking text with an apostrophe so it is shown, never evaluated."""
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


def safe_text(value: str) -> str:
    """Neutralise a formula; an apostrophe already before one is doubled (reversible:
    ``tracker.io.plans.unescape_formula`` takes exactly one off)."""
    if value.startswith("'") and value.lstrip("'").startswith(_FORMULA_START):
        return "'" + value
    return str(neutralise(value))


def neutralise_frame(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.map(neutralise) if not frame.empty else frame
