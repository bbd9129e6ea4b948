"""Hostile and broken input: parsing and classifying never raise or hang, whatever the bytes."""

from __future__ import annotations

import signal
from collections.abc import Iterator

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from metawatch import auth, parsing
from metawatch.classify import Classifier
from metawatch.models import Authenticity, Kind
from metawatch.providers import Receiver, registry

CLASSIFIER = Classifier()
CHARSETS = st.sampled_from(
    ["utf-8", "latin-1", "x-unknown", "utf-16", "", "us-ascii", "gb2312", "utf-7"]
)
ENCODINGS = st.sampled_from(["base64", "quoted-printable", "8bit", "7bit", "x-uuencode", "bogus"])
TEXT = st.text(st.characters(blacklist_categories=("Cs",)), max_size=300)
HANG = 120  # seconds: a test that takes this long has hung (the slowest here takes about 2)
# No deadline and no too_slow health check: a verdict must not depend on the machine's speed.
EXAMPLES = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@pytest.fixture(autouse=True)
def _no_hang() -> Iterator[None]:
    """Fail a test that hangs instead of stalling CI (these tests run in the main thread)."""

    def hung(*_: object) -> None:
        raise TimeoutError(f"hung for {HANG} s")

    old = signal.signal(signal.SIGALRM, hung)
    signal.alarm(HANG)
    yield
    signal.alarm(0)
    signal.signal(signal.SIGALRM, old)


@st.composite
def mime(draw: st.DrawFn) -> bytes:
    """A MIME message with lying charsets, wrong encodings, nested parts and garbage headers."""
    boundary = draw(st.sampled_from(["b1", "b2", "", "--", "x" * 80]))
    headers = [
        f"From: {draw(TEXT)} <{draw(st.sampled_from(['a@facebookmail.com', 'x@y', '', '@@']))}>",
        f"Subject: =?{draw(CHARSETS)}?{draw(st.sampled_from(['B', 'Q', 'Z']))}?{draw(TEXT)}?=",
        f"Authentication-Results: {draw(TEXT)}",
        "X-Long: " + "a" * draw(st.integers(0, 2000)),
        f"X-Nul: {draw(TEXT)}\x00{draw(TEXT)}",
        f'Content-Type: multipart/{draw(st.sampled_from(["mixed", "alternative"]))}; boundary="{boundary}"',
    ]
    if draw(st.booleans()):  # no Content-Type at all
        headers.pop()
    parts = []
    for _ in range(draw(st.integers(0, 4))):
        body = (
            draw(st.binary(max_size=400))
            if draw(st.booleans())
            else draw(TEXT).encode("utf-8", "replace")
        )
        kind = draw(
            st.sampled_from(["text/plain", "text/html", "message/rfc822", "application/x", "",
                             "multipart/mixed; boundary=b1"])
        )  # fmt: skip
        parts.append(
            f"--{draw(st.sampled_from([boundary, 'wrong']))}\r\nContent-Type: {kind}; charset={draw(CHARSETS)}\r\n"
            f"Content-Transfer-Encoding: {draw(ENCODINGS)}\r\n\r\n".encode()
            + body
        )
    tail = f"\r\n--{boundary}--\r\n".encode() if draw(st.booleans()) else b""
    return (
        "\r\n".join(headers).encode("utf-8", "replace") + b"\r\n\r\n" + b"\r\n".join(parts) + tail
    )


@EXAMPLES
@given(st.binary(max_size=3000))
def test_any_bytes_parse_and_classify(raw: bytes) -> None:
    mail = parsing.parse(raw)
    result = CLASSIFIER.classify(mail, raw)
    assert mail.error or result.kind is not Kind.UNPARSEABLE


@EXAMPLES
@given(mime())
def test_broken_mime_never_raises(raw: bytes) -> None:
    mail = parsing.parse(raw)
    assert isinstance(CLASSIFIER.classify(mail, raw).kind, Kind)


@EXAMPLES
@given(st.lists(st.tuples(st.sampled_from(["authentication-results", "received", "x-wp-dkim-status",
                                           "from"]), TEXT), max_size=6),
       st.sampled_from(registry().names()))  # fmt: skip
def test_garbage_headers_never_pass(headers: list[tuple[str, str]], name: str) -> None:
    p = registry().get(name)
    verdict = auth.verdict("notification@facebookmail.com", headers, CLASSIFIER.senders,
                           Receiver(p, "test"))  # fmt: skip
    if verdict.authenticity is Authenticity.PASS:
        assert p is not None
        assert any(
            "pass" in v.lower() or "good" in v.lower() for _, v in auth.provider_headers(headers, p)
        )


def test_deeply_nested_html_and_huge_single_line() -> None:
    html = "<div>" * 5000 + "KI bei Meta" + "</div>" * 5000
    raw = b"From: a@facebookmail.com\r\nContent-Type: text/html\r\n\r\n" + html.encode()
    mail = parsing.parse(raw)  # must return, not raise or recurse to death
    assert mail.error is not None or "KI bei Meta" in mail.text
    big = (
        b"From: a@facebookmail.com\r\nContent-Type: text/html\r\n\r\n<p>"
        + b"x" * 5_000_000
        + b"</p>"
    )
    assert CLASSIFIER.classify(parsing.parse(big)).kind in (Kind.OTHER_META, Kind.UNPARSEABLE)


def _multipart(body: bytes) -> bytes:
    return b"From: a@facebookmail.com\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n" + body


def test_a_million_tiny_parts_are_refused_quickly() -> None:
    raw = _multipart(b"--b\r\n\r\nx\r\n" * 1_000_000 + b"--b--\r\n")
    mail = parsing.parse(raw)
    assert mail.error is not None and "too many MIME parts" in mail.error
    assert CLASSIFIER.classify(mail, raw).kind is Kind.UNPARSEABLE


def test_deeply_nested_multiparts_are_refused() -> None:
    nested = b"".join(
        f"--b{i}\r\nContent-Type: multipart/mixed; boundary=b{i + 1}\r\n\r\n".encode()
        for i in range(900)
    )
    mail = parsing.parse(_multipart(nested.replace(b"--b0", b"--b", 1)))
    assert mail.error is not None  # mail-parser gives up: recorded as unparseable, no crash


def test_an_oversized_mail_is_refused_before_parsing() -> None:
    mail = parsing.parse(b"From: a@facebookmail.com\r\n\r\n" + b"x" * (parsing.MAX_MAIL + 1))
    assert mail.error is not None and "too large" in mail.error
