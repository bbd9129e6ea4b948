"""Stored mails, their kept originals and the IMAP cursors committed with them."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, func, select
from sqlalchemy.dialects import sqlite

from metawatch.errors import NotFound
from metawatch.models import (
    Authenticity,
    Classification,
    Cue,
    Cursor,
    Kind,
    Mail,
    MessageRecord,
    Platform,
)
from metawatch.store.engine import Database, now, utc
from metawatch.store.tables import CURSOR, MESSAGE, ORIGINAL


@dataclass(frozen=True)
class NewMessage:
    """A classified mail ready to be stored."""

    key: str
    mail: Mail
    result: Classification
    account_id: int | None
    raw: bytes | None = None  # kept for evidence export, only when the user asks


class MessageStore(Database):
    """Classified mails and the cursors of the folders they came from."""

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
            fresh = {key: i for key, i in conn.execute(_insert_ignore(conn), rows)} if rows else {}
            kept = [(fresh[m.key], m.raw) for m in batch if m.raw is not None and m.key in fresh]
            _keep(conn, kept)
            _relocate(conn, [m for m in batch if m.key not in fresh], cursor)
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
            updated=now(),
        )
    )


def _insert_ignore(conn: Connection) -> Any:
    """INSERT … ON CONFLICT DO NOTHING RETURNING (source_key, id) of the rows it stored.

    Executed with a list of rows: SQLAlchemy sends them as a few multi-row INSERTs from one
    compiled (and cached) statement, where ``.values(rows)`` would compile 24 parameters a row.
    """
    stmt = _dialect(conn).insert(MESSAGE).on_conflict_do_nothing()
    return stmt.returning(MESSAGE.c.source_key, MESSAGE.c.id)


def _relocate(conn: Connection, copies: Sequence[NewMessage], cursor: Cursor | None) -> None:
    """After a UIDVALIDITY change, a mail stored under its old UID moves to its new key (the old
    one can never be fetched again); copies in other folders or sources keep theirs."""
    if cursor is None or not copies:
        return
    folder = f"imap:{cursor.mailbox}/{cursor.folder}/"
    stale = re.compile(rf"{re.escape(folder)}(?!{cursor.uidvalidity}/)\d+/\d+")
    for m in copies:
        same = (MESSAGE.c.message_id == m.mail.message_id) & (
            (MESSAGE.c.sha256 == m.mail.sha256) | (MESSAGE.c.content_hash == m.mail.content_hash)
        )
        rows = conn.execute(select(MESSAGE.c.id, MESSAGE.c.source_key).where(same)).all()
        old = next((i for i, key in rows if stale.fullmatch(key)), None)
        if old is not None and m.key not in {key for _, key in rows}:
            conn.execute(MESSAGE.update().where(MESSAGE.c.id == old).values(source_key=m.key))


def _keep(conn: Connection, originals: Sequence[tuple[int, bytes]]) -> None:
    if originals:
        rows = [{"message_id": i, "raw": raw, "kept": now()} for i, raw in originals]
        conn.execute(_dialect(conn).insert(ORIGINAL).values(rows).on_conflict_do_nothing())


def _dialect(conn: Connection) -> Any:
    """The dialect module whose insert() has on_conflict_do_nothing (PostgreSQL's only if used)."""
    if conn.dialect.name == "postgresql":
        from sqlalchemy.dialects import postgresql

        return postgresql
    return sqlite


def _dedupe(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    seen: set[object] = set()
    out = []
    for r in rows:
        names = {r["source_key"], (r["message_id"], r["sha256"])}
        if r["content_hash"]:
            names.add((r["message_id"], "content", r["content_hash"]))
        if names & seen:
            continue
        seen.update(names)
        out.append(r)
    return out


def _row(m: NewMessage) -> dict[str, Any]:
    r, mail = m.result, m.mail
    meta = r.kind not in (Kind.NOT_META,)
    return {
        "source_key": m.key,
        "message_id": mail.message_id,
        "sha256": mail.sha256,
        "content_hash": mail.content_hash or None,
        "size": mail.size,
        "date": utc(mail.date) if mail.date else None,
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
        "scanned": now(),
    }


def _record(r: Mapping[Any, Any]) -> MessageRecord:
    return MessageRecord(
        id=r["id"],
        source_key=r["source_key"],
        message_id=r["message_id"],
        sha256=r["sha256"],
        date=utc(r["date"]) if r["date"] else None,
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
