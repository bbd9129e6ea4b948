"""One scan at a time: an exclusive, non-blocking file lock beside the database."""

from __future__ import annotations

import fcntl
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from metawatch.errors import LockedError, StoreError


@contextmanager
def scan_lock(path: Path) -> Iterator[None]:
    """Hold the lock for the block; another holder makes this raise LockedError at once."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    except OSError as e:
        raise StoreError(f"cannot create lock file {path}: {e.strerror}") from e
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise LockedError(f"another scan is running (lock {path} is held)") from None
        yield
    finally:
        os.close(fd)  # closing releases the lock; the kernel also does it when we die
