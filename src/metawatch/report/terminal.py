"""The terminal: the scan's progress display, the status table fitted to the window, colour for
states. The only importer of rich. Colour and live display only on a terminal: none into a pipe
or a file, none with NO_COLOR (https://no-color.org), no progress with --quiet."""

from __future__ import annotations

import os
import sys
import threading
from collections.abc import Callable, Sequence
from pathlib import Path
from types import TracebackType
from typing import TextIO

from rich import box
from rich.console import Console
from rich.padding import Padding
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    ProgressColumn,
    SpinnerColumn,
    Task,
    TaskID,
    TextColumn,
    TimeRemainingColumn,
)
from rich.table import Column, Table
from rich.text import Text

from metawatch.models import AccountStatus, State
from metawatch.report import STATUS_HEADERS, safe, status_rows, table
from metawatch.report.view import STATE_LABEL, Card, Overview

STATE_STYLE = {
    State.PROTECTED: "green",
    State.UNPROTECTED: "bold red",
    State.REJECTED: "bold red",
    State.PENDING: "yellow",
    State.NEEDS_REVIEW: "yellow",
    State.UNKNOWN: "dim",
    State.NOT_APPLICABLE: "dim",
}
DELAY = 0.5  # seconds before the progress display appears: a quick scan shows none


def is_tty(stream: TextIO) -> bool:
    """Whether a person is watching this stream (a terminal that can redraw)."""
    try:
        return stream.isatty() and os.environ.get("TERM", "") not in ("dumb", "unknown")
    except ValueError:  # a closed stream
        return False


def console(stream: TextIO, width: int | None = None) -> Console:
    """A rich console on ``stream``; no colour with NO_COLOR or when it is not a terminal."""
    plain = os.environ.get("NO_COLOR", "") != "" or not is_tty(stream)
    return Console(file=stream, width=width, highlight=False, emoji=False,
                   **({"color_system": None} if plain else {}))  # type: ignore[arg-type]  # fmt: skip


# -- status ----------------------------------------------------------------------------------


def status_table(
    statuses: Sequence[AccountStatus], forms: dict[str, str], wide: bool, stream: TextIO
) -> str:
    """The status table for ``stream``: on a terminal fitted to its width (or, ``wide``, whole)
    with coloured states; into a pipe or file, plain full rows."""
    rows = [[safe(c) for c in row] for row in status_rows(statuses, forms)]
    if not is_tty(stream):
        return table(STATUS_HEADERS, rows)
    # --wide: every column at its natural width; the terminal wraps what is too long.
    out = console(stream, width=100_000 if wide else None)
    drop = () if wide else ("evidence",) if out.width < WIDE else ()
    narrow = not wide and out.width < NARROW
    headers = ("id", "account", "state", "next step") if narrow else STATUS_HEADERS
    grid = Table(box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False, collapse_padding=True,
                 header_style="bold")  # fmt: skip
    for h in (h for h in headers if h not in drop):
        grid.add_column(h.upper(), **({} if wide else _COLUMN.get(h, {})))  # type: ignore[arg-type]
    for s, row in zip(statuses, rows, strict=True):
        state = Text(row[4], STATE_STYLE[s.state])
        if narrow:  # platform, handle and addresses in one cell; since and evidence left out
            grid.add_row(
                row[0], f"{row[1]} {row[3]}\n{row[2]}".replace(" -\n", "\n"), state, row[7]
            )
        else:
            cells: list[str | Text] = [*row[:4], state, *row[5:]]
            grid.add_row(*(c for h, c in zip(headers, cells, strict=True) if h not in drop))
    with out.capture() as captured:
        out.print(grid)
    return "\n".join(line.rstrip() for line in captured.get().rstrip("\n").split("\n"))


NARROW = 110  # below this many columns: four columns, the account's facts in one
WIDE = 150  # below this, the evidence column is left out
_COLUMN = {  # how each column gives way when the window is narrow
    "id": {"justify": "right", "no_wrap": True},
    "platform": {"no_wrap": True},
    "address": {"overflow": "fold", "min_width": 12},
    "account": {"overflow": "fold", "min_width": 12},
    "handle": {"overflow": "fold", "min_width": 8},
    "state": {"min_width": 14},  # the longest state, not_applicable, stays whole
    "since": {"no_wrap": True},
    "evidence": {"no_wrap": True},
    "next step": {"overflow": "fold", "ratio": 1, "min_width": 16},
}


# -- scan progress ---------------------------------------------------------------------------


class _Rate(ProgressColumn):
    """Mails per second."""

    def render(self, task: Task) -> Text:
        """The current rate, once there is one."""
        return Text(f"{task.speed:,.0f} mails/s" if task.speed else "", style="progress.data.speed")


class ScanProgress:
    """A live display on stderr (pipeline.Progress): per mailbox its folder, mails done of total
    and the rate. It appears only when the scan takes longer than DELAY, and is cleared at the end,
    so the summary and alerts stay as they were. Thread-safe (mailboxes are scanned in parallel)."""

    def __init__(self, stream: TextIO, delay: float | None = None) -> None:
        self._progress = Progress(
            SpinnerColumn(),
            TextColumn("[bold]{task.fields[mailbox]}",
                       table_column=Column(max_width=32, no_wrap=True, overflow="ellipsis")),
            TextColumn("{task.fields[folder]}",
                       table_column=Column(max_width=24, no_wrap=True, overflow="ellipsis")),
            BarColumn(bar_width=None),
            MofNCompleteColumn(),
            _Rate(),
            TimeRemainingColumn(),
            console=console(stream), transient=True, redirect_stdout=False, expand=True,
        )  # fmt: skip
        self._tasks: dict[str, TaskID] = {}
        self._lock = threading.Lock()
        self._timer = threading.Timer(DELAY if delay is None else delay, self._show)
        self._timer.daemon = True
        self._shown = False
        self._paused = 0
        self._closed = False

    def __enter__(self) -> ScanProgress:
        self._timer.start()
        return self

    def __exit__(self, *exc: type[BaseException] | BaseException | TracebackType | None) -> None:
        self._timer.cancel()
        with self._lock:
            self._closed = True  # a timer that fired just now must not start it any more
            if self._shown:
                self._progress.stop()

    def _show(self) -> None:
        with self._lock:
            if not self._shown and not self._paused and not self._closed:
                self._shown = True
                self._progress.start()

    def asking(self, prompt: Callable[[str], str]) -> Callable[[str], str]:
        """``prompt`` with the display out of the way while it asks (for a password)."""

        def ask(text: str) -> str:
            with self._lock:
                self._paused += 1
                if self._shown:
                    self._progress.stop()
            try:
                return prompt(text)
            finally:
                with self._lock:
                    self._paused -= 1
                    if self._shown and not self._paused and not self._closed:
                        self._progress.start()

        return ask

    def folder(self, source: str, folder: str, total: int | None) -> None:
        """A mailbox or one of its folders starts: a fresh count and rate."""
        mailbox, where = _short(source), safe(folder) or ("…" if total is None else "")
        with self._lock:
            task = self._tasks.get(source)
            if task is None:
                self._tasks[source] = self._progress.add_task(
                    "", total=total, mailbox=mailbox, folder=where
                )
            else:
                self._progress.reset(task, total=total, mailbox=mailbox, folder=where)

    def advance(self, source: str, done: int) -> None:
        """More mails of the current folder are done."""
        if done and (task := self._tasks.get(source)) is not None:
            self._progress.advance(task, done)


class _NoProgress:
    """Nothing to show: not a terminal, or --quiet."""

    def __enter__(self) -> _NoProgress:
        return self

    def __exit__(self, *exc: object) -> None:
        return None

    def folder(self, source: str, folder: str, total: int | None) -> None:
        """Nothing to show."""

    def advance(self, source: str, done: int) -> None:
        """Nothing to show."""

    def asking(self, prompt: Callable[[str], str]) -> Callable[[str], str]:
        """``prompt`` as it is."""
        return prompt


def scan_progress(quiet: bool, stream: TextIO | None = None) -> ScanProgress | _NoProgress:
    """The progress display for a scan: on a terminal unless quiet; otherwise nothing at all."""
    stream = stream or sys.stderr
    return _NoProgress() if quiet or not is_tty(stream) else ScanProgress(stream)


def _short(source: str) -> str:
    """A mailbox's name, or the last part of a path."""
    return safe(Path(source).name or source) if source.startswith("/") else safe(source)


# -- the report ------------------------------------------------------------------------------


def report_text(o: Overview, stream: TextIO) -> str:
    """The report for a terminal (wrapped to its width, states coloured) or a pipe (one line per
    fact, unwrapped): the summary, then each account with its mails."""
    tty = is_tty(stream)
    out = console(stream) if tty else Console(file=stream, color_system=None, soft_wrap=True)
    total = sum(n for _, n in o.counts)
    lines: list[tuple[int, Text]] = [
        (0, Text.assemble(("metawatch report", "bold"), f" of {o.created:%Y-%m-%d %H:%M} UTC")),
        (0, Text(f"{o.protected} of {total} accounts protected, {o.to_do} need something done")),
        (0, Text(f"next deadline: {safe(o.deadline)}")),
    ]
    for g in o.groups:
        lines.append((0, Text()))
        indent = 2 if len(g.cards) > 1 else 0
        if indent:
            ids = ", ".join(f"#{c.status.account.id}" for c in g.cards)
            lines.append((0, Text(f"One Accounts Center ({ids}): one accepted objection covers "
                                  "them all", "bold")))  # fmt: skip
        for i, c in enumerate(g.cards):
            lines += ([(0, Text())] if i else []) + [(indent + n, t) for n, t in _card_lines(c)]
    with out.capture() as captured:
        for n, text in lines:
            out.print(Padding(text, (0, 0, 0, n)) if tty else Text(" " * n) + text)
    return "\n".join(line.rstrip() for line in captured.get().rstrip("\n").split("\n"))


def _card_lines(c: Card) -> list[tuple[int, Text]]:
    """One account: title and state, then (indented) who, why, warnings, next step, its mails."""
    a = c.status.account
    who = " · ".join(x for x in (", ".join(a.emails), f"account #{a.id}",
                                  "found in mail" if a.discovered else "") if x)  # fmt: skip
    state = (STATE_LABEL[c.state].upper(), STATE_STYLE[c.state])
    lines = [(0, Text.assemble((safe(c.title), "bold"), "  ", state)), (2, Text(safe(who)))]
    lines += [(2, Text(safe(w))) for w in c.why]
    lines += [(2, Text.assemble(("warning: ", "bold red"), safe(w))) for w in c.warnings]
    lines.append((2, Text.assemble(("next step: ", "bold"), safe(c.next_step))))
    for e in c.events:
        ref = f", #{e.ref}" if e.ref.isdigit() else ""
        verdict = f" ({e.verdict}{ref})" if e.verdict else ""
        subject = f' "{safe(e.subject)}"' if e.subject else ""
        style = "red" if e.marker == "fake" else ""
        lines.append((4, Text(f"{e.when:%Y-%m-%d}  {safe(e.what)}{subject}{verdict}", style)))
    return lines
