"""The terminal: status fitted to the window with coloured states, plain into a pipe and with
NO_COLOR; a progress display during a scan on a terminal, and nothing without one or with -q."""

from __future__ import annotations

import fcntl
import json
import os
import pty
import re
import struct
import subprocess
import sys
import termios
import threading
from collections.abc import Callable
from pathlib import Path

import pytest

from metawatch.classify import Classifier
from metawatch.pipeline import Scanner
from metawatch.report import terminal
from metawatch.sources.files import FileSource

from .conftest import SAMPLES, Result
from .dovecot import Dovecot

Run = Callable[..., Result]
ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")
URL = "https://help.instagram.com/contact/767264225370182"


def on_terminal(db: Path, *args: str, cols: int = 80, **env: str) -> str:
    """Run metawatch on a pseudo-terminal of ``cols`` columns; what appeared on it."""
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 50, cols, 0, 0))
    clean = {k: v for k, v in os.environ.items()
             if k not in ("COLUMNS", "LINES", "NO_COLOR", "FORCE_COLOR", "TTY_COMPATIBLE")}  # fmt: skip
    proc = subprocess.Popen([sys.executable, "-m", "metawatch", "--db", str(db), *args],
                            stdin=slave, stdout=slave, stderr=slave,
                            env={**clean, "TERM": "xterm-256color", **env})  # fmt: skip
    os.close(slave)
    out = _drain(master)
    proc.wait()
    return out


def _drain(master: int) -> str:
    chunks = []
    while True:
        try:
            chunk = os.read(master, 65536)
        except OSError:  # EIO: the other side is closed
            break
        if not chunk:
            break
        chunks.append(chunk)
    os.close(master)
    return b"".join(chunks).decode().replace("\r\n", "\n")


@pytest.fixture(scope="module")
def scanned(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A database of the sample mails, shared by the tests that only read it."""
    db = tmp_path_factory.mktemp("terminal") / "m.db"
    scan = [sys.executable, "-m", "metawatch", "--db", str(db), "scan", "-q", str(SAMPLES)]
    assert subprocess.run(scan, capture_output=True, check=False).returncode == 0
    return db


def states(db: Path) -> set[str]:
    """The states of the accounts in a database, as `status --json` gives them."""
    status = [sys.executable, "-m", "metawatch", "--db", str(db), "status", "--json"]
    out = subprocess.run(status, capture_output=True, text=True, check=False).stdout
    return {a["state"] for a in json.loads(out)}


@pytest.mark.parametrize("cols", [60, 80, 120, 200])
def test_status_fits_the_terminal_and_colours_states(scanned: Path, cols: int) -> None:
    out = on_terminal(scanned, "status", cols=cols)
    lines = out.rstrip("\n").split("\n")
    assert max(len(ANSI.sub("", line)) for line in lines) <= cols
    assert "\x1b[" in out and re.search(r"\x1b\[[0-9;]*31m\s*unprotected", out)  # red
    assert re.search(r"\x1b\[[0-9;]*32m\s*protected", out)  # green
    visible = ANSI.sub("", out)
    assert {int(m) for m in re.findall(r"^ ?(\d+) ", visible, re.M)} == set(range(1, 20))
    for state in states(scanned):
        assert re.search(rf"\b{state}\b", visible), state


def test_status_wide_shows_every_column_whole(scanned: Path) -> None:
    out = ANSI.sub("", on_terminal(scanned, "status", "--wide", cols=80))
    assert "EVIDENCE" in out and re.search(r"#\d+ objection_rejected", out)
    assert any(URL in line and "lukas_klettert" in line for line in out.split("\n"))


def test_no_colour_with_no_color(scanned: Path) -> None:
    out = on_terminal(scanned, "status", cols=100, NO_COLOR="1")
    assert "\x1b" not in out and "unprotected" in out


def test_into_a_pipe_whole_rows_without_colour(run: Run, scanned: Path) -> None:
    out = run("--db", str(scanned), "status", use_db=False).out
    assert "\x1b" not in out
    rows = out.splitlines()
    assert rows[0].split() == [
        "ID",
        "PLATFORM",
        "ADDRESS",
        "HANDLE",
        "STATE",
        "SINCE",
        "EVIDENCE",
        "NEXT",
        "STEP",
    ]
    assert any(URL in r and "lukas_klettert" in r for r in rows)  # one line per account, uncut
    assert re.search(r"complain to your data-protection authority$", out, re.M)  # not cut short


def test_status_json_is_unchanged_on_a_terminal(run: Run, scanned: Path) -> None:
    out = on_terminal(scanned, "status", "--json", cols=40)
    assert out.strip() == run("--db", str(scanned), "status", "--json", use_db=False).out.strip()


# -- progress --------------------------------------------------------------------------------


class TerminalStderr:
    """stderr on a pseudo-terminal, the progress display without its delay. Attached inside the
    test: pytest's capture puts its own stderr back between fixture setup and the test."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.monkeypatch = monkeypatch
        master, slave = pty.openpty()
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 40, 120, 0, 0))
        self.stream = open(slave, "w", encoding="utf-8", buffering=1)  # noqa: SIM115
        self.result: list[str] = []
        self.reader = threading.Thread(target=lambda: self.result.append(_drain(master)))
        self.reader.start()

    def attach(self) -> None:
        """From now on stderr is the terminal."""
        self.monkeypatch.setattr(sys, "stderr", self.stream)
        self.monkeypatch.setattr(terminal, "DELAY", 0.0)
        self.monkeypatch.setenv("TERM", "xterm-256color")
        for var in ("NO_COLOR", "COLUMNS", "FORCE_COLOR", "TTY_COMPATIBLE"):
            self.monkeypatch.delenv(var, raising=False)

    def read(self) -> str:
        """Everything that appeared on the terminal."""
        self.monkeypatch.undo()
        self.stream.close()
        self.reader.join(timeout=60)
        return self.result[0]


@pytest.fixture
def tty(monkeypatch: pytest.MonkeyPatch) -> TerminalStderr:
    return TerminalStderr(monkeypatch)


def test_scan_on_a_terminal_shows_progress_then_clears_it(run: Run, tty: TerminalStderr) -> None:
    tty.attach()
    result = run("scan", str(SAMPLES))
    raw = tty.read()
    shown = ANSI.sub("", raw)
    assert "sample_mails" in shown and "100/100" in shown and "mails/s" in shown
    assert "unparseable mail" in shown  # a warning during the scan shows above the display
    assert raw.endswith("\x1b[2K") and "\x1b[?25h" in raw  # erased at the end, cursor back
    assert result.out.startswith("scanned 100 mails: 100 new")  # the summary as before


def test_scan_quiet_on_a_terminal_shows_nothing(run: Run, tty: TerminalStderr) -> None:
    tty.attach()
    result = run("scan", "-q", str(SAMPLES / "en-fb-notice-2025.eml"))
    assert result.code == 0 and tty.read() == ""


def test_scan_without_a_terminal_shows_no_progress(run: Run) -> None:
    result = run("scan", str(SAMPLES))
    assert "mails/s" not in result.err and "\x1b" not in result.err + result.out


def test_progress_counts_every_mail_of_every_folder(dovecot: Dovecot, user: str) -> None:
    """Folders announce their totals before the first fetch; the counts add up to them."""
    from .test_imap import META, sample, source

    dovecot.append(user, "INBOX", [sample(n) for n in META[:7]])
    dovecot.append(user, "Archive", [sample(n) for n in META[7:10]])
    seen = Events()
    Scanner(None, Classifier(), progress=seen).scan([source(dovecot, user, None)])
    assert seen.totals == {"INBOX": 7, "Archive": 3}
    assert seen.done == {"INBOX": 7, "Archive": 3}
    files = Events()
    Scanner(None, Classifier(), progress=files).scan([FileSource(SAMPLES)])
    assert files.totals == {"": 100} and files.done == {"": 100}


@pytest.fixture
def user(dovecot: Dovecot, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv("METAWATCH_PASSWORD", "secret-pw")
    return dovecot.new_user()


class Events:
    """A pipeline.Progress that keeps what it was told."""

    def __init__(self) -> None:
        self.totals: dict[str, int] = {}
        self.done: dict[str, int] = {}
        self.current = ""

    def folder(self, source: str, folder: str, total: int | None) -> None:
        self.current = folder
        if total is not None:
            self.totals[folder] = total

    def advance(self, source: str, done: int) -> None:
        self.done[self.current] = self.done.get(self.current, 0) + done


def test_only_the_terminal_module_imports_rich() -> None:
    src = Path(terminal.__file__).parents[1]
    importers = {p.relative_to(src).as_posix() for p in src.rglob("*.py")
                 if re.search(r"^\s*(from|import) rich\b", p.read_text("utf-8"), re.M)}  # fmt: skip
    assert importers == {"report/terminal.py"}


def test_the_display_steps_aside_for_a_password_prompt(tty: TerminalStderr) -> None:
    tty.attach()
    with terminal.ScanProgress(sys.stderr, delay=0) as progress:
        progress.folder("anna@imap.example.org", "INBOX", 10)
        progress.advance("anna@imap.example.org", 3)
        asked = progress.asking(lambda text: sys.stderr.write(f"{text}\n") and "pw")
        assert asked("Password for anna: ") == "pw"
        progress.advance("anna@imap.example.org", 4)
    shown = ANSI.sub("", tty.read())
    before, _, after = shown.partition("Password for anna: \n")
    assert "anna@imap.example.org" in before and "INBOX" in before and "3/10" in before
    assert "7/10" in after  # back after the question
