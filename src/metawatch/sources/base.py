"""The MailSource interface that every source implements."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Protocol

from metawatch.models import Batch

if TYPE_CHECKING:
    from metawatch.config import MailboxConfig


class MailSource(Protocol):
    """Yields raw messages in batches, each message with a key that is stable across scans."""

    name: str
    mailbox: MailboxConfig | None  # the configured mailbox the mails come from; None for files

    def batches(self) -> Iterator[Batch]:
        """Raw messages, a batch at a time; a batch and its cursor are committed together.

        The consumer may ask for the next batch before the previous one is committed (it
        fetches while the mails are being classified), but it commits every batch it was given,
        in order, unless the scan stops: a cursor never moves past a mail that is not stored.
        """
        ...
