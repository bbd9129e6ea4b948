"""Received lines: which host received a mail, and where a provider's own lines end.

A provider prepends its Received lines above everything a sender wrote: the topmost lines are
its own relays (both ends internal) down to its entry line, the one that names where the mail
came from. Below the entry line a sender may have written anything, Received lines included.
"""

from __future__ import annotations

import fnmatch
import ipaddress
import re
from collections.abc import Sequence
from dataclasses import dataclass

Headers = Sequence[tuple[str, str]]  # (lower-case name, unfolded value), topmost first
_INTERNAL_SUFFIXES = (".internal", ".local", ".localdomain", ".lan", ".home.arpa", ".localhost")
_COMMENT = re.compile(r"\([^()]*\)")
_IPV4 = re.compile(r"(?<![\d.])(\d{1,3}(?:\.\d{1,3}){3})(?![\d.])")
_IPV6 = re.compile(r"\[(?:ipv6:)?([0-9a-f:.]*:[0-9a-f:.]*)\]", re.I)
_BY = re.compile(r"(?:^|\s)by\s+([^\s;]+)", re.I)
_FROM = re.compile(r"^\s*from\s+([^\s;]+)", re.I)
_FETCHED = re.compile(r"\bwith\s+(?:pop3s?|imaps?)\b|\(fetchmail\b", re.I)
_BY_WORD = re.compile(r"(?:^|(?<=\s))by\s", re.I)
_ADDRESS_LIKE = re.compile(r"^(?:\d{1,3}(?:\.\d{1,3}){3}|(?:ipv6:)?[0-9a-f]*:[0-9a-f:.]*)$", re.I)


@dataclass(frozen=True)
class Hop:
    """One Received line: the host that wrote it, and where the mail came from."""

    by: str | None
    from_inside: bool  # from a private or loopback address (or no from-part): a relay's hop
    fetched: bool = False  # the mailbox fetched it from another account (POP3, IMAP, fetchmail)

    @property
    def internal(self) -> bool:
        """Both ends internal: a provider's own relay, written above its entry line."""
        return (self.by is None or _internal_host(self.by)) and self.from_inside


def hop(value: str) -> Hop:
    """Read a Received value: its ``by`` host, and whether it came from inside."""
    by = _BY.search(_strip_comments(value))
    host = by.group(1).strip("[]").lower().rstrip(".") if by else None
    return Hop(host, _internal_from(_from_part(value)), bool(_FETCHED.search(value)))


def _top_hops(headers: Headers) -> list[Hop]:
    """The Received lines from the top down to the first that no sender can have written.

    Skipped on the way: a provider's own relays (both ends internal) and a fetch from another
    account; both sit above the entry line of the provider that received the mail by SMTP.
    """
    found = []
    for name, value in headers:
        if name == "received":
            found.append(h := hop(value))
            if not (h.internal or h.fetched):
                break
    return found


def receiving_host(headers: Headers) -> str | None:
    """The host named in the topmost Received line that is not a provider-internal hop."""
    hops = _top_hops(headers)
    last = hops[-1] if hops else None
    if last is None or last.internal or last.fetched or not last.by or _internal_host(last.by):
        return None
    return last.by


def fetched(headers: Headers) -> bool:
    """Whether the mailbox fetched this mail from another account: that one received it."""
    return any(h.fetched for h in _top_hops(headers))


def entry_index(headers: Headers, entry_hosts: Sequence[str]) -> int | None:
    """The index of the provider's entry Received line, if it is where the provider writes it.

    Going down from the top, lines that came from inside (its relays, LMTP) or from a fetch are
    skipped; the first line that came from outside must be the entry, or nothing is found: from
    there on, a sender may have written the lines.
    """
    for i, (name, value) in enumerate(headers):
        if name != "received":
            continue
        h = hop(value)
        if h.by and any(host_matches(h.by, e) for e in entry_hosts):
            return i
        if not (h.from_inside or h.fetched):
            return None
    return None


def _strip_comments(value: str) -> str:
    for _ in range(8):  # nested comments: (using TLS (256/256 bits))
        stripped = _COMMENT.sub(" ", value)
        if stripped == value:
            break
        value = stripped
    return value


def _from_part(value: str) -> str:
    """The text before the top-level ``by`` of a Received value (comments included)."""
    for m in _BY_WORD.finditer(value):
        head = value[: m.start()]
        if head.count("(") == head.count(")"):  # not inside a comment
            return head
    return value


def _internal_host(host: str) -> bool:
    """No public host name: a bare name, a local suffix, or an address (Gmail's ``by 2002:…``)."""
    if "." not in host or host == "localhost" or host.endswith(_INTERNAL_SUFFIXES):
        return True
    return bool(_ADDRESS_LIKE.match(host))


def _internal_from(part: str) -> bool:
    """True when the previous hop is inside: no from-part, private addresses, or a local name."""
    m = _FROM.match(_strip_comments(part))
    if m is None:
        return True
    addresses = _IPV4.findall(part) + _IPV6.findall(part)
    if addresses:
        return all(_private(a) for a in addresses)
    return _internal_host(m.group(1).strip("[]").lower())


def _private(address: str) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return ip.is_private or ip.is_loopback or ip.is_link_local


def host_matches(host: str, pattern: str) -> bool:
    """Exact, or a "*" pattern (``atlas*.yahoo.com``), case-insensitive."""
    host = host.lower().rstrip(".")
    return fnmatch.fnmatchcase(host, pattern) if "*" in pattern else host == pattern
