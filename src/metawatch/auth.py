"""Sender authenticity from the Authentication-Results header of a trusted receiver (RFC 8601)."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from metawatch.errors import ConfigError
from metawatch.models import Authenticity, AuthVerdict

_COMMENT = re.compile(r"\([^()]*\)")
_RESULT = re.compile(r"\b(dkim|dmarc|spf|arc)\s*=\s*([a-z]+)((?:\s+[a-z.-]+\s*=\s*[^\s;]+)*)", re.I)
_PROP = re.compile(r"([a-z]+\.[a-z-]+)\s*=\s*([^\s;]+)", re.I)
_DIGIT_LOOKS = str.maketrans("01345", "oleas")


@dataclass(frozen=True)
class Senders:
    """Meta's sending domains, look-alike brands and trusted receivers, from senders.toml."""

    domains: dict[str, str]
    brands: tuple[str, ...]
    labels: tuple[str, ...]
    trusted: tuple[str, ...]

    def meta_domain(self, domain: str) -> str | None:
        """The listed Meta domain that ``domain`` is or is a subdomain of."""
        return next((d for d in self.domains if _within(domain, d)), None)

    def looks_like_meta(self, domain: str) -> bool:
        """True for a non-Meta domain that imitates one (faceb00k-mail.com, meta-support.net)."""
        if not domain or self.meta_domain(domain):
            return False
        plain = domain.translate(_DIGIT_LOOKS)
        labels = re.split(r"[.-]", plain)
        return any(b in plain for b in self.brands) or any(
            lbl in self.labels or _near(lbl, b) for lbl in labels for b in self.brands
        )


def verdict(from_addr: str, headers: Iterable[str], senders: Senders) -> AuthVerdict:
    """pass / fail / none for a mail's From address and its Authentication-Results headers."""
    domain = from_addr.rpartition("@")[2].lower()
    if senders.looks_like_meta(domain):
        return AuthVerdict(Authenticity.FAIL, f"sender domain {domain} only looks like Meta's")
    if not senders.meta_domain(domain):
        return AuthVerdict(Authenticity.NONE, f"sender domain {domain or '(none)'} is not Meta's")
    trusted = trusted_header(headers, senders.trusted)
    if trusted is None:
        return AuthVerdict(Authenticity.NONE, "no Authentication-Results from a trusted receiver")
    return _judge(domain, trusted)


def trusted_header(headers: Iterable[str], trusted: Iterable[str]) -> str | None:
    """The topmost header whose authserv-id is a trusted receiver; lower ones may be forged."""
    ids = tuple(trusted)
    for value in headers:
        authserv = _COMMENT.sub("", value).split(";", 1)[0].strip().split()
        if authserv and any(_within(authserv[0].lower(), t) for t in ids):
            return value
    return None


def _judge(domain: str, header: str) -> AuthVerdict:
    results = parse_results(header)
    for method, result, props in results:
        if result == "pass" and _aligned(domain, method, props):
            return AuthVerdict(Authenticity.PASS, f"{method}=pass for {domain}", header)
    failed = [m for m, r, _ in results if m in ("dkim", "dmarc") and r in ("fail", "permerror")]
    if failed:
        return AuthVerdict(Authenticity.FAIL, f"trusted receiver reports {failed[0]}=fail", header)
    return AuthVerdict(Authenticity.NONE, "trusted receiver reports no aligned pass", header)


def parse_results(header: str) -> list[tuple[str, str, dict[str, str]]]:
    """(method, result, properties) triples of one Authentication-Results value."""
    body = _COMMENT.sub(" ", header).split(";", 1)
    if len(body) < 2:
        return []
    found = []
    for m in _RESULT.finditer(body[1]):
        props = {k.lower(): v.strip('"').lower() for k, v in _PROP.findall(m.group(3))}
        found.append((m.group(1).lower(), m.group(2).lower(), props))
    return found


def _aligned(domain: str, method: str, props: dict[str, str]) -> bool:
    if method == "dkim":
        signer = props.get("header.d") or props.get("header.i", "").rpartition("@")[2]
        return bool(signer) and _org(signer) == _org(domain)
    if method == "dmarc":
        policy_domain = props.get("header.from", domain)
        return _org(policy_domain) == _org(domain)
    return False  # SPF and ARC alone prove nothing about the From domain


def _org(domain: str) -> str:
    """Organisational domain, good enough for Meta's .com/.net domains."""
    return ".".join(domain.lower().strip(".").split(".")[-2:])


def _within(domain: str, parent: str) -> bool:
    return domain == parent or domain.endswith("." + parent)


def _near(a: str, b: str) -> bool:
    """Edit distance at most 1 (faceboook, instagam): cheap, for short labels only."""
    if abs(len(a) - len(b)) > 1 or len(a) < 5 or a == b:
        return False
    i = 0
    while i < min(len(a), len(b)) and a[i] == b[i]:
        i += 1
    return a[i + 1 :] == b[i + 1 :] or a[i + 1 :] == b[i:] or a[i:] == b[i + 1 :]


DnsFunc = Callable[..., bytes | None]


def verify_dkim(raw: bytes, from_domain: str, dnsfunc: DnsFunc | None = None) -> AuthVerdict | None:
    """Verify the DKIM signature ourselves (dkimpy): a pass aligned with From, or None."""
    try:
        import dkim
    except ImportError:
        raise ConfigError("--verify-dkim needs dkimpy: pip install 'metawatch[dkim]'") from None
    try:
        checker = dkim.DKIM(raw)
        ok = checker.verify(dnsfunc=dnsfunc) if dnsfunc else checker.verify()
        signer = (checker.domain or b"").decode("ascii", "replace").lower()
    except Exception:  # deliberate: dkimpy raises many kinds on hostile input; no verdict then
        return None
    if ok and signer and _org(signer) == _org(from_domain):
        return AuthVerdict(Authenticity.PASS, f"DKIM signature of {signer} verified locally")
    return None
