"""parsing: bytes -> Mail, for any input."""

from __future__ import annotations

from metawatch import parsing

from .conftest import make_mail


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
