"""store: a real SQLite file in tmp_path."""

from __future__ import annotations

import sqlite3
import stat
from pathlib import Path

import pytest

from metawatch import parsing
from metawatch.classify import Classifier
from metawatch.errors import NotFound, StoreError
from metawatch.models import Platform
from metawatch.store import NewMessage, Store, database_url
from metawatch.store.migrations import SCHEMA_VERSION

from .conftest import SAMPLES

CLASSIFIER = Classifier()


def new(key: str, raw: bytes) -> NewMessage:
    mail = parsing.parse(raw)
    return NewMessage(key, mail, CLASSIFIER.classify(mail), None)


@pytest.fixture
def store(db: Path) -> Store:
    return Store.open(database_url(str(db)))


def test_database_file_is_private(store: Store, db: Path) -> None:
    assert stat.S_IMODE(db.stat().st_mode) == 0o600


def test_schema_version_is_recorded(store: Store, db: Path) -> None:
    value = (
        sqlite3.connect(db)
        .execute("SELECT value FROM metawatch_meta WHERE key='schema_version'")
        .fetchone()
    )
    assert value == (str(SCHEMA_VERSION),)


def test_reopening_keeps_the_data(store: Store, db: Path) -> None:
    store.add_account(Platform.FACEBOOK, ["a@example.org"])
    store.close()
    assert [a.emails for a in Store.open(database_url(str(db))).accounts()] == [("a@example.org",)]


def test_same_key_is_stored_once(store: Store) -> None:
    raw = (SAMPLES / "en-fb-notice-2025.eml").read_bytes()
    assert len(store.add_messages([new("k1", raw)])) == 1
    assert store.add_messages([new("k1", raw)]) == []
    assert store.known_keys(["k1", "k2"]) == {"k1"}


def test_same_message_under_another_key_is_stored_once(store: Store) -> None:
    raw = (SAMPLES / "en-fb-notice-2025.eml").read_bytes()
    store.add_messages([new("INBOX/1", raw)])
    assert store.add_messages([new("Spam/7", raw), new("Spam/7", raw)]) == []
    assert len(store.messages()) == 1


def test_no_body_is_stored(store: Store, db: Path) -> None:
    raw = (SAMPLES / "en-fb-accepted.eml").read_bytes()
    store.add_messages([new("k", raw)])
    dump = "\n".join(sqlite3.connect(db).iterdump())
    assert "Privacy Centre" not in dump  # a sentence from the end of the body
    assert "We will honour your objection" in dump  # the evidence snippet


def test_not_meta_mails_keep_only_their_fingerprint(store: Store, db: Path) -> None:
    store.add_messages([new("k", (SAMPLES / "not-meta-personal.eml").read_bytes())])
    dump = "\n".join(sqlite3.connect(db).iterdump())
    assert "Grillen" not in dump and "jonas" not in dump
    assert store.counts() == {"not_meta": 1}


def test_remove_account_keeps_its_mails(store: Store) -> None:
    account = store.add_account(Platform.FACEBOOK, ["tom.evans@icloud.com"])
    m = new("k", (SAMPLES / "en-fb-notice-2025.eml").read_bytes())
    store.add_messages([NewMessage(m.key, m.mail, m.result, account.id)])
    store.remove_account(account.id)
    assert store.accounts() == []
    assert [m.account_id for m in store.messages()] == [None]
    with pytest.raises(NotFound):
        store.remove_account(account.id)


def test_unwritable_location_is_a_store_error(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(StoreError, match="cannot create database"):
        Store.open(database_url(str(blocker / "sub" / "db.sqlite")))


def test_database_url_accepts_paths_and_urls(tmp_path: Path) -> None:
    assert database_url("postgresql+psycopg://u@h/db") == "postgresql+psycopg://u@h/db"
    assert database_url(str(tmp_path / "x.db")) == f"sqlite:///{tmp_path / 'x.db'}"


def test_an_older_database_is_upgraded(store: Store, db: Path) -> None:
    store.close()
    with sqlite3.connect(db) as conn:  # make it look like schema version 3
        conn.execute("ALTER TABLE message DROP COLUMN auth_header")
        conn.execute("UPDATE metawatch_meta SET value='3' WHERE key='schema_version'")
    reopened = Store.open(database_url(str(db)))
    reopened.add_messages([new("k", (SAMPLES / "en-fb-accepted.eml").read_bytes())])
    assert reopened.messages()[0].auth_header.startswith("icloud.com")
    version = sqlite3.connect(db).execute("SELECT value FROM metawatch_meta").fetchone()
    assert version == (str(SCHEMA_VERSION),)
