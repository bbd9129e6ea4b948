"""The database connection: engine, transactions, locks and store errors (SQLite or PostgreSQL)."""

from __future__ import annotations

import os
import zlib
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext, suppress
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Self

from sqlalchemy import Connection, Engine, create_engine, event, exc, text

from metawatch.config import safe_url
from metawatch.errors import ConfigError, LockedError, StoreError, StoreUnavailable
from metawatch.lock import scan_lock
from metawatch.settled import KEY as SETTLED

LOCK_CLASS = 0x6D77  # "mw": the first key of every PostgreSQL advisory lock metawatch takes


class Database:
    """One database: its engine, its transactions and its locks."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    @classmethod
    def connect(cls, url: str) -> Self:
        """The database at ``url``, as it is (see ``open``)."""
        if url.startswith("sqlite:///"):
            _create_private_file(Path(url.removeprefix("sqlite:///")))
        try:
            return cls(_engine(url))
        except ImportError as e:
            raise ConfigError(f"no driver for {safe_url(url)} ({e.name}): for PostgreSQL, "
                              "install metawatch[postgres]") from None  # fmt: skip
        except exc.SQLAlchemyError as e:
            raise StoreError(f"cannot open database {safe_url(url)}: {_reason(e, url)}") from e

    def _error(self, what: str, e: exc.SQLAlchemyError) -> StoreError:
        """A store error with the driver's reason; an unreachable server is a temporary one."""
        unreachable = self.shared and isinstance(e, exc.OperationalError)
        kind = StoreUnavailable if unreachable else StoreError
        return kind(f"{what}: {_reason(e, str(self.engine.url))}")

    @property
    def shared(self) -> bool:
        """A server database that several hosts may scan into at once."""
        return self.engine.dialect.name != "sqlite"

    def close(self) -> None:
        """Release every connection."""
        self.engine.dispose()

    @contextmanager
    def _write(self, serial: bool = False, settling: bool = False) -> Iterator[Connection]:
        """One transaction; database errors become StoreError (disk full, read-only file).

        ``serial`` makes it the only serial writer until it ends, on any number of hosts, for
        checks that must not race with their insert (creating tables, discovering an account).
        Every write but the one ``settling`` deletes what the last scan settled (see
        ``metawatch.settled``): whatever it changed, the next scan evaluates everything again.
        """
        try:
            with self.engine.begin() as conn:
                if serial:
                    _serialize(conn)
                yield conn
                if not settling:
                    conn.execute(text("DELETE FROM metawatch_meta WHERE key = :k"), {"k": SETTLED})
        except exc.SQLAlchemyError as e:
            raise self._error("cannot write to the database", e) from e

    @contextmanager
    def _read(self) -> Iterator[Connection]:
        try:
            with self.engine.connect() as conn:
                yield conn
        except exc.SQLAlchemyError as e:
            raise self._error("cannot read the database", e) from e

    def scan_lock(self) -> AbstractContextManager[None]:
        """One scan at a time on a SQLite file (a file lock beside it); see ``source_lock``."""
        if self.shared:
            return nullcontext()
        return scan_lock(Path(f"{self.engine.url.database}.lock"))

    def alerts_lock(self) -> AbstractContextManager[None]:
        """Alerts are decided and sent by one scanner at a time, on every host."""
        return self.advisory_lock("alerts", wait=True) if self.shared else nullcontext()

    def source_lock(self, name: str) -> AbstractContextManager[None]:
        """On a shared database, hold the advisory lock of one mailbox (or source) while scanning it.

        SQLite needs none: the scan holds the file lock beside the database. A lock held by another
        scanner raises LockedError at once; one held by a process that died is released with its
        connection.
        """
        return self.advisory_lock(f"source:{name}") if self.shared else nullcontext()

    @contextmanager
    def advisory_lock(self, name: str, wait: bool = False) -> Iterator[None]:
        """A PostgreSQL session-level advisory lock, named by a CRC of ``name``."""
        key = {"c": LOCK_CLASS, "k": zlib.crc32(name.encode()) - 2**31}
        with self._read() as conn:  # a server gone is StoreUnavailable here too
            take = "pg_advisory_lock" if wait else "pg_try_advisory_lock"
            got = conn.execute(text(f"SELECT {take}(:c, :k)"), key).scalar()
            conn.commit()
            if not wait and not got:
                raise LockedError(f"{name} is being scanned by another metawatch")
            try:
                yield
            finally:
                # A lost connection took its lock with it; its error is not the one to report.
                with suppress(exc.SQLAlchemyError):
                    conn.execute(text("SELECT pg_advisory_unlock(:c, :k)"), key)
                    conn.commit()


def _serialize(conn: Connection) -> None:
    """Take the database-wide write lock for this transaction (see ``Store._write``)."""
    if conn.dialect.name == "postgresql":
        conn.execute(text("SELECT pg_advisory_xact_lock(:c, 0)"), {"c": LOCK_CLASS})
    else:
        conn.exec_driver_sql("BEGIN IMMEDIATE")  # pysqlite has not begun one yet: take it now


def _create_private_file(path: Path) -> None:
    """Create the SQLite file with mode 0600 (and its folder 0700) before SQLite does."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        os.close(os.open(path, os.O_CREAT | os.O_RDWR, 0o600))
    except OSError as e:
        raise StoreError(f"cannot create database {path}: {e.strerror}") from e


def _engine(url: str) -> Engine:
    if url.startswith("postgresql"):  # times are stored as UTC, whatever the server's zone
        return create_engine(url, connect_args={"options": "-c TimeZone=UTC"}, pool_pre_ping=True)
    engine = create_engine(url)
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _sqlite_pragmas)
    return engine


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")  # readers (status) never wait for a scan
    cur.execute("PRAGMA busy_timeout=10000")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.close()


def _reason(e: exc.SQLAlchemyError, url: str) -> str:
    """The driver's own message (e.g. 'database or disk is full'), and what the disk says."""
    return str(getattr(e, "orig", None) or e).splitlines()[0] + _disk_hint(url)


def _disk_hint(url: str) -> str:
    """SQLite says 'disk I/O error' for more than one cause: name a full or read-only disk."""
    if not url.startswith("sqlite:///"):
        return ""
    try:
        fs = os.statvfs(Path(url.removeprefix("sqlite:///")).parent)
    except OSError:
        return ""
    if fs.f_flag & os.ST_RDONLY:
        return " (the file system is read-only)"
    free = fs.f_bavail * fs.f_frsize
    return f" (the disk is full: {free} bytes free)" if free < 1 << 20 else ""


def now() -> datetime:
    """The current time, aware UTC."""
    return datetime.now(UTC)


def utc(value: datetime) -> datetime:
    """Aware UTC; naive values (as SQLite returns them, or undated mails) are taken as UTC."""
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
