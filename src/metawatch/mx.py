"""MX lookups, to tell which provider hosts a custom mail domain: the only importer of dnspython."""

from __future__ import annotations

import logging
from collections.abc import Callable

log = logging.getLogger(__name__)

Resolver = Callable[[str], list[str]]
"""A domain -> its MX hosts, most preferred first; [] when it has none or DNS cannot say."""

# RFC 2606 and RFC 6761 names: never in public DNS, so asking would only wait for a timeout
_RESERVED = ("localhost", "invalid", "test", "example", "local")
TIMEOUT = 5.0  # seconds for the whole lookup: a person is waiting


def system_resolver() -> Resolver | None:
    """A resolver on the system's DNS, or None when dnspython is not installed."""
    try:
        import dns.resolver  # noqa: F401
    except ImportError:
        return None
    return lookup


def lookup(domain: str) -> list[str]:
    """The MX hosts of a domain through the system's DNS."""
    import dns.exception
    import dns.resolver

    domain = domain.strip().lower().rstrip(".")
    if not domain or domain.rpartition(".")[2] in _RESERVED or "." not in domain:
        return []
    try:
        answer = dns.resolver.resolve(domain, "MX", lifetime=TIMEOUT)
    except dns.exception.DNSException as e:  # no such domain, no MX, no DNS at all
        log.debug("MX lookup of %s: %s", domain, type(e).__name__)
        return []
    records = sorted(answer, key=lambda r: r.preference)
    return [str(r.exchange).lower().rstrip(".") for r in records]
