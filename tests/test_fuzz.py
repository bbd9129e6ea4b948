"""A short atheris run of each fuzz harness (the long runs are in docs/reliability.md)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from .conftest import ROOT, SAMPLES

RUNS = {"fuzz_parse.py": (4000, [SAMPLES]), "fuzz_auth.py": (40000, [])}


@pytest.mark.parametrize("harness", sorted(RUNS))
def test_fuzz_harness_finds_nothing_in_a_short_run(harness: str, tmp_path: Path) -> None:
    runs, seeds = RUNS[harness]
    (tmp_path / "corpus").mkdir()
    extra = ["-dict=" + str(ROOT / "fuzz" / "auth.dict")] if harness == "fuzz_auth.py" else []
    done = subprocess.run(
        [sys.executable, str(ROOT / "fuzz" / harness), f"-runs={runs}", "-rss_limit_mb=2048",
         f"-artifact_prefix={tmp_path}/", *extra, str(tmp_path / "corpus"), *map(str, seeds)],
        capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    assert f"Done {runs} runs" in done.stderr
