"""`metawatch doctor`: can we reach each mailbox, and is anything missing for each account?"""

from __future__ import annotations

import email.utils
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from metawatch.config import MailboxConfig, Settings, mailbox_from_url
from metawatch.credentials import Prompt
from metawatch.errors import MetawatchError
from metawatch.report import safe
from metawatch.rules import senders

if TYPE_CHECKING:
    from metawatch.classify import Classifier
    from metawatch.providers import Receiver


def mailboxes(urls: Sequence[str], settings: Settings) -> list[MailboxConfig]:
    """The mailboxes to check: those given as URLs, else the configured ones."""
    if urls:
        return [mailbox_from_url(u, settings.trusted_authserv_ids) for u in urls]
    return list(settings.mailboxes)


def check_mailbox(
    mailbox: MailboxConfig, prompt: Prompt | None, classifier: Classifier | None = None
) -> tuple[list[str], int]:
    """Report lines for one mailbox, and the exit code its problems deserve."""
    from metawatch.classify import Classifier
    from metawatch.pipeline import imap_source

    head = f"mailbox {mailbox.name} ({mailbox.host}:{mailbox.effective_port}, tls={mailbox.tls})"
    source = imap_source(mailbox, None, prompt)  # the very search a scan makes
    try:
        r = source.inspect()
    except MetawatchError as e:
        return [head, f"  FAIL  {safe(e)}"], int(e.exit_code)
    lines = [head, "  ok    connected and logged in", f"  tls   {r.tls}"]
    lines.append(f"  caps  {' '.join(r.capabilities)}")
    for f in r.folders:
        mark = "scan" if f.scanned else "skip"
        count = f"  {r.meta_mails[f.name]} Meta-sender mails" if f.name in r.meta_mails else ""
        lines.append(f"  {mark}  {safe(f.name)}  [{' '.join(f.flags) or '-'}]{count}")
    # The newest mail from Meta's own domains: a look-alike matches the scan's search too, and its
    # missing verdict would be a false warning.
    sample = next((h for h in r.samples if _from_meta(h)), None)
    lines.extend(provider_lines(mailbox, sample, classifier or Classifier()))
    return lines, 0


def _from_meta(header: bytes) -> bool:
    """Whether a header section's From names one of Meta's own domains."""
    sender = email.message_from_bytes(header).get("From", "")
    domain = email.utils.parseaddr(str(sender))[1].rpartition("@")[2].lower()
    return any(domain == d or domain.endswith(f".{d}") for d in senders()["domains"])


def provider_lines(mailbox: MailboxConfig, sample: bytes | None, c: Classifier) -> list[str]:
    """Which provider receives this mailbox's mail, and whether Meta's mail carries its verdict."""
    from metawatch import parsing

    known = c.trust.for_mailbox(mailbox)
    lines = [_provider_line(mailbox, known)]
    if sample is None:
        return [*lines, "  auth  no Meta mail found to check for the provider's verdict"]
    mail = parsing.parse(sample)
    receiver = c.receiver(mail, mailbox)
    if known is None and receiver.provider is not None:
        lines.append(f"  prov  Meta's mail here was received by {receiver.provider.label} "
                     f"({safe(receiver.how)})")  # fmt: skip
    return [*lines, _verdict_line(receiver, mail.headers)]


def _provider_line(mailbox: MailboxConfig, known: Receiver | None) -> str:
    if known is None or known.provider is None:
        return (f"  prov  host {safe(mailbox.host)} is not a listed provider: each mail's "
                "topmost Received line names it")  # fmt: skip
    return f"  prov  {known.provider.label} ({safe(known.how)})"


def _verdict_line(receiver: Receiver, headers: Sequence[tuple[str, str]]) -> str:
    from metawatch.auth import header_line, provider_headers

    p, unverified = receiver.provider, "confirmations will show as needs_review"
    if p is None:
        return (f"  auth  WARNING: Meta's mail here came through no listed provider "
                f"({safe(receiver.how)}): {unverified}; set provider or trusted_authserv_ids")  # fmt: skip
    if not p.verdict_known:
        return f"  auth  WARNING: {p.label} writes no verdict metawatch can read: {unverified}"
    found = provider_headers(headers, p)
    if not found:
        return f"  auth  WARNING: Meta's mail here carries no verdict of {p.label}: {unverified}"
    return (f"  auth  Meta's mail here carries {p.label}'s verdict, so confirmations can be "
            f"verified: {safe(header_line(*found[-1]))[:120]}")  # fmt: skip


def check_database(store: Any) -> list[str]:
    """Where the database is, its schema, and what it holds."""
    from metawatch.config import safe_url

    counts = store.row_counts()
    return ["database", f"  ok    {safe_url(str(store.engine.url))}: schema v{store.schema_version()}, "
            f"{counts['message']} mails, {counts['account']} accounts, {counts['alert']} alerts"]  # fmt: skip


def check_accounts(store: Any) -> list[str]:
    """For each known account: was any Meta mail ever seen for it?"""
    lines = ["accounts"]
    counts: dict[int, int] = {}
    for m in store.messages():
        if m.account_id is not None:
            counts[m.account_id] = counts.get(m.account_id, 0) + 1
    for a in store.accounts():
        n = counts.get(a.id, 0)
        who = f"{a.platform.value} {', '.join(a.emails)}"
        if n:
            lines.append(f"  ok    {safe(who)}: {n} Meta mails")
        else:
            lines.append(
                f"  none  {safe(who)}: no Meta mail seen — wrong address, or a filtered folder?"
            )
    if len(lines) == 1:
        lines.append("  (no accounts yet)")
    return lines
