"""reclassify: stored mails are read again from their source and classified with today's rules."""

from __future__ import annotations

import hashlib
import re
import shutil
import sqlite3
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from metawatch import parsing
from metawatch.classify import Classifier
from metawatch.models import Mail
from metawatch.store import NewMessage, Store, database_url

from . import dovecot as dc
from .conftest import SAMPLES, Result
from .dovecot import Dovecot, free_port
from .test_imap import META, sample
from .test_many import config, mailbox

Run = Callable[..., Result]


def test_reclassify_fixes_an_outdated_result(run: Run, db: Path, tmp_path: Path) -> None:
    folder = tmp_path / "mails"
    folder.mkdir()
    shutil.copy(SAMPLES / "de-fb-accepted.eml", folder)
    run("scan", "-q", str(folder))
    with sqlite3.connect(db) as conn:  # as if an older rule pack had got it wrong
        conn.execute(
            "UPDATE message SET kind='policy_notice', rule='notice.policy', rules_version='old'"
        )
    dry = run("reclassify", "--dry-run")
    assert "1 would change" in dry.out and "policy_notice/pass (notice.policy)" in dry.out
    assert "objection_accepted/pass (decision.accepted)" in dry.out
    assert run("reclassify").code == 0
    row = sqlite3.connect(db).execute("SELECT kind, rules_version FROM message").fetchone()
    assert row[0] == "objection_accepted" and row[1] != "old"
    assert "0 changed" in run("reclassify").out


def test_mails_whose_source_is_gone_are_counted(run: Run, tmp_path: Path) -> None:
    folder = tmp_path / "mails"
    folder.mkdir()
    shutil.copy(SAMPLES / "de-fb-accepted.eml", folder)
    run("scan", "-q", str(folder))
    shutil.rmtree(folder)
    assert "1 no longer reachable" in run("reclassify").out


@pytest.fixture
def small_command_dovecot(dovecot: Dovecot) -> Iterator[Dovecot]:
    """A Dovecot of its own that refuses command lines over 10,000 bytes (Courier: 16,384)."""
    server = dc.start(extra="imap_max_line_length = 10000\n")
    yield server
    server.stop()
    shutil.rmtree(server.dir, ignore_errors=True)


def tiny(i: int) -> bytes:
    return (b"From: Facebook <notification@facebookmail.com>\r\nTo: anna@example.org\r\n"
            b"Subject: You have %d new notifications\r\nMessage-ID: <n%d@facebookmail.com>\r\n"
            b"Date: Tue, 15 Apr 2025 09:00:00 +0000\r\n\r\nHi Anna, %d people liked your post.\r\n"
            % (i, i, i))  # fmt: skip


def stored_imap_mails(db: Path, name: str, folder: str, validity: int, raws: list[bytes]) -> None:
    """Records as a scan of the folder stores them (key imap:MAILBOX/FOLDER/UIDVALIDITY/UID).

    The mails differ only in numbers: they classify alike, so one classification serves all.
    """
    store, classifier = Store.open(database_url(str(db))), Classifier()
    result = classifier.classify(parsing.parse(raws[0]))
    batch = [NewMessage(f"imap:{name}/{folder}/{validity}/{uid}",
                        Mail(hashlib.sha256(raw).hexdigest(), len(raw), message_id=f"<{uid}@x>"), result, None)
             for uid, raw in enumerate(raws, start=1)]  # fmt: skip
    for i in range(0, len(batch), 500):  # a scan's batches
        store.add_messages(batch[i : i + 500])
    store.close()


def test_reclassify_over_imap_fetches_20000_mails_in_batches(
    small_command_dovecot: Dovecot,
    run: Run,
    db: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    server, user = small_command_dovecot, small_command_dovecot.new_user()
    raws = [tiny(i) for i in range(20_000)]
    server.deliver(user, raws)
    with server.client(user) as c:
        validity = int(c.select_folder("INBOX", readonly=True)[b"UIDVALIDITY"])
    # Which UID holds which of these look-alike mails does not matter: they classify alike.
    stored_imap_mails(db, "big", "INBOX", validity, raws)
    monkeypatch.setenv("TEST_IMAP_PW", "secret-pw")
    cfg = config(
        tmp_path / "c.toml", mailbox("big", user, server.tls_port, server.ca_file, batch_size=1000)
    )
    result = run("--config", str(cfg), "reclassify", "--dry-run")
    assert result.code == 0, result.err
    assert re.search(r"checked 20000 mails with rule packs \S+: 0 would change, 0 no longer reachable$",
                     result.out.strip())  # fmt: skip


def test_a_mailbox_that_fails_during_reclassify_is_a_failure(run: Run, db: Path, tmp_path: Path,
                                                            monkeypatch: pytest.MonkeyPatch) -> None:  # fmt: skip
    stored_imap_mails(db, "gone", "INBOX", 7, [tiny(i) for i in range(3)])
    monkeypatch.setenv("TEST_IMAP_PW", "secret-pw")
    closed = free_port()
    cfg = config(
        tmp_path / "c.toml", mailbox("gone", "anna", closed, "/etc/ssl/certs/ca-certificates.crt")
    )
    result = run("--config", str(cfg), "reclassify", "--dry-run")
    assert (
        result.code == 75 and "mailbox 'gone'" in result.err and "connection refused" in result.err
    )
    assert "0 no longer reachable, 3 not checked: their mailbox failed" in result.out


def test_reclassify_keeps_the_scans_size_limit(dovecot: Dovecot, run: Run, tmp_path: Path,
                                               monkeypatch: pytest.MonkeyPatch) -> None:  # fmt: skip
    user = dovecot.new_user()
    dovecot.append(user, "INBOX", [sample("en-ig-notice-2025.eml"), sample("de-fb-accepted.eml")])
    monkeypatch.setenv("TEST_IMAP_PW", "secret-pw")
    cfg = config(tmp_path / "c.toml",  # 5,055 and 4,070 bytes
                 mailbox("dove", user, dovecot.tls_port, dovecot.ca_file, max_message_size=4500))  # fmt: skip
    assert run("--config", str(cfg), "scan", "-q").code == 0
    out = run("--config", str(cfg), "reclassify", "--dry-run").out
    assert "checked 1 mails" in out and "1 over the mailbox's size limit (not downloaded)" in out


def test_after_a_uidvalidity_change_a_rescan_keeps_the_mails_reachable(
    dovecot: Dovecot, run: Run, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    user, mails = dovecot.new_user(), [sample(n) for n in META[:5]]
    dovecot.append(user, "Archive", mails)
    monkeypatch.setenv("TEST_IMAP_PW", "secret-pw")
    cfg = str(config(tmp_path / "c.toml", mailbox("dove", user, dovecot.tls_port, dovecot.ca_file)))
    run("--config", cfg, "scan", "-q")
    with dovecot.client(user) as c:
        c.delete_folder("Archive")
    dovecot.append(user, "Archive", [*mails, sample(META[5])])  # recreated: a new UIDVALIDITY
    stale = run("--config", cfg, "reclassify", "--dry-run").out
    assert "5 in folders whose UIDVALIDITY changed: run `metawatch scan` first" in stale
    rescan = run("--config", cfg, "scan")
    assert "scanned 6 mails: 1 new, 0 already known, 5 copies of stored mails" in rescan.out
    after = run("--config", cfg, "reclassify", "--dry-run").out
    assert (
        "checked 6 mails" in after
        and "0 no longer reachable" in after
        and "UIDVALIDITY" not in after
    )
