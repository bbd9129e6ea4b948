"""Builds the paraphrase suite: tests/paraphrase/<lang>/texts.toml -> <lang>/*.eml + manifest.toml.

Run: python tests/paraphrase/build.py [--root FOLDER] [LANG ...]

The texts were written by people who had not read the rule packs, from what is publicly known of
Meta's mails (see README.md beside this file); this builder only wraps each text into a mail as Gmail
delivers it (plain and HTML parts, quoted-printable, Authentication-Results by mx.google.com).
Each entry of texts.toml:

    [[mail]]
    name = "accepted-01"             # file name without .eml
    kind = "objection_accepted"      # the true kind (see README.md)
    platform = "facebook"            # facebook | instagram
    subject = "..."
    body = '''paragraphs, blank-line separated; a line [Text](https://...) is a button'''
    layout = "alt"                   # optional: alt (plain + HTML), html (HTML only), plain
    sender = "..."                   # optional From address (default per platform)
    date = "2025-05-02T10:15:00Z"    # optional
"""

from __future__ import annotations

import hashlib
import html
import re
import sys
import tomllib
from datetime import UTC, datetime
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import format_datetime
from pathlib import Path

HERE = Path(__file__).resolve().parent
SENDERS = {
    "facebook": ("Facebook", "notification@facebookmail.com"),
    "instagram": ("Instagram", "no-reply@mail.instagram.com"),
}
DEFAULT_DATES = {
    "policy_notice": "2025-04-16T08:30:00Z",
    "verification_code": "2025-05-03T18:02:00Z",
}
LINK = re.compile(r"^\[(?P<text>[^\]]+)\]\((?P<url>https?://[^)\s]+)\)$")


def _paragraphs(body: str) -> list[str]:
    return [p.strip() for p in re.split(r"\n\s*\n", body.strip()) if p.strip()]


def _plain(body: str) -> str:
    out = []
    for para in _paragraphs(body):
        link = LINK.match(para)
        out.append(f"{link['text']}: {link['url']}" if link else para)
    return "\n\n".join(out) + "\n"


def _html(subject: str, body: str) -> str:
    rows = []
    for para in _paragraphs(body):
        link = LINK.match(para)
        if link:
            rows.append(
                f'<tr><td style="padding:12px 0"><a href="{html.escape(link["url"])}" '
                'style="background:#1877f2;color:#ffffff;padding:10px 18px;border-radius:6px;'
                f'text-decoration:none;font-weight:bold">{html.escape(link["text"])}</a></td></tr>'
            )
        else:
            text = html.escape(para).replace("\n", "<br>")
            rows.append(
                f'<tr><td style="padding:6px 0;font-size:15px;color:#1c1e21">{text}</td></tr>'
            )
    return (
        '<!DOCTYPE html><html><head><meta charset="utf-8">'
        f"<title>{html.escape(subject)}</title></head>"
        '<body style="margin:0;background:#f0f2f5"><table width="100%" cellpadding="0" cellspacing="0">'
        '<tr><td align="center"><table width="600" cellpadding="0" cellspacing="0" '
        'style="background:#ffffff;font-family:Helvetica,Arial,sans-serif">'
        + "".join(rows)
        + '<tr><td style="padding:18px 0;font-size:11px;color:#8a8d91">Meta Platforms Ireland Ltd., '
        "Merrion Road, Dublin 4, D04 X2K5, Ireland</td></tr></table></td></tr></table></body></html>\n"
    )


def build(lang: str, entry: dict[str, str]) -> bytes:
    """The bytes of one mail of the suite."""
    seed = hashlib.sha256(f"{lang}/{entry['name']}".encode()).hexdigest()
    name, address = SENDERS[entry["platform"]]
    address = entry.get("sender", address)
    domain = address.rsplit("@", 1)[1]
    org = ".".join(domain.split(".")[-2:])
    to = f"paraphrase.{lang}@gmail.com"
    when = datetime.fromisoformat(
        entry.get("date", DEFAULT_DATES.get(entry["kind"], "2025-05-06T14:20:00Z"))
    ).astimezone(UTC)
    msg = EmailMessage(policy=SMTP)
    msg["Delivered-To"] = to
    msg["Received"] = (
        f"by 2002:a05:7000:{seed[:4]}:b0:{seed[4:6]} with SMTP id {seed[6:14]}; {format_datetime(when)}"
    )
    msg["Authentication-Results"] = (
        f"mx.google.com; dkim=pass header.i=@{org} header.s=s1 header.b={seed[14:22]}; "
        f"spf=pass (google.com: domain of bounce@{domain} designates 66.220.144.{int(seed[:2], 16) % 200} "
        f"as permitted sender) smtp.mailfrom=bounce@{domain}; "
        f"dmarc=pass (p=REJECT sp=REJECT dis=NONE) header.from={org}"
    )
    msg["Received"] = (
        f"from mx-out.{domain} (mx-out.{domain}. [66.220.144.{int(seed[:2], 16) % 200}]) by mx.google.com "
        f"with ESMTPS id {seed[22:34]} for <{to}>; {format_datetime(when)}"
    )
    msg["DKIM-Signature"] = (
        f"v=1; a=rsa-sha256; c=relaxed/simple; d={org}; s=s1; h=from:to:subject:date; bh={seed[:43]}=; b={seed}"
    )
    msg["Date"] = format_datetime(when)
    msg["From"] = f"{name} <{address}>"
    msg["To"] = to
    msg["Subject"] = entry["subject"]
    msg["Message-ID"] = f"<{seed[:20]}.{seed[20:28]}@{domain}>"
    layout = entry.get("layout", "alt")
    if layout == "html":
        msg.set_content(
            _html(entry["subject"], entry["body"]), subtype="html", cte="quoted-printable"
        )
    else:
        msg.set_content(_plain(entry["body"]), cte="quoted-printable")
        if layout == "alt":
            msg.add_alternative(
                _html(entry["subject"], entry["body"]), subtype="html", cte="quoted-printable"
            )
            msg.set_boundary(f"=_{seed[:32]}")  # the same bytes on every build
    return msg.as_bytes()


def build_language(folder: Path) -> int:
    """Writes the mails and manifest.toml of one language folder; returns how many."""
    entries = tomllib.loads((folder / "texts.toml").read_text("utf-8"))["mail"]
    manifest = [
        "# Generated by tests/paraphrase/build.py from texts.toml: the true kind of each mail.\n"
    ]
    for entry in entries:
        (folder / f"{entry['name']}.eml").write_bytes(build(folder.name, entry))
        manifest.append(
            f'["{entry["name"]}.eml"]\nkind = "{entry["kind"]}"\nplatform = "{entry["platform"]}"\n'
            f'language = "{folder.name}"\n'
        )
    (folder / "manifest.toml").write_text("\n".join(manifest), "utf-8")
    return len(entries)


def main(args: list[str]) -> int:
    root = HERE
    if args[:1] == ["--root"]:  # another suite laid out the same way (tests/heldout/)
        root, args = Path(args[1]).resolve(), args[2:]
    folders = [root / lang for lang in args] or sorted(p.parent for p in root.glob("*/texts.toml"))
    for folder in folders:
        print(f"{folder.name}: {build_language(folder)} mails")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
