"""reclassify: stored mails are read again from their source and classified with today's rules."""

from __future__ import annotations

import shutil
import sqlite3
from collections.abc import Callable
from pathlib import Path

from .conftest import SAMPLES, Result

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
