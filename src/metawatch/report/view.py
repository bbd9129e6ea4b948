"""What the report shows, before any markup: a summary, and per account its state, why, the next
step and a timeline. Pure functions: the HTML and terminal renderings share them."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from metawatch.models import (
    AI_KINDS,
    AccountStatus,
    Authenticity,
    Evidence,
    Kind,
    MessageRecord,
    State,
)
from metawatch.rules import Wave
from metawatch.status import CRITICAL, WARNING, next_step

# Worst first: the accounts that need something done open the report.
RANK = {State.UNPROTECTED: 0, State.REJECTED: 0, State.NEEDS_REVIEW: 1, State.PENDING: 1,
        State.UNKNOWN: 2, State.PROTECTED: 3, State.NOT_APPLICABLE: 4}  # fmt: skip

STATE_LABEL = {
    State.PROTECTED: "protected",
    State.UNPROTECTED: "unprotected",
    State.REJECTED: "rejected",
    State.PENDING: "pending",
    State.NEEDS_REVIEW: "needs review",
    State.UNKNOWN: "unknown",
    State.NOT_APPLICABLE: "not applicable",
}

# Timeline lanes: what Meta announced, what you did, what Meta answered.
LANES = ("notice", "objection", "answer")
_EVENT = {  # kind -> (lane, marker, words)
    Kind.POLICY_NOTICE: ("notice", "notice", "Meta's AI-training notice"),
    Kind.VERIFICATION_CODE: ("objection", "code", "verification code (objection started)"),
    Kind.OBJECTION_ACCEPTED: ("answer", "accepted", "objection accepted"),
    Kind.OBJECTION_REJECTED: ("answer", "rejected", "objection rejected, or more information asked"),
    Kind.OBJECTION_ANSWER_UNCLEAR: ("answer", "unclear", "Meta's answer, its decision unread"),
}  # fmt: skip
VERDICT = {
    Authenticity.PASS: "sender verified",
    Authenticity.NONE: "sender not verified",
    Authenticity.FAIL: "sender failed authentication: suspected fake",
}


@dataclass(frozen=True)
class Event:
    """One dated point on an account's timeline: a mail or a manual confirmation."""

    when: datetime
    lane: str  # one of LANES
    marker: str  # notice, code, accepted, rejected, manual, fake
    what: str
    subject: str = ""
    sender: str = ""
    verdict: str = ""
    ref: str = ""  # the stored message id, for `metawatch explain`


@dataclass(frozen=True)
class Card:
    """One account as the report shows it."""

    status: AccountStatus
    title: str
    why: tuple[str, ...]
    warnings: tuple[str, ...]
    next_step: str
    link: str | None  # the objection form, when the next step is to object
    events: tuple[Event, ...]

    @property
    def state(self) -> State:
        """The account's state."""
        return self.status.state


@dataclass(frozen=True)
class Group:
    """Accounts in one Accounts Center (one objection covers them all), or a single account."""

    cards: tuple[Card, ...]


@dataclass(frozen=True)
class Overview:
    """The whole report."""

    created: datetime
    groups: tuple[Group, ...]
    waves: tuple[Wave, ...]
    counts: tuple[tuple[State, int], ...]  # accounts per state, states that occur only
    protected: int
    to_do: int  # accounts that need something done
    deadline: str  # the next deadline, in words
    axis: tuple[
        tuple[date, date], ...
    ]  # the timelines' common axis: stretches with something on them

    @property
    def cards(self) -> tuple[Card, ...]:
        """Every card, in report order."""
        return tuple(c for g in self.groups for c in g.cards)


def needs_action(s: AccountStatus) -> bool:
    """Whether the user has something to do about an account."""
    return s.state in CRITICAL or s.state in WARNING or bool(s.suspected_fake)


def build(
    statuses: Sequence[AccountStatus],
    records: Sequence[MessageRecord],
    manual: Sequence[Evidence],
    links: Sequence[tuple[int, int]],
    waves: Sequence[Wave],
    now: datetime,
    forms: dict[str, str],
) -> Overview:
    """Assemble the report from what the store knows and the evaluated states."""
    events: dict[int, list[Event]] = {}
    for r in records:
        if r.kind in AI_KINDS and r.account_id is not None:
            events.setdefault(r.account_id, []).append(mail_event(r))
    for e in manual:
        if e.account_id is not None:
            events.setdefault(e.account_id, []).append(
                Event(e.date, "objection", "manual", "objection confirmed in the app", ref=e.ref)
            )  # fmt: skip
    cards = {s.account.id: card(s, events.get(s.account.id, []), forms) for s in statuses}
    groups = [Group(tuple(cards[i] for i in sorted(g))) for g in _components(cards, links)]
    groups.sort(key=lambda g: (min(RANK[c.state] for c in g.cards), g.cards[0].status.account.id))
    counts = tuple((st, n) for st in State if (n := sum(1 for s in statuses if s.state is st)))
    return Overview(
        created=now,
        groups=tuple(groups),
        waves=tuple(waves),
        counts=counts,
        protected=sum(1 for s in statuses if s.state is State.PROTECTED),
        to_do=sum(1 for s in statuses if needs_action(s)),
        deadline=deadline_words(now.date(), waves),
        axis=axis([e.when.date() for es in events.values() for e in es], waves),
    )


def mail_event(r: MessageRecord) -> Event:
    """A stored AI-related mail as a timeline event; a failed sender check marks it a fake."""
    lane, marker, what = _EVENT[r.kind]
    if r.authenticity is Authenticity.FAIL:
        marker, what = "fake", f"claims: {what}"
    when = r.date or datetime(1970, 1, 1, tzinfo=UTC)
    return Event(when, lane, marker, what, r.subject, r.sender, VERDICT[r.authenticity], str(r.id))


def card(s: AccountStatus, events: Sequence[Event], forms: dict[str, str]) -> Card:
    """One account's card: title, why, warnings, next step, its events in date order."""
    a = s.account
    who = a.handle or a.label or (a.emails[0] if a.emails else "")
    title = f"{a.platform.value.capitalize()} · {who}" if who else a.platform.value.capitalize()
    link = s.objection_link or forms.get(a.platform.value)
    warnings = tuple(
        f"A mail of {f.date:%Y-%m-%d} claims to come from Meta about your objection, but its "
        f"sender failed authentication (message #{f.ref}): do not trust it."
        for f in s.suspected_fake
    )
    return Card(
        status=s,
        title=title,
        why=tuple(x for x in (why(s), s.note) if x),
        warnings=warnings,
        next_step=next_step(s, forms.get(a.platform.value)),
        link=link if s.state in (State.UNPROTECTED, State.REJECTED, State.UNKNOWN) else None,
        events=tuple(sorted(events, key=lambda e: e.when)),
    )


def why(s: AccountStatus) -> str:
    """Why the account is in its state, in one sentence."""
    e = s.evidence
    d = f"{e.date:%Y-%m-%d}" if e else "?"
    if s.state is State.PROTECTED and e:
        if e.source == "manual":
            return f"You recorded an objection confirmed in the app on {d} ({e.ref})."
        if e.source.startswith("linked account"):
            return f"Covered by the confirmation of {e.source} of {d}: same Accounts Center."
        verified = (
            "sender verified"
            if e.authenticity is Authenticity.PASS
            else "sender not verified, accepted by your settings"
        )
        return f"Meta confirmed the objection on {d} ({verified})."
    if s.state is State.NEEDS_REVIEW and e and e.kind is Kind.OBJECTION_ANSWER_UNCLEAR:
        return f"Meta answered your objection on {d}, and metawatch could not read the decision: read it."
    return {
        State.UNPROTECTED: f"Meta's notice of {d} says it will train its AI on this account's data, and no accepted objection has been seen.",
        State.REJECTED: f"Meta's answer of {d} refuses the objection or asks for more information.",
        State.PENDING: f"A verification code of the objection arrived on {d}; Meta has not decided yet.",
        State.NEEDS_REVIEW: f"A confirmation arrived on {d}, but its sender could not be verified.",
        State.UNKNOWN: "No AI-related mail from Meta has been seen for this account.",
        State.NOT_APPLICABLE: "Meta offers no AI objection for WhatsApp.",
    }.get(s.state, "")  # fmt: skip


def deadline_words(today: date, waves: Sequence[Wave]) -> str:
    """The next objection deadline, or that none is announced."""
    upcoming = sorted((w for w in waves if w.deadline >= today), key=lambda w: w.deadline)
    if upcoming:
        w = upcoming[0]
        return f"{w.deadline} ({w.id} wave): {(w.deadline - today).days} days left"
    if not waves:
        return "none known"
    last = max(waves, key=lambda w: w.deadline)
    return f"none announced; the last ({last.id} wave) passed on {last.deadline}"


def _components(cards: dict[int, Card], links: Sequence[tuple[int, int]]) -> list[set[int]]:
    """Accounts Center groups: linking is transitive; accounts no longer there are left out."""
    group = {i: {i} for i in cards}
    for a, b in links:
        if a in group and b in group and group[a] is not group[b]:
            merged = group[a] | group[b]
            for i in merged:
                group[i] = merged
    unique = {id(g): g for g in group.values()}
    return list(unique.values())


def axis(
    days: Sequence[date], waves: Sequence[Wave], pad: int = 12, gap: int = 45
) -> tuple[tuple[date, date], ...]:
    """The stretches of time worth drawing: each wave and each event with a little room around
    it; stretches closer than ``gap`` days are merged, the quiet months between them left out."""
    room = timedelta(days=pad)
    ranges = sorted([(w.notices_from - room, w.training_from + room) for w in waves]
                    + [(d - room, d + room) for d in days if d.year > 1970])  # fmt: skip
    merged: list[tuple[date, date]] = []
    for lo, hi in ranges:
        if merged and (lo - merged[-1][1]).days <= gap:
            merged[-1] = (merged[-1][0], max(hi, merged[-1][1]))
        else:
            merged.append((lo, hi))
    return tuple(merged)
