"""The IMAP source against a real Dovecot on loopback."""

from __future__ import annotations

import base64
import json
import os
import re
import tomllib
from collections.abc import Callable
from pathlib import Path

import pytest

from metawatch.classify import Classifier
from metawatch.config import MailboxConfig
from metawatch.credentials import Secret
from metawatch.pipeline import Scanner
from metawatch.rules import load_rules
from metawatch.sources.files import FileSource
from metawatch.sources.imap import ImapSource
from metawatch.store import Store, database_url

from .conftest import SAMPLES, Result, make_mail
from .dovecot import Dovecot, free_port
from .proxy import CuttingProxy

Run = Callable[..., Result]
PW = "secret-pw"
# Mails from Meta (or posing as Meta): the ones a scan fetches and stores as Meta mail.
MANIFEST = tomllib.loads((SAMPLES / "manifest.toml").read_text("utf-8"))
META = sorted(
    n
    for n, e in MANIFEST.items()
    if e["kind"] not in ("not_meta", "unparseable") and not e.get("forwarded")
)


def sample(name: str) -> bytes:
    return (SAMPLES / name).read_bytes()


@pytest.fixture
def user(dovecot: Dovecot, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv("METAWATCH_PASSWORD", PW)
    return dovecot.new_user()


def source(dovecot: Dovecot, user: str, store: Store | None, **kw: object) -> ImapSource:
    config = MailboxConfig(
        name="test",
        host="127.0.0.1",
        username=user,
        port=dovecot.tls_port,
        ca_file=dovecot.ca_file,
        **kw,
    )  # type: ignore[arg-type]
    cursors = store.cursors("test") if store else {}
    return ImapSource(config, lambda: Secret(PW), load_rules().senders["imap"]["search_from"], cursors,
                      sleep=lambda s: None)  # fmt: skip


def test_imaps_with_ca_scans_only_meta_mail(dovecot: Dovecot, user: str, run: Run) -> None:
    dovecot.append(
        user, "INBOX", [sample("en-fb-notice-2025.eml"), sample("not-meta-personal.eml")]
    )
    result = run("scan", dovecot.url(user))
    assert result.code == 0, result.err
    assert "scanned 1 mails: 1 new" in result.out  # the personal mail never left the server


def test_handshake_without_the_ca_fails_with_75(dovecot: Dovecot, user: str, run: Run) -> None:
    url = f"imaps://{user}@127.0.0.1:{dovecot.tls_port}/"
    result = run("scan", url)
    assert result.code == 75
    assert "certificate verification failed" in result.err


def test_starttls(dovecot: Dovecot, user: str, run: Run) -> None:
    dovecot.append(user, "INBOX", [sample("de-fb-accepted.eml")])
    result = run("scan", dovecot.url(user, tls="starttls"))
    assert (result.code, "1 new" in result.out) == (0, True)


def test_plaintext_is_refused_by_default(dovecot: Dovecot, user: str, run: Run) -> None:
    result = run("scan", f"imap://{user}@127.0.0.1:{dovecot.plain_port}/?tls=plain")
    assert result.code == 78
    assert "allow_plaintext" in result.err


def test_plaintext_on_explicit_request(dovecot: Dovecot, user: str, run: Run) -> None:
    dovecot.append(user, "INBOX", [sample("de-fb-accepted.eml")])
    url = f"imap://{user}@127.0.0.1:{dovecot.plain_port}/?tls=plain&allow_plaintext=1"
    assert run("scan", url).code == 0


def test_wrong_password_exits_77(
    dovecot: Dovecot, user: str, run: Run, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("METAWATCH_PASSWORD", "wrong")
    result = run("scan", dovecot.url(user))
    assert result.code == 77
    assert "login failed" in result.err and "wrong" not in result.err


def test_closed_port_exits_75(run: Run, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("METAWATCH_PASSWORD", PW)
    result = run("scan", f"imaps://x@127.0.0.1:{free_port()}/")
    assert result.code == 75
    assert "connection refused" in result.err


def test_scan_changes_no_flag_and_no_count(dovecot: Dovecot, user: str, run: Run) -> None:
    dovecot.append(user, "INBOX", [sample(n) for n in META[:10]])
    dovecot.append(user, "Junk", [sample(n) for n in META[10:15]])
    before = dovecot.state(user)
    assert run("scan", dovecot.url(user)).code == 0
    assert dovecot.state(user) == before
    assert before["INBOX"][1] == 10  # all still unseen


def test_rescan_fetches_only_new_mail(dovecot: Dovecot, user: str, db: Path) -> None:
    dovecot.append(user, "INBOX", [sample(n) for n in META[:6]])
    store = Store.open(database_url(str(db)))
    first = source(dovecot, user, store)
    assert Scanner(store, Classifier()).scan([first]).new == 6 and first.fetched == 6
    unchanged = source(dovecot, user, store)
    assert Scanner(store, Classifier()).scan([unchanged]).seen == 0
    assert unchanged.fetched == 0  # STATUS showed nothing new: no SELECT, no FETCH
    dovecot.append(user, "INBOX", [sample(n) for n in META[6:8]] + [sample("not-meta-bank.eml")])
    later = source(dovecot, user, store)
    summary = Scanner(store, Classifier()).scan([later])
    assert (summary.new, later.fetched) == (2, 2)


def test_uidvalidity_change_adds_no_duplicates(dovecot: Dovecot, user: str, db: Path) -> None:
    mails = [sample(n) for n in META[:5]]
    dovecot.append(user, "Archive", mails)
    store = Store.open(database_url(str(db)))
    Scanner(store, Classifier()).scan([source(dovecot, user, store)])
    with dovecot.client(user) as c:
        c.delete_folder("Archive")
    dovecot.append(user, "Archive", mails)  # recreated: a new UIDVALIDITY
    again = source(dovecot, user, store)
    summary = Scanner(store, Classifier()).scan([again])
    assert again.fetched == 5 and summary.new == 0
    assert len(store.messages()) == 5


def test_same_mail_in_inbox_and_junk_is_stored_once(dovecot: Dovecot, user: str, db: Path) -> None:
    dovecot.append(user, "INBOX", [sample("en-ig-notice-2025.eml")])
    dovecot.append(user, "Junk", [sample("en-ig-notice-2025.eml")])
    store = Store.open(database_url(str(db)))
    summary = Scanner(store, Classifier()).scan([source(dovecot, user, store)])
    assert (summary.seen, summary.new) == (2, 1)


def test_trash_and_sent_are_not_scanned(dovecot: Dovecot, user: str, db: Path) -> None:
    dovecot.append(user, "Trash", [sample("en-ig-notice-2025.eml")])
    dovecot.append(user, "Sent", [sample("de-fb-accepted.eml")])
    store = Store.open(database_url(str(db)))
    assert Scanner(store, Classifier()).scan([source(dovecot, user, store)]).seen == 0


def test_oversized_mail_is_recorded_and_skipped(dovecot: Dovecot, user: str, db: Path) -> None:
    dovecot.append(user, "INBOX", [sample("en-ig-notice-2025.eml"), sample("de-fb-accepted.eml")])
    store = Store.open(database_url(str(db)))
    src = source(dovecot, user, store, max_message_size=4500)  # 5,055 and 4,070 bytes
    Scanner(store, Classifier()).scan([src])
    kinds = sorted((m.kind.value, bool(m.error and "limit" in m.error)) for m in store.messages())
    assert src.fetched == 1
    assert ("unparseable", True) in kinds and ("objection_accepted", False) in kinds


def test_dropped_connection_then_rerun_stores_every_mail_once(
    dovecot: Dovecot, user: str, db: Path
) -> None:
    names = META[:30]
    dovecot.append(user, "INBOX", [sample(n) for n in names])
    store = Store.open(database_url(str(db)))
    proxy = CuttingProxy(dovecot.tls_port, after=60_000, cuts=99)
    try:
        cut = source(dovecot, user, store, batch_size=5, retries=0)
        cut.config = MailboxConfig(**{**cut.config.__dict__, "port": proxy.port})
        summary = Scanner(store, Classifier()).scan([cut])
        assert summary.failed and summary.failed[0][1].exit_code == 75
        stored = len(store.messages())
        assert 0 < stored < 30  # the batches before the cut were committed
    finally:
        proxy.close()
    Scanner(store, Classifier()).scan([source(dovecot, user, store)])
    messages = store.messages()
    assert len(messages) == 30 and len({m.sha256 for m in messages}) == 30


def test_dropped_connection_is_retried_and_resumes(dovecot: Dovecot, user: str, db: Path) -> None:
    dovecot.append(user, "INBOX", [sample(n) for n in META[:30]])
    store = Store.open(database_url(str(db)))
    proxy = CuttingProxy(dovecot.tls_port, after=60_000, cuts=1)
    try:
        src = source(dovecot, user, store, batch_size=5)
        src.config = MailboxConfig(**{**src.config.__dict__, "port": proxy.port})
        summary = Scanner(store, Classifier()).scan([src])
    finally:
        proxy.close()
    assert not summary.failed and proxy.connections == 2
    assert len(store.messages()) == 30


def test_imap_report_matches_the_folder_report(
    dovecot: Dovecot, user: str, run: Run, tmp_path: Path
) -> None:
    dovecot.append(user, "INBOX", [sample(p.name) for p in sorted(SAMPLES.glob("*.eml"))])
    assert run("scan", "-q", dovecot.url(user)).code == 0
    over_imap = json.loads(run("status", "--json").out)
    folder_db = str(tmp_path / "folder.db")
    run("--db", folder_db, "scan", "-q", str(SAMPLES), use_db=False)
    from_folder = json.loads(run("--db", folder_db, "status", "--json", use_db=False).out)

    def key(rows: list[dict[str, object]]) -> list[tuple[object, ...]]:
        return sorted((r["platform"], tuple(r["emails"]), r["state"], r["since"], bool(r["suspected_fake"]))
                      for r in rows)  # fmt: skip

    assert key(over_imap) == key(from_folder)


def test_configured_mailbox_with_password_file(dovecot: Dovecot, user: str, run: Run, tmp_path: Path,
                                               monkeypatch: pytest.MonkeyPatch) -> None:  # fmt: skip
    monkeypatch.delenv("METAWATCH_PASSWORD")
    dovecot.append(user, "INBOX", [sample("en-fb-notice-2025.eml")])
    pw = tmp_path / "pw"
    pw.write_text(PW + "\n")
    pw.chmod(0o600)
    cfg = tmp_path / "config.toml"
    cfg.write_text(f'[[mailbox]]\nname = "dove"\nhost = "127.0.0.1"\nport = {dovecot.tls_port}\n'
                   f'username = "{user}"\nca_file = "{dovecot.ca_file}"\npassword_file = "{pw}"\n')  # fmt: skip
    assert run("--config", str(cfg), "scan").code == 0
    pw.chmod(0o644)
    result = run("--config", str(cfg), "scan")
    assert result.code == 78 and "readable by others" in result.err


def test_password_command_and_secret_never_printed(dovecot: Dovecot, user: str, run: Run, tmp_path: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:  # fmt: skip
    monkeypatch.delenv("METAWATCH_PASSWORD")
    cfg = tmp_path / "config.toml"
    cfg.write_text(f'[[mailbox]]\nname = "dove"\nhost = "127.0.0.1"\nport = {dovecot.tls_port}\n'
                   f'username = "{user}"\nca_file = "{dovecot.ca_file}"\n'
                   f'password_command = "echo canary-{os.getpid()}"\n')  # fmt: skip
    result = run("--debug", "--config", str(cfg), "scan")
    assert result.code == 77
    assert f"canary-{os.getpid()}" not in result.out + result.err


def test_doctor_reports_folders_and_meta_mail(dovecot: Dovecot, user: str, run: Run) -> None:
    dovecot.append(user, "INBOX", [sample("en-fb-notice-2025.eml")])
    dovecot.append(user, "Junk", [sample("de-fb-accepted.eml")])
    dovecot.append(user, "Trash", [sample("de-fb-notice-2025.eml")])
    result = run("doctor", dovecot.url(user))
    assert result.code == 0, result.err
    assert "connected and logged in" in result.out
    assert "scan  Junk  [\\HasNoChildren \\Junk]  1 Meta-sender mails" in result.out
    assert "skip  Trash" in result.out
    assert re.search(r"ok    sqlite:///\S+: schema v\d+, 0 mails, 0 accounts, 0 alerts", result.out)
    # 127.0.0.1 names no provider: the Received line of a Meta mail there does (GMX's layout)
    assert "prov  host 127.0.0.1 is not a listed provider" in result.out
    assert (
        "prov  Meta's mail here was received by GMX (from the Received line by mx-ha.gmx.net)"
        in result.out
    )
    assert ("auth  Meta's mail here carries GMX's verdict, so confirmations can be verified: "
            "Authentication-Results: gmx.net; dkim=pass") in result.out  # fmt: skip


def test_doctor_names_the_configured_provider_and_a_missing_verdict(
    dovecot: Dovecot, user: str, run: Run
) -> None:
    dovecot.append(user, "INBOX", [sample("en-fb-notice-2025.eml")])  # an iCloud delivery
    result = run("doctor", dovecot.url(user, provider="gmx"))
    assert result.code == 0, result.err
    assert "prov  GMX (provider = gmx)" in result.out
    assert "auth  WARNING: Meta's mail here carries no verdict of GMX" in result.out


def test_the_same_mail_from_an_export_and_over_imap_is_stored_once(
    dovecot: Dovecot, user: str, db: Path, tmp_path: Path
) -> None:
    lf = sample("de-fb-notice-2025.eml").replace(b"\r\n", b"\n")
    received = lf.replace(
        b"To: Anna Schmidt", "To: Anna Schmidt-Müller".encode(), 1
    )  # 8-bit header
    assert "ü".encode() in received
    export = tmp_path / "All mail Including Spam and Trash.mbox"  # Google Takeout adds its headers
    export.write_bytes(b"From 1829@xxx Tue Apr 15 09:00:03 +0000 2025\nX-GM-THRID: 1829\n"
                       b"X-Gmail-Labels: Posteingang\n" + received + b"\n")  # fmt: skip
    cyrus = received.replace(b"\n", b"\r\n").replace("ü".encode(), b"XX")  # CRLF; 8-bit bytes -> X
    courier = received.replace(b"\n", b"\r\n") + b"\r\n"  # a final CRLF
    # A spoof copies the Message-ID (and every visible header), not the content or the signature.
    visible = received[received.index(b"\nDate:") + 1 : received.index(b"\n\n")]
    spoof = visible + b"\n\n" + base64.encodebytes(b"<p>Your objection was accepted.</p>")
    dovecot.append(user, "INBOX", [cyrus, spoof])
    dovecot.append(user, "Junk", [courier])
    store = Store.open(database_url(str(db)))
    assert Scanner(store, Classifier()).scan([FileSource(export)]).new == 1
    summary = Scanner(store, Classifier()).scan([source(dovecot, user, store)])
    assert (summary.seen, summary.new, summary.duplicates) == (3, 1, 2)  # only the spoof is new
    assert len({m.message_id for m in store.messages()}) == 1 and len(store.messages()) == 2


def test_doctor_searches_like_scan_and_checks_metas_own_mails(
    dovecot: Dovecot, user: str, run: Run
) -> None:
    lookalike = make_mail(
        "Your account will be closed.", sender="Instagram <support@insta-help.example>"
    )
    dovecot.append(
        user, "INBOX", [sample("en-ig-notice-2025.eml"), lookalike]
    )  # the fake is newest
    result = run("doctor", dovecot.url(user))
    assert "scan  INBOX  [\\HasNoChildren]  2 Meta-sender mails" in result.out  # as scan fetches
    assert "verdict, so confirmations can be verified" in result.out
    assert "WARNING" not in result.out  # the fake's missing verdict is no warning
