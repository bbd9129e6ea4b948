"""Sender authenticity: the verdict of the provider that received a mail (RFC 8601), and DKIM.

A sender can write any header, Authentication-Results included. A verdict rests only on the
headers that the receiving provider wrote, found by its authserv-ids and by where it puts them
(see providers.py); all of them together make one verdict, and a failure in any of them wins.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from metawatch.errors import ConfigError
from metawatch.models import Authenticity, AuthVerdict
from metawatch.providers import Provider, Receiver
from metawatch.received import Headers, entry_index, host_matches

_COMMENT = re.compile(r"\([^()]*\)")
_RESULT = re.compile(r"\b(dkim|dmarc|spf|arc)\s*=\s*([a-z]+)((?:\s+[a-z.-]+\s*=\s*[^\s;]+)*)", re.I)
_PROP = re.compile(r"([a-z]+\.[a-z-]+)\s*=\s*([^\s;]+)", re.I)
_WP_STATUS = re.compile(r"^\s*(\w+)(?:\s*\(\s*id:\s*([^\s)]+)\s*\))?", re.I)
_DIGIT_LOOKS = str.maketrans("01345", "oleas")
_FAILED = ("fail", "permerror")
AR = "authentication-results"
Result = tuple[str, str, dict[str, str]]  # method, result, properties


@dataclass(frozen=True)
class Senders:
    """Meta's sending domains and the brands that look-alike domains imitate, from senders.toml."""

    domains: dict[str, str]
    brands: tuple[str, ...]
    labels: tuple[str, ...]

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


def verdict(from_addr: str, headers: Headers, senders: Senders, receiver: Receiver) -> AuthVerdict:
    """pass / fail / none for a mail's From address, from its receiving provider's headers."""
    domain = from_addr.rpartition("@")[2].lower()
    if senders.looks_like_meta(domain):
        return AuthVerdict(Authenticity.FAIL, f"sender domain {domain} only looks like Meta's")
    if not senders.meta_domain(domain):
        return AuthVerdict(Authenticity.NONE, f"sender domain {domain or '(none)'} is not Meta's")
    p = receiver.provider
    if p is None:
        return AuthVerdict(Authenticity.NONE, f"no known provider received it: {receiver.how}")
    named = f"{p.label} ({receiver.how})"
    if not p.verdict_known:
        return AuthVerdict(Authenticity.NONE, f"{p.label} writes no verdict that metawatch "
                           "knows how to read", provider=named)  # fmt: skip
    found = provider_headers(headers, p)
    if not found:
        if p.always_verdict:
            reason = f"{p.label} writes a verdict on every mail, but this one carries none of it"
            return AuthVerdict(Authenticity.FAIL, reason, provider=named)
        return AuthVerdict(Authenticity.NONE, f"no verdict of {p.label} on this mail",
                           provider=named)  # fmt: skip
    return _judge(domain, found, p, named)


def provider_headers(headers: Headers, p: Provider) -> list[tuple[str, str]]:
    """The verdict headers that the provider itself wrote: its ids, where it puts them."""
    picked: set[int] = set()
    if p.above_received:  # above its entry line; everything below it is the sender's
        entry = entry_index(headers, p.above_received)
        if entry is not None:
            picked |= {i for i in range(entry) if p.is_verdict(*headers[i])}
    elif p.position == "top":
        picked |= _first_run(headers, p)
    if p.position == "bottom":
        picked |= _appended(headers, p)
    return [headers[i] for i in sorted(picked)]


def _first_run(headers: Headers, p: Provider) -> set[int]:
    """Its first N headers: a sender's forged copies can only come after them."""
    kinds = {AR, *(h.lower() for h in p.verdict_headers)}
    candidates = [i for i, (name, _) in enumerate(headers) if name in kinds]
    start = next((k for k, i in enumerate(candidates) if p.is_verdict(*headers[i])), None)
    run: set[int] = set()
    for i in candidates[start:] if start is not None else ():
        if not p.is_verdict(*headers[i]) or len(run) >= p.max_headers:
            break
        run.add(i)
    return run


def _appended(headers: Headers, p: Provider) -> set[int]:
    """Its last N headers in the block it appends: the sender's come before that block."""
    names = p.appended or (AR, *p.verdict_headers)
    block: list[int] = []
    for i in range(len(headers) - 1, -1, -1):
        if not any(host_matches(headers[i][0], n) for n in names):
            break
        block.append(i)
    mine = [i for i in block if p.is_verdict(*headers[i])]  # bottom-most first
    return set(mine[: p.max_headers] if p.max_headers else mine)


def _judge(domain: str, found: Sequence[tuple[str, str]], p: Provider, named: str) -> AuthVerdict:
    """One verdict from all of the provider's headers: any failure wins."""
    results = [(r, h) for h in found for r in _results(*h)]
    for (method, result, props), h in results:
        if result in _FAILED and (
            method == "dmarc" or (method == "dkim" and _dkim_is(domain, props))
        ):
            return AuthVerdict(Authenticity.FAIL, f"{p.label} reports {method}={result} for "
                               f"{domain}", _lines([h]), named)  # fmt: skip
    dmarc = [(r, h) for r, h in results if r[0] == "dmarc"]
    if p.checks_dmarc or dmarc:  # then DMARC decides, and every DMARC result must agree
        if dmarc and all(r[1] == "pass" and _aligned(domain, *r) for r, _ in dmarc):
            return AuthVerdict(Authenticity.PASS, f"{p.label}: dmarc=pass for {domain}",
                               _lines(h for _, h in dmarc), named)  # fmt: skip
        return AuthVerdict(Authenticity.NONE, f"{p.label} reports no dmarc=pass for {domain}",
                           _lines(found), named)  # fmt: skip
    dkim = [(r, h) for r, h in results if r[0] == "dkim" and _dkim_is(domain, r[2])]
    passed = [h for r, h in dkim if r[1] == "pass" and _aligned(domain, *r)]
    if passed and all(r[1] == "pass" for r, _ in dkim):
        return AuthVerdict(Authenticity.PASS, f"{p.label}: dkim=pass aligned with {domain}",
                           _lines(passed), named)  # fmt: skip
    return AuthVerdict(Authenticity.NONE, f"{p.label} reports no aligned dkim=pass for {domain}",
                       _lines(found), named)  # fmt: skip


def _results(name: str, value: str) -> list[Result]:
    if name == AR:
        return parse_results(value)
    return _wp_status(value)


def parse_results(header: str) -> list[Result]:
    """(method, result, properties) triples of one Authentication-Results value."""
    body = _COMMENT.sub(" ", header)
    head, sep, rest = body.partition(";")
    if "=" not in head:  # an authserv-id first; Microsoft writes none
        if not sep:
            return []
        body = rest
    found = []
    for m in _RESULT.finditer(body):
        props = {k.lower(): v.strip('"').lower() for k, v in _PROP.findall(m.group(3))}
        found.append((m.group(1).lower(), m.group(2).lower(), props))
    return found


def _wp_status(value: str) -> list[Result]:
    """Wirtualna Polska's ``X-WP-DKIM-Status: good (id: domain)`` as a dkim result."""
    m = _WP_STATUS.match(value)
    if m is None:
        return []
    result = {"good": "pass", "bad": "fail"}.get(m.group(1).lower(), "none")
    return [("dkim", result, {"header.d": m.group(2).lower()} if m.group(2) else {})]


def _dkim_is(domain: str, props: dict[str, str]) -> bool:
    """A DKIM result about the From domain: aligned with it, or naming no domain at all."""
    signer = _signer(props)
    return not signer or _org(signer) == _org(domain)


def _signer(props: dict[str, str]) -> str:
    return props.get("header.d") or props.get("header.i", "").rpartition("@")[2]


def _aligned(domain: str, method: str, result: str, props: dict[str, str]) -> bool:
    if method == "dkim":
        signer = _signer(props)
        return bool(signer) and _org(signer) == _org(domain)
    if method == "dmarc":
        policy_domain = props.get("header.from", domain)
        return _org(policy_domain.strip("<>").rpartition("@")[2]) == _org(domain)
    return False  # SPF and ARC alone prove nothing about the From domain


def _lines(headers: Iterable[tuple[str, str]]) -> str:
    """The header fields relied on, one per line."""
    return "\n".join(header_line(n, v) for n, v in headers)


def header_line(name: str, value: str) -> str:
    """A header field as it is written (``Authentication-Results: …``, ``X-WP-DKIM-Status: …``)."""
    shown = "-".join(part.upper() if part in ("wp", "dkim", "toi") else part.capitalize()
                     for part in name.split("-"))  # fmt: skip
    return f"{shown}: {value}"


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


# -- local DKIM verification (--verify-dkim) ---------------------------------------------------

DnsFunc = Callable[..., bytes | None]


def verify_dkim(raw: bytes, from_domain: str, dnsfunc: DnsFunc | None = None) -> AuthVerdict | None:
    """Verify the signatures aligned with From ourselves (dkimpy): pass, fail, or None.

    None when the mail carries no signature of the From domain, or its key cannot be fetched:
    then nothing is known. A signature whose key is there and which does not verify is a fail.
    """
    try:
        import dkim
        from dkim.util import parse_tag_value
    except ImportError:
        raise ConfigError("--verify-dkim needs dkimpy: pip install 'metawatch[dkim]'") from None
    try:
        checker = dkim.DKIM(raw)
        signatures = [
            parse_tag_value(v) for n, v in checker.headers if n.lower() == b"dkim-signature"
        ]
    except Exception:  # deliberate: dkimpy raises many kinds on hostile input; no verdict then
        return None
    failed = None
    for idx, tags in enumerate(signatures):
        signer = tags.get(b"d", b"").decode("ascii", "replace").lower()
        if not signer or _org(signer) != _org(from_domain):
            continue
        if _verifies(checker, idx, dnsfunc):
            return AuthVerdict(Authenticity.PASS, f"DKIM signature of {signer} verified locally")
        if _key_exists(tags, dnsfunc):
            failed = AuthVerdict(Authenticity.FAIL, f"DKIM signature of {signer} does not verify "
                                 "(checked locally): the mail was altered or forged")  # fmt: skip
    return failed


def _verifies(checker: object, idx: int, dnsfunc: DnsFunc | None) -> bool:
    try:
        verify = checker.verify  # type: ignore[attr-defined]
        return bool(verify(idx=idx, dnsfunc=dnsfunc) if dnsfunc else verify(idx=idx))
    except Exception:  # deliberate: a malformed signature is simply not a valid one
        return False


def _key_exists(tags: dict[bytes, bytes], dnsfunc: DnsFunc | None) -> bool:
    """Whether the signer's key can be fetched: without it a failed check proves nothing."""
    from dkim import dnsplug

    name = tags.get(b"s", b"") + b"._domainkey." + tags.get(b"d", b"") + b"."
    try:
        record = (dnsfunc or dnsplug.get_txt)(name)
    except Exception:  # deliberate: any DNS failure means "unknown", never "forged"
        return False
    return bool(record)


def combine(header: AuthVerdict, local: AuthVerdict | None) -> AuthVerdict:
    """The header verdict with the local DKIM check: a local failure overrides everything."""
    if local is None or header.authenticity is Authenticity.FAIL:
        return header
    if local.authenticity is Authenticity.FAIL or header.authenticity is Authenticity.NONE:
        return AuthVerdict(local.authenticity, local.reason, header.header, header.provider)
    return header
