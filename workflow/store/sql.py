"""SQL both databases speak, where their spellings differ."""

from __future__ import annotations

import json
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.compiler import compiles

# The largest row number both databases store (PostgreSQL's ``integer``): a number typed
# beyond it names no row, and is answered so before any query.
MAX_ID = 2**31 - 1


class json_pairs(sa.sql.functions.FunctionElement[str]):  # noqa: N801 (an SQL function's name)
    """An aggregate: the group's rows as a JSON array of ``[a, b]`` pairs (read with
    ``pairs``), so that one query brings a case's rows of another table along."""

    type = sa.Text()
    inherit_cache = True
    name = "json_pairs"


@compiles(json_pairs, "sqlite")
def _sqlite_json_pairs(element: json_pairs, compiler: Any, **kw: Any) -> str:
    return f"json_group_array(json_array({compiler.process(element.clauses, **kw)}))"


@compiles(json_pairs, "postgresql")
def _postgresql_json_pairs(element: json_pairs, compiler: Any, **kw: Any) -> str:
    return f"CAST(json_agg(json_build_array({compiler.process(element.clauses, **kw)})) AS TEXT)"


def pairs(text: str | None) -> list[tuple[Any, Any]]:
    """The pairs ``json_pairs`` made; none for an empty group (PostgreSQL gives NULL)."""
    return [(a, b) for a, b in json.loads(text)] if text else []


class beijing_day(sa.sql.functions.FunctionElement[str]):  # noqa: N801 (an SQL function's name)
    """The Beijing calendar day of a stored UTC instant, as ``YYYY-MM-DD`` text, so that a
    count per day is grouped by the database rather than by reading every instant. China
    has kept UTC+8 all year since 1991, so the offset is fixed on both databases."""

    type = sa.Text()
    inherit_cache = True
    name = "beijing_day"


@compiles(beijing_day, "sqlite")
def _sqlite_beijing_day(element: beijing_day, compiler: Any, **kw: Any) -> str:
    return f"date({compiler.process(element.clauses, **kw)}, '+8 hours')"


@compiles(beijing_day, "postgresql")
def _postgresql_beijing_day(element: beijing_day, compiler: Any, **kw: Any) -> str:
    return f"to_char({compiler.process(element.clauses, **kw)} + interval '8 hours', 'YYYY-MM-DD')"
