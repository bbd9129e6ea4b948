"""The SQLite (default) store: the only package that imports sqlmodel/sqlalchemy."""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, event, exc, func, or_, select, tuple_
from sqlalchemy.dialects import sqlite
from sqlmodel import Session, create_engine

from metawatch.accounts import normalize_address
from metawatch.errors import NotFound, StoreError
from metawatch.models import (
    Account,
    Authenticity,
    Classification,
    Cue,
    Kind,
    Mail,
    MessageRecord,
    Platform,
)
from metawatch.store import migrations
from metawatch.store.tables import AccountRow, AddressRow, MessageRow


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


class Store:
    """Accounts and classified mails in one database."""

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
            raise StoreError(f"cannot open database {_safe(url)}: {e.__class__.__name__}: "
                             f"{str(e.orig) if hasattr(e, 'orig') else e}") from e  # fmt: skip
        return cls(engine)

    def close(self) -> None:
        """Release every connection."""
        self.engine.dispose()

    # -- messages -------------------------------------------------------------------------

    def known_keys(self, keys: Sequence[str]) -> set[str]:
        """The source keys among ``keys`` that are already stored."""
        stmt = select(MessageRow.source_key).where(MessageRow.source_key.in_(keys))  # type: ignore[attr-defined]
        with Session(self.engine) as s:
            return set(s.exec(stmt).scalars())  # type: ignore[call-overload]

    def add_messages(self, batch: Sequence[NewMessage]) -> list[NewMessage]:
        """Store a batch in one transaction; returns those that were new (by key and content)."""
        rows = _dedupe([_row(m) for m in batch])
        with self._write() as s:
            seen_keys, seen_pairs = self._existing(s, rows)
            fresh = [r for r in rows
                     if r["source_key"] not in seen_keys and (r["message_id"], r["sha256"]) not in seen_pairs]  # fmt: skip
            if fresh:
                s.execute(_insert_ignore(s, fresh))
        fresh_keys = {r["source_key"] for r in fresh}
        return [m for m in batch if m.key in fresh_keys]

    def _existing(self, s: Session, rows: list[dict[str, Any]]) -> tuple[set[str], set[tuple[str, str]]]:
        keys = [r["source_key"] for r in rows]
        pairs = [(r["message_id"], r["sha256"]) for r in rows]
        found = s.execute(select(MessageRow.source_key, MessageRow.message_id, MessageRow.sha256).where(
            or_(MessageRow.source_key.in_(keys),  # type: ignore[attr-defined]
                tuple_(MessageRow.message_id, MessageRow.sha256).in_(pairs))))  # fmt: skip
        rows_found = found.all()
        return {r[0] for r in rows_found}, {(r[1], r[2]) for r in rows_found}

    def messages(self, kind: str | None = None, account_id: int | None = None) -> list[MessageRecord]:
        """Stored Meta mails (not ``not_meta``), oldest first, optionally filtered."""
        stmt = select(MessageRow).where(MessageRow.kind != Kind.NOT_META.value)
        if kind:
            stmt = stmt.where(MessageRow.kind == kind)
        if account_id is not None:
            stmt = stmt.where(MessageRow.account_id == account_id)
        stmt = stmt.order_by(MessageRow.date, MessageRow.id)  # type: ignore[arg-type]
        with Session(self.engine) as s:
            return [_record(r) for r in s.exec(stmt).scalars()]  # type: ignore[call-overload]

    def message(self, message_id: int) -> MessageRecord:
        """One stored mail by row id."""
        with Session(self.engine) as s:
            row = s.get(MessageRow, message_id)
            if row is None:
                raise NotFound(f"no stored message with id {message_id}")
            return _record(row)

    def counts(self) -> dict[str, int]:
        """Number of stored mails per kind."""
        stmt = select(MessageRow.kind, func.count()).group_by(MessageRow.kind)
        with Session(self.engine) as s:
            return {k: n for k, n in s.execute(stmt).all()}

    # -- accounts -------------------------------------------------------------------------

    def accounts(self) -> list[Account]:
        """Every account, known ones first."""
        with Session(self.engine) as s:
            rows = s.exec(select(AccountRow).order_by(AccountRow.id)).scalars().all()  # type: ignore[call-overload, arg-type]
            addresses = s.exec(select(AddressRow).order_by(AddressRow.id)).scalars().all()  # type: ignore[call-overload, arg-type]
        by_account: dict[int, list[str]] = {}
        for a in addresses:
            by_account.setdefault(a.account_id, []).append(a.address)
        return [_account(r, by_account.get(r.id or 0, [])) for r in rows]

    def add_account(self, platform: Platform, emails: Iterable[str], handle: str | None = None,
                    label: str | None = None, discovered: bool = False) -> Account:  # fmt: skip
        """Create an account with its login addresses."""
        with self._write() as s:
            row = AccountRow(platform=platform.value, handle=handle, label=label,
                             discovered=discovered, created=_now())  # fmt: skip
            s.add(row)
            s.flush()
            unique = dict.fromkeys(e.strip() for e in emails if e.strip())
            for e in unique:
                s.add(AddressRow(account_id=row.id, address=e, normalized=normalize_address(e)))
            account = _account(row, list(unique))
        return account

    def remove_account(self, account_id: int) -> None:
        """Delete an account; its mails stay, no longer assigned."""
        with self._write() as s:
            row = s.get(AccountRow, account_id)
            if row is None:
                raise NotFound(f"no account with id {account_id}")
            for a in s.exec(select(AddressRow).where(AddressRow.account_id == account_id)).scalars():  # type: ignore[call-overload]
                s.delete(a)
            s.execute(MessageRow.__table__.update().where(MessageRow.account_id == account_id)  # type: ignore[attr-defined]
                      .values(account_id=None))  # fmt: skip
            s.delete(row)

    def _write(self) -> _WriteSession:
        return _WriteSession(self.engine)


class _WriteSession:
    """A session that commits on success and turns database errors into StoreError."""

    def __init__(self, engine: Engine) -> None:
        self.session = Session(engine)

    def __enter__(self) -> Session:
        return self.session

    def __exit__(self, exc_type: object, exc_value: object, tb: object) -> None:
        try:
            if exc_type is None:
                self.session.commit()
            else:
                self.session.rollback()
        except exc.SQLAlchemyError as e:
            self.session.rollback()
            raise StoreError(f"cannot write to the database: {getattr(e, 'orig', e)}") from e
        finally:
            self.session.close()
        if isinstance(exc_value, exc.SQLAlchemyError):
            raise StoreError(f"cannot write to the database: {getattr(exc_value, 'orig', exc_value)}") from exc_value


def _insert_ignore(s: Session, rows: list[dict[str, Any]]) -> Any:
    """INSERT … ON CONFLICT DO NOTHING: a concurrent writer's copy wins quietly."""
    table = MessageRow.__table__  # type: ignore[attr-defined]
    if s.get_bind().dialect.name == "postgresql":
        from sqlalchemy.dialects import postgresql

        return postgresql.insert(table).values(rows).on_conflict_do_nothing()
    return sqlite.insert(table).values(rows).on_conflict_do_nothing()


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
        "date": mail.date.astimezone(UTC).replace(tzinfo=None) if mail.date else None,
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
        "forwarded": r.forwarded,
        "handle": r.handle,
        "objection_link": r.objection_link,
        "evidence": r.evidence[:400] if meta else "",
        "cues": json.dumps([[c.group, c.text] for c in r.cues], ensure_ascii=False),
        "account_id": m.account_id,
        "error": mail.error,
        "scanned": _now(),
    }


def _record(r: MessageRow) -> MessageRecord:
    return MessageRecord(
        id=r.id or 0,
        source_key=r.source_key,
        message_id=r.message_id,
        sha256=r.sha256,
        date=r.date.replace(tzinfo=UTC) if r.date else None,
        sender=r.sender,
        recipients=tuple(x for x in r.recipients.split(",") if x),
        subject=r.subject,
        kind=Kind(r.kind),
        platform=Platform(r.platform) if r.platform else None,
        language=r.language,
        rule=r.rule,
        rules_version=r.rules_version,
        authenticity=Authenticity(r.authenticity),
        auth_reason=r.auth_reason,
        forwarded=r.forwarded,
        handle=r.handle,
        objection_link=r.objection_link,
        evidence=r.evidence,
        account_id=r.account_id,
        error=r.error,
        cues=tuple(Cue(g, t) for g, t in json.loads(r.cues or "[]")),
    )


def _account(r: AccountRow, emails: list[str]) -> Account:
    return Account(id=r.id or 0, platform=Platform(r.platform), emails=tuple(emails),
                   handle=r.handle, label=r.label, discovered=r.discovered)  # fmt: skip


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


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


def _safe(url: str) -> str:
    """A URL without its password, for messages."""
    head, sep, tail = url.partition("@")
    if not sep or "://" not in head:
        return url
    scheme, _, cred = head.partition("://")
    return f"{scheme}://{cred.split(':', 1)[0]}:***@{tail}"
