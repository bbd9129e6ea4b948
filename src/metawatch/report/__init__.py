"""Renderings of results for people (aligned tables) and programs (JSON); all text made safe."""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from metawatch.models import (
    AccountStatus,
    AlertRecord,
    Classification,
    Delivery,
    Mail,
    MessageRecord,
)
from metawatch.status import next_step

# C0/C1 control characters (ESC starts ANSI sequences), line and paragraph separators, bidi overrides.
_UNSAFE = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]+")


def safe(value: object) -> str:
    """One line of text that cannot move the cursor, recolour or reorder the terminal."""
    return clean(value).strip()


def clean(value: object) -> str:
    """``safe`` without trimming: for pieces of a line whose spaces matter."""
    return _UNSAFE.sub(" ", "" if value is None else str(value))


def day(value: datetime | None) -> str:
    """A date as YYYY-MM-DD, or '-'."""
    return value.strftime("%Y-%m-%d") if value else "-"


def table(
    headers: Sequence[str], rows: Sequence[Sequence[object]], widths: dict[int, int] | None = None
) -> str:
    """Left-aligned columns separated by two spaces; long cells cut at ``widths[i]``."""
    cells = [[safe(c) for c in row] for row in rows]
    for i, limit in (widths or {}).items():
        for row in cells:
            if len(row[i]) > limit:
                row[i] = row[i][: limit - 1] + "…"
    sizes = [
        max(len(h), *(len(r[i]) for r in cells)) if cells else len(h) for i, h in enumerate(headers)
    ]
    lines = ["  ".join(h.upper().ljust(w) for h, w in zip(headers, sizes, strict=True)).rstrip()]
    lines += ["  ".join(c.ljust(w) for c, w in zip(r, sizes, strict=True)).rstrip() for r in cells]
    return "\n".join(lines)


def status_rows(statuses: Sequence[AccountStatus], forms: dict[str, str]) -> list[list[object]]:
    """Rows of the status table."""
    rows: list[list[object]] = []
    for s in statuses:
        a = s.account
        state = s.state.value + (" (suspected fake mail)" if s.suspected_fake else "")
        evidence = f"#{s.evidence.ref} {s.evidence.kind.value}" if s.evidence else "-"
        rows.append(
            [
                a.id,
                a.platform.value,
                ", ".join(a.emails),
                a.handle or a.label or "-",
                state,
                day(s.since),
                evidence,
                next_step(s, forms.get(a.platform.value)),
            ]
        )
    return rows


STATUS_HEADERS = ("id", "platform", "address", "handle", "state", "since", "evidence", "next step")


def status_json(s: AccountStatus, forms: dict[str, str]) -> dict[str, Any]:
    """One account's status as a JSON object."""
    a = s.account
    return {
        "account": a.id,
        "platform": a.platform.value,
        "emails": list(a.emails),
        "handle": a.handle,
        "label": a.label,
        "discovered": a.discovered,
        "state": s.state.value,
        "since": s.since.isoformat() if s.since else None,
        "evidence": {
            "message": int(s.evidence.ref) if s.evidence.ref.isdigit() else s.evidence.ref,
            "kind": s.evidence.kind.value,
            "authenticity": s.evidence.authenticity.value,
            "subject": s.evidence.subject,
            "source": s.evidence.source,
        }
        if s.evidence
        else None,
        "objection_link": s.objection_link or forms.get(a.platform.value),
        "suspected_fake": [int(e.ref) if e.ref.isdigit() else e.ref for e in s.suspected_fake],
        "note": s.note,
        "next_step": next_step(s, forms.get(a.platform.value)),
    }


def classification_json(name: str, mail: Mail, r: Classification) -> dict[str, Any]:
    """The ``classify --json`` object of one file."""
    return {
        "file": name,
        "kind": r.kind.value,
        "platform": r.platform.value if r.platform else None,
        "language": r.language,
        "rule": r.rule,
        "rules_version": r.rules_version,
        "recipient": r.recipients[0] if r.recipients else None,
        "recipients": list(r.recipients),
        "handle": r.handle,
        "message_id": mail.message_id or None,
        "date": mail.date.isoformat() if mail.date else None,
        "sender": mail.from_addr or None,
        "subject": mail.subject,
        "authenticity": r.authenticity.value,
        "auth_reason": r.auth.reason,
        "provider": r.auth.provider or None,
        "forwarded": r.forwarded,
        "objection_link": r.objection_link,
        "cues": [{"group": c.group, "text": c.text} for c in r.cues],
        "error": mail.error,
    }


def message_json(m: MessageRecord) -> dict[str, Any]:
    """A stored message as a JSON object."""
    return {
        "id": m.id,
        "date": m.date.isoformat() if m.date else None,
        "kind": m.kind.value,
        "platform": m.platform.value if m.platform else None,
        "language": m.language,
        "account": m.account_id,
        "sender": m.sender,
        "recipients": list(m.recipients),
        "subject": m.subject,
        "rule": m.rule,
        "rules_version": m.rules_version,
        "authenticity": m.authenticity.value,
        "forwarded": m.forwarded,
        "handle": m.handle,
        "message_id": m.message_id,
        "sha256": m.sha256,
        "source": m.source_key,
        "objection_link": m.objection_link,
        "evidence": m.evidence,
        "error": m.error,
    }


def message_rows(records: Sequence[MessageRecord]) -> list[list[object]]:
    """Rows of the messages table."""
    return [
        [
            m.id,
            day(m.date),
            m.kind.value,
            m.platform.value if m.platform else "-",
            m.language or "-",
            m.account_id or "-",
            m.authenticity.value,
            m.subject,
        ]
        for m in records
    ]


MESSAGE_HEADERS = ("id", "date", "kind", "platform", "lang", "account", "auth", "subject")


ALERT_HEADERS = ("id", "opened", "subject", "condition", "state", "title", "deliveries")


def alert_rows(rows: Sequence[tuple[AlertRecord, list[Delivery]]]) -> list[list[object]]:
    """Rows of `alerts list`: one per alert, deliveries summarised."""
    out: list[list[object]] = []
    for a, deliveries in rows:
        state = f"resolved {day(a.resolved)}" if a.resolved else "open"
        sent = ", ".join(
            f"{d.kind}→{d.channel}:{'ok' if d.delivered else 'pending'}" for d in deliveries
        )
        out.append([a.id, day(a.opened), a.subject, a.condition, state, a.title, sent or "-"])
    return out


def alert_json(a: AlertRecord, deliveries: Sequence[Delivery]) -> dict[str, Any]:
    """An alert and its deliveries as JSON."""
    return {
        "id": a.id, "subject": a.subject, "condition": a.condition, "evidence": a.evidence,
        "title": a.title, "body": a.body, "opened": a.opened.isoformat(),
        "last_sent": a.last_sent.isoformat(), "resolved": a.resolved.isoformat() if a.resolved else None,
        "deliveries": [{"kind": d.kind, "channel": d.channel, "created": d.created.isoformat(),
                        "delivered": d.delivered.isoformat() if d.delivered else None,
                        "attempts": d.attempts, "last_error": d.last_error} for d in deliveries],
    }  # fmt: skip
