"""Which known account a classified mail concerns: by recipient address, platform and handle."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

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
