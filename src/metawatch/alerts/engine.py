"""Once, then reminders, then resolved: what to send, from conditions and past alerts. Pure."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from metawatch.models import AlertRecord, Condition


@dataclass(frozen=True)
class Plan:
    """What this run sends."""

    open: list[Condition] = field(default_factory=list)
    remind: list[AlertRecord] = field(default_factory=list)
    resolve: list[AlertRecord] = field(default_factory=list)


def plan(
    current: Sequence[Condition],
    open_alerts: Sequence[AlertRecord],
    now: datetime,
    remind_every: timedelta,
) -> Plan:
    """New conditions are alerted, lasting ones reminded every ``remind_every``, gone ones resolved."""
    key = {(a.subject, a.condition): a for a in open_alerts}
    holding = {(c.subject, c.condition) for c in current}
    result = Plan()
    for c in current:
        record = key.get((c.subject, c.condition))
        if record is None:
            result.open.append(c)
        elif now >= reminder_due(record, remind_every):
            result.remind.append(record)
    result.resolve.extend(a for k, a in key.items() if k not in holding)
    return result


def reminder_due(a: AlertRecord, remind_every: timedelta) -> datetime:
    """When an open alert is sent again if its condition still holds."""
    return a.last_sent + remind_every
