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
from contextlib import closing
from pathlib import Path

import pytest

from metawatch import workers
from metawatch.classify import Classifier
from metawatch.models import RawMail
from metawatch.pipeline import Scanner, scan_all
from metawatch.sources.files import FileSource
from metawatch.store import Store

from .test_faults import copies, folder_of, stored

CLASSIFIER = Classifier()


def rows(db: Path) -> list[tuple[object, ...]]:
    """Every stored mail, in the order it was stored."""
    with closing(sqlite3.connect(db)) as conn:
        return conn.execute(
            "SELECT id, source_key, sha256, kind, rule, platform, language, handle, authenticity, "
            "account_id, evidence FROM message ORDER BY id"
        ).fetchall()


def test_workers_store_what_one_process_stores_in_the_same_order(tmp_path: Path) -> None:
    folder = folder_of(tmp_path, copies(90))
    results = []
    for parallel in (False, True):
        db = tmp_path / f"{parallel}.db"
        store = Store.open(f"sqlite:///{db}")
        with workers.Analyser(CLASSIFIER, workers=2 if parallel else 1, pool_min=1) as analyser:
            summary = Scanner(store, CLASSIFIER, analyser=analyser).scan([FileSource(folder)])
            assert bool(analyser.pids) is parallel
        store.close()
        assert (summary.seen, summary.new, summary.failed) == (90, 90, [])
        results.append(rows(db))
    assert results[0] == results[1]


def test_a_killed_worker_costs_no_mail(caplog: pytest.LogCaptureFixture) -> None:
    raws = [RawMail(f"k{i}", raw) for i, raw in enumerate(copies(60))]
    expected = [workers.analyse(CLASSIFIER, r, None) for r in raws]
    with workers.Analyser(CLASSIFIER, workers=2, pool_min=1) as analyser:
        analyser.expect(len(raws))
        os.kill(analyser.pids[0], signal.SIGKILL)
        with caplog.at_level(logging.WARNING, logger="metawatch"):
            assert analyser.submit(raws).results() == expected
        assert analyser.pids == [] and analyser.submit(raws[:3]).results() == expected[:3]
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
        results = analyser.submit(raws).results()
        assert analyser.pids == [] and len(results) == 4


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
