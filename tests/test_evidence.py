"""export-evidence: the bundle for a data-protection authority, and originals kept only on request."""

from __future__ import annotations

import json
import re
import stat
import subprocess
import tomllib
from collections.abc import Callable
from pathlib import Path

from .conftest import SAMPLES, Result

Run = Callable[..., Result]
MANIFEST = tomllib.loads((SAMPLES / "manifest.toml").read_text("utf-8"))
AI = {"policy_notice", "objection_accepted", "objection_rejected", "verification_code"}
TOM = "tom.evans.ie@gmail.com"
TOMS = sorted(n for n, e in MANIFEST.items() if e.get("recipient") == TOM and e["kind"] in AI
              and e["platform"] == "instagram" and not e.get("forwarded"))  # fmt: skip


def keeping(tmp_path: Path) -> str:
    cfg = tmp_path / "keep.toml"
    cfg.write_text("keep_originals = true\n")
    return str(cfg)


def manifest(bundle: Path) -> dict:  # type: ignore[type-arg]
    return json.loads((bundle / "manifest.json").read_text("utf-8"))


def test_the_bundle_holds_the_originals_byte_for_byte(run: Run, tmp_path: Path) -> None:
    cfg = keeping(tmp_path)
    assert run("--config", cfg, "scan", "-q", str(SAMPLES)).code == 0
    out = tmp_path / "bundle"
    result = run("--config", cfg, "export-evidence", TOM, "--out", str(out))
    assert result.code == 0, result.err
    mails = manifest(out)["mails"]
    assert sorted(m["message_id"] for m in mails) == sorted(
        _message_id(SAMPLES / n) for n in TOMS)  # fmt: skip
    for m in mails:
        original = (out / m["file"]).read_bytes()
        assert original in {(SAMPLES / n).read_bytes() for n in TOMS}
        assert m["file_matches_sha256"] is True
        assert m["authenticity"] != "pass" or m["authentication_results"]
    check = subprocess.run(
        ["sha256sum", "-c", "--quiet", "SHA256SUMS"], cwd=out, capture_output=True
    )
    assert check.returncode == 0, check.stdout
    assert stat.S_IMODE(out.stat().st_mode) == 0o700
    assert signatures() and all(sig in stored(tmp_path) for sig in signatures())
    assert {stat.S_IMODE(p.stat().st_mode) for p in out.rglob("*") if p.is_file()} == {0o600}


def signatures() -> list[bytes]:
    """The DKIM signature value of each of Tom's mails: in the headers only, never in a snippet."""
    found = [re.search(rb"\bb=([A-Za-z0-9+/]{40,})", (SAMPLES / n).read_bytes()) for n in TOMS]
    return [m.group(1) for m in found if m]


def stored(tmp_path: Path) -> bytes:
    return b"".join(p.read_bytes() for p in tmp_path.glob("metawatch.db*"))


def _message_id(path: Path) -> str:
    from email import message_from_bytes

    return str(message_from_bytes(path.read_bytes())["Message-ID"]).strip()


def test_without_keep_originals_no_body_is_stored_and_the_manifest_says_so(
    run: Run, tmp_path: Path, db: Path
) -> None:
    assert run("scan", "-q", str(SAMPLES)).code == 0
    assert not any(sig in stored(tmp_path) for sig in signatures())  # no whole mail is kept
    out = tmp_path / "bundle"
    result = run("export-evidence", "tom_evans_ie", "--out", str(out))
    assert result.code == 0 and "(0 with their original)" in result.out
    assert "keep_originals = true" in result.out
    assert all(m["file"] is None for m in manifest(out)["mails"]) and manifest(out)["mails"]
    assert not list((out / "mails").iterdir())


def test_reclassify_keeps_the_originals_of_mails_scanned_before(run: Run, tmp_path: Path) -> None:
    assert run("scan", "-q", str(SAMPLES)).code == 0
    assert run("--config", keeping(tmp_path), "reclassify").code == 0
    out = tmp_path / "bundle"
    assert run("export-evidence", TOM, "--out", str(out)).code == 0
    assert all(m["file"] for m in manifest(out)["mails"])


def test_only_ai_related_meta_mails_are_kept(run: Run, tmp_path: Path, db: Path) -> None:
    assert run("--config", keeping(tmp_path), "scan", "-q", str(SAMPLES)).code == 0
    import sqlite3
    from contextlib import closing

    with closing(sqlite3.connect(db)) as conn:
        kinds = {k for (k,) in conn.execute(
            "SELECT DISTINCT kind FROM message JOIN original ON original.message_id = message.id")}  # fmt: skip
    assert kinds and kinds <= AI


def test_bad_requests_are_clear(run: Run, tmp_path: Path) -> None:
    assert run("scan", "-q", str(SAMPLES)).code == 0
    assert run("export-evidence", "nobody@example.org").code == 65
    out = tmp_path / "full"
    out.mkdir()
    (out / "x").write_text("x")
    busy = run("export-evidence", TOM, "--out", str(out))
    assert busy.code == 73 and "not empty" in busy.err
