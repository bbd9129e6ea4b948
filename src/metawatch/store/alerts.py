"""Alerts that were raised, and the deliveries of each to each channel."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import select

from metawatch.models import AlertRecord, Condition, Delivery
from metawatch.store.engine import Database, utc
from metawatch.store.tables import ALERT, DELIVERY


class AlertStore(Database):
    """Alerts and their deliveries."""

    def open_alerts(self) -> list[AlertRecord]:
        """Alerts whose condition has not been resolved."""
        with self._read() as conn:
            rows = conn.execute(
                select(ALERT).where(ALERT.c.resolved.is_(None)).order_by(ALERT.c.id)
            )
            return [_alert(r) for r in rows.mappings()]

    def alerts(self, limit: int = 100) -> list[tuple[AlertRecord, list[Delivery]]]:
        """The latest alerts with their deliveries, newest first."""
        with self._read() as conn:
            rows = [_alert(r) for r in conn.execute(
                select(ALERT).order_by(ALERT.c.id.desc()).limit(limit)).mappings()]  # fmt: skip
            ds = [
                _delivery(r)
                for r in conn.execute(select(DELIVERY).order_by(DELIVERY.c.id)).mappings()
            ]
        return [(a, [d for d in ds if d.alert_id == a.id]) for a in rows]

    def open_alert(self, c: Condition, now: datetime) -> AlertRecord:
        """Record a newly alerted condition."""
        values: dict[str, Any] = {"subject": c.subject, "condition": c.condition, "evidence": c.evidence,
                                  "title": c.title, "body": c.body, "opened": now, "last_sent": now}  # fmt: skip
        with self._write() as conn:
            new_id = conn.execute(ALERT.insert().values(values).returning(ALERT.c.id)).scalar_one()
        return AlertRecord(id=new_id, **values)

    def touch_alert(self, alert_id: int, now: datetime) -> None:
        """A reminder went out."""
        with self._write() as conn:
            conn.execute(ALERT.update().where(ALERT.c.id == alert_id).values(last_sent=now))

    def resolve_alert(self, alert_id: int, now: datetime) -> None:
        """The condition no longer holds."""
        with self._write() as conn:
            conn.execute(ALERT.update().where(ALERT.c.id == alert_id).values(resolved=now))

    def add_delivery(self, alert_id: int, kind: str, channel: str, title: str, body: str,
                     now: datetime) -> None:  # fmt: skip
        """Queue one message for one channel."""
        with self._write() as conn:
            conn.execute(DELIVERY.insert().values(alert_id=alert_id, kind=kind, channel=channel,
                                                  title=title, body=body, created=now))  # fmt: skip

    def pending_deliveries(self) -> list[Delivery]:
        """Messages not delivered yet, oldest first."""
        stmt = select(DELIVERY).where(DELIVERY.c.delivered.is_(None)).order_by(DELIVERY.c.id)
        with self._read() as conn:
            return [_delivery(r) for r in conn.execute(stmt).mappings()]

    def mark_delivery(self, delivery_id: int, now: datetime, error: str | None) -> None:
        """Record an attempt: delivered when ``error`` is None."""
        values: dict[str, Any] = {"attempts": DELIVERY.c.attempts + 1, "last_error": error or ""}
        if error is None:
            values["delivered"] = now
        with self._write() as conn:
            conn.execute(DELIVERY.update().where(DELIVERY.c.id == delivery_id).values(values))


def _alert(r: Mapping[Any, Any]) -> AlertRecord:
    return AlertRecord(r["id"], r["subject"], r["condition"], r["evidence"], r["title"], r["body"],
                       utc(r["opened"]), utc(r["last_sent"]), utc(r["resolved"]) if r["resolved"] else None)  # fmt: skip


def _delivery(r: Mapping[Any, Any]) -> Delivery:
    return Delivery(r["id"], r["alert_id"], r["kind"], r["channel"], r["title"], r["body"], utc(r["created"]),
                    utc(r["delivered"]) if r["delivered"] else None, r["attempts"], r["last_error"])  # fmt: skip
