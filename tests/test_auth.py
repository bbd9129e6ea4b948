"""auth: a pass only from the topmost trusted Authentication-Results, aligned with From."""

from __future__ import annotations

import pytest

from metawatch import parsing
from metawatch.auth import parse_results, trusted_header, verdict, verify_dkim
from metawatch.classify import Classifier
from metawatch.models import Authenticity

from .conftest import make_mail

SENDERS = Classifier().senders
FB = "notification@facebookmail.com"


def check(headers: list[str], sender: str = FB) -> Authenticity:
    return verdict(sender, headers, SENDERS).authenticity


def test_dkim_pass_aligned_with_from_passes() -> None:
    assert check(["mx.google.com; dkim=pass header.d=facebookmail.com"]) is Authenticity.PASS


def test_dmarc_pass_passes() -> None:
    assert (
        check(["gmx.net; spf=pass; dmarc=pass header.from=facebookmail.com"]) is Authenticity.PASS
    )


def test_dkim_pass_for_another_domain_does_not_pass() -> None:
    assert check(["mx.google.com; dkim=pass header.d=mailer.example"]) is not Authenticity.PASS


def test_forged_pass_below_a_failing_trusted_header_fails() -> None:
    headers = [
        "mx.google.com; dkim=fail header.d=facebookmail.com; dmarc=fail header.from=facebookmail.com",
        "mx.google.com; dkim=pass header.d=facebookmail.com; dmarc=pass",
    ]
    assert check(headers) is Authenticity.FAIL


def test_untrusted_header_above_is_ignored() -> None:
    headers = [
        "evil.example; dkim=pass header.d=facebookmail.com",
        "web.de; dkim=fail header.d=facebookmail.com",
    ]
    assert trusted_header(headers, SENDERS.trusted) == headers[1]
    assert check(headers) is Authenticity.FAIL


def test_no_trusted_header_is_none() -> None:
    assert (
        check(["mail.attacker.example; dkim=pass header.d=facebookmail.com"]) is Authenticity.NONE
    )
    assert check([]) is Authenticity.NONE


def test_spf_alone_is_not_enough() -> None:
    assert check(["mx.google.com; spf=pass smtp.mailfrom=facebookmail.com"]) is Authenticity.NONE


@pytest.mark.parametrize(
    "domain",
    [
        "faceb00kmail.com",
        "facebook-security.net",
        "instagramm.com",
        "metamail-support.com",
        "meta-privacy.org",
    ],
)
def test_lookalike_sender_domains_fail(domain: str) -> None:
    assert check([], sender=f"x@{domain}") is Authenticity.FAIL


@pytest.mark.parametrize(
    "domain", ["gmail.com", "verbraucherzentrale.de", "metadata.org", "fbi.gov"]
)
def test_ordinary_domains_are_not_lookalikes(domain: str) -> None:
    assert check([], sender=f"x@{domain}") is Authenticity.NONE


def test_comments_and_case_are_handled() -> None:
    header = "MX.Google.com (via relay); DKIM=Pass (good sig) header.i=@FacebookMail.com header.s=x"
    assert check([header]) is Authenticity.PASS


def test_malformed_header_never_passes() -> None:
    for header in [
        "",
        ";;;",
        "mx.google.com",
        "mx.google.com; dkim",
        "mx.google.com; dkim=pass header.d=",
    ]:
        assert check([header]) is not Authenticity.PASS


def test_parse_results_reads_methods_and_properties() -> None:
    assert parse_results("x; dkim=pass header.d=a.com; spf=fail smtp.mailfrom=b.com") == [
        ("dkim", "pass", {"header.d": "a.com"}),
        ("spf", "fail", {"smtp.mailfrom": "b.com"}),
    ]


@pytest.fixture(scope="module")
def dkim_key(tmp_path_factory: pytest.TempPathFactory) -> tuple[bytes, bytes]:
    """A 2048-bit key made here, and its DNS TXT record."""
    from dkim import dknewkey

    d = tmp_path_factory.mktemp("dkim")
    dknewkey.GenRSAKeys(str(d / "key.pem"), verbose=False)
    dknewkey.ExtractRSADnsPublicKey(str(d / "key.pem"), str(d / "dns.txt"), verbose=False)
    return (d / "key.pem").read_bytes(), (d / "dns.txt").read_bytes()


def _signed(key: bytes, domain: str = "facebookmail.com") -> bytes:
    import dkim

    raw = make_mail(
        "We will honour your objection. This means that we won't use your information for AI at Meta.",
        subject="Your objection", sender=f"Facebook <notification@{domain}>",
    )  # fmt: skip
    raw = raw.replace(b"\n", b"\r\n")
    return (
        dkim.sign(raw, b"s1", domain.encode(), key, include_headers=[b"from", b"subject", b"to"])
        + raw
    )


def test_verify_dkim_passes_a_good_signature_offline(dkim_key: tuple[bytes, bytes]) -> None:
    key, record = dkim_key
    dns = {b"s1._domainkey.facebookmail.com.": record}
    classifier = Classifier(verify_dkim=True, dnsfunc=lambda name, timeout=5: dns.get(name))
    raw = _signed(key)
    without = Classifier().classify(parsing.parse(raw), raw)
    result = classifier.classify(parsing.parse(raw), raw)
    assert without.authenticity is Authenticity.NONE
    assert result.authenticity is Authenticity.PASS
    assert "verified locally" in result.auth.reason


def test_verify_dkim_rejects_a_tampered_mail(dkim_key: tuple[bytes, bytes]) -> None:
    key, record = dkim_key
    dns = {b"s1._domainkey.facebookmail.com.": record}
    classifier = Classifier(verify_dkim=True, dnsfunc=lambda name, timeout=5: dns.get(name))
    raw = _signed(key).replace(b"We will honour", b"We will hon0ur")
    assert classifier.classify(parsing.parse(raw), raw).authenticity is not Authenticity.PASS


def test_verify_dkim_needs_alignment(dkim_key: tuple[bytes, bytes]) -> None:
    key, record = dkim_key
    dns = {b"s1._domainkey.mailer.example.": record}
    raw = _signed(key, domain="mailer.example").replace(
        b"From: Facebook <notification@mailer.example>",
        b"From: Facebook <notification@facebookmail.com>",
    )
    assert verify_dkim(raw, "facebookmail.com", lambda name, timeout=5: dns.get(name)) is None
