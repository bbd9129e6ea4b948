"""SQLModel tables: the only place the database schema is written down."""

from __future__ import annotations

from datetime import datetime

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
    __table_args__ = (UniqueConstraint("message_id", "sha256"),)
    id: int | None = Field(default=None, primary_key=True)
    source_key: str = Field(unique=True)
    message_id: str = ""  # '' when the mail has none, so the unique pair still holds
    sha256: str = Field(index=True)
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
