"""The schema's version and upgrades, and copying a whole database into another."""

from __future__ import annotations

from sqlalchemy import Connection, Table, exc, func, select, text
from sqlmodel import SQLModel

from metawatch.config import safe_url
from metawatch.errors import StoreError
from metawatch.settled import KEY as SETTLED
from metawatch.store import migrations
from metawatch.store.engine import Database
from metawatch.store.tables import MetaRow


class SchemaStore(Database):
    """Schema upgrades and whole-database copies."""

    def schema_version(self) -> int:
        """The schema version the database is at (0: empty)."""
        try:
            with self.engine.connect() as conn:
                return migrations.current_version(conn)
        except exc.SQLAlchemyError as e:
            raise self._error(f"cannot open database {safe_url(str(self.engine.url))}", e) from e

    def upgrade(self, allowed: bool = True) -> list[str]:
        """Apply pending migrations (one process at a time); returns the names of the steps."""
        version = self.schema_version()
        if version == migrations.SCHEMA_VERSION:
            return []
        if version > migrations.SCHEMA_VERSION:
            raise StoreError(f"the database is at schema v{version}, newer than this metawatch "
                             f"(v{migrations.SCHEMA_VERSION}): upgrade metawatch")  # fmt: skip
        if version and not allowed:
            raise StoreError(f"the database is at schema v{version}, this metawatch needs "
                             f"v{migrations.SCHEMA_VERSION}: run `metawatch db upgrade`")  # fmt: skip
        with self._write(serial=True) as conn:
            return migrations.upgrade(conn)

    def settle(self, record: str) -> None:
        """Keep what a full scan settled until the next write (see ``metawatch.settled``)."""
        key = {"k": SETTLED, "v": record}
        with self._write(settling=True) as conn:
            conn.execute(text("DELETE FROM metawatch_meta WHERE key = :k"), key)
            conn.execute(text("INSERT INTO metawatch_meta (key, value) VALUES (:k, :v)"), key)

    def copy_to(self, target: Database) -> dict[str, int]:
        """Copy every row, ids kept, into the empty ``target`` in one transaction; rows per table."""
        tables = _data_tables()
        copied: dict[str, int] = {}
        with self._read() as src, target._write(serial=True) as dst:
            if any(dst.execute(select(func.count()).select_from(t)).scalar() for t in tables):
                raise StoreError("the target database already holds data: copy into an empty one")
            for table in tables:
                result = src.execution_options(yield_per=1000).execute(select(table))
                copied[table.name] = 0
                for part in result.mappings().partitions():
                    dst.execute(table.insert(), [dict(r) for r in part])
                    copied[table.name] += len(part)
                _reset_sequence(dst, table)
        return copied

    def row_counts(self) -> dict[str, int]:
        """Rows per table (to check a copy)."""
        with self._read() as conn:
            return {t.name: conn.execute(select(func.count()).select_from(t)).scalar_one()
                    for t in _data_tables()}  # fmt: skip


def _data_tables() -> list[Table]:
    """Every table but the schema version, parents before children."""
    return [t for t in SQLModel.metadata.sorted_tables if t.name != MetaRow.__tablename__]


def _reset_sequence(conn: Connection, table: Table) -> None:
    """After rows were inserted with their ids, new ids must start above them (PostgreSQL)."""
    if conn.dialect.name == "postgresql" and "id" in table.c:
        conn.execute(text(f"SELECT setval(pg_get_serial_sequence('{table.name}', 'id'), "
                          f"COALESCE(MAX(id), 1), MAX(id) IS NOT NULL) FROM {table.name}"))  # fmt: skip
