"""SQLModel tables: the only place the database schema is written down."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index, Table
from sqlmodel import Field, SQLModel, UniqueConstraint


class MetaRow(SQLModel, table=True):
    """Key/value facts about the database itself (schema version)."""

    __tablename__ = "metawatch_meta"
    key: str = Field(primary_key=True)
    value: str


class AccountRow(SQLModel, table=True):
    """A Meta account of the user, or one discovered from a mail."""

    __tablename__ = "account"
    id: int | None = Field(default=None, primary_key=True)
    platform: str
    handle: str | None = None
    label: str | None = None
    discovered: bool = False
    created: datetime


class AddressRow(SQLModel, table=True):
    """A login email address of an account (normalized for matching, original for display)."""

    __tablename__ = "account_address"
    __table_args__ = (UniqueConstraint("account_id", "normalized"),)
    id: int | None = Field(default=None, primary_key=True)
    account_id: int = Field(foreign_key="account.id", index=True, ondelete="CASCADE")
    address: str
    normalized: str = Field(index=True)


class MessageRow(SQLModel, table=True):
    """One classified mail: enough to explain and report; no body unless asked for."""

    __tablename__ = "message"
    __table_args__ = (
        UniqueConstraint("message_id", "sha256"),
        # The same mail whose bytes a server rewrote (line endings, 8-bit headers): stored once.
        Index("ix_message_content", "message_id", "content_hash", unique=True),
    )
    id: int | None = Field(default=None, primary_key=True)
    source_key: str = Field(unique=True)
    message_id: str = ""  # '' when the mail has none, so the unique pair still holds
    sha256: str = Field(index=True)
    content_hash: str | None = None  # of a normalised form; NULL for mails scanned before v6
    size: int = 0
    date: datetime | None = None
    sender: str = ""
    recipients: str = ""  # comma-separated
    subject: str = ""
    kind: str = Field(index=True)
    platform: str | None = None
    language: str | None = None
    rule: str = ""
    rules_version: str = ""
    authenticity: str = "none"
    auth_reason: str = ""
    auth_header: str = ""  # the header fields the verdict relied on, one "Name: value" per line
    forwarded: bool = False
    handle: str | None = None
    objection_link: str | None = None
    evidence: str = ""
    cues: str = ""  # JSON list of [group, text]
    account_id: int | None = Field(
        default=None, foreign_key="account.id", index=True, ondelete="SET NULL"
    )
    error: str | None = None
    scanned: datetime


class OriginalRow(SQLModel, table=True):
    """The raw bytes of an AI-related Meta mail, kept only when the user asks (keep_originals)."""

    __tablename__ = "original"
    message_id: int = Field(primary_key=True, foreign_key="message.id", ondelete="CASCADE")
    raw: bytes
    kept: datetime


class CursorRow(SQLModel, table=True):
    """How far the scan of one IMAP folder got (per UIDVALIDITY)."""

    __tablename__ = "imap_cursor"
    __table_args__ = (UniqueConstraint("mailbox", "folder"),)
    id: int | None = Field(default=None, primary_key=True)
    mailbox: str
    folder: str
    uidvalidity: int
    last_uid: int
    uidnext: int | None = None
    updated: datetime


class LinkRow(SQLModel, table=True):
    """Two accounts in the same Meta Accounts Center: one objection covers both."""

    __tablename__ = "account_link"
    __table_args__ = (UniqueConstraint("account_a", "account_b"),)
    id: int | None = Field(default=None, primary_key=True)
    account_a: int = Field(foreign_key="account.id", ondelete="CASCADE")
    account_b: int = Field(foreign_key="account.id", ondelete="CASCADE")


class ManualRow(SQLModel, table=True):
    """An objection the user made in the app, which shows only an on-screen confirmation."""

    __tablename__ = "manual_evidence"
    id: int | None = Field(default=None, primary_key=True)
    account_id: int = Field(foreign_key="account.id", index=True, ondelete="CASCADE")
    date: datetime
    note: str = ""
    created: datetime


class AlertRow(SQLModel, table=True):
    """One alerted condition of an account (or a mailbox), open until it is resolved."""

    __tablename__ = "alert"
    id: int | None = Field(default=None, primary_key=True)
    subject: str = Field(index=True)  # "account:7" or "mailbox:gmx"
    condition: str
    evidence: str = ""
    title: str
    body: str
    opened: datetime
    last_sent: datetime
    resolved: datetime | None = None


class DeliveryRow(SQLModel, table=True):
    """One message of an alert (alert, reminder, resolved) to one channel."""

    __tablename__ = "alert_delivery"
    id: int | None = Field(default=None, primary_key=True)
    alert_id: int = Field(foreign_key="alert.id", index=True, ondelete="CASCADE")
    kind: str  # alert, reminder, resolved
    channel: str  # a channel's safe name, never its URL (URLs hold tokens)
    title: str
    body: str
    created: datetime
    delivered: datetime | None = None
    attempts: int = 0
    last_error: str = ""


def _table(row: type[SQLModel]) -> Table:
    return SQLModel.metadata.tables[str(row.__tablename__)]


MESSAGE = _table(MessageRow)
ACCOUNT = _table(AccountRow)
ADDRESS = _table(AddressRow)
CURSOR = _table(CursorRow)
LINK = _table(LinkRow)
MANUAL = _table(ManualRow)
ALERT = _table(AlertRow)
DELIVERY = _table(DeliveryRow)
ORIGINAL = _table(OriginalRow)
