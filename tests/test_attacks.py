"""No mail without a sender-authentication pass can make an account protected."""

from __future__ import annotations

import json
import shutil
import tomllib
from collections.abc import Callable
from pathlib import Path

from .conftest import SAMPLES, Result

Run = Callable[..., Result]
MANIFEST = tomllib.loads((SAMPLES / "manifest.toml").read_text("utf-8"))
UNVERIFIED_ACCEPTANCES = sorted(
    n
    for n, e in MANIFEST.items()
    if e["kind"] == "objection_accepted" and e["authenticity"] != "pass"
)


def test_there_are_attack_and_unverified_samples() -> None:
    assert len(UNVERIFIED_ACCEPTANCES) >= 6
    assert any(MANIFEST[n]["authenticity"] == "fail" for n in UNVERIFIED_ACCEPTANCES)


def test_unverified_or_forged_confirmations_never_protect(run: Run, tmp_path: Path) -> None:
    folder = tmp_path / "mails"
    folder.mkdir()
    for name in UNVERIFIED_ACCEPTANCES:
        shutil.copy(SAMPLES / name, folder)
    run("scan", "-q", str(folder))
    rows = json.loads(run("status", "--json").out)
    assert rows and all(r["state"] != "protected" for r in rows)
    states = {r["state"] for r in rows}
    assert states <= {"needs_review", "unknown"}
    flagged = [r for r in rows if r["suspected_fake"]]
    assert len(flagged) == sum(
        1 for n in UNVERIFIED_ACCEPTANCES if MANIFEST[n]["authenticity"] == "fail"
    )


def test_forged_pass_below_a_failing_trusted_header_is_flagged(run: Run) -> None:
    run(
        "scan",
        "-q",
        str(SAMPLES / "de-ig-notice-2025-lukas.eml"),
        str(SAMPLES / "attack-de-ig-spoofed-accepted.eml"),
    )
    row = json.loads(run("status", "--json").out)[0]
    assert row["state"] == "unprotected" and row["suspected_fake"]
    assert run("status").code == 2
