"""auth: a pass only from the receiving provider's own headers, aligned with From; local DKIM."""

from __future__ import annotations

import pytest

from metawatch import parsing
from metawatch.auth import parse_results, provider_headers, verdict, verify_dkim
from metawatch.classify import Classifier
from metawatch.models import Authenticity
from metawatch.providers import Receiver, Trust, registry, self_hosted

from .conftest import make_mail

SENDERS = Classifier().senders
FB = "notification@facebookmail.com"
OWN = self_hosted(["mx.example.org"])  # a self-hosted server: its first headers are its own


def ar(*values: str) -> list[tuple[str, str]]:
    return [("authentication-results", v) for v in values]


def check(headers: list[tuple[str, str]], sender: str = FB, provider: str = "") -> Authenticity:
    p = registry().get(provider) if provider else OWN
    return verdict(sender, headers, SENDERS, Receiver(p, "test")).authenticity


def test_dkim_pass_aligned_with_from_passes() -> None:
    assert check(ar("mx.example.org; dkim=pass header.d=facebookmail.com")) is Authenticity.PASS


def test_dmarc_pass_passes() -> None:
    headers = ar("mx.example.org; spf=pass; dmarc=pass header.from=facebookmail.com")
    assert check(headers) is Authenticity.PASS


def test_dkim_pass_for_another_domain_does_not_pass() -> None:
    assert check(ar("mx.example.org; dkim=pass header.d=mailer.example")) is not Authenticity.PASS


def test_forged_pass_below_a_failing_provider_header_fails() -> None:
    headers = ar(
        "mx.example.org; dkim=fail header.d=facebookmail.com; dmarc=fail header.from=facebookmail.com",
        "mx.example.org; dkim=pass header.d=facebookmail.com; dmarc=pass",
    )
    assert check(headers) is Authenticity.FAIL


def test_a_header_of_another_receiver_above_is_ignored() -> None:
    headers = ar("evil.example; dkim=pass header.d=facebookmail.com",
                 "mx.example.org; dkim=fail header.d=facebookmail.com")  # fmt: skip
    assert provider_headers(headers, OWN) == headers[1:]
    assert check(headers) is Authenticity.FAIL


def test_a_header_of_another_provider_never_counts() -> None:
    forged = ar("mx.google.com; dkim=pass header.d=facebookmail.com; dmarc=pass")
    assert check(forged) is Authenticity.NONE  # in a self-hosted mailbox
    assert check(forged, provider="gmx") is Authenticity.NONE


def test_no_provider_header_is_none_or_suspicious() -> None:
    assert (
        check(ar("mail.attacker.example; dkim=pass header.d=facebookmail.com")) is Authenticity.NONE
    )
    assert check([]) is Authenticity.NONE
    # Gmail writes a verdict on every mail: a Meta mail without one was not delivered by it
    assert check([], provider="gmail") is Authenticity.FAIL


def test_any_failure_among_the_provider_headers_wins() -> None:
    headers = ar("dmarc.icloud.com; dmarc=fail header.from=facebookmail.com",
                 "dkim-verifier.icloud.com; dkim=pass header.d=facebookmail.com")  # fmt: skip
    assert check(headers, provider="icloud") is Authenticity.FAIL


def test_dmarc_decides_where_the_provider_checks_it() -> None:
    dkim_only = ar("posteo.de; dkim=pass header.d=facebookmail.com")
    assert check(dkim_only, provider="posteo") is Authenticity.NONE
    mixed = ar("posteo.de; dmarc=temperror header.from=facebookmail.com",
               "posteo.de; dmarc=pass header.from=facebookmail.com")  # fmt: skip
    assert check(mixed, provider="posteo") is Authenticity.NONE  # a forged pass can't outvote


def test_spf_alone_is_not_enough() -> None:
    assert check(ar("mx.example.org; spf=pass smtp.mailfrom=facebookmail.com")) is Authenticity.NONE


def test_quoted_authserv_id_is_matched_exactly() -> None:
    headers = ar("'mx.example.org'; dmarc=pass header.from=facebookmail.com")
    assert check(headers) is Authenticity.PASS
    assert (
        check(ar("mx.example.org.evil; dmarc=pass header.from=facebookmail.com"))
        is Authenticity.NONE
    )


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
    header = (
        "MX.Example.org (via relay); DKIM=Pass (good sig) header.i=@FacebookMail.com header.s=x"
    )
    assert check(ar(header)) is Authenticity.PASS


def test_malformed_header_never_passes() -> None:
    for header in [
        "",
        ";;;",
        "mx.example.org",
        "mx.example.org; dkim",
        "mx.example.org; dkim=pass header.d=",
    ]:
        assert check(ar(header)) is not Authenticity.PASS


def test_parse_results_reads_methods_and_properties() -> None:
    assert parse_results("x; dkim=pass header.d=a.com; spf=fail smtp.mailfrom=b.com") == [
        ("dkim", "pass", {"header.d": "a.com"}),
        ("spf", "fail", {"smtp.mailfrom": "b.com"}),
    ]


def test_parse_results_reads_microsofts_header_without_authserv_id() -> None:
    value = ("spf=pass (sender IP is 69.171.232.1) smtp.mailfrom=facebookmail.com; dkim=pass "
             "(signature was verified) header.d=facebookmail.com;dmarc=pass action=none "
             "header.from=facebookmail.com;compauth=pass reason=100")  # fmt: skip
    assert [r[:2] for r in parse_results(value)] == [
        ("spf", "pass"),
        ("dkim", "pass"),
        ("dmarc", "pass"),
    ]
    assert check(ar(value), provider="outlook") is Authenticity.PASS


def test_wp_status_header_is_read_from_the_bottom() -> None:
    bottom = [("x-wp-dkim-status", "good (id: facebookmail.com)"), ("x-wp-mailid", "1"),
              ("x-wp-spam", "NO 0000000 [abcd]")]  # fmt: skip
    assert check([("subject", "x"), *bottom], provider="wp") is Authenticity.PASS
    forged_above = [("x-wp-dkim-status", "good (id: facebookmail.com)"), ("subject", "x"),
                    ("x-wp-dkim-status", "bad"), *bottom[1:]]  # fmt: skip
    assert check(forged_above, provider="wp") is Authenticity.FAIL


# -- --verify-dkim ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def dkim_key(tmp_path_factory: pytest.TempPathFactory) -> tuple[bytes, bytes]:
    """A 2048-bit key made here, and its DNS TXT record."""
    from dkim import dknewkey

    d = tmp_path_factory.mktemp("dkim")
    dknewkey.GenRSAKeys(str(d / "key.pem"), verbose=False)
    dknewkey.ExtractRSADnsPublicKey(str(d / "key.pem"), str(d / "dns.txt"), verbose=False)
    return (d / "key.pem").read_bytes(), (d / "dns.txt").read_bytes()


def _signed(
    key: bytes, domain: str = "facebookmail.com", headers: dict[str, str] | None = None
) -> bytes:
    import dkim

    raw = make_mail(
        "We will honour your objection. This means that we won't use your information for AI at Meta.",
        subject="Your objection", sender=f"Facebook <notification@{domain}>",
    )  # fmt: skip
    raw = raw.replace(b"\n", b"\r\n")
    signed = (
        dkim.sign(raw, b"s1", domain.encode(), key, include_headers=[b"from", b"subject", b"to"])
        + raw
    )
    on_top = "".join(f"{k}: {v}\r\n" for k, v in (headers or {}).items()).encode()
    return on_top + signed


def _classifier(record: bytes, name: bytes = b"s1._domainkey.facebookmail.com.") -> Classifier:
    dns = {name: record}
    return Classifier(trust=Trust(("mx.example.org",)), verify_dkim=True,
                      dnsfunc=lambda n, timeout=5: dns.get(n))  # fmt: skip


def test_verify_dkim_passes_a_good_signature_offline(dkim_key: tuple[bytes, bytes]) -> None:
    key, record = dkim_key
    raw = _signed(key)
    without = Classifier().classify(parsing.parse(raw), raw)
    result = _classifier(record).classify(parsing.parse(raw), raw)
    assert without.authenticity is Authenticity.NONE
    assert result.authenticity is Authenticity.PASS
    assert "verified locally" in result.auth.reason


def test_verify_dkim_fails_a_tampered_mail(dkim_key: tuple[bytes, bytes]) -> None:
    key, record = dkim_key
    raw = _signed(key).replace(b"We will honour", b"We will hon0ur")
    result = _classifier(record).classify(parsing.parse(raw), raw)
    assert result.authenticity is Authenticity.FAIL and "does not verify" in result.auth.reason


def test_a_local_dkim_failure_overrides_a_header_pass(dkim_key: tuple[bytes, bytes]) -> None:
    key, record = dkim_key
    provider_pass = {
        "Authentication-Results": "mx.example.org; dmarc=pass header.from=facebookmail.com"
    }
    raw = _signed(key, headers=provider_pass)
    header_only = Classifier(trust=Trust(("mx.example.org",)))
    assert header_only.classify(parsing.parse(raw), raw).authenticity is Authenticity.PASS
    tampered = raw.replace(b"We will honour", b"We will hon0ur")
    assert (
        _classifier(record).classify(parsing.parse(tampered), tampered).authenticity
        is Authenticity.FAIL
    )


def test_without_the_key_nothing_is_known(dkim_key: tuple[bytes, bytes]) -> None:
    key, _ = dkim_key
    raw = _signed(key).replace(b"We will honour", b"We will hon0ur")
    assert verify_dkim(raw, "facebookmail.com", lambda name, timeout=5: None) is None


def test_verify_dkim_needs_alignment(dkim_key: tuple[bytes, bytes]) -> None:
    key, record = dkim_key
    dns = {b"s1._domainkey.mailer.example.": record}
    raw = _signed(key, domain="mailer.example").replace(
        b"From: Facebook <notification@mailer.example>",
        b"From: Facebook <notification@facebookmail.com>",
    )
    assert verify_dkim(raw, "facebookmail.com", lambda name, timeout=5: dns.get(name)) is None
