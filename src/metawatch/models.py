"""Frozen domain values shared by every module; this module imports nothing of ours."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum


class Kind(StrEnum):
    """What a mail is, as far as AI training objections go."""

    POLICY_NOTICE = "policy_notice"
    OBJECTION_ACCEPTED = "objection_accepted"
    OBJECTION_REJECTED = "objection_rejected"
    OBJECTION_ANSWER_UNCLEAR = "objection_answer_unclear"  # answers the objection; decision unread
    VERIFICATION_CODE = "verification_code"
    OTHER_META = "other_meta"
    NOT_META = "not_meta"
    UNPARSEABLE = "unparseable"


AI_KINDS = frozenset(
    {
        Kind.POLICY_NOTICE,
        Kind.OBJECTION_ACCEPTED,
        Kind.OBJECTION_REJECTED,
        Kind.OBJECTION_ANSWER_UNCLEAR,
        Kind.VERIFICATION_CODE,
    }
)


class Platform(StrEnum):
    """A Meta product that sends mail and has accounts."""

    FACEBOOK = "facebook"
    INSTAGRAM = "instagram"
    THREADS = "threads"
    WHATSAPP = "whatsapp"


class Authenticity(StrEnum):
    """Whether the sender is proven to be Meta (the receiving provider's verdict, RFC 8601)."""

    PASS = "pass"
    FAIL = "fail"
    NONE = "none"


class State(StrEnum):
    """Per-account protection state, worst last."""

    PROTECTED = "protected"
    NOT_APPLICABLE = "not_applicable"
    UNKNOWN = "unknown"
    PENDING = "pending"
    NEEDS_REVIEW = "needs_review"
    UNPROTECTED = "unprotected"
    REJECTED = "rejected"


@dataclass(frozen=True)
class RawMail:
    """Bytes of one message and a key that finds it again in its source."""

    key: str
    data: bytes
    skipped: str | None = None  # why the bytes were not fetched (too large)


@dataclass(frozen=True)
class Cursor:
    """How far a scan of one IMAP folder got: all UIDs up to last_uid are done."""

    mailbox: str
    folder: str
    uidvalidity: int
    last_uid: int
    uidnext: int | None = None  # set once the whole folder was searched


@dataclass(frozen=True)
class Deadline:
    """A moment (on the ``time.monotonic()`` clock) after which work is given up, and the
    setting that set it, for the message ("deadline = 30m")."""

    at: float
    setting: str


@dataclass(frozen=True)
class Batch:
    """Mails stored in one transaction, with the cursor that moves when they are committed."""

    mails: tuple[RawMail, ...]
    cursor: Cursor | None = None
    folder: str = ""  # where the mails come from inside the source (an IMAP folder), for progress
    total: int | None = None  # set on a folder's first batch: how many mails this scan reads there
    partial: bool = False  # one part of a larger batch: stored with the parts that follow it


@dataclass(frozen=True)
class Link:
    """A hyperlink found in a mail's HTML."""

    url: str
    text: str


@dataclass(frozen=True)
class Mail:
    """A parsed message: decoded headers and bodies turned into plain text."""

    sha256: str
    size: int
    message_id: str = ""
    subject: str = ""
    from_addr: str = ""
    from_name: str = ""
    to: tuple[str, ...] = ()
    cc: tuple[str, ...] = ()
    delivered_to: tuple[str, ...] = ()
    x_original_to: tuple[str, ...] = ()
    date: datetime | None = None
    auth_results: tuple[str, ...] = ()
    # Every header field in order, topmost first: (lower-case name, unfolded value). Where a
    # provider's verdict sits among them shows whether the provider or the sender wrote it.
    headers: tuple[tuple[str, str], ...] = ()
    text: str = ""
    links: tuple[Link, ...] = ()
    attached: tuple[Mail, ...] = ()
    error: str | None = None
    screened_out: bool = False  # text is a rough superset that no gate cue matched
    content_hash: str = ""  # SHA-256 of a normalised form: the same mail however a server stored it
    bounce: bool = False  # a delivery report (from a mailer daemon)
    warnings: tuple[str, ...] = ()  # what was wrong with the mail but could be read anyway

    @property
    def recipients(self) -> tuple[str, ...]:
        """Every address the mail was sent to: To and Cc first, then the envelope headers."""
        seen: dict[str, None] = {}
        for addr in (*self.to, *self.cc, *self.delivered_to, *self.x_original_to):
            seen.setdefault(addr, None)
        return tuple(seen)


@dataclass(frozen=True)
class Cue:
    """One piece of evidence that fired during classification."""

    group: str
    text: str


@dataclass(frozen=True)
class AuthVerdict:
    """The sender-authentication verdict and what it rested on."""

    authenticity: Authenticity
    reason: str
    header: str = ""  # the header fields relied on, one "Name: value" per line
    provider: str = ""  # the provider whose verdict was read, and how it was recognised


@dataclass(frozen=True)
class Classification:
    """What the classifier decided about one mail, and why."""

    kind: Kind
    rule: str
    rules_version: str
    platform: Platform | None = None
    language: str | None = None
    cues: tuple[Cue, ...] = ()
    auth: AuthVerdict = AuthVerdict(Authenticity.NONE, "not checked")
    forwarded: bool = False
    handle: str | None = None
    objection_link: str | None = None
    evidence: str = ""
    recipients: tuple[str, ...] = ()

    @property
    def authenticity(self) -> Authenticity:
        """Shortcut for the verdict's tri-state."""
        return self.auth.authenticity


@dataclass(frozen=True)
class Account:
    """A Meta account of the user: platform, login addresses, optional handle."""

    id: int
    platform: Platform
    emails: tuple[str, ...]
    handle: str | None = None
    label: str | None = None
    discovered: bool = False
    linked: tuple[int, ...] = ()


@dataclass(frozen=True)
class Evidence:
    """One stored fact about an account: a classified mail or a manual entry."""

    kind: Kind
    date: datetime
    authenticity: Authenticity
    source: str  # "mail" or "manual"
    ref: str  # message row id or note
    subject: str = ""
    objection_link: str | None = None
    account_id: int | None = None


@dataclass(frozen=True)
class AccountStatus:
    """The state of one account and the evidence behind it."""

    account: Account
    state: State
    since: datetime | None = None
    evidence: Evidence | None = None
    objection_link: str | None = None
    suspected_fake: tuple[Evidence, ...] = field(default=())
    note: str = ""


@dataclass(frozen=True)
class MessageRecord:
    """A classified mail as stored: what is needed to explain and report, no body."""

    id: int
    source_key: str
    message_id: str
    sha256: str
    date: datetime | None
    sender: str
    recipients: tuple[str, ...]
    subject: str
    kind: Kind
    platform: Platform | None
    language: str | None
    rule: str
    rules_version: str
    authenticity: Authenticity
    auth_reason: str
    forwarded: bool
    handle: str | None
    objection_link: str | None
    evidence: str
    account_id: int | None
    error: str | None = None
    cues: tuple[Cue, ...] = ()
    auth_header: str = ""


@dataclass(frozen=True)
class Condition:
    """An alertable condition that holds now, with the message that describes it."""

    subject: str  # "account:7" or "mailbox:gmx"
    condition: (
        str  # unprotected, rejected, needs_review, suspected_fake, pending_stale, auth_failure
    )
    evidence: str
    title: str
    body: str


@dataclass(frozen=True)
class AlertRecord:
    """A condition that was alerted, and when."""

    id: int
    subject: str
    condition: str
    evidence: str
    title: str
    body: str
    opened: datetime
    last_sent: datetime
    resolved: datetime | None = None


@dataclass(frozen=True)
class Delivery:
    """One message to one channel, delivered or waiting for a retry."""

    id: int
    alert_id: int
    kind: str  # alert, reminder, resolved
    channel: str
    title: str
    body: str
    created: datetime
    delivered: datetime | None
    attempts: int
    last_error: str
