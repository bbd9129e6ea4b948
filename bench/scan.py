"""Scan benchmark against a real Dovecot: the floor, the naive way, and metawatch, side by side.

Run: python bench/scan.py [--quick] [--write bench/RESULTS.md]

It starts its own Dovecot (mdbox storage), seeds three deterministic mailboxes, and measures
1. the floor: imapclient alone — SELECT read-only, one SEARCH for Meta's sender domains, FETCH
   BODY.PEEK[] of the matches in batches of 500 — plus mail-parser parsing each fetched mail, in
   one process on one core;
2. the naive way: FETCH every message of the mailbox and parse each with mail-parser;
3. metawatch: `metawatch scan` in a new process (its database, lock, worker processes, everything),
   for the first scan, a rescan with nothing new, and a rescan after 50 new mails arrived.

The machine may be shared: the first scan is bracketed by two runs of the floor, back to back, and
its ratio is taken against their mean (after one more run of the floor that warms Dovecot's caches
and is not counted). CPU is the user + system time of every process of a run (metawatch's worker
processes included). Memory is sampled every 20 ms: the largest sum of the resident memory (RSS) of
those processes at one moment, the largest sum of their proportional set sizes (PSS: a page shared
by n processes counts 1/n in each), and in brackets the peak RSS of the main process alone.
"""

from __future__ import annotations

import argparse
import os
import platform
import random
import shutil
import ssl
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import imapclient
import mailparser

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from tests.dovecot import Dovecot, start  # noqa: E402  (the test suite's throwaway Dovecot)

META_SENDERS = [
    ("Facebook", "notification@facebookmail.com"), ("Facebook", "friendupdates@facebookmail.com"),
    ("Facebook", "security@facebookmail.com"), ("Instagram", "no-reply@mail.instagram.com"),
    ("Facebook", "groupupdates@facebookmail.com"), ("Meta", "no-reply@mail.meta.com"),
]  # fmt: skip
OTHER_SENDERS = ["newsletter@shop.example", "anna.friend@example.org", "noreply@bank.example",
                 "team@project.example", "info@travel.example"]  # fmt: skip
SEARCH = ["facebookmail.com", "instagram.com", "facebook.com", "fb.com", "meta.com", "metamail.com",
          "whatsapp.com", "threads.net"]  # fmt: skip
AI_SAMPLES = sorted(p for p in (ROOT / "sample_mails").glob("*.eml")
                    if p.name.split("-")[2:3] in (["notice"], ["accepted"]))  # fmt: skip
WORDS = ["Marktplatz", "Freund", "Gruppe", "Foto", "Kommentar", "reagiert", "Veranstaltung", "Erinnerung", "neue", "Beiträge", "friend", "posted", "photo", "memory", "group", "event", "comment", "reacted", "story", "shared"]  # fmt: skip


@dataclass
class Box:
    """One benchmark mailbox."""

    name: str
    total: int
    meta: int
    ai: int


def html_body(rng: random.Random, size: int) -> str:
    rows = []
    while sum(len(r) for r in rows) < size:
        text = " ".join(rng.choice(WORDS) for _ in range(rng.randint(8, 30)))
        rows.append(f'<tr><td style="font-family:Helvetica,Arial,sans-serif;font-size:14px;'
                    f'color:#1c1e21;padding:4px 20px">{text}</td></tr>')  # fmt: skip
    return '<html><body><table width="100%">' + "".join(rows) + "</table></body></html>"


def noise(rng: random.Random, n: int, meta: bool) -> bytes:
    """A multipart HTML, quoted-printable mail of 5–40 KB."""
    name, sender = rng.choice(META_SENDERS) if meta else ("", rng.choice(OTHER_SENDERS))
    size = rng.randint(5_000, 40_000)
    html = html_body(rng, size - 1500)
    plain = " ".join(rng.choice(WORDS) for _ in range(120))
    boundary = f"b1_{n:08x}"
    head = (f"From: {name} <{sender}>\r\nTo: anna@example.org\r\nSubject: Update {n}: "
            f"{rng.choice(WORDS)}\r\nDate: Mon, 02 Jun 2025 10:00:00 +0000\r\n"
            f"Message-ID: <bench-{n}@{sender.split('@')[1]}>\r\nMIME-Version: 1.0\r\n"
            f"Content-Type: multipart/alternative; boundary=\"{boundary}\"\r\n\r\n")  # fmt: skip
    parts = (f"--{boundary}\r\nContent-Type: text/plain; charset=UTF-8\r\n"
             f"Content-Transfer-Encoding: quoted-printable\r\n\r\n{plain}\r\n"
             f"--{boundary}\r\nContent-Type: text/html; charset=UTF-8\r\n"
             f"Content-Transfer-Encoding: quoted-printable\r\n\r\n"
             + html.replace("=", "=3D").replace("\r\n", "\n")
             + f"\r\n--{boundary}--\r\n")  # fmt: skip
    return (head + parts).encode()


def ai_mail(rng: random.Random, n: int) -> bytes:
    """A sample AI notice or confirmation with a fresh Message-ID."""
    raw = rng.choice(AI_SAMPLES).read_bytes()
    return raw.replace(b"Message-ID: <", f"Message-ID: <bench{n}.".encode(), 1)


def messages(box: Box, seed: int) -> list[tuple[int, bool]]:
    """The deterministic order of (index, is_meta) for a box."""
    rng = random.Random(seed)
    flags = [True] * box.meta + [False] * (box.total - box.meta)
    rng.shuffle(flags)
    return list(enumerate(flags))


def seed_box(server: Dovecot, user: str, box: Box, seed: int) -> None:
    rng = random.Random(seed + 1)
    ai_left = box.ai
    batch: list[bytes] = []
    with server.client(user) as c:
        for n, is_meta in messages(box, seed):
            if is_meta and ai_left and rng.random() < box.ai / box.meta * 1.5:
                batch.append(ai_mail(rng, n))
                ai_left -= 1
            else:
                batch.append(noise(rng, n, is_meta))
            if len(batch) == 100:
                c.multiappend("INBOX", batch)
                batch = []
        if batch:
            c.multiappend("INBOX", batch)


def connect(server: Dovecot, user: str) -> imapclient.IMAPClient:
    ctx = ssl.create_default_context(cafile=server.ca_file)
    client = imapclient.IMAPClient("127.0.0.1", port=server.tls_port, ssl=True, ssl_context=ctx)
    client.login(user, "secret-pw")
    return client


def floor(server: Dovecot, user: str) -> tuple[float, int, float]:
    """Wall time, number of Meta-sender mails and CPU time of the floor."""
    start_t, cpu = time.perf_counter(), time.process_time()
    with connect(server, user) as c:
        c.select_folder("INBOX", readonly=True)
        criteria: list[str] = []
        for d in SEARCH[:-1]:
            criteria += ["OR", "FROM", d]
        uids = c.search([*criteria, "FROM", SEARCH[-1]])
        for i in range(0, len(uids), 500):
            for data in c.fetch(uids[i : i + 500], [b"BODY.PEEK[]"]).values():
                mailparser.parse_from_bytes(data[b"BODY[]"])
    return time.perf_counter() - start_t, len(uids), time.process_time() - cpu


def naive(server: Dovecot, user: str) -> float:
    start_t = time.perf_counter()
    with connect(server, user) as c:
        c.select_folder("INBOX", readonly=True)
        uids = c.search("ALL")
        for i in range(0, len(uids), 500):
            for data in c.fetch(uids[i : i + 500], [b"BODY.PEEK[]"]).values():
                mailparser.parse_from_bytes(data[b"BODY[]"])
    return time.perf_counter() - start_t


@dataclass
class Run:
    """One metawatch process and its worker processes."""

    wall: float
    cpu: float  # seconds, user + system, every process
    rss: int  # bytes, the largest sum over the processes at one moment
    main_rss: int  # bytes, the main process's own peak
    code: int
    pss: int = 0  # bytes, the largest sum of proportional set sizes (shared pages split)


class Tree:
    """Samples the processes descending from one process: CPU and resident memory."""

    TICK = os.sysconf("SC_CLK_TCK")
    PAGE = os.sysconf("SC_PAGE_SIZE")

    def __init__(self, pid: int) -> None:
        self.pid, self.cpu, self.peak, self.pss = pid, dict[int, float](), 0, 0
        self.main_rss = 0  # the main process's own peak (VmHWM), as last seen alive
        self.done = threading.Event()
        self.thread = threading.Thread(target=self._watch, daemon=True)
        self.thread.start()

    def stop(self) -> None:
        self.done.set()
        self.thread.join()

    def _watch(self) -> None:
        while not self.done.wait(0.02):
            rss = pss = 0
            for pid, fields in self._members():
                self.cpu[pid] = (int(fields[11]) + int(fields[12])) / self.TICK
                rss += int(fields[21]) * self.PAGE
                pss += _pss(pid)
            self.peak, self.pss = max(self.peak, rss), max(self.pss, pss)
            self.main_rss = max(self.main_rss, _hwm(self.pid))

    def _members(self) -> list[tuple[int, list[str]]]:
        """(pid, fields of /proc/PID/stat after the name) of the process and its descendants."""
        stats: dict[int, list[str]] = {}
        for entry in os.scandir("/proc"):
            if entry.name.isdigit():
                try:
                    stat = Path(f"/proc/{entry.name}/stat").read_text()
                except OSError:
                    continue
                stats[int(entry.name)] = stat.rsplit(")", 1)[1].split()
        tree, grew = {self.pid}, True
        while grew:  # fields[1] is the parent's pid
            more = {p for p, fields in stats.items() if int(fields[1]) in tree} - tree
            tree, grew = tree | more, bool(more)
        return [(p, stats[p]) for p in tree if p in stats]


def _hwm(pid: int) -> int:
    """A process's peak resident memory so far. (``ru_maxrss`` would also count the memory of
    the benchmark itself, which the child had between its fork and its exec.)"""
    try:
        if b"metawatch" not in Path(f"/proc/{pid}/cmdline").read_bytes():
            return 0  # not exec'd yet: still the benchmark's copy
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return 0
    line = next((x for x in status.splitlines() if x.startswith("VmHWM:")), "VmHWM: 0 kB")
    return int(line.split()[1]) * 1024


def _pss(pid: int) -> int:
    """A process's proportional set size: its private pages, and its share of shared ones."""
    try:
        rollup = Path(f"/proc/{pid}/smaps_rollup").read_text()
    except OSError:
        return 0
    return next((int(ln.split()[1]) * 1024 for ln in rollup.splitlines()
                 if ln.startswith("Pss:")), 0)  # fmt: skip


def run_metawatch(args: list[str], env: dict[str, str]) -> Run:
    """One metawatch process as a user starts it, with its workers: from bytecode, as pip
    installs it (an environment that sets PYTHONDONTWRITEBYTECODE compiles every module anew)."""
    exe = shutil.which("metawatch", path=str(Path(sys.executable).parent)) or "metawatch"
    env = {k: v for k, v in env.items() if k != "PYTHONDONTWRITEBYTECODE"}
    start_t = time.perf_counter()
    proc = subprocess.Popen(
        [exe, *args], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    tree = Tree(proc.pid)
    _, status, usage = os.wait4(proc.pid, 0)
    elapsed = time.perf_counter() - start_t
    tree.stop()
    if status:
        sys.stderr.write(proc.stderr.read().decode() if proc.stderr else "")
    workers = sum(c for pid, c in tree.cpu.items() if pid != proc.pid)
    main_rss = tree.main_rss
    return Run(elapsed, usage.ru_utime + usage.ru_stime + workers, max(tree.peak, main_rss),
               main_rss, os.waitstatus_to_exitcode(status), tree.pss)  # fmt: skip


def bench_box(
    server: Dovecot, box: Box, work: Path, seed: int, baseline: Path | None = None
) -> list[list[str]]:
    user = server.new_user()
    t0 = time.perf_counter()
    seed_box(server, user, box, seed)
    print(
        f"[{box.name}] seeded {box.total:,} messages in {time.perf_counter() - t0:.1f} s",
        flush=True,
    )
    cfg = work / f"{box.name}.toml"
    cfg.write_text(f'[[mailbox]]\nname = "bench"\nhost = "127.0.0.1"\nport = {server.tls_port}\n'
                   f'username = "{user}"\nca_file = "{server.ca_file}"\npassword_env = "BENCH_PW"\n'
                   f'folders = ["INBOX"]\n')  # fmt: skip
    env = {**os.environ, "BENCH_PW": "secret-pw", "METAWATCH_CONFIG": str(cfg),
           "METAWATCH_DB": str(work / f"{box.name}.db"), "XDG_DATA_HOME": str(work)}  # fmt: skip
    version = min((run_metawatch(["--version"], env) for _ in range(3)), key=lambda r: r.wall)
    floor(server, user)  # a first reading warms Dovecot's caches: it would favour what comes after
    before = floor(server, user)
    first = run_metawatch(["scan", "-q"], env)
    after_t, matches, after_cpu = floor(server, user)  # back to back: under the same load
    floor_t, floor_cpu = (before[0] + after_t) / 2, (before[2] + after_cpu) / 2
    print(f"[{box.name}] floor {before[0]:.1f} s and {after_t:.1f} s around a first scan of "
          f"{first.wall:.1f} s, for {matches:,} Meta-sender mails", flush=True)  # fmt: skip
    other = compare(server, user, box, env, baseline, after_t) if baseline else None
    naive_t = naive(server, user)
    print(f"[{box.name}] naive {naive_t:.1f} s", flush=True)
    again = min((run_metawatch(["scan", "-q"], env) for _ in range(3)), key=lambda r: r.wall)
    report = work / f"{box.name}-report.toml"  # a report to rewrite: every scan runs in full
    report.write_text(f'report_html = "{work / "report.html"}"\n{cfg.read_text()}')
    full = {**env, "METAWATCH_CONFIG": str(report)}
    in_full = min((run_metawatch(["scan", "-q"], full) for _ in range(3)), key=lambda r: r.wall)
    rng = random.Random(seed + 2)
    server.append(user, "INBOX", [noise(rng, 20_000_000 + i, False) for i in range(50)])
    others = run_metawatch(["scan", "-q"], env)  # new mail, none of it from Meta
    server.append(user, "INBOX", [noise(rng, 10_000_000 + i, i % 2 == 0) for i in range(50)])
    later = run_metawatch(["scan", "-q"], env)
    rows = []
    for label, run, n in (("first scan", first, matches), ("rescan, nothing new", again, 0),
                          ("rescan, nothing new, in full", in_full, 0),
                          ("rescan, 50 new, none from Meta", others, 0),
                          ("rescan, 50 new", later, 25)):  # fmt: skip
        ratio = f"{run.wall / floor_t:.2f}" if n == matches else "-"
        speedup = f"{naive_t / run.wall:.1f}" if n == matches else "-"
        rate = f"{n / run.wall:,.0f}" if n else "-"
        extra = f"+{run.wall - version.wall:.2f} s over --version" if n == 0 else ""
        rows.append([box.name, label, f"{run.wall:.2f} s", f"{run.cpu:.1f} s", rate,
                     f"{run.rss / 2**20:.0f} / {run.pss / 2**20:.0f} MB ({run.main_rss / 2**20:.0f} MB)", ratio, speedup,
                     extra or ("ok" if run.code == 0 else f"exit {run.code}")])  # fmt: skip
    rows.append([box.name, "floor (imapclient + mail-parser)", f"{floor_t:.2f} s", f"{floor_cpu:.1f} s",
                 f"{matches / floor_t:,.0f}", "-", "1.00", f"{naive_t / floor_t:.1f}",
                 f"mean of {before[0]:.2f} s and {after_t:.2f} s"])  # fmt: skip
    rows.append([box.name, "naive (fetch + parse all)", f"{naive_t:.2f} s", "-", f"{matches / naive_t:,.0f}",
                 "-", f"{naive_t / floor_t:.2f}", "1.0", ""])  # fmt: skip
    rows.append(
        [box.name, "metawatch --version", f"{version.wall:.2f} s", "-", "-", "-", "-", "-", ""]
    )
    if other:
        run, floor_t, note = other
        name = baseline.parent.name if baseline.name == "src" else str(baseline)
        rows.insert(1, [box.name, f"first scan, code of {name}", f"{run.wall:.2f} s",
                        f"{run.cpu:.1f} s", f"{matches / run.wall:,.0f}",
                        f"{run.rss / 2**20:.0f} / {run.pss / 2**20:.0f} MB ({run.main_rss / 2**20:.0f} MB)",
                        f"{run.wall / floor_t:.2f}", f"{naive_t / run.wall:.1f}", note])  # fmt: skip
    return rows


def compare(server: Dovecot, user: str, box: Box, env: dict[str, str], baseline: Path,
            floor_before: float) -> tuple[Run, float, str]:  # fmt: skip
    """A first scan by another checkout's code (its src/ on PYTHONPATH), then a floor again."""
    db = str(Path(env["METAWATCH_DB"]).with_suffix(".baseline.db"))
    run = run_metawatch(["scan", "-q"], {**env, "PYTHONPATH": str(baseline), "METAWATCH_DB": db})
    after_t = floor(server, user)[0]
    print(f"[{box.name}] first scan by {baseline}: {run.wall:.1f} s; floor {after_t:.1f} s",
          flush=True)  # fmt: skip
    note = f"floor: mean of {floor_before:.2f} s and {after_t:.2f} s"
    return run, (floor_before + after_t) / 2, note if run.code == 0 else f"exit {run.code}"


HEADERS = ["mailbox", "run", "wall", "CPU", "Meta mails/s", "peak RSS / PSS (main)", "×floor",
           "naive/this", "note"]  # fmt: skip


def render(rows: list[list[str]]) -> str:
    widths = [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(HEADERS)]
    lines = ["| " + " | ".join(h.ljust(w) for h, w in zip(HEADERS, widths, strict=True)) + " |",
             "|" + "|".join("-" * (w + 2) for w in widths) + "|"]  # fmt: skip
    lines += [
        "| " + " | ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)) + " |" for r in rows
    ]
    return "\n".join(lines)


def machine() -> str:
    cpu = next((ln.split(":", 1)[1].strip() for ln in Path("/proc/cpuinfo").read_text().splitlines()
                if ln.startswith("model name")), platform.processor())  # fmt: skip
    return (f"{os.cpu_count()} cores ({cpu}), Python {platform.python_version()}, "
            f"{platform.system()} {platform.release()}")  # fmt: skip


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="small mailboxes, a few minutes")
    parser.add_argument(
        "--write", metavar="FILE", help="also write the table to this Markdown file"
    )
    parser.add_argument("--baseline", metavar="SRC", type=Path,
                        help="also time a first scan by the code in SRC (another checkout's src/)")  # fmt: skip
    parser.add_argument("--only", metavar="NAMES", default="abc",
                        help="run only these mailboxes (e.g. 'b'), for a quick look")  # fmt: skip
    args = parser.parse_args()
    # c: ten years of Facebook notifications, 30,000 Meta mails
    boxes = ([Box("a", 4_000, 80, 20), Box("b", 10_000, 500, 60), Box("c", 3_000, 2_000, 40)]
             if args.quick else
             [Box("a", 20_000, 400, 40), Box("b", 100_000, 5_000, 300), Box("c", 50_000, 30_000, 300)])  # fmt: skip
    boxes = [b for b in boxes if b.name in args.only]
    server = start(location="mdbox")
    work = Path(server.dir) / "bench"
    work.mkdir()
    load = os.getloadavg()[0]
    try:
        rows = [r for i, box in enumerate(boxes)
                for r in bench_box(server, box, work, 42 + i, args.baseline)]  # fmt: skip
    finally:
        server.stop()
        shutil.rmtree(server.dir, ignore_errors=True)
    table = render(rows)
    loads = f"load average {load:.1f} at the start, {os.getloadavg()[0]:.1f} at the end"
    print(f"{table}\n{loads}")
    if args.write:
        command = " ".join(["python", "bench/scan.py", *sys.argv[1:]])
        Path(args.write).write_text(f"# Scan benchmark\n\nMachine: {machine()}; {loads}\n\n"
                                    f"Command: `{command}`\n\n{table}\n")  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
