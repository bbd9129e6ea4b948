"""Which known account a classified mail concerns: by recipient address, platform and handle."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from metawatch.errors import NotFound, UsageError
from metawatch.models import Account, Platform

GMAIL_DOMAINS = frozenset({"gmail.com", "googlemail.com"})


def normalize_address(address: str) -> str:
    """Canonical form for matching: lower case, no +tag, Gmail without dots."""
    local, _, domain = address.strip().lower().rpartition("@")
    if not local:
        return address.strip().lower()
    local = local.split("+", 1)[0]
    if domain in GMAIL_DOMAINS:
        local, domain = local.replace(".", ""), "gmail.com"
    return f"{local}@{domain}"


def match_account(
    accounts: Sequence[Account],
    recipients: Iterable[str],
    platform: Platform | None,
    handle: str | None,
) -> Account | None:
    """The account a mail was sent to; the greeting's handle breaks ties."""
    wanted = {normalize_address(r) for r in recipients}
    candidates = [
        a
        for a in accounts
        if wanted & {normalize_address(e) for e in a.emails}
        and (platform is None or a.platform == platform)
    ]
    if len(candidates) > 1 and handle:
        by_handle = [a for a in candidates if a.handle and a.handle.lower() == handle.lower()]
        candidates = by_handle or candidates
    candidates.sort(key=lambda a: (a.discovered, a.id))
    return candidates[0] if candidates else None


def find(accounts: Sequence[Account], text: str) -> Account:
    """The one account named by its id, a login address or its handle."""
    wanted = text.strip().lstrip("#")
    found = [a for a in accounts if str(a.id) == wanted
             or normalize_address(wanted) in {normalize_address(e) for e in a.emails}
             or (a.handle or "").lower() == wanted.lower()]  # fmt: skip
    if not found:
        raise NotFound(f"no account {text!r}: see `metawatch accounts list`")
    if len(found) > 1:
        ids = ", ".join(str(a.id) for a in found)
        raise UsageError(f"{text!r} names more than one account ({ids}): give the id")
    return found[0]
