"""Meta's notice waves: which wave a date belongs to, and what that means. Pure functions."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from metawatch.rules import Wave


def wave_of(day: date, waves: Sequence[Wave]) -> Wave | None:
    """The latest wave whose notices had started by ``day``."""
    started = [w for w in waves if w.notices_from <= day]
    return max(started, key=lambda w: w.notices_from) if started else None


def objection_note(objected: date, waves: Sequence[Wave]) -> str:
    """'objected before training began (2025 wave)' or after, for a confirmation date."""
    wave = wave_of(objected, waves)
    if wave is None:
        return ""
    when = "before" if objected < wave.training_from else "after"
    extra = "" if when == "before" else ": it covers only content from then on"
    return f"objected {when} training began ({wave.name}){extra}"


def deadline_note(today: date, waves: Sequence[Wave]) -> str:
    """Days left to the current wave's deadline, or that it has passed."""
    wave = wave_of(today, waves)
    if wave is None:
        return ""
    days = (wave.deadline - today).days
    if days >= 0:
        return f"{days} days left to object before training starts ({wave.name}, deadline {wave.deadline})"
    return f"deadline of the {wave.name} passed on {wave.deadline}: an objection now covers only future content"
