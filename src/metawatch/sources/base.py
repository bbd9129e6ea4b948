"""The MailSource interface that every source implements."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Protocol

from metawatch.models import RawMail


class MailSource(Protocol):
    """Yields raw messages in batches, each with a key that is stable across scans."""

    name: str

    def batches(self) -> Iterator[Sequence[RawMail]]:
        """Raw messages, a batch at a time (a batch is stored in one transaction)."""
        ...

    def done(self, batch: Sequence[RawMail]) -> None:
        """Called once the batch's rows are committed: the source may move its cursor."""
        ...
