"""Hostile and broken input: parsing and classifying never raise, whatever the bytes."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from metawatch import auth, parsing
from metawatch.classify import Classifier
from metawatch.models import Authenticity, Kind

CLASSIFIER = Classifier()
CHARSETS = st.sampled_from(
    ["utf-8", "latin-1", "x-unknown", "utf-16", "", "us-ascii", "gb2312", "utf-7"]
)
ENCODINGS = st.sampled_from(["base64", "quoted-printable", "8bit", "7bit", "x-uuencode", "bogus"])
TEXT = st.text(st.characters(blacklist_categories=("Cs",)), max_size=300)


@st.composite
def mime(draw: st.DrawFn) -> bytes:
    """A MIME message with lying charsets, wrong encodings, nested parts and garbage headers."""
    boundary = draw(st.sampled_from(["b1", "b2", "", "--", "x" * 80]))
    headers = [
        f"From: {draw(TEXT)} <{draw(st.sampled_from(['a@facebookmail.com', 'x@y', '', '@@']))}>",
        f"Subject: =?{draw(CHARSETS)}?{draw(st.sampled_from(['B', 'Q', 'Z']))}?{draw(TEXT)}?=",
        f"Authentication-Results: {draw(TEXT)}",
        "X-Long: " + "a" * draw(st.integers(0, 2000)),
        f'Content-Type: multipart/{draw(st.sampled_from(["mixed", "alternative"]))}; boundary="{boundary}"',
    ]
    parts = []
    for _ in range(draw(st.integers(0, 4))):
        body = (
            draw(st.binary(max_size=400))
            if draw(st.booleans())
            else draw(TEXT).encode("utf-8", "replace")
        )
        kind = draw(
            st.sampled_from(["text/plain", "text/html", "message/rfc822", "application/x", ""])
        )
        parts.append(
            f"--{draw(st.sampled_from([boundary, 'wrong']))}\r\nContent-Type: {kind}; charset={draw(CHARSETS)}\r\n"
            f"Content-Transfer-Encoding: {draw(ENCODINGS)}\r\n\r\n".encode()
            + body
        )
    tail = f"\r\n--{boundary}--\r\n".encode() if draw(st.booleans()) else b""
    return (
        "\r\n".join(headers).encode("utf-8", "replace") + b"\r\n\r\n" + b"\r\n".join(parts) + tail
    )


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=3000))
def test_any_bytes_parse_and_classify(raw: bytes) -> None:
    mail = parsing.parse(raw)
    result = CLASSIFIER.classify(mail, raw)
    assert mail.error or result.kind is not Kind.UNPARSEABLE


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mime())
def test_broken_mime_never_raises(raw: bytes) -> None:
    mail = parsing.parse(raw)
    assert isinstance(CLASSIFIER.classify(mail, raw).kind, Kind)


@settings(max_examples=300, deadline=None)
@given(st.lists(TEXT, max_size=4))
def test_garbage_authentication_results_never_pass(headers: list[str]) -> None:
    verdict = auth.verdict("notification@facebookmail.com", headers, CLASSIFIER.senders)
    trusted = auth.trusted_header(headers, CLASSIFIER.senders.trusted)
    if verdict.authenticity is Authenticity.PASS:
        assert trusted is not None and "pass" in trusted.lower()


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
