"""Parsing and classifying in worker processes: the same results, in order, and nothing left over
when the scan or a worker is killed."""

from __future__ import annotations

import logging
import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import closing
from pathlib import Path

import pytest

from metawatch import workers
from metawatch.classify import Classifier
from metawatch.config import MailboxConfig
from metawatch.models import Batch, RawMail
from metawatch.pipeline import Scanner, scan_all
from metawatch.sources import imap
from metawatch.sources.files import FileSource
from metawatch.store import Store, database_url

from .dovecot import Dovecot
from .proxy import CuttingProxy
from .test_faults import copies, folder_of, stored
from .test_imap import META, sample, source

CLASSIFIER = Classifier()


def rows(db: Path) -> list[tuple[object, ...]]:
    """Every stored mail, in the order it was stored."""
    with closing(sqlite3.connect(db)) as conn:
        return conn.execute(
            "SELECT id, source_key, sha256, kind, rule, platform, language, handle, authenticity, "
            "account_id, evidence FROM message ORDER BY id"
        ).fetchall()


def results(job: workers.Job) -> list[workers.Analysed]:
    """Every result of a job, in order."""
    return [one for chunk in job.results() for one in chunk]


def test_workers_store_what_one_process_stores_in_the_same_order(tmp_path: Path) -> None:
    folder = folder_of(tmp_path, copies(90))
    tables = []
    for parallel in (False, True):
        db = tmp_path / f"{parallel}.db"
        store = Store.open(f"sqlite:///{db}")
        with workers.Analyser(CLASSIFIER, workers=2 if parallel else 1, pool_min=1) as analyser:
            summary = Scanner(store, CLASSIFIER, analyser=analyser).scan([FileSource(folder)])
            assert bool(analyser.pids) is parallel
        store.close()
        assert (summary.seen, summary.new, summary.failed) == (90, 90, [])
        tables.append(rows(db))
    assert tables[0] == tables[1]


def test_a_killed_worker_costs_no_mail(caplog: pytest.LogCaptureFixture) -> None:
    raws = [RawMail(f"k{i}", raw) for i, raw in enumerate(copies(60))]
    expected = [workers.analyse(CLASSIFIER, r, None) for r in raws]
    with workers.Analyser(CLASSIFIER, workers=2, pool_min=1) as analyser:
        analyser.expect(len(raws))
        os.kill(analyser.pids[0], signal.SIGKILL)
        with caplog.at_level(logging.WARNING, logger="metawatch"):
            assert results(analyser.submit(raws)) == expected
        assert analyser.pids == [] and results(analyser.submit(raws[:3])) == expected[:3]
    assert "a worker process died" in caplog.text or "cannot use worker processes" in caplog.text


def test_few_mails_start_no_worker_process(tmp_path: Path) -> None:
    with workers.Analyser(CLASSIFIER, workers=2) as analyser:
        analyser.expect(workers.POOL_MIN - 1)
        assert analyser.pids == []
    folder = folder_of(tmp_path, copies(12))
    summary = scan_all(
        Store.open(f"sqlite:///{tmp_path / 'm.db'}"), CLASSIFIER, [FileSource(folder)]
    )
    assert summary.new == 12


def test_a_classifier_that_cannot_travel_is_used_here() -> None:
    stub = Classifier(verify_dkim=True, dnsfunc=lambda name, timeout=5: None)  # a lambda: no pickle
    raws = [RawMail(f"k{i}", raw) for i, raw in enumerate(copies(4))]
    with workers.Analyser(stub, workers=2, pool_min=1) as analyser:
        assert len(results(analyser.submit(raws))) == 4 and analyser.pids == []


def test_a_killed_scan_leaves_no_process_behind(tmp_path: Path) -> None:
    folder = folder_of(tmp_path, copies(workers.POOL_MIN + 300))
    db = tmp_path / "k.db"
    scan = subprocess.Popen([sys.executable, "-m", "metawatch", "--db", str(db), "scan", "-q",
                             str(folder)], start_new_session=True, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)  # fmt: skip
    deadline = time.monotonic() + 60
    while stored(db) == 0 and scan.poll() is None and time.monotonic() < deadline:
        time.sleep(0.01)
    assert scan.poll() is None, "the scan ended before it was killed"
    assert len(descendants(scan.pid)) >= 2  # the fork server and the workers run
    scan.send_signal(signal.SIGKILL)
    scan.wait()
    while group_alive(scan.pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not group_alive(scan.pid)


def test_ctrl_c_stops_workers_and_prints_one_line(tmp_path: Path) -> None:
    folder = folder_of(tmp_path, copies(workers.POOL_MIN + 300))
    scan = subprocess.Popen([sys.executable, "-m", "metawatch", "--db", str(tmp_path / "c.db"),
                             "scan", "-q", str(folder)], start_new_session=True,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)  # fmt: skip
    deadline = time.monotonic() + 60
    while len(descendants(scan.pid)) < 3 and scan.poll() is None and time.monotonic() < deadline:
        time.sleep(0.01)  # the fork server and its workers run (they may be loading the rules)
    os.killpg(scan.pid, signal.SIGINT)  # a terminal sends it to the whole process group
    _, err = scan.communicate(timeout=60)
    assert (scan.returncode, err.strip()) == (130, "metawatch: aborted")  # no tracebacks
    while group_alive(scan.pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not group_alive(scan.pid)


def descendants(pid: int) -> list[int]:
    """The processes below ``pid``."""
    parents = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                parents[int(entry.name)] = int(
                    (entry / "stat").read_text().rsplit(")", 1)[1].split()[1]
                )
            except OSError:
                continue
    found, todo = [], [pid]
    while todo:
        top = todo.pop()
        kids = [p for p, parent in parents.items() if parent == top]
        found += kids
        todo += kids
    return found


def group_alive(pgid: int) -> bool:
    """Whether any process of the process group still runs."""
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    return True


def test_a_batch_in_parts_is_stored_whole_and_once(
    dovecot: Dovecot, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(imap, "PART", 4)  # batches of 10 arrive in parts of 4, 4 and 2
    user, mails = dovecot.new_user(), [sample(n) for n in META[:30]]
    dovecot.append(user, "INBOX", mails)
    cut_at = sum(map(len, mails[:15])) + 3_000  # in mail 16: the second part of batch 2
    for retries in (0, 3):  # a cut the scan gives up on, and one it resumes after
        store = Store.open(database_url(str(tmp_path / f"{retries}.db")))
        proxy = CuttingProxy(dovecot.tls_port, after=cut_at, cuts=1)
        try:
            src = source(dovecot, user, store, batch_size=10, retries=retries)
            src.config = MailboxConfig(**{**src.config.__dict__, "port": proxy.port})
            sent = Counter[str]()
            recording = Recording(src, sent)
            summary = Scanner(store, CLASSIFIER).scan([recording])  # type: ignore[list-item]
        finally:
            proxy.close()
        stored = len(store.messages(include_not_meta=True))
        if retries:  # the parts sent again after the reconnection are neither lost nor doubled
            assert (summary.failed, proxy.connections) == ([], 2) and max(sent.values()) == 2
            assert (stored, summary.seen, summary.new) == (30, 30, 30)
        else:  # the parts of the batch under way are not stored: its cursor has not moved
            assert summary.failed and stored == 10
        store.close()


class Recording:
    """A source that counts how often each mail was sent."""

    def __init__(self, source: imap.ImapSource, sent: Counter[str]) -> None:
        self.source, self.sent = source, sent
        self.name, self.mailbox = source.name, source.mailbox

    def batches(self) -> Iterator[Batch]:
        for batch in self.source.batches():
            self.sent.update(raw.key for raw in batch.mails)
            yield batch


def test_debug_keeps_the_scan_in_one_process() -> None:
    """--debug logs every step, and the workers' log would not come back: no workers then."""
    log = logging.getLogger("metawatch")
    level = log.level
    log.setLevel(logging.DEBUG)
    try:
        with workers.Analyser(CLASSIFIER, pool_min=1) as analyser:
            analyser.expect(10_000)
            assert analyser.pids == []
    finally:
        log.setLevel(level)
