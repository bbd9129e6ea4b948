"""Local mail: one .eml file, a folder (recursive: .eml files, mbox files, Maildirs), an mbox
file, or a Maildir."""

from __future__ import annotations

import hashlib
import logging
import mailbox
import re
from collections.abc import Iterator
from itertools import islice
from pathlib import Path
from typing import TYPE_CHECKING

from metawatch.errors import SourceError, SourceNotFound
from metawatch.models import Batch, RawMail

if TYPE_CHECKING:
    from metawatch.config import MailboxConfig

log = logging.getLogger(__name__)
BATCH = 200
MAIL_SUFFIXES = (".eml", ".msg.eml", ".mail")
MBOX_SUFFIXES = (".mbox", ".mbx")  # Google Takeout, Apple Mail and Thunderbird exports
SNIFF = 65_536  # bytes read to tell an mbox's line endings
_MBOX_SEPARATOR = re.compile(rb"^From [^\n]*\n", re.M)


class FileSource:
    """A path on disk; what kind of mail store it is is decided by looking at it."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path).expanduser()
        if not self.path.exists():
            raise SourceNotFound(f"no such file or folder: {self.path}")
        self.path = self.path.resolve()
        self.name = str(self.path)
        self.mailbox: MailboxConfig | None = (
            None  # a file names no mailbox: each mail's Received line names its provider
        )

    def batches(self) -> Iterator[Batch]:
        """The messages in batches of up to BATCH; files need no cursor (keys suffice).

        The first batch carries how many messages there are, for the progress display."""
        total, messages = self._messages()
        if not total:  # a scan that read nothing must not look like one that found nothing new
            log.warning("no mail found in %s (looked for .eml files, mbox files and Maildirs)",
                        self.path)  # fmt: skip
        it, first = iter(messages), True
        while batch := tuple(islice(it, BATCH)):
            yield Batch(batch, total=total if first else None)
            first = False

    def _messages(self) -> tuple[int, Iterator[RawMail]]:
        if self.path.is_dir():
            if is_maildir(self.path):
                keys = _maildir_keys(self.path)
                return len(keys), _maildir(self.path, keys)
            return _folder(self.path)
        if is_mbox(self.path):
            return _mbox_counted(self.path)
        return 1, iter([_eml(self.path)])


def is_maildir(path: Path) -> bool:
    """A Maildir has cur/, new/ and tmp/ folders."""
    return all((path / sub).is_dir() for sub in ("cur", "new"))


def is_mbox(path: Path) -> bool:
    """An mbox file starts with a 'From ' separator line (after a byte-order mark, if any)."""
    try:
        with path.open("rb") as f:
            return f.read(8).removeprefix(b"\xef\xbb\xbf").startswith(b"From ")
    except OSError:
        return False


def _eml(path: Path) -> RawMail:
    try:
        return RawMail(key=f"file:{path}", data=path.read_bytes())
    except OSError as e:
        raise SourceError(f"cannot read {path}: {e.strerror}") from e


def _folder(root: Path) -> tuple[int, Iterator[RawMail]]:
    """The mail files, mbox files and Maildirs under ``root``, counted before any is read."""
    found: list[tuple[int, Iterator[RawMail]]] = []
    for path in sorted(root.rglob("*")):
        name = path.name.lower()
        if path.is_file() and name.endswith(MAIL_SUFFIXES):
            found.append((1, _lazy_eml(path)))
        elif path.is_file() and (name.endswith(MBOX_SUFFIXES) or "." not in name) and is_mbox(path):
            log.info("reading mbox file %s", path)  # Thunderbird's mbox files have no suffix
            found.append(_mbox_counted(path))
        elif path.is_dir() and is_maildir(path):
            keys = _maildir_keys(path)
            found.append((len(keys), _maildir(path, keys)))

    def read() -> Iterator[RawMail]:
        for _, messages in found:
            yield from messages

    return sum(n for n, _ in found), read()


def _lazy_eml(path: Path) -> Iterator[RawMail]:
    yield _eml(path)


def _mbox_counted(path: Path) -> tuple[int, Iterator[RawMail]]:
    """An mbox's messages, counted before any is read."""
    try:
        with path.open("rb") as f:
            head = f.read(SNIFF)
    except OSError as e:
        raise SourceError(f"cannot read {path}: {e.strerror}") from e
    if head.startswith(b"\xef\xbb\xbf") or (b"\r" in head and b"\n" not in head):
        # A byte-order mark, or classic Mac OS line endings (CR only): the standard library's
        # reader would see one empty message. Such files are small: read them whole.
        whole = list(_split_mbox(path.read_bytes().removeprefix(b"\xef\xbb\xbf")))
        return len(whole), (_mbox_mail(path, data) for data in whole)
    box = mailbox.mbox(path, create=False)
    keys = list(box.iterkeys())  # the table of contents is built anyway: the count comes free
    return len(keys), _mbox(path, box, keys)


def _mbox(path: Path, box: mailbox.mbox, keys: list[str]) -> Iterator[RawMail]:
    try:
        for key in keys:
            yield _mbox_mail(path, box.get_bytes(key))
    finally:
        box.close()


def _mbox_mail(path: Path, data: bytes) -> RawMail:
    # Content, not position, names a message: an mbox rewritten by a mail client keeps it.
    return RawMail(key=f"mbox:{path}#{hashlib.sha256(data).hexdigest()[:32]}", data=data)


def _split_mbox(data: bytes) -> Iterator[bytes]:
    """The messages of an mbox held in memory, line endings made LF."""
    text = data.replace(b"\r\n", b"\n").replace(b"\r", b"\n")
    starts = [m.end() for m in _MBOX_SEPARATOR.finditer(text)]
    ends = [m.start() for m in _MBOX_SEPARATOR.finditer(text)][1:] + [len(text)]
    for start, end in zip(starts, ends, strict=True):
        yield text[start:end]


def _maildir_keys(path: Path) -> list[str]:
    return sorted(mailbox.Maildir(path, factory=None, create=False).iterkeys())


def _maildir(path: Path, keys: list[str]) -> Iterator[RawMail]:
    box = mailbox.Maildir(path, factory=None, create=False)
    for key in keys:
        try:
            yield RawMail(key=f"maildir:{path}/{key}", data=box.get_bytes(key))
        except (OSError, KeyError):
            log.warning("message %s vanished from %s during the scan", key, path)


def read_key(key: str) -> bytes | None:
    """The bytes of a stored file-source key again, or None when the file is gone."""
    kind, _, rest = key.partition(":")
    try:
        if kind == "file":
            return Path(rest).read_bytes()
        if kind == "maildir":
            folder, _, name = rest.rpartition("/")
            return mailbox.Maildir(folder, factory=None, create=False).get_bytes(name)
        if kind == "mbox":
            path, _, digest = rest.rpartition("#")
            mails = _mbox_counted(Path(path))[1]
            return next((r.data for r in mails if r.key.endswith(digest)), None)
    except (OSError, KeyError, SourceError):
        return None
    return None
