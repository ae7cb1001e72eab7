"""Shop search by part of the name, short name or code, indexed so it stays fast at 100,000
shops: on PostgreSQL one pg_trgm GIN index over the three columns joined by a separator that
no query contains (one index scan instead of three), on SQLite an FTS5 trigram table kept by
triggers. Queries shorter than three characters have no trigram and scan.
"""

from __future__ import annotations

import re

from django.db import connection
from django.db.models import BooleanField, Q
from django.db.models.expressions import RawSQL

COLUMNS = ("name", "short_name", "code")
FTS_TABLE = "shops_shop_search"

# The three columns joined by U+001F (a control character: cleaned out of every query), upper
# case. The index and the query must spell the expression the same way.
HAYSTACK = " || E'\\x1f' || ".join(f'"shops_shop"."{c}"::text' for c in COLUMNS)
POSTGRES_SQL = [
    "CREATE EXTENSION IF NOT EXISTS pg_trgm",
    f"CREATE INDEX IF NOT EXISTS shops_shop_search_trgm ON shops_shop "
    f"USING gin ((UPPER({HAYSTACK})) gin_trgm_ops)",
]
POSTGRES_DROP = ["DROP INDEX IF EXISTS shops_shop_search_trgm"]

_cols = ", ".join(COLUMNS)
_new = ", ".join(f"new.{c}" for c in COLUMNS)
_old = ", ".join(f"old.{c}" for c in COLUMNS)
SQLITE_TRIGGERS = {
    f"{FTS_TABLE}_ai": f"AFTER INSERT ON shops_shop BEGIN "
    f"INSERT INTO {FTS_TABLE}(rowid, {_cols}) VALUES (new.id, {_new}); END",
    f"{FTS_TABLE}_ad": f"AFTER DELETE ON shops_shop BEGIN "
    f"INSERT INTO {FTS_TABLE}({FTS_TABLE}, rowid, {_cols}) VALUES ('delete', old.id, {_old}); END",
    f"{FTS_TABLE}_au": f"AFTER UPDATE OF {_cols} ON shops_shop BEGIN "
    f"INSERT INTO {FTS_TABLE}({FTS_TABLE}, rowid, {_cols}) VALUES ('delete', old.id, {_old}); "
    f"INSERT INTO {FTS_TABLE}(rowid, {_cols}) VALUES (new.id, {_new}); END",
}


def ensure_index(using_connection=None) -> None:
    """Create the search index if missing (migration 0008 and after every migrate: SQLite
    drops a table's triggers when a migration rebuilds the table)."""
    conn = using_connection or connection
    with conn.cursor() as cursor:
        if conn.vendor == "postgresql":
            for sql in POSTGRES_SQL:
                cursor.execute(sql)
        elif conn.vendor == "sqlite":
            tables = set(conn.introspection.table_names(cursor))
            if "shops_shop" not in tables:
                return
            cursor.execute(
                "SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'shops_shop'"
            )
            present = {row[0] for row in cursor.fetchall()}
            if FTS_TABLE in tables and set(SQLITE_TRIGGERS) <= present:
                return
            cursor.execute(
                f"CREATE VIRTUAL TABLE IF NOT EXISTS {FTS_TABLE} USING fts5({_cols}, "
                "content='shops_shop', content_rowid='id', tokenize='trigram')"
            )
            for name, body in SQLITE_TRIGGERS.items():
                cursor.execute(f"CREATE TRIGGER IF NOT EXISTS {name} {body}")
            cursor.execute(f"INSERT INTO {FTS_TABLE}({FTS_TABLE}) VALUES ('rebuild')")


def drop_index(using_connection=None) -> None:
    conn = using_connection or connection
    with conn.cursor() as cursor:
        if conn.vendor == "postgresql":
            for sql in POSTGRES_DROP:
                cursor.execute(sql)
        elif conn.vendor == "sqlite":
            for name in SQLITE_TRIGGERS:
                cursor.execute(f"DROP TRIGGER IF EXISTS {name}")
            cursor.execute(f"DROP TABLE IF EXISTS {FTS_TABLE}")


CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")


def condition(query: str) -> Q:
    """The filter for a search: a substring of the name, short name or code, any case.

    Control characters cannot be in a name: they are dropped from the query (a NUL would
    end the FTS5 query on SQLite and is refused by PostgreSQL)."""
    query = CONTROL.sub("", query)
    if connection.vendor == "postgresql" and query:
        pattern = query.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        return Q(
            RawSQL(
                f"UPPER({HAYSTACK}) LIKE UPPER(%s)", [f"%{pattern}%"], output_field=BooleanField()
            )
        )
    if connection.vendor == "sqlite" and len(query) >= 3:
        phrase = '"' + query.replace('"', '""') + '"'
        return Q(
            pk__in=RawSQL(f"SELECT rowid FROM {FTS_TABLE} WHERE {FTS_TABLE} MATCH %s", [phrase])
        )
    return Q(name__icontains=query) | Q(short_name__icontains=query) | Q(code__icontains=query)
