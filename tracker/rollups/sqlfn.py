"""Calendar functions the rollups group by, compiled for SQLite and PostgreSQL (UTC days)."""

from datetime import date
from typing import Any

from sqlalchemy import Date, String
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import FunctionElement


class day_of(FunctionElement[date]):
    """``day_of(ts)``: the UTC day of a timestamp."""

    type = Date()
    inherit_cache = True


class day_text(FunctionElement[str]):
    """``day_text(ts)``: the UTC day of a timestamp as ``YYYY-MM-DD`` text (a code)."""

    type = String()
    inherit_cache = True


class month_of(FunctionElement[date]):
    """``month_of(day)``: the first day of a date's month."""

    type = Date()
    inherit_cache = True


def _arg(element: Any, compiler: Any, **kw: Any) -> str:
    return compiler.process(next(iter(element.clauses)), **kw)


@compiles(day_of, "sqlite")
def _day_of_sqlite(element: day_of, compiler: Any, **kw: Any) -> str:
    return f"date({_arg(element, compiler, **kw)})"


@compiles(day_text, "sqlite")
def _day_text_sqlite(element: day_text, compiler: Any, **kw: Any) -> str:
    return f"date({_arg(element, compiler, **kw)})"


@compiles(month_of, "sqlite")
def _month_of_sqlite(element: month_of, compiler: Any, **kw: Any) -> str:
    return f"date({_arg(element, compiler, **kw)}, 'start of month')"


@compiles(day_of, "postgresql")
def _day_of_pg(element: day_of, compiler: Any, **kw: Any) -> str:
    return f"CAST(({_arg(element, compiler, **kw)}) AT TIME ZONE 'UTC' AS DATE)"


@compiles(day_text, "postgresql")
def _day_text_pg(element: day_text, compiler: Any, **kw: Any) -> str:
    return f"to_char(({_arg(element, compiler, **kw)}) AT TIME ZONE 'UTC', 'YYYY-MM-DD')"


@compiles(month_of, "postgresql")
def _month_of_pg(element: month_of, compiler: Any, **kw: Any) -> str:
    return f"CAST(date_trunc('month', {_arg(element, compiler, **kw)}) AS DATE)"


class theme_set(FunctionElement[str]):
    """``theme_set(input.id)``: an input's theme codes, sorted, joined by ``|`` (a code)."""

    type = String()
    inherit_cache = True


@compiles(theme_set, "sqlite")
def _theme_set_sqlite(element: theme_set, compiler: Any, **kw: Any) -> str:
    return ("(SELECT group_concat(theme_code, '|') FROM (SELECT theme_code FROM input_theme "
            f"WHERE input_id = {_arg(element, compiler, **kw)} ORDER BY theme_code))")


@compiles(theme_set, "postgresql")
def _theme_set_pg(element: theme_set, compiler: Any, **kw: Any) -> str:
    return ("(SELECT string_agg(theme_code, '|' ORDER BY theme_code) FROM input_theme "
            f"WHERE input_id = {_arg(element, compiler, **kw)})")
