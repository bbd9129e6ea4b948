"""The MailSource interface that every source implements."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Protocol

from metawatch.models import Batch


class MailSource(Protocol):
    """Yields raw messages in batches, each message with a key that is stable across scans."""

    name: str

    def batches(self) -> Iterator[Batch]:
        """Raw messages, a batch at a time; a batch and its cursor are committed together.

        The consumer asks for the next batch only after committing the previous one, so a
        source may treat a requested batch as proof that the earlier ones are stored.
        """
        ...
