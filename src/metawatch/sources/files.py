"""Local mail: one .eml file, a folder of them (recursive), an mbox file, or a Maildir."""

from __future__ import annotations

import hashlib
import logging
import mailbox
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
    """An mbox file starts with a 'From ' separator line."""
    with path.open("rb") as f:
        return f.read(5) == b"From "


def _eml(path: Path) -> RawMail:
    try:
        return RawMail(key=f"file:{path}", data=path.read_bytes())
    except OSError as e:
        raise SourceError(f"cannot read {path}: {e.strerror}") from e


def _folder(root: Path) -> tuple[int, Iterator[RawMail]]:
    """The mail files and Maildirs under ``root``, counted before any is read."""
    found: list[tuple[Path, list[str] | None]] = []
    for path in sorted(root.rglob("*")):
        if path.is_file() and path.name.lower().endswith(MAIL_SUFFIXES):
            found.append((path, None))
        elif path.is_dir() and is_maildir(path):
            found.append((path, _maildir_keys(path)))

    def read() -> Iterator[RawMail]:
        for path, keys in found:
            yield from (_eml(path),) if keys is None else _maildir(path, keys)

    return sum(1 if k is None else len(k) for _, k in found), read()


def _mbox_counted(path: Path) -> tuple[int, Iterator[RawMail]]:
    box = mailbox.mbox(path, create=False)
    keys = list(box.iterkeys())  # the table of contents is built anyway: the count comes free
    return len(keys), _mbox(path, box, keys)


def _mbox(
    path: Path, box: mailbox.mbox | None = None, keys: list[str] | None = None
) -> Iterator[RawMail]:
    box = box or mailbox.mbox(path, create=False)
    try:
        for key in box.iterkeys() if keys is None else keys:
            data = box.get_bytes(key)
            # Content, not position, names a message: an mbox rewritten by a mail client keeps it.
            yield RawMail(key=f"mbox:{path}#{hashlib.sha256(data).hexdigest()[:32]}", data=data)
    finally:
        box.close()


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
            return next((r.data for r in _mbox(Path(path)) if r.key.endswith(digest)), None)
    except (OSError, KeyError):
        return None
    return None
