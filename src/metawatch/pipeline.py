"""scan: source -> parse -> classify -> match account -> store; and the status report."""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from metawatch import accounts as acc
from metawatch import parsing, status
from metawatch.classify import Classifier
from metawatch.errors import SourceError
from metawatch.models import (
    Account,
    AccountStatus,
    Batch,
    Classification,
    Evidence,
    Kind,
    Mail,
    Platform,
    RawMail,
)
from metawatch.sources.base import MailSource
from metawatch.store import NewMessage, Store

log = logging.getLogger(__name__)


@dataclass
class ScanSummary:
    """What one scan saw and stored."""

    seen: int = 0
    new: int = 0
    known: int = 0
    by_kind: Counter[str] = field(default_factory=Counter)
    discovered: list[Account] = field(default_factory=list)
    failed: list[tuple[str, SourceError]] = field(default_factory=list)


class Scanner:
    """Runs mails from sources through the classifier into the store."""

    def __init__(self, store: Store | None, classifier: Classifier) -> None:
        self.store = store
        self.classifier = classifier
        self.accounts: list[Account] = store.accounts() if store else []
        self.summary = ScanSummary()

    def scan(self, sources: Iterable[MailSource]) -> ScanSummary:
        """Scan every source; a source's batch is committed before the next is read."""
        for source in sources:
            try:
                for batch in source.batches():
                    self._batch(batch)
            except SourceError as e:  # one failing mailbox does not stop the others
                log.debug("source %s failed", source.name, exc_info=True)
                self.summary.failed.append((source.name, e))
        return self.summary

    def _batch(self, batch: Batch) -> None:
        mails = batch.mails
        self.summary.seen += len(mails)
        known = self.store.known_keys([r.key for r in mails]) if self.store and mails else set()
        self.summary.known += len(known)
        new = [self._one(raw) for raw in mails if raw.key not in known]
        stored = self.store.add_messages(new, batch.cursor) if self.store else new
        self.summary.new += len(stored)
        self.summary.by_kind.update(m.result.kind.value for m in stored)

    def _one(self, raw: RawMail) -> NewMessage:
        mail = parsing.skipped(raw.key, raw.skipped) if raw.skipped else parsing.parse(raw.data)
        result = self.classifier.classify(mail)
        if mail.error:
            log.warning("unparseable mail %s: %s", raw.key, mail.error)
        return NewMessage(raw.key, mail, result, self._account_for(mail, result))

    def _account_for(self, mail: Mail, result: Classification) -> int | None:
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
        if result.platform is None or address is None:
            return None
        # Facebook greets by first name, Instagram and Threads by user name: only those are handles.
        handle = (
            result.handle if result.platform in (Platform.INSTAGRAM, Platform.THREADS) else None
        )
        if self.store is None:
            account = Account(
                id=-len(self.accounts) - 1,
                platform=result.platform,
                emails=(address,),
                handle=handle,
                discovered=True,
            )
        else:
            account = self.store.add_account(result.platform, [address], handle, discovered=True)
        self.accounts.append(account)
        self.summary.discovered.append(account)
        return account


def report(store: Store, policy: status.Policy | None = None) -> list[AccountStatus]:
    """The current state of every account."""
    evidence = status.evidence_from(store.messages())
    by_account: dict[int, list[Evidence]] = {}
    for e in evidence:
        if e.account_id is not None:
            by_account.setdefault(e.account_id, []).append(e)
    policy = policy or status.Policy()
    return [status.evaluate(a, by_account.get(a.id, []), policy) for a in store.accounts()]
