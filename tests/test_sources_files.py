"""File sources: .eml, folders, mbox, Maildir."""

from __future__ import annotations

import mailbox
import shutil
from pathlib import Path

import pytest

from metawatch import parsing
from metawatch.errors import SourceNotFound
from metawatch.sources.files import FileSource, read_key

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


def test_an_mbox_with_cr_only_line_endings_is_split_into_its_mails(tmp_path: Path) -> None:
    mails = [make_mail(body).replace(b"\r\n", b"\n") for body in ("one", "two", "three")]
    data = b"".join(b"From MAILER-DAEMON Tue Apr 15 09:00:00 2025\n" + m + b"\n" for m in mails)
    path = tmp_path / "Classic Mac.mbox"
    path.write_bytes(data.replace(b"\n", b"\r"))  # Mac OS 9 line endings
    read = [r for batch in FileSource(path).batches() for r in batch.mails]
    assert [parsing.parse(r.data).text for r in read] == ["one", "two", "three"]
    assert [r.key for r in read] == keys(path)  # stable keys
    assert read_key(read[1].key) == read[1].data


def test_an_mbox_with_a_byte_order_mark_is_read(tmp_path: Path) -> None:
    path = tmp_path / "export.mbox"
    path.write_bytes(b"\xef\xbb\xbfFrom x@y Tue Apr 15 09:00:00 2025\n" + make_mail("hello"))
    assert [parsing.parse(r.data).text for b in FileSource(path).batches() for r in b.mails] == [
        "hello"
    ]


def test_mbox_files_inside_a_folder_are_read(tmp_path: Path) -> None:
    takeout = tmp_path / "Takeout" / "Mail"  # the layout of a Google Takeout export
    takeout.mkdir(parents=True)
    box = mailbox.mbox(takeout / "All mail Including Spam and Trash.mbox")
    for body in ("one", "two"):
        box.add(make_mail(body))
    box.close()
    thunderbird = tmp_path / "profile" / "Mail" / "Local Folders"
    thunderbird.mkdir(parents=True)
    shutil.copy(takeout / "All mail Including Spam and Trash.mbox", thunderbird / "Inbox")
    (thunderbird / "Inbox.msf").write_text("// an index, not mail")
    (tmp_path / "a.eml").write_bytes(make_mail("three"))
    found = keys(tmp_path)
    assert len(found) == 5 and sum(k.startswith("mbox:") for k in found) == 4


def test_a_source_without_mail_says_so(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    (tmp_path / "notes.txt").write_text("no mail here")
    assert keys(tmp_path) == []
    assert f"no mail found in {tmp_path}" in caplog.text
