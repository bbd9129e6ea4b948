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

        The consumer asks for the next batch only after committing the previous one, so a
        source may treat a requested batch as proof that the earlier ones are stored. A batch
        marked ``partial`` is a part of the next one that is not: the consumer may start on its
        mails (parse, classify) while the rest arrive, and stores the parts with that batch.
        """
        ...
