"""File sources: .eml, folders, mbox, Maildir."""

from __future__ import annotations

import mailbox
from pathlib import Path

import pytest

from metawatch.errors import SourceNotFound
from metawatch.sources.files import FileSource

from .conftest import SAMPLES, make_mail


def keys(path: Path) -> list[str]:
    return [r.key for batch in FileSource(path).batches() for r in batch.mails]


def test_single_eml(tmp_path: Path) -> None:
    p = tmp_path / "a.eml"
    p.write_bytes(make_mail("x"))
    assert keys(p) == [f"file:{p}"]


def test_folder_is_read_recursively(tmp_path: Path) -> None:
    (tmp_path / "sub").mkdir()
    (tmp_path / "a.eml").write_bytes(make_mail("a"))
    (tmp_path / "sub" / "b.eml").write_bytes(make_mail("b"))
    (tmp_path / "notes.txt").write_text("not a mail")
    assert len(keys(tmp_path)) == 2


def test_mbox_messages_have_stable_keys(tmp_path: Path) -> None:
    path = tmp_path / "takeout.mbox"
    box = mailbox.mbox(path)
    for body in ("one", "two", "three"):
        box.add(make_mail(body))
    box.close()
    first = keys(path)
    assert len(first) == 3 and first == keys(path)
    assert all(k.startswith(f"mbox:{path}#") for k in first)


def test_maildir_is_read(tmp_path: Path) -> None:
    box = mailbox.Maildir(tmp_path / "Maildir")
    box.add(make_mail("one"))
    box.add(make_mail("two"))
    assert len(keys(tmp_path / "Maildir")) == 2


def test_sample_folder_has_every_mail() -> None:
    assert len(keys(SAMPLES)) == len(list(SAMPLES.glob("*.eml")))


def test_missing_path_is_refused(tmp_path: Path) -> None:
    with pytest.raises(SourceNotFound, match="no such file or folder"):
        FileSource(tmp_path / "nope")
