"""parsing: bytes -> Mail, for any input."""

from __future__ import annotations

import logging
import re
from pathlib import Path

import pytest

from metawatch import mailbytes, parsing
from metawatch.classify import Classifier
from metawatch.models import Authenticity, Kind, Mail

from .conftest import SAMPLES, make_mail


def sample(name: str) -> bytes:
    return (SAMPLES / name).read_bytes()


def test_eight_bit_utf8_german_body_keeps_its_umlauts() -> None:
    raw = (
        "From: Facebook <notification@facebookmail.com>\r\nTo: anna@example.org\r\n"
        "Subject: Test\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n"
        "Content-Transfer-Encoding: 8bit\r\n\r\nDu kannst der Verwendung widersprechen. "
        "Öffentliche Beiträge, Grüße, ß.\r\n"
    ).encode()
    mail = parsing.parse(raw)
    assert "Öffentliche Beiträge, Grüße, ß." in mail.text
    assert "Ã" not in mail.text


def test_rfc2047_subject_and_addresses_are_decoded() -> None:
    raw = (
        b"From: =?utf-8?q?Instagram?= <no-reply@mail.instagram.com>\r\n"
        b"To: =?utf-8?b?Sm/Do28=?= <Joao.Silva@Sapo.PT>\r\nDelivered-To: joao@sapo.pt\r\n"
        b"Subject: =?utf-8?b?RGVzY3VicmUgY8OzbW8gdXNhcmVtb3M=?=\r\n\r\nbody\r\n"
    )
    mail = parsing.parse(raw)
    assert mail.subject == "Descubre cómo usaremos"
    assert mail.from_addr == "no-reply@mail.instagram.com"
    assert mail.to == ("joao.silva@sapo.pt",)
    assert mail.delivered_to == ("joao@sapo.pt",)


def test_html_preheader_soft_hyphens_and_zero_width_are_removed() -> None:
    html = (
        "<html><head><style>p{color:red}</style></head><body>"
        '<span style="display:none;max-height:0">HIDDEN PREHEADER</span>'
        "<p>Wir ver&shy;bessern KI&#8203; bei Meta &amp; mehr.</p>"
        '<a href="https://www.facebook.com/help/contact/712876720715583">Widersprechen</a>'
        "</body></html>"
    )
    mail = parsing.parse(make_mail("plain", html=html))
    assert "Wir verbessern KI bei Meta & mehr." in mail.text
    assert "HIDDEN" not in mail.text and "color:red" not in mail.text
    assert mail.links[0].url.endswith("/712876720715583")
    assert mail.links[0].text == "Widersprechen"


def test_authentication_results_are_kept_in_order() -> None:
    raw = make_mail("x", headers={"Authentication-Results": "mx.google.com; dkim=pass"})
    raw = b"Authentication-Results: evil.example; dkim=pass\r\n" + raw
    assert parsing.parse(raw).auth_results == (
        "evil.example; dkim=pass",
        "mx.google.com; dkim=pass",
    )


def test_binary_garbage_becomes_a_record_with_an_error() -> None:
    mail = parsing.parse(bytes(range(256)) * 4)
    assert mail.error
    assert len(mail.sha256) == 64


def test_empty_input_is_an_error_not_an_exception() -> None:
    assert parsing.parse(b"").error == "ValueError: empty message"


def test_truncated_mime_and_unknown_charset_still_parse() -> None:
    raw = (
        b"From: a@facebookmail.com\r\nTo: b@example.org\r\nSubject: x\r\nMIME-Version: 1.0\r\n"
        b'Content-Type: multipart/alternative; boundary="BB"\r\n\r\n--BB\r\n'
        b"Content-Type: text/plain; charset=x-unknown-9\r\n\r\nHallo Welt \xe4\xf6\r\n--BB\r\n"
        b"Content-Type: text/html; charset=utf-8\r\nContent-Transfer-Encoding: base64\r\n\r\nPGI+SGFs"
    )
    mail = parsing.parse(raw)
    assert mail.error is None
    assert "Hallo Welt" in mail.text


def test_attached_original_is_parsed() -> None:
    inner = make_mail("inner body", subject="Inner")
    raw = (
        b"From: me@example.org\r\nTo: me@example.org\r\nSubject: Fwd\r\nMIME-Version: 1.0\r\n"
        b'Content-Type: multipart/mixed; boundary="X"\r\n\r\n--X\r\nContent-Type: text/plain\r\n\r\n'
        b"see attached\r\n--X\r\nContent-Type: message/rfc822\r\n\r\n" + inner + b"\r\n--X--\r\n"
    )
    mail = parsing.parse(raw)
    assert [m.subject for m in mail.attached] == ["Inner"]
    assert mail.attached[0].from_addr == "notification@facebookmail.com"


# Shapes met in real mail and in public parser test suites (issue 15); the mails are our own.
WILD = Path(__file__).parent / "assets" / "wild"
CLASSIFIER = Classifier()


def wild(name: str) -> bytes:
    return (WILD / name).read_bytes()


def test_an_absurd_date_loses_the_date_not_the_mail() -> None:
    raw = wild("ig-login-date-overflow.eml")  # year 99999999999: OverflowError in the stdlib
    mail = parsing.parse(raw)
    assert mail.error is None and mail.date is None
    result = CLASSIFIER.classify(mail, raw)
    assert (result.kind, result.authenticity) == (Kind.OTHER_META, Authenticity.PASS)


def test_a_multipart_missing_its_boundaries_is_read_by_the_standard_library() -> None:
    # mail-parser raises AttributeError (its epilogue is None) on this delivery report
    mail = parsing.parse(wild("fb-bounce-no-boundaries.eml"))
    assert mail.error is None and mail.from_addr == "mailer-daemon@mx.facebook.com"
    assert "could not be delivered" in mail.text and mail.bounce


def test_the_fallback_parser_bounds_the_nesting() -> None:
    nested = b"".join(b"--b%d\r\nContent-Type: multipart/mixed; boundary=b%d\r\n\r\n" % (i, i + 1)
                      for i in range(1, 200))  # fmt: skip
    raw = (b"From: a@facebookmail.com\r\nContent-Type: multipart/mixed; boundary=b1\r\n\r\n"
           + nested + b"text\r\n")  # fmt: skip
    assert "nested too deep" in (parsing.parse(raw).error or "")


def test_a_byte_order_mark_before_the_headers_is_skipped() -> None:
    raw = b"\xef\xbb\xbf" + sample("de-fb-notice-2025.eml")
    mail = parsing.parse(raw)
    assert mail.error is None and mail.from_addr == "notification@facebookmail.com"
    assert CLASSIFIER.classify(mail, raw).kind is Kind.POLICY_NOTICE


def test_dash_lines_of_ascii_art_are_not_mime_parts() -> None:
    art = "\r\n".join("-" * (8 + i % 60) + " /\\_/\\ " for i in range(1379))
    raw = make_mail(
        f"Hi Anna,\r\n\r\n{art}\r\n\r\n-- \r\nTom", html=f"<p>Hi Anna,</p><pre>{art}</pre>"
    )
    assert raw.count(b"\n--") > parsing.MAX_PARTS  # the old guard refused this 3-part mail
    mail = parsing.parse(raw)
    assert mail.error is None and "Hi Anna" in mail.text


def test_a_header_line_that_lost_its_indentation_is_joined_again() -> None:
    good = sample("de-fb-notice-2025.eml")
    raw = good.replace(b"Verbesserung von KI bei", b"Verbesserung von\r\nKI bei", 1)
    assert raw != good
    mail = parsing.parse(raw)
    assert mail.from_addr == "notification@facebookmail.com" and not mail.warnings
    assert mail.subject == parsing.parse(good).subject
    assert CLASSIFIER.classify(mail, raw).kind is Kind.POLICY_NOTICE


def test_a_header_block_broken_beyond_repair_gets_a_warning() -> None:
    raw = sample("de-fb-notice-2025.eml").replace(
        b"Verbesserung von KI bei Meta", b"Verbesserung\r\nvon\r\nKI\r\nbei\r\nMeta", 1)  # fmt: skip
    mail = parsing.parse(raw)
    assert mail.error is None and mail.from_addr == ""  # From fell into the body
    line = raw[: raw.index(b"\r\nvon\r\n")].count(b"\n") + 2  # the first line without a name
    assert [w for w in mail.warnings if f"header block is broken at line {line} " in w]


def test_a_body_that_starts_without_a_blank_line_is_no_broken_header() -> None:
    raw = b"From: a@example.org\r\nSubject: x\r\nHello Anna,\r\nhow are you?\r\nsee you\r\nTom\r\n"
    mail = parsing.parse(raw)
    assert mail.from_addr == "a@example.org" and not mail.warnings


def test_the_content_hash_survives_what_servers_and_exports_do() -> None:
    raw = make_mail("Line one\nFrom the start\n", subject="Ümlaut").replace(b"\r\n", b"\n")
    cyrus = re.sub(rb"\n", b"\r\n", raw).replace("Ü".encode(), b"XX")  # CRLF, 8-bit header -> X
    courier = raw + b"\r\n"  # a final CRLF
    takeout = (b"X-GM-THRID: 1829\nX-Gmail-Labels: Inbox\n" + raw).replace(
        b"\nFrom the", b"\n>From the"
    )
    hashes = {mailbytes.content_hash(r) for r in (raw, cyrus, courier, takeout)}
    assert len(hashes) == 1
    spoof = raw.replace(b"Line one", b"Line 1")  # same Message-ID, other content
    assert mailbytes.content_hash(spoof) not in hashes


def test_mail_parser_chatter_goes_to_the_debug_log(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.DEBUG, logger="metawatch"):
        mail = parsing.parse(wild("fb-broken-encoded-words.eml"))
    assert mail.error is None
    ours = [r for r in caplog.records if r.name.startswith("metawatch")]
    levels = {r.levelno for r in ours if "Failed decoding header part" in r.getMessage()}
    assert levels == {logging.DEBUG}


# -- the screen: mails that cannot matter skip mail-parser and BeautifulSoup -------------------

CORPUS = sorted(
    p
    for d in (SAMPLES, SAMPLES.parent / "tests")
    for p in d.glob("**/*.eml")
    if ".venv" not in p.parts
)


def screened(raw: bytes) -> Mail:
    return parsing.parse(raw, screen=CLASSIFIER.needs_full_text)


def test_the_screen_changes_no_classification_of_any_corpus_mail() -> None:
    assert len(CORPUS) > 1000
    for path in CORPUS:
        raw = path.read_bytes()
        full, quick = (CLASSIFIER.classify(m, raw) for m in (parsing.parse(raw), screened(raw)))
        assert (quick.kind, quick.rule, quick.cues) == (full.kind, full.rule, full.cues), path


def test_a_plain_notification_is_screened_out() -> None:
    mail = screened(make_mail("Anna hat ein neues Foto gepostet."))
    assert mail.screened_out and "neues Foto" in mail.text


def test_a_cue_in_the_subject_alone_keeps_the_mail_in() -> None:
    raw = make_mail("Hallo Anna,\n\ndanke.", subject="Wir haben deinem Widerspruch stattgegeben")
    assert not screened(raw).screened_out


def test_a_mail_the_standard_library_finds_broken_is_read_in_full() -> None:
    raw = wild("fb-bounce-no-boundaries.eml")  # a multipart without its boundary lines
    mail = screened(raw)
    assert not mail.screened_out and mail.error is None and "could not be delivered" in mail.text
