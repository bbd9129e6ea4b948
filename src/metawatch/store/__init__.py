"""The store on SQLite (default) or PostgreSQL: the only package that imports sqlmodel/sqlalchemy.

One module per thing stored (messages, accounts, alerts) and one for the schema, each a class over
the shared ``Database`` (engine, transactions, locks); ``Store`` is all of them on one connection.
"""

from __future__ import annotations

from metawatch.config import database_url
from metawatch.store.accounts import AccountStore
from metawatch.store.alerts import AlertStore
from metawatch.store.engine import Database
from metawatch.store.messages import MessageStore, NewMessage
from metawatch.store.schema import SchemaStore

__all__ = ["Database", "NewMessage", "Store", "database_url"]


class Store(MessageStore, AccountStore, AlertStore, SchemaStore):
    """Accounts, classified mails and alerts in one database (SQLAlchemy Core over SQLModel)."""

    @classmethod
    def open(cls, url: str, upgrade: bool | None = None) -> Store:
        """Open the database at ``url``, creating its tables when it is empty.

        An older schema is upgraded when ``upgrade`` is true; by default only a SQLite file is,
        since a shared server database may still be used by older metawatch installs.
        """
        store = cls.connect(url)
        auto = store.engine.dialect.name == "sqlite"
        try:
            store.upgrade(auto if upgrade is None else upgrade)
        except BaseException:
            store.close()
            raise
        return store
