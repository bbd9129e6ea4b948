"""A tiny named-migration runner: each step runs once, in order, and bumps the schema version."""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import Connection, inspect, text
from sqlmodel import SQLModel

from metawatch.store.tables import MetaRow

Step = Callable[[Connection], None]


def _create_tables(conn: Connection) -> None:
    SQLModel.metadata.create_all(conn)


def _create_cursor_table(conn: Connection) -> None:
    SQLModel.metadata.tables["imap_cursor"].create(conn, checkfirst=True)


def _create_alert_tables(conn: Connection) -> None:
    for name in ("account_link", "manual_evidence", "alert", "alert_delivery"):
        SQLModel.metadata.tables[name].create(conn, checkfirst=True)


def _add_auth_header(conn: Connection) -> None:
    if "auth_header" not in {c["name"] for c in inspect(conn).get_columns("message")}:
        conn.execute(text("ALTER TABLE message ADD COLUMN auth_header VARCHAR NOT NULL DEFAULT ''"))


def _create_original_table(conn: Connection) -> None:
    SQLModel.metadata.tables["original"].create(conn, checkfirst=True)


def _add_content_hash(conn: Connection) -> None:
    if "content_hash" not in {c["name"] for c in inspect(conn).get_columns("message")}:
        conn.execute(text("ALTER TABLE message ADD COLUMN content_hash VARCHAR"))
    table = SQLModel.metadata.tables["message"]
    next(i for i in table.indexes if i.name == "ix_message_content").create(conn, checkfirst=True)


# (version, name, step). Append new steps; never edit or reorder a released one.
MIGRATIONS: list[tuple[int, str, Step]] = [
    (1, "create tables", _create_tables),
    (2, "IMAP cursors", _create_cursor_table),
    (3, "alerts, links and manual evidence", _create_alert_tables),
    (4, "the Authentication-Results header relied on", _add_auth_header),
    (5, "originals kept for evidence export", _create_original_table),
    (6, "a content hash that survives rewritten bytes", _add_content_hash),
]
SCHEMA_VERSION = MIGRATIONS[-1][0]


def current_version(conn: Connection) -> int:
    """The schema version stored in the database, 0 for a new one."""
    if not inspect(conn).has_table(MetaRow.__tablename__):
        return 0
    row = conn.execute(text("SELECT value FROM metawatch_meta WHERE key = 'schema_version'"))
    value = row.scalar()
    return int(value) if value is not None else 0


def upgrade(conn: Connection) -> list[str]:
    """Apply every pending step; returns the names of the steps applied."""
    version = current_version(conn)
    MetaRow.__table__.create(conn, checkfirst=True)  # type: ignore[attr-defined]
    applied = []
    for number, name, step in MIGRATIONS:
        if number > version:
            step(conn)
            _set_version(conn, number)
            applied.append(name)
    return applied


def _set_version(conn: Connection, number: int) -> None:
    conn.execute(text("DELETE FROM metawatch_meta WHERE key = 'schema_version'"))
    conn.execute(
        text("INSERT INTO metawatch_meta (key, value) VALUES ('schema_version', :v)"),
        {"v": str(number)},
    )
