"""Builds the demo corpus in sample_mails/ (run: python tests/sample_builder.py).

The .eml files are committed byte for byte; this builder is how the corpus was made, with the
MIME structure big providers produce (multipart HTML, quoted-printable, base64, RFC 2047 subjects,
DKIM-Signature) and each recipient provider's own header layout, as public samples show it
(tests/provider_mails.py names the source of each). New samples are usually added by hand: see
README.md.
"""

from __future__ import annotations

import base64
import hashlib
import html
import quopri
import sys
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.header import Header
from email.utils import format_datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

import provider_mails  # noqa: E402 - found through the path above
from metawatch.providers import registry  # noqa: E402
from provider_mails import LAYOUTS, Delivery, Layout, dkim_signature  # noqa: E402

OUT = Path(__file__).resolve().parent.parent / "sample_mails"
FB_FORM = "https://www.facebook.com/help/contact/712876720715583"
IG_FORM = "https://help.instagram.com/contact/767264225370182"

# Providers of the demo cast that are not in the registry: a plain layout, which metawatch does
# not trust unless the user names the authserv-id (trusted_authserv_ids).
UNLISTED = {"ziggo.nl", "free.fr", "sapo.pt"}


@dataclass
class Spec:
    """One sample mail and what the classifier must say about it."""

    file: str
    to: str
    subject: str
    body: str
    sender: str = "notification@facebookmail.com"
    sender_name: str = "Facebook"
    date: datetime = datetime(2025, 4, 15, 9, 12, tzinfo=UTC)
    link: str | None = None
    link_text: str = "Object"
    layout: str = "alt-qp"  # alt-qp, alt-b64, html-qp, html-b64, plain-8bit
    auth: str = "pass"  # pass, fail-forged, none (no trace headers at all), nodkim
    extra_headers: list[tuple[str, str]] = field(default_factory=list)
    expect: dict[str, object] = field(default_factory=dict)
    raw: bytes | None = None


def build(spec: Spec) -> bytes:
    """The bytes of one sample mail."""
    if spec.raw is not None:
        return spec.raw
    seed = hashlib.sha256(spec.file.encode()).hexdigest()
    own = [
        ("Date", format_datetime(spec.date)),
        ("To", spec.to),
        ("Subject", _subject(spec.subject, seed)),
        ("Message-ID", f"<{seed[:24]}.{seed[24:32]}@{_mid_host(spec.sender)}>"),
        ("From", f'"{spec.sender_name}" <{spec.sender}>' if spec.sender_name else spec.sender),
        ("MIME-Version", "1.0"),
        *spec.extra_headers,
    ]
    body_headers, body = _body(spec, seed)
    rcpt = spec.to.rpartition("<")[2].rstrip(">").strip()
    kind = {"pass": "pass", "fail-forged": "fail", "nodkim": "nodkim"}.get(spec.auth)
    d = Delivery(rcpt, spec.sender, kind or "pass", spec.date, seed)
    signature = [dkim_signature(d)] if kind in ("pass", "fail") else []
    if kind is None:  # saved without its trace headers: no Received line, no verdict
        trace = [("Return-Path", f"<{spec.sender}>"), ("Delivered-To", rcpt)]
        return provider_mails.build(_plain(trace), d, own, body_headers, body)
    forged = "first" if spec.auth == "fail-forged" else None
    return provider_mails.build(_layout(rcpt), d, signature + own, body_headers, body, forged)


def _layout(rcpt: str) -> Layout:
    domain = rcpt.rpartition("@")[2]
    if domain in UNLISTED:
        return _plain_provider(domain)
    found = registry().by_domain(domain)
    return LAYOUTS[found.name if found else "gmail"]


def _plain(trace: list[tuple[str, str]]) -> Layout:
    return Layout("none", "no trace headers", lambda d: trace)


def _plain_provider(domain: str) -> Layout:
    """A provider outside the registry: one Authentication-Results under its Received line."""

    def top(d: Delivery) -> list[tuple[str, str]]:
        host, ip = d.client
        return [
            ("Return-Path", f"<{d.sender}>"),
            ("Delivered-To", d.rcpt),
            ("Received", f"from {host} ({host} [{ip}])\r\n\tby mx.{domain} with ESMTPS id "
                         f"{d.seed[:12]}\r\n\tfor <{d.rcpt}>; {d.stamp}"),
            ("Authentication-Results", f"{domain};\r\n\t{d.dkim()};\r\n\tspf={d.spf} "
                                       f"smtp.mailfrom={d.sender};\r\n\tdmarc={d.dmarc} "
                                       f"(p=REJECT sp=REJECT dis=NONE) header.from={d.domain}"),
        ]  # fmt: skip

    return Layout(domain, "a provider outside the registry", top,
                  forged=lambda d: [provider_mails._forged_ar(domain, d)])  # fmt: skip


def _mid_host(sender: str) -> str:
    domain = sender.rpartition("@")[2]
    return "www.facebook.com" if "facebook" in domain else f"mail.{domain}"


def _subject(subject: str, seed: str) -> str:
    if subject.isascii():
        return subject
    return Header(subject, "utf-8", header_name="Subject").encode(linesep="\r\n")


def _html(spec: Spec) -> str:
    paras = [p for p in spec.body.split("\n\n") if p.strip()]
    pre = html.escape(paras[1][:90] if len(paras) > 1 else paras[0][:90])
    rows = []
    for p in paras:
        lines = p.split("\n")
        if spec.link and lines[-1].strip() in (spec.link_text,) and len(lines) <= 2:
            head = f'<p style="font-weight:bold">{_esc(lines[0])}</p>' if len(lines) == 2 else ""
            rows.append(
                f'{head}<a href="{spec.link}" style="background:#1877f2;color:#fff;'
                f'padding:10px 18px;border-radius:6px;text-decoration:none">{_esc(lines[-1])}</a>'
            )
        else:
            rows.append(
                '<p style="margin:0 0 14px 0">' + "<br>".join(_esc(x) for x in lines) + "</p>"
            )
    if spec.link and not any(spec.link in r for r in rows):
        rows.append(f'<p><a href="{spec.link}">{_esc(spec.link_text)}</a></p>')
    rcpt = html.escape(spec.to)
    return (
        '<!DOCTYPE html><html><head><meta http-equiv="Content-Type" content="text/html; charset=utf-8">'
        "<title>"
        + html.escape(spec.sender_name or "Meta")
        + "</title><style>p{font-family:Helvetica,Arial}"
        '</style></head><body style="margin:0;padding:0">'
        '<span class="mcnPreviewText" style="display:none !important;max-height:0;overflow:hidden;'
        f'mso-hide:all">{pre}&#8199;&#847;&zwnj;&nbsp;&#8199;&#847;&zwnj;&nbsp;</span>'
        '<table width="100%" cellpadding="0" cellspacing="0" role="presentation"><tr><td '
        'style="padding:20px"><img src="https://static.xx.fbcdn.net/rsrc.php/v3/logo.png" width="40" '
        'alt=""></td></tr><tr><td style="font-size:16px;line-height:22px;color:#1c1e21;padding:0 20px">'
        + "".join(rows)
        + '</td></tr><tr><td style="font-size:11px;color:#8a8d91;padding:20px">'
        f"This message was sent to {rcpt}.<br>Meta Platforms Ireland Ltd., Attention: Community Support, "
        'Merrion Road, Dublin 4, Ireland<br><a href="https://www.facebook.com/help/">Help Centre</a>'
        "</td></tr></table></body></html>"
    )


def _esc(text: str) -> str:
    """HTML-escape, with soft hyphens in long words (as Meta's templates have) and some entities."""
    words = []
    for w in html.escape(text).split(" "):
        words.append(w[:7] + "&shy;" + w[7:] if len(w) > 14 and w.isalpha() else w)
    return " ".join(words).replace("ä", "&auml;").replace("é", "&eacute;")


def _body(spec: Spec, seed: str) -> tuple[list[tuple[str, str]], bytes]:
    plain = spec.body + (f"\n\n{spec.link}" if spec.link else "")
    plain += f"\n\n---\nThis message was sent to {spec.to}."
    if spec.layout == "plain-8bit":
        return [
            ("Content-Type", "text/plain; charset=UTF-8"),
            ("Content-Transfer-Encoding", "8bit"),
        ], plain.encode()
    enc = "base64" if spec.layout.endswith("b64") else "quoted-printable"
    if spec.layout.startswith("html"):
        return [
            ("Content-Type", "text/html; charset=UTF-8"),
            ("Content-Transfer-Encoding", enc),
        ], _encode(_html(spec), enc)
    boundary = f"b1_{seed[:32]}"
    parts = [
        f"--{boundary}\r\nContent-Type: text/plain; charset=UTF-8\r\nContent-Transfer-Encoding: {enc}\r\n\r\n".encode()
        + _encode(plain, enc),
        f"\r\n--{boundary}\r\nContent-Type: text/html; charset=UTF-8\r\nContent-Transfer-Encoding: {enc}\r\n\r\n".encode()
        + _encode(_html(spec), enc),
        f"\r\n--{boundary}--\r\n".encode(),
    ]
    return [("Content-Type", f'multipart/alternative; boundary="{boundary}"')], b"".join(parts)


def _encode(text: str, enc: str) -> bytes:
    data = text.replace("\r\n", "\n").replace("\n", "\r\n").encode()
    if enc == "base64":
        b = base64.b64encode(data)
        return b"\r\n".join(b[i : i + 76] for i in range(0, len(b), 76))
    return quopri.encodestring(data).replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")


def write(specs: list[Spec]) -> None:
    """Write every mail and the manifest."""
    OUT.mkdir(exist_ok=True)
    for old in OUT.glob("*.eml"):
        old.unlink()
    lines = [
        "# Expected result of every sample mail (tests/test_samples.py checks each one).",
        "# Keys: kind, platform, language, rule, authenticity, forwarded, recipient, account_state.",
        "",
    ]
    for spec in specs:
        (OUT / spec.file).write_bytes(build(spec))
        lines.append(f'["{spec.file}"]')
        for k, v in spec.expect.items():
            lines.append(f"{k} = {_toml(v)}")
        lines.append("")
    (OUT / "manifest.toml").write_text("\n".join(lines), encoding="utf-8")


def _toml(v: object) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    return f'"{v}"'


if __name__ == "__main__":
    from sample_corpus import SPECS

    write(SPECS)
    print(f"wrote {len(SPECS)} mails to {OUT}")
