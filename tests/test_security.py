"""Security posture: no secret leaks anywhere, TLS cannot be switched off, hostile header values
and links are shown harmlessly in the terminal, in JSON and in alerts."""

from __future__ import annotations

import email
import json
import re
from collections.abc import Callable
from pathlib import Path

import pytest

from .conftest import SAMPLES, Result
from .dovecot import Dovecot
from .receivers import SmtpReceiver, WebhookReceiver
from .test_imap import META, PW, sample
from .test_many import config, mailbox

Run = Callable[..., Result]
CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f\x9b]")  # anything but \t and \n


def everything_written(db: Path, *texts: str) -> bytes:
    """The database files (with WAL), and every text printed or sent."""
    files = b"".join(p.read_bytes() for p in db.parent.glob(db.name + "*"))
    return files + "\n".join(texts).encode()


def test_the_password_is_nowhere(dovecot: Dovecot, run: Run, tmp_path: Path, db: Path,
                                 smtp: SmtpReceiver, hook: WebhookReceiver,
                                 monkeypatch: pytest.MonkeyPatch) -> None:  # fmt: skip
    """The password (the canary) works, and appears in no output, log, database row or alert."""
    user = dovecot.new_user()
    dovecot.append(user, "INBOX", [sample(n) for n in META])
    monkeypatch.setenv("TEST_IMAP_PW", PW)
    cfg = config(tmp_path / "c.toml", mailbox("m", user, dovecot.tls_port, dovecot.ca_file))
    cfg.write_text(cfg.read_text() + f'\n[alerts]\nurls = ["{smtp.url}", "{hook.url}"]\n')
    outputs = [run("--debug", "--config", str(cfg), "scan"),
               run("--debug", "--config", str(cfg), "status", "--json"),
               run("--debug", "--config", str(cfg), "doctor"),
               run("--debug", "--config", str(cfg), "alerts", "list", "--json")]  # fmt: skip
    assert outputs[0].code == 0 and smtp.messages and hook.posts
    sent = [m.as_string() for m in smtp.messages] + [json.dumps(p) for p in hook.posts]
    written = everything_written(db, *(r.out + r.err for r in outputs), *sent)
    assert PW.encode() not in written
    monkeypatch.setenv("TEST_IMAP_PW", "canary-wrong-pw")  # refused: the error path, traceback on
    refused = run("--debug", "--config", str(cfg), "scan")
    assert refused.code == 77 and "Traceback" in refused.err
    assert "canary-wrong-pw" not in everything_written(db, refused.out, refused.err).decode(
        errors="replace"
    )


@pytest.mark.parametrize("key", ["verify_tls = false", "ssl_verify = false", "insecure = true",
                                 'tls_verify = "none"', "check_hostname = false"])  # fmt: skip
def test_certificate_checks_cannot_be_switched_off(run: Run, tmp_path: Path, key: str) -> None:
    cfg = tmp_path / "c.toml"
    cfg.write_text(f'[[mailbox]]\nname = "m"\nhost = "h"\nusername = "u"\n{key}\n')
    result = run("--config", str(cfg), "config", "check")
    assert result.code == 78 and "unknown key" in result.err


def test_no_insecure_url_parameter_and_no_password_in_urls(run: Run) -> None:
    insecure = run("scan", "imaps://u@127.0.0.1:1/?insecure=1")
    assert insecure.code == 78 and "unknown parameter(s) insecure" in insecure.err
    with_pw = run("scan", "imaps://u:canary-url-pw@127.0.0.1:1/")
    assert with_pw.code == 78 and "no password in the URL" in with_pw.err
    assert "canary-url-pw" not in with_pw.err


def hostile_notice() -> bytes:
    """An (unverified) Instagram notice whose headers and links were written by an attacker."""
    original = email.message_from_bytes((SAMPLES / "en-ig-notice-2025.eml").read_bytes())
    plain = original.get_payload()[0].get_payload(decode=True).decode()
    html = (
        "<p>You have the right to object.</p>"
        '<a href="https://evil.example/help.instagram.com/contact/767264225370182">Object</a>'
        '<a href="http://help.instagram.com/contact/767264225370182">right to object</a>'
    )
    return (
        "From: Instagram <no-reply@mail.instagram.com>\r\n"
        'To: "=?utf-8?q?=1B]0;pwned=07_<img_src=3Dx>?=" <tom.evans.ie@gmail.com>\r\n'
        "Subject: =?utf-8?q?AI_at_Meta=0D=0ABcc:_victim@evil.example=0D=0A=1B[31mred_<b>x</b>?=\r\n"
        "Date: Sat, 19 Apr 2025 13:00:00 +0000\r\nMessage-ID: <hostile@example>\r\n"
        'MIME-Version: 1.0\r\nContent-Type: multipart/alternative; boundary="b"\r\n\r\n'
        f"--b\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n{plain}\r\n"
        f"--b\r\nContent-Type: text/html; charset=utf-8\r\n\r\n{html}\r\n--b--\r\n"
    ).encode()  # fmt: skip


def test_hostile_headers_and_links_are_harmless_everywhere(
    run: Run, tmp_path: Path, smtp: SmtpReceiver, hook: WebhookReceiver
) -> None:
    (tmp_path / "hostile.eml").write_bytes(hostile_notice())
    cfg = tmp_path / "c.toml"
    cfg.write_text(f'[alerts]\nurls = ["{smtp.url}", "{hook.url}"]\n')
    cfg.chmod(0o600)
    assert run("--config", str(cfg), "scan", str(tmp_path / "hostile.eml")).code == 0
    shown = [run("status").out, run("messages").out, run("explain", "1").out,
             run("accounts", "list").out]  # fmt: skip
    assert not any(CONTROL.search(text) for text in shown)
    for line in run("messages", "--json").out.splitlines() + [run("status", "--json").out]:
        json.loads(line)  # still valid JSON: control characters are escaped, not raw
    assert "\x1b" not in run("status", "--json").out
    [mail] = smtp.messages
    assert mail["Bcc"] is None and not mail.get_all("Cc") and len(mail.get_all("To")) == 1
    alerts = [mail.as_string(), *(json.dumps(p) for p in hook.posts), run("alerts", "list").out]
    assert not any("evil.example" in a or "http://help" in a for a in alerts)
    assert "https://help.instagram.com/contact/767264225370182" in hook.posts[0]["message"]
    assert not any(CONTROL.search(p["title"]) or "\n" in p["title"] for p in hook.posts)


@pytest.mark.parametrize(
    ("database", "refused"),
    [("postgresql+psycopg://mw:canary-db-pw@127.0.0.1/mw", True),
     ("postgresql+psycopg://mw@127.0.0.1/mw", False)],
)  # fmt: skip
def test_a_readable_config_with_a_database_password_is_refused(
    run: Run, tmp_path: Path, database: str, refused: bool
) -> None:
    cfg = tmp_path / "c.toml"
    cfg.write_text(f'database = "{database}"\n')
    cfg.chmod(0o644)
    result = run("--config", str(cfg), "config", "check")
    assert (result.code == 78 and "readable by others" in result.err) is refused
    assert "canary-db-pw" not in result.out + result.err
