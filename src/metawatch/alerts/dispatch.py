"""Record alerts and deliver them; a failing channel is retried at the next run."""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from metawatch.alerts import engine
from metawatch.alerts.channels import Channel, ChannelError
from metawatch.models import AlertRecord, Condition

log = logging.getLogger(__name__)


@dataclass
class Outcome:
    """What one run sent."""

    sent: int = 0
    failed: list[str] = field(default_factory=list)


def run(
    store: Any,
    current: Sequence[Condition],
    channels: Mapping[str, Channel],
    now: datetime,
    remind_every: timedelta,
    resolved_text: Mapping[str, str],
) -> Outcome:
    """Open, remind and resolve alerts, then deliver everything still undelivered."""
    p = engine.plan(current, store.open_alerts(), now, remind_every)
    for c in p.open:
        record = store.open_alert(c, now)
        _queue(store, record, "alert", c.title, c.body, channels, now)
    for a in p.remind:
        store.touch_alert(a.id, now)
        _queue(store, a, "reminder", f"Reminder: {a.title}", a.body, channels, now)
    for a in p.resolve:
        store.resolve_alert(a.id, now)
        if a.subject in resolved_text:
            _queue(
                store,
                a,
                "resolved",
                f"Resolved: {resolved_text[a.subject]}",
                a.title,
                channels,
                now,
            )
    return deliver(store, channels, now)


def _queue(store: Any, a: AlertRecord, kind: str, title: str, body: str,
           channels: Mapping[str, Channel], now: datetime) -> None:  # fmt: skip
    for name in channels:
        store.add_delivery(a.id, kind, name, title, body, now)


def deliver(store: Any, channels: Mapping[str, Channel], now: datetime) -> Outcome:
    """Try every undelivered message once; one channel's failure never blocks the others."""
    outcome = Outcome()
    for d in store.pending_deliveries():
        channel = channels.get(d.channel)
        if channel is None:
            continue  # the channel was removed from the config; `alerts list` still shows it
        try:
            channel.send(d.title, d.body)
        except ChannelError as e:
            store.mark_delivery(d.id, now, str(e))
            outcome.failed.append(str(e))
            log.warning("alert not delivered, will retry at the next scan: %s", e)
            continue
        except Exception as e:  # deliberate: a broken notifier must not break the scan
            store.mark_delivery(d.id, now, f"{d.channel}: {type(e).__name__}")
            outcome.failed.append(f"{d.channel}: {type(e).__name__}")
            log.warning("alert not delivered (%s): %s", d.channel, type(e).__name__)
            continue
        store.mark_delivery(d.id, now, None)
        outcome.sent += 1
    return outcome
