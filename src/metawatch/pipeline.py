"""scan: source -> parse -> classify -> match account -> store; and the status report."""

from __future__ import annotations

import logging
import time
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import nullcontext
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Protocol

from metawatch import accounts as acc
from metawatch import status
from metawatch.classify import Classifier
from metawatch.config import AccountConfig, MailboxConfig, Settings, mailbox_from_url
from metawatch.credentials import Prompt, Secret
from metawatch.errors import DeadlineExceeded, LockedError, MetawatchError, SourceError
from metawatch.models import (
    AI_KINDS,
    Account,
    AccountStatus,
    Authenticity,
    Batch,
    Classification,
    Deadline,
    Evidence,
    Kind,
    Mail,
    Platform,
    RawMail,
)
from metawatch.report import view
from metawatch.sources.base import MailSource
from metawatch.workers import Analyser, Job

if TYPE_CHECKING:
    from metawatch.sources.imap import ImapSource
from metawatch.store import NewMessage, Store

log = logging.getLogger(__name__)
_DAWN = datetime.min.replace(tzinfo=UTC)


class Progress(Protocol):
    """Where a scan reports how far it got (the terminal's progress display); called from the
    scanning threads."""

    def folder(self, source: str, folder: str, total: int | None) -> None:
        """A source, or a folder in it, starts: ``total`` mails to read, or not known yet."""

    def advance(self, source: str, done: int) -> None:
        """``done`` more mails of the current folder are read (new or already known)."""


class _Silent:
    """No progress display (no terminal, --quiet, or a test)."""

    def folder(self, source: str, folder: str, total: int | None) -> None:
        """Nothing to show."""

    def advance(self, source: str, done: int) -> None:
        """Nothing to show."""


@dataclass
class ScanSummary:
    """What one scan saw and stored."""

    seen: int = 0
    new: int = 0
    known: int = 0
    duplicates: int = 0  # copies of stored mails (same content under another key): dropped
    by_kind: Counter[str] = field(default_factory=Counter)
    discovered: list[Account] = field(default_factory=list)
    failed: list[tuple[str, MetawatchError]] = field(default_factory=list)

    def add(self, other: ScanSummary) -> None:
        """Fold in another worker's summary."""
        self.seen, self.new, self.known = (self.seen + other.seen, self.new + other.new,
                                           self.known + other.known)  # fmt: skip
        self.duplicates += other.duplicates
        self.by_kind.update(other.by_kind)
        self.discovered += other.discovered
        self.failed += other.failed


def scan_all(
    store: Store | None,
    classifier: Classifier,
    sources: Sequence[MailSource],
    jobs: int = 1,
    keep: bool = False,
    progress: Progress | None = None,
    deadline: Deadline | None = None,
) -> ScanSummary:
    """Scan the sources, up to ``jobs`` at once, each on its own connection and cursor.

    A slow or failing source holds up only its own worker. On a shared database each source is
    scanned under its advisory lock; one held by another scanner is reported as locked. A source
    whose turn comes after the scan's ``deadline`` is not started. Every source's mails are
    parsed and classified by one shared set of worker processes.
    """

    def one(source: MailSource) -> ScanSummary:
        scanner = Scanner(store, classifier, keep, progress, analyser)
        if deadline is not None and time.monotonic() >= deadline.at:
            late = DeadlineExceeded(f"{source.name}: not scanned, the scan's deadline "
                                    f"({deadline.setting}) passed first")  # fmt: skip
            scanner.summary.failed.append((source.name, late))
            return scanner.summary
        try:
            with store.source_lock(source.name) if store else nullcontext():
                return scanner.scan([source])
        except LockedError as e:
            scanner.summary.failed.append((source.name, e))
            return scanner.summary

    total = ScanSummary()
    with (
        Analyser(classifier) as analyser,
        ThreadPoolExecutor(max_workers=max(1, jobs), thread_name_prefix="scan") as pool,
    ):
        for part in pool.map(one, sources):
            total.add(part)
    return total


class Scanner:
    """Runs mails from sources through the classifier into the store."""

    def __init__(
        self,
        store: Store | None,
        classifier: Classifier,
        keep: bool = False,
        progress: Progress | None = None,
        analyser: Analyser | None = None,
    ) -> None:
        self.store = store
        self.classifier = classifier
        self.keep = keep  # keep the originals of AI-related mails (keep_originals)
        self.progress: Progress = progress or _Silent()
        self.analyser = analyser or Analyser(classifier, workers=1)
        self.accounts: list[Account] = store.accounts() if store else []
        self.summary = ScanSummary()

    def scan(self, sources: Iterable[MailSource]) -> ScanSummary:
        """Scan every source; a source's batch is committed before the next is read.

        The mails of a batch that arrives in parts are parsed and classified (by the worker
        processes) while its later parts are fetched; the batch is stored once it is whole.
        """
        for source in sources:
            self.progress.folder(source.name, "", None)
            parts: list[tuple[list[RawMail], Job]] = []
            try:
                for batch in source.batches():
                    if batch.total is not None:
                        self.progress.folder(source.name, batch.folder, batch.total)
                        self.analyser.expect(batch.total)
                    if not batch.mails and batch.cursor is None:
                        continue  # a folder's announcement (again, after a reconnection)
                    parts.append(self._start(source, batch, parts))
                    if not batch.partial:
                        self._store(source.name, batch, parts)
                        parts = []
            except SourceError as e:  # one failing mailbox does not stop the others
                log.debug("source %s failed", source.name, exc_info=True)
                self.summary.failed.append((source.name, e))
        return self.summary

    def _start(
        self, source: MailSource, batch: Batch, parts: list[tuple[list[RawMail], Job]]
    ) -> tuple[list[RawMail], Job]:
        """Start on the new mails of a batch (or part); a part that a source sends again after
        a reconnection is not counted twice."""
        mails = batch.mails
        taken = {raw.key for new, _ in parts for raw in new}
        known = self.store.known_keys([r.key for r in mails]) if self.store and mails else set()
        new = [raw for raw in mails if raw.key not in known and raw.key not in taken]
        self.summary.seen += len(known) + len(new)
        self.summary.known += len(known)
        self.progress.advance(source.name, len(known))
        return new, self.analyser.submit(new, source.mailbox)

    def _store(self, name: str, batch: Batch, parts: list[tuple[list[RawMail], Job]]) -> None:
        """Store a whole batch with its cursor, in one transaction."""
        messages: list[NewMessage] = []
        for new, job in parts:
            done = []
            for results in job.results():
                done += results
                self.progress.advance(name, len(results))
            messages += [self._one(raw, *one) for raw, one in zip(new, done, strict=True)]
        if not messages and batch.cursor is None:
            return  # files all stored before: nothing to do
        stored = self.store.add_messages(messages, batch.cursor) if self.store else messages
        self.summary.new += len(stored)
        self.summary.duplicates += len(messages) - len(stored)
        self.summary.by_kind.update(m.result.kind.value for m in stored)

    def _one(self, raw: RawMail, mail: Mail, result: Classification) -> NewMessage:
        if mail.error:
            log.warning("unparseable mail %s: %s", raw.key, mail.error)
        for warning in mail.warnings:
            log.warning("mail %s: %s", raw.key, warning)
        kept = raw.data if self.keep and result.kind in AI_KINDS else None
        return NewMessage(raw.key, mail, result, self.account_for(mail, result), kept)

    def account_for(self, mail: Mail, result: Classification) -> int | None:
        """The id of the account a Meta mail concerns; an unknown one is discovered."""
        if result.kind in (Kind.NOT_META, Kind.UNPARSEABLE):
            return None
        recipients = result.recipients
        found = acc.match_account(self.accounts, recipients, result.platform, result.handle)
        if found is None:
            found = self._discover(mail, result, recipients)
        return found.id if found else None

    def _discover(
        self, mail: Mail, result: Classification, recipients: Sequence[str]
    ) -> Account | None:
        address = recipients[0] if recipients else None
        if result.platform is None or address is None or not proves_account(mail, result):
            return None
        # Facebook greets by first name, Instagram and Threads by user name: only those are handles.
        handle = (
            result.handle if result.platform in (Platform.INSTAGRAM, Platform.THREADS) else None
        )
        if self.store is None:
            account, created = Account(-len(self.accounts) - 1, result.platform, (address,),
                                       handle, discovered=True), True  # fmt: skip
        else:  # another scanner may have discovered it since we read the accounts

            def same(a: Account) -> bool:
                return acc.match_account([a], recipients, result.platform, result.handle) is a

            account, created = self.store.ensure_account(
                same, result.platform, [address], handle, discovered=True
            )
        self.accounts.append(account)
        if created:
            self.summary.discovered.append(account)
        return account


def proves_account(mail: Mail, result: Classification) -> bool:
    """Whether a mail shows that its recipient has a Meta account: an AI-related kind, or any
    Meta mail whose sender was verified. A bounce only shows that someone wrote to Meta, and an
    unverified "Facebook" mail may be spam with a forged sender."""
    if mail.bounce:
        return False
    return result.kind in AI_KINDS or result.authenticity is Authenticity.PASS


def sync_accounts(store: Store, declared: Sequence[AccountConfig]) -> None:
    """Add the config file's accounts that the store does not know yet (same platform and address)."""
    known = store.accounts()
    for a in declared:
        same = _declared(Platform(a.platform), a.emails)
        if not any(same(k) for k in known):
            store.ensure_account(same, Platform(a.platform), a.emails, a.handle, a.label)


def _declared(platform: Platform, emails: Sequence[str]) -> Callable[[Account], bool]:
    """Whether a stored account is the declared one: not discovered, same platform and address."""
    wanted = {acc.normalize_address(e) for e in emails}
    return lambda k: (not k.discovered and k.platform is platform
                      and bool(wanted & {acc.normalize_address(e) for e in k.emails}))  # fmt: skip


def open_sources(
    names: Sequence[str],
    settings: Settings,
    store: Store | None,
    prompt: Prompt | None,
    deadline: Deadline | None = None,
    known: dict[str, Secret] | None = None,
) -> list[MailSource]:
    """Sources for the SOURCE arguments, or every configured mailbox when there are none; the
    secrets ``known`` already are not resolved again."""
    from metawatch.sources.files import FileSource

    if not names:
        return [imap_source(m, store, prompt, deadline, known) for m in settings.mailboxes]
    trusted = settings.trusted_authserv_ids
    return [
        imap_source(mailbox_from_url(n, trusted), store, prompt, deadline, known)
        if n.startswith(("imap://", "imaps://"))
        else FileSource(n)
        for n in names
    ]


def imap_source(mailbox: MailboxConfig, store: Store | None, prompt: Prompt | None,
                deadline: Deadline | None = None,
                known: dict[str, Secret] | None = None) -> ImapSource:  # fmt: skip
    """An IMAP source with its credentials, stored cursors and the scan's deadline."""
    from metawatch.credentials import remembered
    from metawatch.rules import senders
    from metawatch.sources.imap import ImapSource

    domains = list(senders()["imap"]["search_from"])
    cursors = store.cursors(mailbox.name) if store else {}
    known = {} if known is None else known
    return ImapSource(mailbox, lambda: remembered(known, mailbox, prompt), domains, cursors,
                      scan_deadline=deadline)  # fmt: skip


def report(store: Store, policy: status.Policy | None = None) -> list[AccountStatus]:
    """The current state of every account: its own mails, manual entries, linked acceptances."""
    policy = policy or status.Policy()
    by_account: dict[int, list[Evidence]] = {}
    # Only the AI-related kinds are evidence: not every notification of a mailbox read into memory.
    records = [r for kind in AI_KINDS for r in store.messages(kind=kind.value)]
    records.sort(key=lambda r: (r.date is not None, r.date or _DAWN, r.id))  # as messages() does
    for e in [*status.evidence_from(records), *store.manual_evidence()]:
        if e.account_id is not None:
            by_account.setdefault(e.account_id, []).append(e)
    groups = _link_groups(store.links())
    statuses = []
    for a in store.accounts():
        evidence = list(by_account.get(a.id, []))
        for other in groups.get(a.id, set()) - {a.id}:
            evidence += [replace(e, source=f"linked account #{other}") for e in by_account.get(other, [])
                         if e.kind is Kind.OBJECTION_ACCEPTED]  # fmt: skip
        statuses.append(status.evaluate(a, evidence, policy))
    return statuses


def overview(
    store: Store, policy: status.Policy, now: datetime, forms: dict[str, str]
) -> view.Overview:
    """Everything the report shows: states, their evidence, linked accounts, the waves."""
    return view.build(report(store, policy), store.messages(), store.manual_evidence(),
                      store.links(), policy.waves, now, forms)  # fmt: skip


def _link_groups(pairs: Sequence[tuple[int, int]]) -> dict[int, set[int]]:
    """Accounts Center groups: linking is transitive."""
    groups: dict[int, set[int]] = {}
    for a, b in pairs:
        merged = groups.get(a, {a}) | groups.get(b, {b})
        for member in merged:
            groups[member] = merged
    return groups
