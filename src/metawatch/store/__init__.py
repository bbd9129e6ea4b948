"""The store on SQLite (default) or PostgreSQL: the only package that imports sqlmodel/sqlalchemy."""

from __future__ import annotations

import json
import os
import zlib
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager, contextmanager, nullcontext
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, Table, create_engine, event, exc, func, select, text
from sqlalchemy.dialects import sqlite
from sqlmodel import SQLModel

from metawatch.accounts import normalize_address
from metawatch.config import safe_url
from metawatch.errors import ConfigError, LockedError, NotFound, StoreError, StoreUnavailable
from metawatch.lock import scan_lock
from metawatch.models import (
    Account,
    AlertRecord,
    Authenticity,
    Classification,
    Condition,
    Cue,
    Cursor,
    Delivery,
    Evidence,
    Kind,
    Mail,
    MessageRecord,
    Platform,
)
from metawatch.store import migrations
from metawatch.store.tables import (
    AccountRow,
    AddressRow,
    AlertRow,
    CursorRow,
    DeliveryRow,
    LinkRow,
    ManualRow,
    MessageRow,
    MetaRow,
    OriginalRow,
)


@dataclass(frozen=True)
class NewMessage:
    """A classified mail ready to be stored."""

    key: str
    mail: Mail
    result: Classification
    account_id: int | None
    raw: bytes | None = None  # kept for evidence export, only when the user asks


def database_url(value: str) -> str:
    """A SQLAlchemy URL from a ``--db`` value: a URL as is, a path as a SQLite file."""
    if "://" in value:
        return value
    return f"sqlite:///{Path(value).expanduser().resolve()}"


MESSAGE: Table = SQLModel.metadata.tables[MessageRow.__tablename__]
ACCOUNT: Table = SQLModel.metadata.tables[AccountRow.__tablename__]
ADDRESS: Table = SQLModel.metadata.tables[AddressRow.__tablename__]
CURSOR: Table = SQLModel.metadata.tables[CursorRow.__tablename__]
LINK: Table = SQLModel.metadata.tables[LinkRow.__tablename__]
MANUAL: Table = SQLModel.metadata.tables[ManualRow.__tablename__]
ALERT: Table = SQLModel.metadata.tables[AlertRow.__tablename__]
DELIVERY: Table = SQLModel.metadata.tables[DeliveryRow.__tablename__]
ORIGINAL: Table = SQLModel.metadata.tables[OriginalRow.__tablename__]
LOCK_CLASS = 0x6D77  # "mw": the first key of every PostgreSQL advisory lock metawatch takes


class AlertsMixin:
    """Alerts, their deliveries, linked accounts and manual evidence."""

    engine: Engine

    def _write(self) -> Any: ...
    def _read(self) -> Any: ...

    def open_alerts(self) -> list[AlertRecord]:
        """Alerts whose condition has not been resolved."""
        with self._read() as conn:
            rows = conn.execute(
                select(ALERT).where(ALERT.c.resolved.is_(None)).order_by(ALERT.c.id)
            )
            return [_alert(r) for r in rows.mappings()]

    def alerts(self, limit: int = 100) -> list[tuple[AlertRecord, list[Delivery]]]:
        """The latest alerts with their deliveries, newest first."""
        with self._read() as conn:
            rows = [_alert(r) for r in conn.execute(
                select(ALERT).order_by(ALERT.c.id.desc()).limit(limit)).mappings()]  # fmt: skip
            ds = [
                _delivery(r)
                for r in conn.execute(select(DELIVERY).order_by(DELIVERY.c.id)).mappings()
            ]
        return [(a, [d for d in ds if d.alert_id == a.id]) for a in rows]

    def open_alert(self, c: Condition, now: datetime) -> AlertRecord:
        """Record a newly alerted condition."""
        values: dict[str, Any] = {"subject": c.subject, "condition": c.condition, "evidence": c.evidence,
                                  "title": c.title, "body": c.body, "opened": now, "last_sent": now}  # fmt: skip
        with self._write() as conn:
            new_id = conn.execute(ALERT.insert().values(values).returning(ALERT.c.id)).scalar_one()
        return AlertRecord(id=new_id, **values)

    def touch_alert(self, alert_id: int, now: datetime) -> None:
        """A reminder went out."""
        with self._write() as conn:
            conn.execute(ALERT.update().where(ALERT.c.id == alert_id).values(last_sent=now))

    def resolve_alert(self, alert_id: int, now: datetime) -> None:
        """The condition no longer holds."""
        with self._write() as conn:
            conn.execute(ALERT.update().where(ALERT.c.id == alert_id).values(resolved=now))

    def add_delivery(self, alert_id: int, kind: str, channel: str, title: str, body: str,
                     now: datetime) -> None:  # fmt: skip
        """Queue one message for one channel."""
        with self._write() as conn:
            conn.execute(DELIVERY.insert().values(alert_id=alert_id, kind=kind, channel=channel,
                                                  title=title, body=body, created=now))  # fmt: skip

    def pending_deliveries(self) -> list[Delivery]:
        """Messages not delivered yet, oldest first."""
        stmt = select(DELIVERY).where(DELIVERY.c.delivered.is_(None)).order_by(DELIVERY.c.id)
        with self._read() as conn:
            return [_delivery(r) for r in conn.execute(stmt).mappings()]

    def mark_delivery(self, delivery_id: int, now: datetime, error: str | None) -> None:
        """Record an attempt: delivered when ``error`` is None."""
        values: dict[str, Any] = {"attempts": DELIVERY.c.attempts + 1, "last_error": error or ""}
        if error is None:
            values["delivered"] = now
        with self._write() as conn:
            conn.execute(DELIVERY.update().where(DELIVERY.c.id == delivery_id).values(values))

    def link_accounts(self, a: int, b: int) -> None:
        """Record that two accounts share an Accounts Center."""
        if a == b:
            raise NotFound("an account cannot be linked to itself")
        known = {acc.id for acc in self.accounts()}  # type: ignore[attr-defined]
        for x in (a, b):
            if x not in known:
                raise NotFound(f"no account with id {x}")
        lo, hi = sorted((a, b))
        with self._write() as conn:
            if not conn.execute(
                select(LINK.c.id).where((LINK.c.account_a == lo) & (LINK.c.account_b == hi))
            ).first():
                conn.execute(LINK.insert().values(account_a=lo, account_b=hi))

    def links(self) -> list[tuple[int, int]]:
        """Every linked pair."""
        with self._read() as conn:
            return [(r[0], r[1]) for r in conn.execute(select(LINK.c.account_a, LINK.c.account_b))]

    def add_manual(self, account_id: int, day: datetime, note: str) -> None:
        """Record an objection confirmed on screen (in the app)."""
        if account_id not in {acc.id for acc in self.accounts()}:  # type: ignore[attr-defined]
            raise NotFound(f"no account with id {account_id}")
        with self._write() as conn:
            conn.execute(
                MANUAL.insert().values(account_id=account_id, date=day, note=note, created=_now())
            )

    def manual_evidence(self) -> list[Evidence]:
        """Every manual confirmation, as evidence."""
        with self._read() as conn:
            rows = conn.execute(select(MANUAL).order_by(MANUAL.c.date)).mappings().all()
        return [Evidence(Kind.OBJECTION_ACCEPTED, _utc(r["date"]), Authenticity.PASS, "manual",
                         r["note"] or "manual", account_id=r["account_id"]) for r in rows]  # fmt: skip


class Store(AlertsMixin):
    """Accounts and classified mails in one database (SQLAlchemy Core over SQLModel tables)."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    @classmethod
    def open(cls, url: str, upgrade: bool | None = None) -> Store:
        """Open the database at ``url``, creating its tables when it is empty.

        An older schema is upgraded when ``upgrade`` is true; by default only a SQLite file is,
        since a shared server database may still be used by older metawatch installs.
        """
        store = cls.connect(url)
        auto = store.engine.dialect.name == "sqlite"
        try:
            store.upgrade(auto if upgrade is None else upgrade)
        except BaseException:
            store.close()
            raise
        return store

    @classmethod
    def connect(cls, url: str) -> Store:
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

    def close(self) -> None:
        """Release every connection."""
        self.engine.dispose()

    def copy_to(self, target: Store) -> dict[str, int]:
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

    @contextmanager
    def _write(self, serial: bool = False) -> Iterator[Connection]:
        """One transaction; database errors become StoreError (disk full, read-only file).

        ``serial`` makes it the only serial writer until it ends, on any number of hosts, for
        checks that must not race with their insert (creating tables, discovering an account).
        """
        try:
            with self.engine.begin() as conn:
                if serial:
                    _serialize(conn)
                yield conn
        except exc.SQLAlchemyError as e:
            raise self._error("cannot write to the database", e) from e

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
        with self.engine.connect() as conn:
            take = "pg_advisory_lock" if wait else "pg_try_advisory_lock"
            got = conn.execute(text(f"SELECT {take}(:c, :k)"), key).scalar()
            conn.commit()
            if not wait and not got:
                raise LockedError(f"{name} is being scanned by another metawatch")
            try:
                yield
            finally:
                conn.execute(text("SELECT pg_advisory_unlock(:c, :k)"), key)
                conn.commit()

    @contextmanager
    def _read(self) -> Iterator[Connection]:
        try:
            with self.engine.connect() as conn:
                yield conn
        except exc.SQLAlchemyError as e:
            raise self._error("cannot read the database", e) from e

    # -- messages -------------------------------------------------------------------------

    def known_keys(self, keys: Sequence[str]) -> set[str]:
        """The source keys among ``keys`` that are already stored."""
        with self._read() as conn:
            rows = conn.execute(select(MESSAGE.c.source_key).where(MESSAGE.c.source_key.in_(keys)))
            return {r[0] for r in rows}

    def add_messages(
        self, batch: Sequence[NewMessage], cursor: Cursor | None = None
    ) -> list[NewMessage]:
        """Store a batch and move its cursor in one transaction; returns the mails that were new."""
        # One order for every writer (by Message-ID and hash), so that two scanners inserting
        # the same mails never wait for each other in a circle (a deadlock on PostgreSQL).
        rows = sorted(
            _dedupe([_row(m) for m in batch]), key=lambda r: (r["message_id"], r["sha256"])
        )
        with self._write() as conn:
            # The database's upsert, not check-then-insert: of two scanners storing one mail
            # at once (same key, or same Message-ID and hash), exactly one stores it.
            fresh = {key: i for key, i in conn.execute(_insert_ignore(conn, rows))} if rows else {}
            kept = [(fresh[m.key], m.raw) for m in batch if m.raw is not None and m.key in fresh]
            _keep(conn, kept)
            if cursor is not None:
                _save_cursor(conn, cursor)
        return [m for m in batch if m.key in fresh]

    def keep_originals(self, originals: Sequence[tuple[int, bytes]]) -> None:
        """Keep the raw bytes of stored mails (by row id) for evidence export."""
        with self._write() as conn:
            _keep(conn, originals)

    def originals(self, ids: Sequence[int]) -> dict[int, bytes]:
        """The kept raw bytes of the mails ``ids`` (those that have them)."""
        stmt = select(ORIGINAL.c.message_id, ORIGINAL.c.raw).where(ORIGINAL.c.message_id.in_(ids))
        with self._read() as conn:
            return {r[0]: bytes(r[1]) for r in conn.execute(stmt)}

    def messages(
        self, kind: str | None = None, account_id: int | None = None, include_not_meta: bool = False
    ) -> list[MessageRecord]:
        """Stored Meta mails (``not_meta`` ones only when asked), oldest first, optionally filtered."""
        stmt = select(MESSAGE)
        if not include_not_meta:
            stmt = stmt.where(MESSAGE.c.kind != Kind.NOT_META.value)
        if kind:
            stmt = stmt.where(MESSAGE.c.kind == kind)
        if account_id is not None:
            stmt = stmt.where(MESSAGE.c.account_id == account_id)
        with self._read() as conn:
            rows = conn.execute(
                stmt.order_by(MESSAGE.c.date.asc().nulls_first(), MESSAGE.c.id)
            ).mappings()
            return [_record(r) for r in rows]

    def update_classification(self, row_id: int, m: NewMessage) -> None:
        """Replace a stored mail's classification (after a rule change)."""
        values = {k: v for k, v in _row(m).items() if k not in ("source_key", "scanned")}
        with self._write() as conn:
            conn.execute(MESSAGE.update().where(MESSAGE.c.id == row_id).values(values))

    def message(self, message_id: int) -> MessageRecord:
        """One stored mail by row id."""
        with self._read() as conn:
            row = conn.execute(select(MESSAGE).where(MESSAGE.c.id == message_id)).mappings().first()
        if row is None:
            raise NotFound(f"no stored message with id {message_id}")
        return _record(row)

    def counts(self) -> dict[str, int]:
        """Number of stored mails per kind."""
        stmt = select(MESSAGE.c.kind, func.count()).group_by(MESSAGE.c.kind)
        with self._read() as conn:
            return {k: n for k, n in conn.execute(stmt).all()}

    def cursors(self, mailbox: str) -> dict[str, Cursor]:
        """The stored cursor of every folder of a mailbox."""
        stmt = select(CURSOR).where(CURSOR.c.mailbox == mailbox)
        with self._read() as conn:
            return {
                r["folder"]: Cursor(
                    r["mailbox"], r["folder"], r["uidvalidity"], r["last_uid"], r["uidnext"]
                )
                for r in conn.execute(stmt).mappings()
            }

    # -- accounts -------------------------------------------------------------------------

    def accounts(self) -> list[Account]:
        """Every account, in the order they were added or discovered."""
        with self._read() as conn:
            return _accounts(conn)

    def ensure_account(
        self,
        wanted: Callable[[Account], bool],
        platform: Platform,
        emails: Iterable[str],
        handle: str | None = None,
        label: str | None = None,
        discovered: bool = False,
    ) -> tuple[Account, bool]:
        """The first account ``wanted`` accepts, else a new one; True when it was created.

        The check and the insert share one serial transaction, so scanners that discover the
        same account at once (or start with the same config file) create it once.
        """
        with self._write(serial=True) as conn:
            found = next((a for a in _accounts(conn) if wanted(a)), None)
            if found is not None:
                return found, False
            return _add_account(conn, platform, emails, handle, label, discovered), True

    def add_account(
        self,
        platform: Platform,
        emails: Iterable[str],
        handle: str | None = None,
        label: str | None = None,
        discovered: bool = False,
    ) -> Account:
        """Create an account with its login addresses."""
        with self._write() as conn:
            return _add_account(conn, platform, emails, handle, label, discovered)

    def remove_account(self, account_id: int) -> None:
        """Delete an account; its mails stay, no longer assigned."""
        with self._write() as conn:
            conn.execute(ADDRESS.delete().where(ADDRESS.c.account_id == account_id))
            conn.execute(
                MESSAGE.update().where(MESSAGE.c.account_id == account_id).values(account_id=None)
            )
            if conn.execute(ACCOUNT.delete().where(ACCOUNT.c.id == account_id)).rowcount == 0:
                raise NotFound(f"no account with id {account_id}")


def _data_tables() -> list[Table]:
    """Every table but the schema version, parents before children."""
    return [t for t in SQLModel.metadata.sorted_tables if t.name != MetaRow.__tablename__]


def _accounts(conn: Connection) -> list[Account]:
    rows = conn.execute(select(ACCOUNT).order_by(ACCOUNT.c.id)).mappings().all()
    addresses = conn.execute(select(ADDRESS).order_by(ADDRESS.c.id)).mappings().all()
    by_account: dict[int, list[str]] = {}
    for a in addresses:
        by_account.setdefault(a["account_id"], []).append(a["address"])
    return [_account(r, by_account.get(r["id"], [])) for r in rows]


def _add_account(
    conn: Connection,
    platform: Platform,
    emails: Iterable[str],
    handle: str | None,
    label: str | None,
    discovered: bool,
) -> Account:
    unique = list(dict.fromkeys(e.strip() for e in emails if e.strip()))
    row = {"platform": platform.value, "handle": handle, "label": label,
           "discovered": discovered, "created": _now()}  # fmt: skip
    account_id = conn.execute(ACCOUNT.insert().values(row).returning(ACCOUNT.c.id)).scalar_one()
    if unique:
        conn.execute(ADDRESS.insert(), [{"account_id": account_id, "address": e,
                                         "normalized": normalize_address(e)} for e in unique])  # fmt: skip
    return _account({**row, "id": account_id}, unique)


def _alert(r: Mapping[Any, Any]) -> AlertRecord:
    return AlertRecord(r["id"], r["subject"], r["condition"], r["evidence"], r["title"], r["body"],
                       _utc(r["opened"]), _utc(r["last_sent"]), _utc(r["resolved"]) if r["resolved"] else None)  # fmt: skip


def _delivery(r: Mapping[Any, Any]) -> Delivery:
    return Delivery(r["id"], r["alert_id"], r["kind"], r["channel"], r["title"], r["body"], _utc(r["created"]),
                    _utc(r["delivered"]) if r["delivered"] else None, r["attempts"], r["last_error"])  # fmt: skip


def _save_cursor(conn: Connection, c: Cursor) -> None:
    """Replace the cursor of one folder (inside the batch's transaction)."""
    where = (CURSOR.c.mailbox == c.mailbox) & (CURSOR.c.folder == c.folder)
    conn.execute(CURSOR.delete().where(where))
    conn.execute(
        CURSOR.insert().values(
            mailbox=c.mailbox,
            folder=c.folder,
            uidvalidity=c.uidvalidity,
            last_uid=c.last_uid,
            uidnext=c.uidnext,
            updated=_now(),
        )
    )


def _insert_ignore(conn: Connection, rows: list[dict[str, Any]]) -> Any:
    """INSERT … ON CONFLICT DO NOTHING RETURNING (source_key, id) of the rows it stored."""
    stmt = _dialect(conn).insert(MESSAGE).values(rows).on_conflict_do_nothing()
    return stmt.returning(MESSAGE.c.source_key, MESSAGE.c.id)


def _keep(conn: Connection, originals: Sequence[tuple[int, bytes]]) -> None:
    if originals:
        rows = [{"message_id": i, "raw": raw, "kept": _now()} for i, raw in originals]
        conn.execute(_dialect(conn).insert(ORIGINAL).values(rows).on_conflict_do_nothing())


def _dialect(conn: Connection) -> Any:
    """The dialect module whose insert() has on_conflict_do_nothing (PostgreSQL's only if used)."""
    if conn.dialect.name == "postgresql":
        from sqlalchemy.dialects import postgresql

        return postgresql
    return sqlite


def _reset_sequence(conn: Connection, table: Table) -> None:
    """After rows were inserted with their ids, new ids must start above them (PostgreSQL)."""
    if conn.dialect.name == "postgresql" and "id" in table.c:
        conn.execute(text(f"SELECT setval(pg_get_serial_sequence('{table.name}', 'id'), "
                          f"COALESCE(MAX(id), 1), MAX(id) IS NOT NULL) FROM {table.name}"))  # fmt: skip


def _serialize(conn: Connection) -> None:
    """Take the database-wide write lock for this transaction (see ``Store._write``)."""
    if conn.dialect.name == "postgresql":
        conn.execute(text("SELECT pg_advisory_xact_lock(:c, 0)"), {"c": LOCK_CLASS})
    else:
        conn.exec_driver_sql("BEGIN IMMEDIATE")  # pysqlite has not begun one yet: take it now


def _dedupe(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    seen: set[object] = set()
    out = []
    for r in rows:
        pair = (r["message_id"], r["sha256"])
        if r["source_key"] in seen or pair in seen:
            continue
        seen.update((r["source_key"], pair))
        out.append(r)
    return out


def _row(m: NewMessage) -> dict[str, Any]:
    r, mail = m.result, m.mail
    meta = r.kind not in (Kind.NOT_META,)
    return {
        "source_key": m.key,
        "message_id": mail.message_id,
        "sha256": mail.sha256,
        "size": mail.size,
        "date": _utc(mail.date) if mail.date else None,
        "sender": mail.from_addr if meta else "",
        "recipients": ",".join(mail.recipients) if meta else "",
        "subject": mail.subject[:500] if meta else "",
        "kind": r.kind.value,
        "platform": r.platform.value if r.platform else None,
        "language": r.language,
        "rule": r.rule,
        "rules_version": r.rules_version,
        "authenticity": r.authenticity.value,
        "auth_reason": r.auth.reason,
        "auth_header": r.auth.header[:2000],
        "forwarded": r.forwarded,
        "handle": r.handle,
        "objection_link": r.objection_link,
        "evidence": r.evidence[:400] if meta else "",
        "cues": json.dumps([[c.group, c.text] for c in r.cues], ensure_ascii=False),
        "account_id": m.account_id,
        "error": mail.error,
        "scanned": _now(),
    }


def _record(r: Mapping[Any, Any]) -> MessageRecord:
    return MessageRecord(
        id=r["id"],
        source_key=r["source_key"],
        message_id=r["message_id"],
        sha256=r["sha256"],
        date=_utc(r["date"]) if r["date"] else None,
        sender=r["sender"],
        recipients=tuple(x for x in r["recipients"].split(",") if x),
        subject=r["subject"],
        kind=Kind(r["kind"]),
        platform=Platform(r["platform"]) if r["platform"] else None,
        language=r["language"],
        rule=r["rule"],
        rules_version=r["rules_version"],
        authenticity=Authenticity(r["authenticity"]),
        auth_reason=r["auth_reason"],
        auth_header=r["auth_header"],
        forwarded=bool(r["forwarded"]),
        handle=r["handle"],
        objection_link=r["objection_link"],
        evidence=r["evidence"],
        account_id=r["account_id"],
        error=r["error"],
        cues=tuple(Cue(g, t) for g, t in json.loads(r["cues"] or "[]")),
    )


def _account(r: Mapping[Any, Any], emails: list[str]) -> Account:
    return Account(
        id=r["id"],
        platform=Platform(r["platform"]),
        emails=tuple(emails),
        handle=r["handle"],
        label=r["label"],
        discovered=bool(r["discovered"]),
    )


def _now() -> datetime:
    return datetime.now(UTC)


def _utc(value: datetime) -> datetime:
    """Aware UTC; naive values (as SQLite returns them, or undated mails) are taken as UTC."""
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


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
