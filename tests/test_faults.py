"""Faults during a scan: a crashed server, SIGKILL at random moments, a full or read-only disk,
scans and a status at once. Nothing committed is lost, nothing is stored twice."""

from __future__ import annotations

import os
import random
import re
import shutil
import signal
import sqlite3
import subprocess
import time
from collections.abc import Callable, Iterator
from contextlib import closing
from pathlib import Path

import pytest

from . import dovecot as dc
from .conftest import SAMPLES, Result
from .proxy import HoldingProxy
from .receivers import WebhookReceiver
from .test_imap import META, sample
from .test_many import StallingServer, config, finish, mailbox, metawatch, wait_for

Run = Callable[..., Result]


def copies(n: int) -> list[bytes]:
    """``n`` distinct Meta mails: the samples again and again, each copy with its own Message-ID."""
    out = []
    for i in range(n):
        raw = sample(META[i % len(META)])
        out.append(re.sub(rb"(?im)^(message-id:\s*<)", rb"\g<1>copy%d." % i, raw, count=1))
    return out


def stored(db: Path) -> int:
    """How many mails the database holds (0 before its tables exist)."""
    return integrity(db, check=False)[1]


def integrity(db: Path, check: bool = True) -> tuple[str, int, int]:
    """(integrity_check, stored mails, distinct Message-IDs); a file not yet set up is empty."""
    if not db.exists():
        return "ok", 0, 0
    with closing(sqlite3.connect(db)) as conn:
        result = conn.execute("PRAGMA integrity_check").fetchone()[0] if check else "ok"
        if not conn.execute("SELECT 1 FROM sqlite_master WHERE name = 'message'").fetchone():
            return result, 0, 0
        n, distinct = conn.execute(
            "SELECT count(*), count(DISTINCT message_id) FROM message").fetchone()  # fmt: skip
    return result, n, distinct


@pytest.fixture
def own_dovecot(dovecot: dc.Dovecot) -> Iterator[dc.Dovecot]:
    """A Dovecot of this test's own, to crash."""
    server = dc.start()
    yield server
    if server.process.poll() is None:
        server.stop()
    shutil.rmtree(server.dir, ignore_errors=True)


def through(proxy: HoldingProxy, name: str, user: str, ca_file: str, **keys: int) -> str:
    """A [[mailbox]] that reaches Dovecot through ``proxy``: plain IMAP, so that it sees FETCH."""
    return mailbox(name, user, proxy.port, ca_file, tls="plain", allow_plaintext=True, **keys)


def test_server_killed_mid_fetch_then_rerun_stores_each_mail_once(
    own_dovecot: dc.Dovecot, tmp_path: Path
) -> None:
    user, mails = own_dovecot.new_user(), copies(100)
    own_dovecot.append(user, "INBOX", mails)
    proxy, hook = HoldingProxy(own_dovecot.plain_port), WebhookReceiver()
    proxy.hold(4, 1000)  # four batches of five pass, then 1,000 bytes of the fifth's answer
    cfg = config(tmp_path / "c.toml", through(proxy, "m", user, own_dovecot.ca_file,
                                              batch_size=5, retries=1), hook=hook)  # fmt: skip
    db = tmp_path / "m.db"
    scan = metawatch("--db", str(db), "--config", str(cfg), "scan", "-q")
    wait_for(lambda: proxy.holding, scan, "the fifth batch")
    own_dovecot.kill()  # mid-fetch: the first four batches are committed, the rest is not
    result = finish(scan)
    assert result.code == 75, result.err
    assert integrity(db) == ("ok", 20, 20)

    own_dovecot.restart()
    proxy.hold(None)
    assert finish(metawatch("--db", str(db), "--config", str(cfg), "scan", "-q")).code == 0
    assert integrity(db) == ("ok", len(mails), len(mails))
    titles = hook.titles()
    assert titles and len(titles) == len(set(titles))  # no alert twice
    assert finish(metawatch("--db", str(db), "--config", str(cfg), "scan")).out == ""
    assert hook.titles() == titles
    hook.stop()
    proxy.close()


KILLS, BATCH, MOST = 20, 10, 4  # MOST: batches a run may commit before its kill


def test_sigkill_at_random_moments_loses_and_doubles_nothing(
    dovecot: dc.Dovecot, tmp_path: Path
) -> None:
    user, mails = dovecot.new_user(), copies(KILLS // 2 * MOST * BATCH + 100)
    dovecot.append(user, "INBOX", mails)
    proxy = HoldingProxy(dovecot.plain_port)
    cfg = config(tmp_path / "k.toml",
                 through(proxy, "k", user, dovecot.ca_file, batch_size=BATCH))  # fmt: skip
    db, rng, seen = tmp_path / "k.db", random.Random(20261123), [0]
    shortest = min(map(len, mails))
    for i in range(KILLS):
        # No run can finish, however fast the machine: the proxy holds the stream within the
        # first mail of batch most + 1, until the kill. So every kill lands mid-scan.
        most = rng.randint(1, MOST) if i % 2 else 0
        proxy.hold(most, rng.randrange(shortest))
        scan = metawatch("--db", str(db), "--config", str(cfg), "scan", "-q")
        if i % 2:  # mid-fetch: once this run has committed a batch (it asks for the second)
            wait_for(lambda: proxy.fetches >= 2, scan, "a second batch")
            time.sleep(rng.uniform(0, 0.2))  # in a fetch, a parse, a commit, or at the hold
        else:  # anywhere in start-up: imports, config, migrations, login, folders, first fetch
            time.sleep(rng.uniform(0.05, 0.8))
        scan.send_signal(signal.SIGKILL)
        scan.communicate()
        check, n, distinct = integrity(db)
        assert (check, n) == ("ok", distinct)
        # Whole batches only; nothing committed lost; a mid-fetch run committed 1 to most.
        batches = range(BATCH, most * BATCH + 1, BATCH) if i % 2 else range(1)
        assert n - seen[-1] in batches, (i, most, [*seen, n])
        seen.append(n)
    proxy.hold(None)
    assert finish(metawatch("--db", str(db), "--config", str(cfg), "scan", "-q")).code == 0
    assert integrity(db) == ("ok", len(mails), len(mails))
    proxy.close()


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    """A 16 MB tmpfs: a disk that really fills up (ENOSPC) and can be made read-only."""
    mount = tmp_path / "disk"
    mount.mkdir()
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=16m", "tmpfs", str(mount)],
                          capture_output=True, text=True)  # fmt: skip
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {done.stderr.strip()}")
    yield mount
    subprocess.run(["umount", "-l", str(mount)], check=True)


def folder_of(tmp_path: Path, mails: list[bytes]) -> Path:
    folder = tmp_path / "mails"
    folder.mkdir(exist_ok=True)
    for i, raw in enumerate(mails):
        (folder / f"{i:04}.eml").write_bytes(raw)
    return folder


def test_a_full_disk_is_a_clear_error_and_nothing_half_written(
    run: Run, small_disk: Path, tmp_path: Path
) -> None:
    db = small_disk / "metawatch.db"
    assert run("--db", str(db), "scan", "-q", str(SAMPLES), use_db=False).code == 0
    filler = small_disk / "filler"
    with open(filler, "wb") as f:  # fill what is left, then give 200 KB back
        try:
            while True:
                f.write(b"\0" * 65536)
        except OSError:
            pass
    os.truncate(filler, filler.stat().st_size - 200_000)
    more = folder_of(tmp_path, copies(1500))
    result = run("--db", str(db), "scan", "-q", str(more), use_db=False)
    assert result.code == 73, result.err
    assert re.fullmatch(r"metawatch: error: cannot write to the database: .*full.*\n", result.err)
    assert run("--db", str(db), "status", use_db=False).code in (0, 1, 2)  # reading still works
    filler.unlink()
    check, n, distinct = integrity(db)
    assert check == "ok" and n == distinct and n >= 100  # the first scan's mails are all there
    assert run("--db", str(db), "scan", "-q", str(more), use_db=False).code == 0
    assert integrity(db)[1] == 100 + 1500


def test_a_read_only_database_is_a_clear_error(run: Run, small_disk: Path) -> None:
    db = small_disk / "metawatch.db"
    assert run("--db", str(db), "scan", "-q", str(SAMPLES), use_db=False).code == 0
    subprocess.run(["mount", "-o", "remount,ro", str(small_disk)], check=True)
    result = run("--db", str(db), "scan", "-q", str(SAMPLES), use_db=False)
    assert result.code == 73
    assert result.err.count("\n") == 1 and "read-only" in result.err.lower()


def test_two_scans_and_a_status_at_once(dovecot: dc.Dovecot, tmp_path: Path) -> None:
    good = dovecot.new_user()
    dovecot.append(good, "INBOX", [sample(n) for n in META])
    stall = StallingServer()
    cfg = config(tmp_path / "s.toml", mailbox("good", good, dovecot.tls_port, dovecot.ca_file),
                 stall.mailbox(dovecot.ca_file))  # fmt: skip
    db = tmp_path / "s.db"
    first = metawatch("--db", str(db), "--config", str(cfg), "scan", "-q", "--jobs", "2")
    try:  # the first scan holds the lock until release(): it hangs on the second mailbox
        wait_for(lambda: stored(db) == len(META), first, "the good mailbox's mails")
        second = finish(metawatch("--db", str(db), "--config", str(cfg), "scan", "-q"))
        assert second.code == 75 and "another scan is running" in second.err
        status = finish(metawatch("--db", str(db), "status", "--json"))
        assert status.code in (0, 1, 2) and status.out.startswith("[")
        assert first.poll() is None  # the first scan still runs (and holds the lock)
        with closing(sqlite3.connect(db, timeout=0, isolation_level=None)) as writer:
            writer.execute("BEGIN IMMEDIATE")  # a write transaction left open
            writer.execute("UPDATE account SET label = 'x'")
            during = finish(metawatch("--db", str(db), "status", "--json"))
            writer.rollback()
        # The write transaction stayed open until status had exited: a status that needed the
        # lock would have waited for it (busy_timeout) and failed, not answered the same.
        assert (during.code, during.out, during.err) == (status.code, status.out, status.err)
    finally:
        stall.release()
    assert finish(first).code == 75
