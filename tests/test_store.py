"""store: every test runs on a real SQLite file and on a real PostgreSQL 15 database."""

from __future__ import annotations

import stat
import threading
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text

from metawatch import parsing
from metawatch.classify import Classifier
from metawatch.config import safe_url
from metawatch.errors import ConfigError, LockedError, NotFound, StoreError, StoreUnavailable
from metawatch.models import Condition, Platform
from metawatch.store import NewMessage, Store, database_url
from metawatch.store.migrations import SCHEMA_VERSION

from .conftest import SAMPLES

CLASSIFIER = Classifier()


def new(key: str, raw: bytes, account_id: int | None = None) -> NewMessage:
    mail = parsing.parse(raw)
    return NewMessage(key, mail, CLASSIFIER.classify(mail), account_id)


def sample(name: str, key: str = "k", account_id: int | None = None) -> NewMessage:
    return new(key, (SAMPLES / name).read_bytes(), account_id)


@pytest.fixture
def opened() -> Iterator[Callable[..., Store]]:
    """``Store.open``, with every store it opened closed after the test."""
    stores: list[Store] = []

    def _open(url: str, **kwargs: Any) -> Store:
        stores.append(Store.open(url, **kwargs))
        return stores[-1]

    yield _open
    for s in stores:
        s.close()


@pytest.fixture
def store(opened: Callable[..., Store], db_url: str) -> Store:
    return opened(db_url)


def dump(store: Store) -> str:
    """Every value of every row of every table, as one text (what someone with the file sees)."""
    from sqlmodel import SQLModel

    with store.engine.connect() as conn:
        return "\n".join(str(tuple(row)) for table in SQLModel.metadata.sorted_tables
                         for row in conn.execute(table.select()))  # fmt: skip


def in_parallel(*calls: Callable[[], Any]) -> list[Any]:
    """Run the calls in threads released at the same moment; their results in order."""
    barrier, results = threading.Barrier(len(calls)), [None] * len(calls)

    def run(i: int) -> None:
        barrier.wait()
        results[i] = calls[i]()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(calls))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return results


def test_sqlite_database_file_is_private(db: Path, opened: Callable[..., Store]) -> None:
    opened(database_url(str(db)))
    assert stat.S_IMODE(db.stat().st_mode) == 0o600


def test_schema_version_is_recorded(store: Store) -> None:
    assert store.schema_version() == SCHEMA_VERSION
    assert store.upgrade() == []


def test_reopening_keeps_the_data(store: Store, db_url: str, opened: Callable[..., Store]) -> None:
    store.add_account(Platform.FACEBOOK, ["a@example.org"])
    store.close()
    assert [a.emails for a in opened(db_url).accounts()] == [("a@example.org",)]


def test_same_key_is_stored_once(store: Store) -> None:
    assert len(store.add_messages([sample("en-fb-notice-2025.eml", "k1")])) == 1
    assert store.add_messages([sample("en-fb-notice-2025.eml", "k1")]) == []
    assert store.known_keys(["k1", "k2"]) == {"k1"}


def test_same_message_under_another_key_is_stored_once(store: Store) -> None:
    store.add_messages([sample("en-fb-notice-2025.eml", "INBOX/1")])
    twice = [sample("en-fb-notice-2025.eml", "Spam/7"), sample("en-fb-notice-2025.eml", "Spam/7")]
    assert store.add_messages(twice) == []
    assert len(store.messages()) == 1


def test_two_writers_storing_the_same_mails_at_once_store_each_once(
    store: Store, db_url: str, opened: Callable[..., Store]
) -> None:
    other = opened(db_url)
    names = sorted(p.name for p in SAMPLES.glob("*.eml"))[:30]
    a = [sample(n, f"A/{i}") for i, n in enumerate(names)]
    b = [sample(n, f"B/{i}") for i, n in enumerate(names)][::-1]  # the other order
    for _ in range(3):  # the second and third rounds store nothing
        stored = in_parallel(lambda: store.add_messages(a), lambda: other.add_messages(b))
        assert len(stored[0]) + len(stored[1]) == (len(names) if _ == 0 else 0)
    assert sum(store.counts().values()) == len(names)


def test_two_scanners_discovering_one_account_create_it_once(
    store: Store, db_url: str, opened: Callable[..., Store]
) -> None:
    other = opened(db_url)

    def discover(s: Store) -> tuple[Any, bool]:
        return s.ensure_account(lambda a: "b@example.org" in a.emails, Platform.INSTAGRAM,
                                ["b@example.org"], discovered=True)  # fmt: skip

    results = in_parallel(lambda: discover(store), lambda: discover(other))
    assert sorted(created for _, created in results) == [False, True]
    assert results[0][0] == results[1][0]
    assert len(store.accounts()) == 1


def test_no_body_is_stored(store: Store) -> None:
    store.add_messages([sample("en-fb-accepted.eml")])
    assert "Privacy Centre" not in dump(store)  # a sentence from the end of the body
    assert "We will honour your objection" in dump(store)  # the evidence snippet


def test_not_meta_mails_keep_only_their_fingerprint(store: Store) -> None:
    store.add_messages([sample("not-meta-personal.eml")])
    assert "Grillen" not in dump(store) and "jonas" not in dump(store)
    assert store.counts() == {"not_meta": 1}


def test_remove_account_keeps_its_mails(store: Store) -> None:
    account = store.add_account(Platform.FACEBOOK, ["tom.evans@icloud.com"])
    store.add_messages([sample("en-fb-notice-2025.eml", account_id=account.id)])
    store.remove_account(account.id)
    assert store.accounts() == []
    assert [m.account_id for m in store.messages()] == [None]
    with pytest.raises(NotFound):
        store.remove_account(account.id)


def test_times_come_back_as_the_same_instant(store: Store) -> None:
    cet = datetime.fromisoformat("2025-05-26T23:30:00+02:00")
    c = Condition("account:1", "unprotected", "e", "title", "body")
    alert = store.open_alert(c, cet)
    store.resolve_alert(alert.id, cet)
    [(back, _)] = store.alerts()
    assert back.opened == cet and back.opened.tzinfo == UTC and back.resolved == cet
    store.add_messages([sample("en-fb-accepted.eml")])
    assert store.messages()[0].date == parsing.parse(
        (SAMPLES / "en-fb-accepted.eml").read_bytes()).date  # fmt: skip


def test_links_manual_evidence_and_deliveries_round_trip(store: Store) -> None:
    a = store.add_account(Platform.FACEBOOK, ["a@example.org"])
    b = store.add_account(Platform.INSTAGRAM, ["a@example.org"], handle="a_fotos")
    store.link_accounts(b.id, a.id)
    store.link_accounts(a.id, b.id)
    assert store.links() == [(a.id, b.id)]
    store.add_manual(b.id, datetime(2025, 5, 20, tzinfo=UTC), "objected in the app")
    assert [(e.account_id, e.date.day) for e in store.manual_evidence()] == [(b.id, 20)]
    now = datetime(2025, 6, 1, tzinfo=UTC)
    alert = store.open_alert(Condition(f"account:{a.id}", "unprotected", "", "t", "b"), now)
    store.add_delivery(alert.id, "alert", "mailto", "t", "b", now)
    [pending] = store.pending_deliveries()
    store.mark_delivery(pending.id, now, "timed out")
    store.mark_delivery(pending.id, now, None)
    assert store.pending_deliveries() == []
    [(_, [delivery])] = store.alerts()
    assert (delivery.attempts, delivery.delivered) == (2, now)


def test_a_second_scanner_is_refused_while_the_first_holds_the_lock(
    store: Store, db_url: str, opened: Callable[..., Store]
) -> None:
    other = opened(db_url)
    if store.shared:  # PostgreSQL: per mailbox, across hosts
        with store.source_lock("gmx"):
            with pytest.raises(LockedError, match="gmx"), other.source_lock("gmx"):
                pass
            with other.source_lock("web.de"):  # another mailbox is free
                pass
        with other.source_lock("gmx"):  # released
            pass
    else:  # SQLite: the whole file
        with store.scan_lock(), pytest.raises(LockedError), other.scan_lock():
            pass
        with other.scan_lock():
            pass


def _make_version_3(store: Store) -> None:
    with store.engine.begin() as conn:
        conn.execute(text("ALTER TABLE message DROP COLUMN auth_header"))
        conn.execute(text("UPDATE metawatch_meta SET value='3' WHERE key='schema_version'"))


def test_an_older_database_is_upgraded_on_request(
    store: Store, db_url: str, opened: Callable[..., Store]
) -> None:
    _make_version_3(store)
    with pytest.raises(StoreError, match="run `metawatch db upgrade`"):
        opened(db_url, upgrade=False)
    reopened = opened(db_url, upgrade=True)
    reopened.add_messages([sample("en-fb-accepted.eml")])
    assert reopened.messages()[0].auth_header.startswith("Authentication-Results: dmarc.icloud.com")
    assert reopened.schema_version() == SCHEMA_VERSION


def test_by_default_only_sqlite_upgrades_itself(
    store: Store, db_url: str, opened: Callable[..., Store]
) -> None:
    _make_version_3(store)
    if store.shared:  # other installs may still use a shared database: the admin decides
        with pytest.raises(StoreError, match="schema v3"):
            opened(db_url)
    else:
        assert opened(db_url).schema_version() == SCHEMA_VERSION


def test_a_database_from_a_newer_metawatch_is_refused(
    store: Store, db_url: str, opened: Callable[..., Store]
) -> None:
    with store.engine.begin() as conn:
        conn.execute(text("UPDATE metawatch_meta SET value='99' WHERE key='schema_version'"))
    with pytest.raises(StoreError, match="newer than this metawatch"):
        opened(db_url)


def test_copy_keeps_every_row_and_new_ids_follow(
    tmp_path: Path, db_url: str, opened: Callable[..., Store]
) -> None:
    source = opened(database_url(str(tmp_path / "old.db")))
    a = source.add_account(Platform.FACEBOOK, ["tom.evans@icloud.com"])
    names = sorted(p.name for p in SAMPLES.glob("*.eml"))
    source.add_messages([sample(n, f"k{i}", a.id) for i, n in enumerate(names)])
    source.keep_originals([(1, b"raw \x00 bytes")])
    source.add_manual(a.id, datetime(2025, 5, 20, tzinfo=UTC), "app")
    source.open_alert(Condition(f"account:{a.id}", "unprotected", "", "t", "b"),
                      datetime(2025, 6, 1, tzinfo=UTC))  # fmt: skip
    target = opened(db_url)
    copied = source.copy_to(target)
    assert copied == source.row_counts() == target.row_counts()
    assert target.messages(include_not_meta=True) == source.messages(include_not_meta=True)
    assert target.alerts() == source.alerts() and target.accounts() == source.accounts()
    assert target.originals([1]) == {1: b"raw \x00 bytes"}
    assert target.add_account(Platform.THREADS, ["x@example.org"]).id == a.id + 1
    with pytest.raises(StoreError, match="already holds data"):
        source.copy_to(target)


def test_unwritable_location_is_a_store_error(tmp_path: Path, opened: Callable[..., Store]) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(StoreError, match="cannot create database"):
        opened(database_url(str(blocker / "sub" / "db.sqlite")))


def test_an_unreachable_server_is_a_temporary_failure_without_the_password(
    opened: Callable[..., Store],
) -> None:
    url = "postgresql+psycopg://me:s3cret-canary@127.0.0.1:9/none"
    with pytest.raises(StoreUnavailable, match="cannot open database") as e:
        opened(url)
    assert e.value.exit_code == 75
    assert "s3cret-canary" not in str(e.value) and "me:***@127.0.0.1:9" in str(e.value)


def test_database_url_accepts_paths_and_urls(tmp_path: Path) -> None:
    assert database_url("postgresql+psycopg://u@h/db") == "postgresql+psycopg://u@h/db"
    assert database_url(str(tmp_path / "x.db")) == f"sqlite:///{tmp_path / 'x.db'}"
    assert safe_url("postgresql://u:p@ss@h/db") == "postgresql://u:***@h/db"
    assert safe_url("postgresql://u@h/db") == "postgresql://u@h/db"


def test_originals_are_kept_only_when_given(store: Store) -> None:
    raw = (SAMPLES / "en-fb-accepted.eml").read_bytes()
    m = sample("en-fb-accepted.eml", "kept")
    store.add_messages(
        [NewMessage(m.key, m.mail, m.result, None, raw), sample("de-fb-accepted.eml")]
    )
    by_key = {r.source_key: r for r in store.messages()}
    kept, other = by_key["kept"], by_key["k"]
    assert store.originals([kept.id, other.id]) == {kept.id: raw}
    store.keep_originals([(other.id, b"\x00binary\xff")])
    store.keep_originals([(other.id, b"again")])  # the first copy stays
    assert store.originals([other.id]) == {other.id: b"\x00binary\xff"}


def test_a_missing_driver_names_the_extra_to_install() -> None:
    with pytest.raises(ConfigError, match=r"install metawatch\[postgres\]"):
        Store.open("postgresql+pg8000://u@127.0.0.1:9/db")  # pg8000 is not installed
