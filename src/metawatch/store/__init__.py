"""The SQLite (default) store: the only package that imports sqlmodel/sqlalchemy."""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, Table, create_engine, event, exc, func, or_, select
from sqlalchemy.dialects import sqlite
from sqlmodel import SQLModel

from metawatch.accounts import normalize_address
from metawatch.errors import NotFound, StoreError
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
)


@dataclass(frozen=True)
class NewMessage:
    """A classified mail ready to be stored."""

    key: str
    mail: Mail
    result: Classification
    account_id: int | None


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
    def open(cls, url: str) -> Store:
        """Open (and create or upgrade) the database at ``url``."""
        if url.startswith("sqlite:///"):
            _create_private_file(Path(url.removeprefix("sqlite:///")))
        try:
            engine = create_engine(url)
            if engine.dialect.name == "sqlite":
                event.listen(engine, "connect", _sqlite_pragmas)
            with engine.begin() as conn:
                migrations.upgrade(conn)
        except exc.SQLAlchemyError as e:
            raise StoreError(f"cannot open database {_safe(url)}: {_reason(e)}") from e
        return cls(engine)

    def close(self) -> None:
        """Release every connection."""
        self.engine.dispose()

    @contextmanager
    def _write(self) -> Iterator[Connection]:
        """One transaction; database errors become StoreError (disk full, read-only file)."""
        try:
            with self.engine.begin() as conn:
                yield conn
        except exc.SQLAlchemyError as e:
            raise StoreError(f"cannot write to the database: {_reason(e)}") from e

    @contextmanager
    def _read(self) -> Iterator[Connection]:
        try:
            with self.engine.connect() as conn:
                yield conn
        except exc.SQLAlchemyError as e:
            raise StoreError(f"cannot read the database: {_reason(e)}") from e

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
        rows = _dedupe([_row(m) for m in batch])
        fresh: list[dict[str, Any]] = []
        with self._write() as conn:
            if rows:
                keys, pairs = _existing(conn, rows)
                fresh = [
                    r
                    for r in rows
                    if r["source_key"] not in keys and (r["message_id"], r["sha256"]) not in pairs
                ]
            if fresh:
                conn.execute(_insert_ignore(conn, fresh))
            if cursor is not None:
                _save_cursor(conn, cursor)
        fresh_keys = {r["source_key"] for r in fresh}
        return [m for m in batch if m.key in fresh_keys]

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
            rows = conn.execute(stmt.order_by(MESSAGE.c.date, MESSAGE.c.id)).mappings()
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
            rows = conn.execute(select(ACCOUNT).order_by(ACCOUNT.c.id)).mappings().all()
            addresses = conn.execute(select(ADDRESS).order_by(ADDRESS.c.id)).mappings().all()
        by_account: dict[int, list[str]] = {}
        for a in addresses:
            by_account.setdefault(a["account_id"], []).append(a["address"])
        return [_account(r, by_account.get(r["id"], [])) for r in rows]

    def add_account(
        self,
        platform: Platform,
        emails: Iterable[str],
        handle: str | None = None,
        label: str | None = None,
        discovered: bool = False,
    ) -> Account:
        """Create an account with its login addresses."""
        unique = list(dict.fromkeys(e.strip() for e in emails if e.strip()))
        row = {
            "platform": platform.value,
            "handle": handle,
            "label": label,
            "discovered": discovered,
            "created": _now(),
        }
        with self._write() as conn:
            account_id = conn.execute(
                ACCOUNT.insert().values(row).returning(ACCOUNT.c.id)
            ).scalar_one()
            conn.execute(
                ADDRESS.insert(),
                [
                    {"account_id": account_id, "address": e, "normalized": normalize_address(e)}
                    for e in unique
                ],
            ) if unique else None
        return _account({**row, "id": account_id}, unique)

    def remove_account(self, account_id: int) -> None:
        """Delete an account; its mails stay, no longer assigned."""
        with self._write() as conn:
            conn.execute(ADDRESS.delete().where(ADDRESS.c.account_id == account_id))
            conn.execute(
                MESSAGE.update().where(MESSAGE.c.account_id == account_id).values(account_id=None)
            )
            if conn.execute(ACCOUNT.delete().where(ACCOUNT.c.id == account_id)).rowcount == 0:
                raise NotFound(f"no account with id {account_id}")


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


def _existing(
    conn: Connection, rows: list[dict[str, Any]]
) -> tuple[set[str], set[tuple[str, str]]]:
    """Source keys and (Message-ID, sha256) pairs of ``rows`` that are already stored."""
    keys = [r["source_key"] for r in rows]
    hashes = [r["sha256"] for r in rows]
    found = conn.execute(
        select(MESSAGE.c.source_key, MESSAGE.c.message_id, MESSAGE.c.sha256).where(
            or_(MESSAGE.c.source_key.in_(keys), MESSAGE.c.sha256.in_(hashes))
        )
    ).all()
    return {r[0] for r in found}, {(r[1], r[2]) for r in found}


def _insert_ignore(conn: Connection, rows: list[dict[str, Any]]) -> Any:
    """INSERT … ON CONFLICT DO NOTHING: a concurrent writer's copy wins quietly."""
    if conn.dialect.name == "postgresql":
        from sqlalchemy.dialects import postgresql

        return postgresql.insert(MESSAGE).values(rows).on_conflict_do_nothing()
    return sqlite.insert(MESSAGE).values(rows).on_conflict_do_nothing()


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


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")  # readers (status) never wait for a scan
    cur.execute("PRAGMA busy_timeout=10000")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.close()


def _reason(e: exc.SQLAlchemyError) -> str:
    """The driver's own message (e.g. 'database or disk is full'), not SQLAlchemy's wrapping."""
    return str(getattr(e, "orig", None) or e).splitlines()[0]


def _safe(url: str) -> str:
    """A URL without its password, for messages."""
    head, sep, tail = url.partition("@")
    if not sep or "://" not in head:
        return url
    scheme, _, cred = head.partition("://")
    return f"{scheme}://{cred.split(':', 1)[0]}:***@{tail}"
