"""`metawatch doctor`: can we reach each mailbox, and is anything missing for each account?"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from metawatch.config import MailboxConfig, Settings, mailbox_from_url
from metawatch.credentials import Prompt, resolve
from metawatch.errors import MetawatchError
from metawatch.report import safe
from metawatch.rules import senders


def mailboxes(urls: Sequence[str], settings: Settings) -> list[MailboxConfig]:
    """The mailboxes to check: those given as URLs, else the configured ones."""
    return [mailbox_from_url(u) for u in urls] if urls else list(settings.mailboxes)


def check_mailbox(mailbox: MailboxConfig, prompt: Prompt | None) -> tuple[list[str], int]:
    """Report lines for one mailbox, and the exit code its problems deserve."""
    from metawatch.sources.imap import ImapSource

    head = f"mailbox {mailbox.name} ({mailbox.host}:{mailbox.effective_port}, tls={mailbox.tls})"
    source = ImapSource(mailbox, lambda: resolve(mailbox, prompt), list(senders()["domains"]), {})
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
    lines.append(_auth_line(r.auth_results))
    return lines, 0


def _auth_line(seen: bool | None) -> str:
    if seen is None:
        return "  auth  no Meta mail found to check for Authentication-Results"
    if seen:
        return "  auth  the server adds Authentication-Results: confirmations can be verified"
    return ("  auth  WARNING: no Authentication-Results header on Meta's mail: confirmations will "
            "show as needs_review (see accept_unverified)")  # fmt: skip


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
