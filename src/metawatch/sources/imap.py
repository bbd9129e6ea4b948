"""IMAP source: read-only, incremental, only Meta's mail travels. The only importer of imapclient."""

from __future__ import annotations

import functools
import logging
import socket
import ssl
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, cast

from metawatch.config import MailboxConfig
from metawatch.credentials import Secret
from metawatch.errors import AuthError, ConfigError, DeadlineExceeded, SourceError
from metawatch.models import Batch, Cursor, Deadline, RawMail
from metawatch.sources.watchdog import Watchdog

log = logging.getLogger(__name__)

# Folders never scanned by default: by SPECIAL-USE flag (RFC 6154), else by name (lower case).
SKIP_FLAGS = frozenset({b"\\Trash", b"\\Drafts", b"\\Sent", b"\\Noselect", b"\\NonExistent"})
SKIP_NAMES = frozenset({
    "trash", "deleted items", "deleted messages", "papierkorb", "gelöscht", "gelöschte elemente",
    "drafts", "entwürfe", "sent", "sent items", "sent messages", "sent mail", "gesendet",
    "gesendete objekte", "gesendete elemente", "corbeille", "brouillons", "envoyés", "prullenbak",
    "concepten", "verzonden", "verzonden items", "cestino", "bozze", "inviata", "posta inviata",
    "papelera", "borradores", "enviados", "kosz", "kopie robocze", "wysłane", "lixo", "rascunhos",
    "enviadas", "itens enviados",
})  # fmt: skip
GMAIL_FLAGS = frozenset({b"\\All", b"\\Junk"})  # Gmail: labels are copies; All Mail + Spam suffice
# Network faults worth a retry; LoginError is not one of them.
RETRYABLE: tuple[type[BaseException], ...] = (OSError, EOFError)
# Bytes of UIDs in one command: RFC 7162 asks clients to keep command lines under 8,192 octets
# (Courier drops the session past 16,384, Cyrus past 131,072).
MAX_COMMAND = 8_000
# Bodies fetched per FETCH: a batch arrives in parts, and its first parts are parsed and
# classified (in worker processes) while the rest are still on the way.
PART = 100
# The newest Meta-sender mails per folder among which doctor looks for one from Meta's domains.
AUTH_SAMPLES = 20


@dataclass(frozen=True)
class FolderInfo:
    """A folder as LIST shows it, and whether a scan reads it."""

    name: str
    flags: tuple[str, ...]
    scanned: bool


@dataclass(frozen=True)
class MailboxReport:
    """What `metawatch doctor` learns about a mailbox."""

    tls: str
    capabilities: tuple[str, ...]
    folders: tuple[FolderInfo, ...]
    meta_mails: dict[str, int]
    # The header sections of the newest mails a scan would fetch, per folder, newest first.
    samples: tuple[bytes, ...]


@dataclass(frozen=True)
class Refetched:
    """Stored mails fetched again: their bytes (or why not), and the keys of a folder whose
    UIDVALIDITY changed since they were stored (their UIDs may name other mails now)."""

    mails: tuple[RawMail, ...]
    stale: tuple[str, ...] = ()


class ImapSource:
    """One configured mailbox; yields batches of Meta mails newer than the stored cursors."""

    def __init__(
        self,
        config: MailboxConfig,
        secret: Callable[[], Secret],
        domains: Sequence[str],
        cursors: dict[str, Cursor],
        sleep: Callable[[float], None] = time.sleep,
        scan_deadline: Deadline | None = None,
    ) -> None:
        self.config = config
        self.mailbox: MailboxConfig | None = config
        self.name = config.name
        self._secret = secret
        self._criteria = search_criteria(domains)
        self.cursors = dict(cursors)
        self._sleep = sleep
        self.scan_deadline = scan_deadline
        self.fetched = 0  # message bodies fetched, for tests and doctor

    # -- the MailSource interface ----------------------------------------------------------

    def batches(self) -> Iterator[Batch]:
        """Scan every folder; after a dropped connection, reconnect with backoff and resume."""
        attempt, progressed = 0, False
        faults: tuple[type[BaseException], ...] = (SourceError, *RETRYABLE, *_imap_errors())
        with self._watchdog() as guard:
            while True:
                try:
                    with self.connect(guard) as client:
                        for folder in self.folders(client):
                            for batch in self._folder(client, folder):
                                progressed = progressed or batch.cursor is not None
                                yield batch
                    return
                except (AuthError, ConfigError, DeadlineExceeded):
                    raise
                except faults as e:
                    guard.check()  # a connection cut at the deadline is no fault to retry
                    if not progressed or attempt >= self.config.retries:
                        raise e if isinstance(e, SourceError) else _translate(e, self.config) from e
                    attempt += 1
                    log.warning("mailbox %s: %s; resuming (%d/%d)", self.name, _describe(e),
                                attempt, self.config.retries)  # fmt: skip
                    self._sleep(min(2.0**attempt, 30.0, max(0.0, guard.left())))

    # -- connection ------------------------------------------------------------------------

    def connect(self, guard: Watchdog | None = None) -> _Session:
        """Connect, secure and log in; errors become our own exceptions."""
        return _Session(self, guard)

    @contextmanager
    def _session(self) -> Iterator[Any]:
        """A logged-in client for one operation under its watchdog; IMAP errors become ours."""
        with self._watchdog() as guard:
            try:
                with self.connect(guard) as client:
                    yield client
            except RETRYABLE + _imap_errors() as e:
                guard.check()
                raise _translate(e, self.config) from e

    def _watchdog(self) -> Watchdog:
        """A watchdog over one operation: the mailbox's deadline from now, or the scan's if sooner."""
        c = self.config
        own = Deadline(time.monotonic() + c.deadline_seconds, f"deadline = {c.deadline}")
        scan = self.scan_deadline
        deadline = scan if scan is not None and scan.at < own.at else own
        where = f"mailbox '{c.name}' ({c.host}:{c.effective_port})"
        return Watchdog(deadline, where)

    def _open(self, guard: Watchdog | None = None) -> Any:
        import imapclient

        c = self.config
        if c.tls == "plain" and not c.allow_plaintext:
            raise ConfigError(f"mailbox '{c.name}': plain IMAP refused; set allow_plaintext = true")
        timeout = imapclient.SocketTimeout(connect=c.connect_timeout, read=c.read_timeout)
        context = tls_context(c.ca_file)
        if guard is not None:
            guard.check()
        try:
            client = _client_class()(c.host, port=c.effective_port, ssl=c.tls == "implicit",
                                     ssl_context=context, timeout=timeout,
                                     watch=guard.watch if guard else None)  # fmt: skip
            if c.tls == "starttls":
                client.starttls(context)
            secret = self._secret()
            if secret.oauth2:
                client.oauth2_login(c.username, secret.value)
            else:
                client.login(c.username, secret.value)
        except BaseException as e:
            _close(locals().get("client"))
            if guard is not None and isinstance(e, RETRYABLE + _imap_errors()):
                guard.check()
            if isinstance(e, RETRYABLE + _imap_errors()):
                raise _translate(e, c) from e
            raise
        return client

    def inspect(self) -> MailboxReport:
        """Connect and look around, read-only: TLS, capabilities, folders, Meta mail counts."""
        with self._session() as client:
            sock = client.socket()
            tls = (
                f"{sock.version()} {(sock.cipher() or ('?',))[0]}"
                if isinstance(sock, ssl.SSLSocket)
                else "none"
            )
            caps = tuple(sorted(c.decode() for c in client.capabilities()))
            folders = tuple(self.folder_list(client))
            counts: dict[str, int] = {}
            samples: list[bytes] = []
            for f in folders:
                if f.scanned:
                    client.select_folder(f.name, readonly=True)
                    uids = sorted(client.search(self._criteria))
                    counts[f.name] = len(uids)
                    samples += _headers(client, uids[-AUTH_SAMPLES:][::-1])
        return MailboxReport(tls, caps, folders, counts, tuple(samples))

    def refetch(self, keys: Sequence[str]) -> Iterator[Refetched]:
        """Stored mails of this mailbox again, in batches, with the scan's size limit.

        Keys of a folder that no longer exists, or of a UID no longer in its folder, are not
        returned; those of a folder whose UIDVALIDITY changed are returned as stale.
        """
        wanted: dict[tuple[str, int], dict[int, str]] = {}
        for key in keys:
            folder, validity_text, uid_text = key.removeprefix(f"imap:{self.name}/").rsplit("/", 2)
            wanted.setdefault((folder, int(validity_text)), {})[int(uid_text)] = key
        size = self.config.batch_size
        with self._session() as client:
            for (folder, validity), uids in wanted.items():
                if not client.folder_exists(folder):
                    continue
                info = client.select_folder(folder, readonly=True)
                if int(info[b"UIDVALIDITY"]) != validity:
                    yield Refetched((), tuple(uids.values()))
                    continue
                ordered = sorted(uids)
                for i in range(0, len(ordered), size):
                    yield Refetched(self._fetch(client, folder, validity, ordered[i : i + size]))

    # -- folders ---------------------------------------------------------------------------

    def folder_list(self, client: Any) -> list[FolderInfo]:
        """Every folder with its flags, marked as scanned or not."""
        listed = client.list_folders()
        gmail = client.has_capability("X-GM-EXT-1")
        wanted = set(self.config.folders)
        infos = []
        for flags, _delim, name in listed:
            flagset = frozenset(flags)
            if wanted:
                scanned = name in wanted
            elif gmail:
                scanned = bool(flagset & GMAIL_FLAGS)
            else:
                leaf = name.replace("\\", "/").split("/")[-1].split(".")[-1].lower()
                scanned = not (flagset & (SKIP_FLAGS | {b"\\All"})) and leaf not in SKIP_NAMES
            infos.append(FolderInfo(name, tuple(f.decode() for f in flags), scanned))
        missing = wanted - {f.name for f in infos}
        if missing:
            raise ConfigError(
                f"mailbox '{self.name}': no such folder(s): {', '.join(sorted(missing))}"
            )
        return infos

    def folders(self, client: Any) -> list[str]:
        """The names of the folders a scan reads."""
        return [f.name for f in self.folder_list(client) if f.scanned]

    def unchanged(self) -> bool:
        """Whether no folder a scan reads has new mail from Meta's senders since its cursor:
        LIST and STATUS, and EXAMINE and SEARCH in a folder where other mail arrived."""
        with self._session() as client:
            return not any(self._news(client, f) for f in self.folders(client))

    def _news(self, client: Any, folder: str) -> bool:
        validity, uidnext = self._status(client, folder)
        if self._read_up_to(folder, validity, uidnext):
            return False
        cur = self.cursors.get(folder)
        if cur is None or cur.uidvalidity != validity or cur.uidnext is None:
            return True  # a new folder, one to read again, or one not read to its end
        return bool(self._new_uids(client, folder, cur.last_uid))

    def _status(self, client: Any, folder: str) -> tuple[int, int]:
        status = client.folder_status(folder, [b"UIDVALIDITY", b"UIDNEXT"])
        return int(status[b"UIDVALIDITY"]), int(status[b"UIDNEXT"])

    def _read_up_to(self, folder: str, validity: int, uidnext: int) -> bool:
        """Whether the folder's cursor is at ``uidnext`` under this UIDVALIDITY."""
        cur = self.cursors.get(folder)
        return cur is not None and (cur.uidvalidity, cur.uidnext) == (validity, uidnext)

    def _folder(self, client: Any, folder: str) -> Iterator[Batch]:
        validity, uidnext = self._status(client, folder)
        if self._read_up_to(folder, validity, uidnext):
            return  # nothing arrived since the last scan: not even SELECT
        cur = self.cursors.get(folder)
        last = cur.last_uid if cur and cur.uidvalidity == validity else 0
        if cur and cur.uidvalidity != validity:
            log.info("mailbox %s folder %s: UIDVALIDITY changed, rescanning", self.name, folder)
        uids = self._new_uids(client, folder, last)
        if uids:  # announce the folder before the first (slow) fetch, for the progress display
            yield Batch((), folder=folder, total=len(uids))
        size = self.config.batch_size
        for i in range(0, len(uids), size):
            chunk = uids[i : i + size]
            final = i + size >= len(uids)
            done = max(chunk[-1], uidnext - 1) if final else chunk[-1]
            cursor = Cursor(self.name, folder, validity, done, uidnext if final else None)
            for n, mails in enumerate(self._fetch_parts(client, folder, validity, chunk), 1):
                if n * PART < len(chunk):  # more parts follow: the first are classified meanwhile
                    yield Batch(mails, folder=folder, partial=True)
                else:
                    yield self._advance(cursor, mails)
        if not uids:
            yield self._advance(
                Cursor(self.name, folder, validity, max(last, uidnext - 1), uidnext), ()
            )

    def _new_uids(self, client: Any, folder: str, last: int) -> list[int]:
        """The UIDs above ``last`` of the mails from Meta's senders, in order."""
        client.select_folder(folder, readonly=True)  # EXAMINE: flags can't change
        # "UID n:*" always includes the highest UID even when it is below n (RFC 3501): filter.
        return sorted(
            u for u in client.search([*self._criteria, "UID", f"{last + 1}:*"]) if u > last
        )

    def _advance(self, cursor: Cursor, mails: tuple[RawMail, ...]) -> Batch:
        # The consumer asks for the next batch only after committing this one (see MailSource).
        self.cursors[cursor.folder] = cursor
        return Batch(mails, cursor, cursor.folder)

    def _fetch(
        self, client: Any, folder: str, validity: int, uids: list[int]
    ) -> tuple[RawMail, ...]:
        return tuple(m for part in self._fetch_parts(client, folder, validity, uids) for m in part)

    def _fetch_parts(
        self, client: Any, folder: str, validity: int, uids: list[int]
    ) -> Iterator[tuple[RawMail, ...]]:
        """The mails of ``uids``, one part per PART of them (the sizes are asked for at once)."""
        limit = self.config.max_message_size
        sizes: dict[int, int] = {}
        for part in command_sized(uids):
            for uid, data in client.fetch(part, [b"RFC822.SIZE"]).items():
                sizes[uid] = int(data.get(b"RFC822.SIZE", 0))
        for i in range(0, len(uids), PART):
            bodies: dict[int, Any] = {}
            small = [u for u in uids[i : i + PART] if sizes.get(u, limit + 1) <= limit]
            for part in command_sized(small):
                bodies.update(client.fetch(part, [b"BODY.PEEK[]"]))
            self.fetched += len(bodies)
            out = []
            for uid in uids[i : i + PART]:  # a UID expunged meanwhile has no size and no body
                key = f"imap:{self.name}/{folder}/{validity}/{uid}"
                if uid in bodies and b"BODY[]" in bodies[uid]:
                    out.append(RawMail(key, bytes(bodies[uid][b"BODY[]"])))
                elif sizes.get(uid, 0) > limit:
                    reason = f"message of {sizes[uid]:,} bytes is over the {limit:,}-byte limit"
                    out.append(RawMail(key, b"", skipped=reason))
            yield tuple(out)


class _Session:
    """Context manager around one logged-in client; always logs out, never expunges."""

    def __init__(self, source: ImapSource, guard: Watchdog | None) -> None:
        self.source = source
        self.guard = guard
        self.client: Any = None

    def __enter__(self) -> Any:
        self.client = self.source._open(self.guard)
        return self.client

    def __exit__(self, *exc: object) -> None:
        try:
            self.client.logout()  # LOGOUT, not CLOSE: CLOSE would expunge on a read-write folder
        except Exception:  # deliberate: the connection may already be gone
            log.debug("logout failed", exc_info=True)
            _close(self.client)


@functools.cache
def _client_class() -> Any:
    """IMAPClient whose every new connection is shown to a watchdog before a byte is read.

    imapclient has no hook for this: the subclasses override its private factory
    (_create_IMAP4) and imaplib's _create_socket, where the TCP connection is made.
    """
    import imapclient
    from imapclient import imap4, tls

    Watch = Callable[[socket.socket], None] | None

    class Plain(imap4.IMAP4WithTimeout):  # type: ignore[misc]
        def __init__(self, host: str, port: int, timeout: float | None, watch: Watch) -> None:
            self._watch = watch
            super().__init__(host, port, timeout)

        def _create_socket(self, timeout: float | None = None) -> socket.socket:
            sock: socket.socket = super()._create_socket(timeout)
            if self._watch is not None:
                self._watch(sock)
            return sock

    class Tls(tls.IMAP4_TLS):  # type: ignore[misc]
        def __init__(self, host: str, port: int, context: ssl.SSLContext | None,
                     timeout: float | None, watch: Watch) -> None:  # fmt: skip
            self._watch = watch
            super().__init__(host, port, context, timeout)

        def _create_socket(self, timeout: float | None = None) -> socket.socket:
            wait = self._timeout if timeout is None else timeout
            sock = socket.create_connection((self.host, self.port), wait)
            if self._watch is not None:
                self._watch(sock)
            return cast(socket.socket, tls.wrap_socket(sock, self.ssl_context, self.host))

    class Client(imapclient.IMAPClient):  # type: ignore[misc]
        def __init__(self, *args: Any, watch: Watch = None, **kwargs: Any) -> None:
            self._watch = watch
            super().__init__(*args, **kwargs)

        def _create_IMAP4(self) -> Any:  # noqa: N802 - imapclient's name
            connect = self._timeout.connect
            if self.ssl:
                return Tls(self.host, self.port, self.ssl_context, connect, self._watch)
            return Plain(self.host, self.port, connect, self._watch)

    return Client


def command_sized(uids: Sequence[int], limit: int = MAX_COMMAND) -> Iterator[list[int]]:
    """The UIDs in runs whose comma-separated list stays within ``limit`` bytes."""
    run: list[int] = []
    length = 0
    for uid in uids:
        n = len(str(uid)) + 1
        if run and length + n > limit:
            yield run
            run, length = [], 0
        run.append(uid)
        length += n
    if run:
        yield run


def _headers(client: Any, uids: Sequence[int]) -> list[bytes]:
    """The whole header sections of the mails ``uids``, in that order, read-only: where a
    provider's verdict sits matters, not just whether it is there."""
    if not uids:
        return []
    data = client.fetch(list(uids), [b"BODY.PEEK[HEADER]"])
    return [bytes(data.get(uid, {}).get(b"BODY[HEADER]", b"")) for uid in uids]


def _close(client: Any) -> None:
    """Close a client's socket without a word to the server (it may be gone)."""
    if client is not None:
        try:
            client.shutdown()
        except Exception:  # deliberate: nothing more to do with a dead socket
            log.debug("shutdown failed", exc_info=True)


def search_criteria(domains: Sequence[str]) -> list[str]:
    """An IMAP SEARCH for mail from any of the domains: OR FROM a OR FROM b FROM c."""
    if not domains:
        return []
    criteria: list[str] = []
    for domain in domains[:-1]:
        criteria += ["OR", "FROM", domain]
    return [*criteria, "FROM", domains[-1]]


def tls_context(ca_file: str | None) -> ssl.SSLContext:
    """A verifying context: certificate and host name are always checked."""
    try:
        context = ssl.create_default_context(cafile=ca_file)
    except (OSError, ssl.SSLError) as e:
        raise ConfigError(f"cannot load ca_file {ca_file}: {e}") from e
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    return context


def _imap_errors() -> tuple[type[BaseException], ...]:
    from imapclient.exceptions import IMAPClientError

    return (IMAPClientError,)


def _login_error() -> type[BaseException]:
    from imapclient.exceptions import LoginError

    return cast(type[BaseException], LoginError)


def _translate(e: BaseException, c: MailboxConfig) -> Exception:
    """Our own exception for a third-party one, with a message that names the mailbox."""
    where = f"mailbox '{c.name}' ({c.host}:{c.effective_port})"
    if isinstance(e, _login_error()):
        return AuthError(
            f"{where}: login failed for {c.username}: the server refused the credentials"
        )
    if isinstance(e, ssl.SSLCertVerificationError):
        return SourceError(f"{where}: TLS certificate verification failed ({e.verify_message}); "
                           "for a self-signed server set ca_file")  # fmt: skip
    return SourceError(f"{where}: {_describe(e)}")


def _describe(e: BaseException) -> str:
    if isinstance(e, SourceError):
        return str(e)
    if isinstance(e, socket.timeout | TimeoutError):
        return "timed out"
    if isinstance(e, ConnectionRefusedError):
        return "connection refused"
    if isinstance(e, ssl.SSLError):
        return f"TLS error: {e.reason or e}"
    if isinstance(e, socket.gaierror):
        return f"cannot resolve host name: {e.strerror}"
    if isinstance(e, OSError) and e.strerror:
        return e.strerror.lower()
    return f"{type(e).__name__}: {e}" if str(e) else type(e).__name__
