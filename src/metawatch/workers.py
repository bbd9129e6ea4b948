"""Parse and classify mails in worker processes, while the scan fetches and stores.

Fetching is I/O and storing is short; parsing and classifying is the CPU work of a scan. Once
there is enough to do, worker processes (one per core) take that work in small chunks, and the
results come back in the order the mails were given: a batch is still stored whole, in order,
with its cursor, in one transaction.

Workers start from a fork server (never by forking the scanning process, which runs threads), so
the program that starts a scan must be importable without side effects, as ``metawatch`` and
``python -m metawatch`` are.
"""

from __future__ import annotations

import contextlib
import copy
import functools
import logging
import os
import pickle
import signal
import threading
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

from metawatch import parsing
from metawatch.models import Classification, Mail, RawMail

if TYPE_CHECKING:
    from concurrent.futures import Future, ProcessPoolExecutor

    from metawatch.classify import Classifier
    from metawatch.config import MailboxConfig

log = logging.getLogger(__name__)

Analysed = tuple[Mail, Classification]
CHUNK = 20  # mails a worker takes at once: a batch is shared out, and each result comes soon
# Mails in sight below which starting worker processes (~0.3 s of CPU) costs more than it saves.
POOL_MIN = 300


def analyse(classifier: Classifier, raw: RawMail, mailbox: MailboxConfig | None) -> Analysed:
    """Parse and classify one mail; the mail comes back without its body text (never stored)."""
    if raw.skipped:
        mail = parsing.skipped(raw.key, raw.skipped)
    else:
        mail = parsing.parse(raw.data, screen=classifier.needs_full_text)
    result = classifier.classify(mail, raw.data, mailbox)
    return replace(mail, text="", links=(), attached=()), result


def cores() -> int:
    """The CPU cores this process may run on (taskset and cpusets count)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


@dataclass
class Job:
    """The analysis of one batch's new mails: under way in the workers, or to do here."""

    raws: Sequence[RawMail]
    mailbox: MailboxConfig | None
    analyser: Analyser
    futures: list[Future[list[Analysed]]] | None = None  # None: analysed here, on demand

    def results(self) -> Iterator[list[Analysed]]:
        """The results in the order of the mails, a few at a time as they are ready."""
        return self.analyser.collect(self)


class Analyser:
    """Analyses the mails of every scanner of one scan; in worker processes when it pays.

    ``workers`` is the number of worker processes (default: one per core, or none with --debug,
    whose log would not come back from them); with 1 everything runs in this process. The workers start once ``pool_min`` mails are in sight: announced by a
    source (see ``expect``), or submitted.
    """

    def __init__(
        self, classifier: Classifier, workers: int | None = None, pool_min: int = POOL_MIN
    ) -> None:
        self.classifier = classifier
        debug = logging.getLogger("metawatch").isEnabledFor(logging.DEBUG)
        self.workers = (1 if debug else cores()) if workers is None else workers
        self.pool_min = pool_min
        self.announced = 0  # mails the sources said they will deliver
        self.submitted = 0
        self._pool: ProcessPoolExecutor | None = None
        self._lifeline: Any = None  # the write end of a pipe whose end tells workers to stop
        self._lock = threading.Lock()  # scanners of several mailboxes submit from their threads

    @property
    def pids(self) -> list[int]:
        """The ids of the worker processes that run now (none: everything runs here)."""
        pool = self._pool
        return sorted(getattr(pool, "_processes", None) or {}) if pool else []

    def expect(self, mails: int) -> None:
        """A source will deliver ``mails``: when that is enough, the workers start now, while
        the first batch is being fetched."""
        with self._lock:
            self.announced += mails
        self._pool_for(0)

    def submit(self, raws: Sequence[RawMail], mailbox: MailboxConfig | None = None) -> Job:
        """Start analysing ``raws`` (from ``mailbox``, which says who received them)."""
        pool = self._pool_for(len(raws)) if raws else None
        if pool is None:
            return Job(raws, mailbox, self)
        chunks = [list(raws[i : i + CHUNK]) for i in range(0, len(raws), CHUNK)]
        try:
            futures = [pool.submit(_analyse_chunk, c, mailbox) for c in chunks]
        except (OSError, RuntimeError) as e:  # the workers could not start (BrokenProcessPool)
            log.warning("cannot use worker processes (%s): analysing in this process", e)
            self._give_up()
            return Job(raws, mailbox, self)
        return Job(raws, mailbox, self, futures)

    def collect(self, job: Job) -> Iterator[list[Analysed]]:
        """A job's results in order, as they are ready; what a dead worker left is done here."""
        from concurrent.futures.process import BrokenProcessPool

        done = 0
        try:
            for future in job.futures or ():
                chunk = future.result()
                done += len(chunk)
                yield chunk
        except BrokenProcessPool:
            log.warning("a worker process died: analysing the rest of the scan in this process")
            self._give_up()
        for raw in job.raws[done:]:
            yield [analyse(self.classifier, raw, job.mailbox)]

    def close(self) -> None:
        """Stop the worker processes (work not yet started is dropped)."""
        self._stop(wait=True)

    def __enter__(self) -> Analyser:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _give_up(self) -> None:
        with self._lock:
            self.workers = 1
        self._stop(wait=False)

    def _stop(self, wait: bool) -> None:
        with self._lock:
            pool, self._pool = self._pool, None
            lifeline, self._lifeline = self._lifeline, None
        if pool is not None:
            pool.shutdown(wait=wait, cancel_futures=True)
        if lifeline is not None:
            lifeline.close()

    def _pool_for(self, mails: int) -> ProcessPoolExecutor | None:
        with self._lock:
            self.submitted += mails
            in_sight = max(self.announced, self.submitted)
            if self.workers > 1 and self._pool is None and in_sight >= self.pool_min:
                self._pool = self._start()
                if self._pool is None:
                    self.workers = 1
            return self._pool

    def _start(self) -> ProcessPoolExecutor | None:
        import multiprocessing
        from concurrent.futures import ProcessPoolExecutor

        try:
            state = pickle.dumps(_without_caches(self.classifier))
        except (pickle.PicklingError, TypeError, AttributeError) as e:  # e.g. a test's DNS stub
            log.debug("classifier cannot go to worker processes (%s): analysing here", e)
            return None
        # forkserver, not fork: a scan runs in threads, and forking a threaded process can hang
        # the child; each worker starts from a clean server process that has imported this module.
        method = (
            "forkserver" if "forkserver" in multiprocessing.get_all_start_methods() else "spawn"
        )
        context = multiprocessing.get_context(method)
        if method == "forkserver":
            context.set_forkserver_preload(["metawatch.workerboot", __name__])
        try:
            # Workers wait for work on a queue they hold both ends of: when this process is
            # killed they would wait for ever. The lifeline's end (EOF) stops them.
            lifeline, self._lifeline = context.Pipe(duplex=False)
            pool = ProcessPoolExecutor(self.workers, mp_context=context, initializer=_start_worker,
                                       initargs=(state, lifeline))  # fmt: skip
            for _ in range(self.workers):  # start them all now: they load the rules meanwhile
                pool.submit(_ready)
        except (OSError, ValueError, RuntimeError) as e:  # no semaphores here (some sandboxes)
            log.debug("cannot start worker processes (%s): analysing here", e)
            return None
        return pool


def _without_caches(classifier: Classifier) -> Classifier:
    """A copy without its lazily computed values (the rule packs): a worker gets them from its
    fork server, which loaded them once, instead of loading them again itself."""
    lazy = [
        k for k, v in vars(type(classifier)).items() if isinstance(v, functools.cached_property)
    ]
    clone = copy.copy(classifier)
    for name in lazy:
        clone.__dict__.pop(name, None)
    return clone


# -- in the worker processes ---------------------------------------------------------------

_classifier: Any = None


def _start_worker(state: bytes, lifeline: Any) -> None:
    global _classifier
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C: the scanning process stops us
    threading.Thread(target=_exit_with_parent, args=(lifeline,), daemon=True).start()
    _classifier = pickle.loads(state)
    _classifier.rules  # noqa: B018  (the fork server's rule packs, before the first mail arrives)


def _exit_with_parent(lifeline: Any) -> None:
    """Wait until the scanning process ends (closes or loses its end), then exit at once."""
    with contextlib.suppress(EOFError, OSError):
        lifeline.recv_bytes()
    os._exit(0)


def _ready() -> None:
    """Nothing: submitted once per worker so that all of them start at once."""


def _analyse_chunk(raws: list[RawMail], mailbox: MailboxConfig | None) -> list[Analysed]:
    return [analyse(_classifier, raw, mailbox) for raw in raws]
