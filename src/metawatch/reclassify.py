"""Re-run the current rules over stored mails, read again from their sources."""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field

from metawatch import parsing
from metawatch.classify import Classifier
from metawatch.config import Settings
from metawatch.credentials import Prompt
from metawatch.errors import MetawatchError
from metawatch.models import AI_KINDS, Classification, MessageRecord, RawMail
from metawatch.pipeline import Scanner
from metawatch.sources.files import read_key
from metawatch.store import NewMessage, Store

log = logging.getLogger(__name__)


@dataclass
class Change:
    """One stored mail whose classification changed."""

    id: int
    source: str
    before: str
    after: str


@dataclass
class Outcome:
    """What reclassification did."""

    checked: int = 0
    unreachable: int = 0
    stale: int = 0  # in folders whose UIDVALIDITY changed since they were scanned
    too_large: int = 0  # over the mailbox's max_message_size: not downloaded, as in a scan
    not_checked: int = 0  # in mailboxes that failed
    changes: list[Change] = field(default_factory=list)
    failed: list[tuple[str, MetawatchError]] = field(default_factory=list)


def reclassify(store: Store, classifier: Classifier, settings: Settings, prompt: Prompt | None,
               dry_run: bool = False) -> Outcome:  # fmt: skip
    """Classify every stored mail again; store what changed unless ``dry_run``.

    Mails are read again one batch at a time, so memory holds one batch, not the mailbox.
    """
    records = store.messages(include_not_meta=True)
    by_key = {rec.source_key: rec for rec in records}
    scanner = Scanner(store, classifier)
    mailboxes = {m.name: m for m in settings.mailboxes}
    out, kept = Outcome(), []
    for raw in _reread(records, settings, prompt, out):
        rec = by_key[raw.key]
        if raw.skipped:
            out.too_large += 1
            continue
        out.checked += 1
        mail = parsing.parse(raw.data)
        result = classifier.classify(mail, raw.data, mailboxes.get(_mailbox_name(raw.key) or ""))
        if settings.keep_originals and not dry_run and result.kind in AI_KINDS:
            kept += _original(rec, raw.data)
        if _summary(rec) == _summary_of(result):
            if rec.rules_version != result.rules_version and not dry_run:
                store.update_classification(
                    rec.id, NewMessage(rec.source_key, mail, result, rec.account_id)
                )
            continue
        out.changes.append(Change(rec.id, rec.source_key, _summary(rec), _summary_of(result)))
        if not dry_run:
            account = rec.account_id or scanner.account_for(mail, result)
            store.update_classification(rec.id, NewMessage(rec.source_key, mail, result, account))
    store.keep_originals(kept)
    out.unreachable = len(records) - out.checked - out.too_large - out.stale - out.not_checked
    return out


def _mailbox_name(key: str) -> str | None:
    """The configured mailbox an IMAP key comes from (its provider judges the sender)."""
    return key[5:].split("/", 1)[0] if key.startswith("imap:") else None


def _original(rec: MessageRecord, data: bytes) -> list[tuple[int, bytes]]:
    """The original to keep, if it is still the very mail that was classified (same SHA-256)."""
    if hashlib.sha256(data).hexdigest() == rec.sha256:
        return [(rec.id, data)]
    log.warning("mail %s changed since it was scanned: its original is not kept", rec.id)
    return []


def _summary(rec: MessageRecord) -> str:
    return f"{rec.kind.value}/{rec.authenticity.value} ({rec.rule})"


def _summary_of(r: Classification) -> str:
    return f"{r.kind.value}/{r.authenticity.value} ({r.rule})"


def _reread(
    records: Sequence[MessageRecord], settings: Settings, prompt: Prompt | None, out: Outcome
) -> Iterator[RawMail]:
    """The stored mails read again from files, then from each IMAP mailbox in batches."""
    imap_keys: dict[str, list[str]] = {}
    for rec in records:
        if (name := _mailbox_name(rec.source_key)) is not None:
            imap_keys.setdefault(name, []).append(rec.source_key)
        elif (data := read_key(rec.source_key)) is not None:
            yield RawMail(rec.source_key, data)
    for name, keys in imap_keys.items():
        yield from _refetch(name, keys, settings, prompt, out)


def _refetch(
    name: str, keys: list[str], settings: Settings, prompt: Prompt | None, out: Outcome
) -> Iterator[RawMail]:
    from metawatch.pipeline import imap_source

    mailbox = next((m for m in settings.mailboxes if m.name == name), None)
    if mailbox is None:
        log.warning(
            "mailbox %s is no longer configured: its %d mails are not reclassified", name, len(keys)
        )
        return
    done = 0
    try:
        for part in imap_source(mailbox, None, prompt).refetch(keys):
            out.stale += len(part.stale)
            done += len(part.stale) + len(part.mails)
            yield from part.mails
    except MetawatchError as e:  # the mailbox's other mails were not checked: a failure
        out.failed.append((name, e))
        out.not_checked += len(keys) - done
