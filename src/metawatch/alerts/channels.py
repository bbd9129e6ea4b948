"""Where alerts go: apprise URLs (mail, ntfy, Telegram, Matrix, webhooks …) or standard output.

The only importer of apprise; it is imported when a message is actually sent.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Protocol
from urllib.parse import urlsplit

from metawatch.errors import MetawatchError

log = logging.getLogger(__name__)


class ChannelError(MetawatchError):
    """A channel could not deliver a message."""


class Channel(Protocol):
    """Sends one message."""

    name: str

    def send(self, title: str, body: str) -> None:
        """Deliver, or raise ChannelError."""
        ...


def channel_name(url: str) -> str:
    """A name that identifies a channel without its secrets (tokens live in the URL)."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    port = f":{parts.port}" if parts.port else ""
    return f"{parts.scheme}://{host}{port}" if parts.scheme else "channel"


class AppriseChannel:
    """One apprise URL."""

    def __init__(self, url: str) -> None:
        self._url = url
        self.name = channel_name(url)

    def __repr__(self) -> str:
        return f"AppriseChannel({self.name})"

    def send(self, title: str, body: str) -> None:
        import apprise

        notifier = apprise.Apprise()
        if not notifier.add(self._url):
            raise ChannelError(f"{self.name}: not a valid apprise URL")
        with apprise.LogCapture(level=logging.WARNING) as captured:  # type: ignore[no-untyped-call]
            ok = notifier.notify(title=title, body=body)
        if not ok:
            reason = " ".join(captured.getvalue().split())[:200] or "delivery failed"
            raise ChannelError(f"{self.name}: {reason}")


class PrintChannel:
    """Standard output: cron mails it to the user."""

    name = "stdout"

    def __init__(self, echo: Callable[[str], None]) -> None:
        self._echo = echo

    def send(self, title: str, body: str) -> None:
        self._echo(f"{title}\n{body}\n")


def from_urls(urls: tuple[str, ...], echo: Callable[[str], None]) -> dict[str, Channel]:
    """The configured channels; standard output when there are none."""
    if not urls:
        return {PrintChannel.name: PrintChannel(echo)}
    channels: dict[str, Channel] = {}
    for url in urls:
        channel = AppriseChannel(url)
        channels[channel.name] = channel
    return channels
