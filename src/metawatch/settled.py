"""A scan with nothing new, answered without opening the store.

A full scan ends by evaluating every account and sending what deserves an alert. When nothing
failed and every alert was delivered, it records what it settled: a digest of the configuration,
the cursor of every configured folder, what a scan searches for (Meta's senders), and the first
moment a scan with nothing new may alert again (an open alert's reminder, a pending objection
going stale). Every other write to the store deletes that record (``Database._write``).

The next scan reads the record with the standard library's sqlite3. When it is there, for the same
configuration and before that moment, and no folder has new mail from Meta's senders since its
cursor, a full scan would store nothing but moved cursors and send nothing: the scan ends there,
without loading SQLAlchemy, the parsers or the rules. It then costs a login, a LIST and a STATUS
per folder, and an EXAMINE and a SEARCH in a folder where other mail arrived.

A PostgreSQL database (shared by hosts), a configured ``report_html`` (the report is dated, and
rewritten after every scan) and any failure leave every scan in full.
"""

from __future__ import annotations

import functools
import hashlib
import json
import logging
import sqlite3
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import closing
from dataclasses import astuple, dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from metawatch import __version__
from metawatch.config import MailboxConfig, Settings
from metawatch.credentials import Secret, remembered
from metawatch.errors import MetawatchError
from metawatch.models import AccountStatus, Cursor, Deadline

log = logging.getLogger(__name__)
KEY = "settled"  # its key in the table metawatch_meta


@dataclass(frozen=True)
class Settled:
    """What the last full scan left settled."""

    fingerprint: str  # of the configuration and metawatch's version
    cursors: tuple[Cursor, ...]
    until: datetime | None  # the first moment a scan with nothing new may alert; None: never
    senders: tuple[str, ...]  # what a scan searches for: Meta's sender domains and names

    def dumps(self) -> str:
        """As stored."""
        until = self.until.isoformat() if self.until else None
        return json.dumps({"fingerprint": self.fingerprint, "until": until,
                           "cursors": [astuple(c) for c in self.cursors],
                           "senders": self.senders})  # fmt: skip

    @classmethod
    def loads(cls, text: str) -> Settled:
        """From what ``dumps`` stored."""
        data = json.loads(text)
        until = datetime.fromisoformat(data["until"]) if data["until"] else None
        cursors = tuple(Cursor(*c) for c in data["cursors"])
        return cls(data["fingerprint"], cursors, until, tuple(data["senders"]))


def fingerprint(settings: Settings) -> str:
    """A digest of the configuration and of metawatch's version: changing either ends a record."""
    return hashlib.sha256(f"{__version__}\n{settings!r}".encode()).hexdigest()


def record(
    store: Any, settings: Settings, statuses: Sequence[AccountStatus], now: datetime
) -> None:
    """After a full scan delivered all its alerts: record what it settled, unless the next scan
    must run in full anyway (a report to rewrite, a mailbox's login failure to resolve)."""
    from metawatch.alerts.conditions import stale_from
    from metawatch.alerts.engine import reminder_due
    from metawatch.rules import senders

    open_alerts = store.open_alerts()
    if settings.report_html or any(a.subject.startswith("mailbox:") for a in open_alerts):
        return
    due = [reminder_due(a, settings.alerts.remind_interval) for a in open_alerts]
    grace = settings.alerts.pending_interval
    due += [t for s in statuses if (t := stale_from(s, grace)) and t > now]
    cursors = tuple(c for m in settings.mailboxes for c in store.cursors(m.name).values())
    search = tuple(senders()["imap"]["search_from"])
    store.settle(Settled(fingerprint(settings), cursors, min(due, default=None), search).dumps())


def nothing_new(
    url: str,
    settings: Settings,
    mailboxes: Sequence[MailboxConfig],
    now: datetime,
    deadline: Deadline,
    jobs: int,
    known: dict[str, Secret],
) -> bool:
    """Whether a full scan of ``mailboxes`` would find nothing new and send nothing (see above).

    A mailbox that cannot be checked (a login that fails, a server away) is left to the full
    scan, which reports it. The secrets resolved are kept in ``known``, for the full scan.
    """
    found = read(url)  # never written with report_html: its digest is another config's then
    if found is None or found.fingerprint != fingerprint(settings):
        return False
    if found.until is not None and now >= found.until:
        return False
    try:
        with ThreadPoolExecutor(max(1, min(jobs, len(mailboxes)))) as pool:
            same = all(pool.map(lambda m: _unchanged(m, found, deadline, known), mailboxes))
    except MetawatchError as e:
        log.debug("checking the mailboxes for new mail failed, scanning in full: %s", e)
        return False
    if same:
        due = f"before {found.until:%Y-%m-%d %H:%M} UTC" if found.until else "ever"
        log.debug("nothing new from Meta since the last scan, and no alert due %s: done", due)
    return same


def read(url: str) -> Settled | None:
    """The record in a SQLite database, read with the standard library; None when there is none."""
    if not url.startswith("sqlite:///"):
        return None
    uri = f"{Path(url.removeprefix('sqlite:///')).as_uri()}?mode=rw"  # never creates the file
    try:
        with closing(sqlite3.connect(uri, uri=True)) as db:
            row = db.execute("SELECT value FROM metawatch_meta WHERE key = ?", (KEY,)).fetchone()
        return Settled.loads(row[0]) if row else None
    except (sqlite3.Error, ValueError, KeyError, TypeError):
        return None  # no database yet, an older one, or a record this version cannot read


def _unchanged(mailbox: MailboxConfig, found: Settled, deadline: Deadline,
               known: dict[str, Secret]) -> bool:  # fmt: skip
    from metawatch.sources.imap import ImapSource

    own = {c.folder: c for c in found.cursors if c.mailbox == mailbox.name}
    secret = functools.partial(remembered, known, mailbox, None)  # no prompt: never asks
    source = ImapSource(mailbox, secret, found.senders, own, scan_deadline=deadline)
    return source.unchanged()
