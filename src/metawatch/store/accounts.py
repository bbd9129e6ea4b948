"""Accounts with their login addresses, Accounts Center links and manual confirmations."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, select

from metawatch.accounts import normalize_address
from metawatch.errors import NotFound
from metawatch.models import Account, Authenticity, Evidence, Kind, Platform
from metawatch.store.engine import Database, now, utc
from metawatch.store.tables import ACCOUNT, ADDRESS, LINK, MANUAL, MESSAGE


class AccountStore(Database):
    """The accounts to watch, how they are linked, and what the user confirmed by hand."""

    def accounts(self) -> list[Account]:
        """Every account, in the order they were added or discovered."""
        with self._read() as conn:
            return _accounts(conn)

    def ensure_account(
        self,
        wanted: Callable[[Account], bool],
        platform: Platform,
        emails: Iterable[str],
        handle: str | None = None,
        label: str | None = None,
        discovered: bool = False,
    ) -> tuple[Account, bool]:
        """The first account ``wanted`` accepts, else a new one; True when it was created.

        The check and the insert share one serial transaction, so scanners that discover the
        same account at once (or start with the same config file) create it once.
        """
        with self._write(serial=True) as conn:
            found = next((a for a in _accounts(conn) if wanted(a)), None)
            if found is not None:
                return found, False
            return _add_account(conn, platform, emails, handle, label, discovered), True

    def add_account(
        self,
        platform: Platform,
        emails: Iterable[str],
        handle: str | None = None,
        label: str | None = None,
        discovered: bool = False,
    ) -> Account:
        """Create an account with its login addresses."""
        with self._write() as conn:
            return _add_account(conn, platform, emails, handle, label, discovered)

    def remove_account(self, account_id: int) -> None:
        """Delete an account; its mails stay, no longer assigned."""
        with self._write() as conn:
            conn.execute(ADDRESS.delete().where(ADDRESS.c.account_id == account_id))
            conn.execute(
                MESSAGE.update().where(MESSAGE.c.account_id == account_id).values(account_id=None)
            )
            if conn.execute(ACCOUNT.delete().where(ACCOUNT.c.id == account_id)).rowcount == 0:
                raise NotFound(f"no account with id {account_id}")

    def link_accounts(self, a: int, b: int) -> None:
        """Record that two accounts share an Accounts Center."""
        if a == b:
            raise NotFound("an account cannot be linked to itself")
        known = {acc.id for acc in self.accounts()}
        for x in (a, b):
            if x not in known:
                raise NotFound(f"no account with id {x}")
        lo, hi = sorted((a, b))
        with self._write() as conn:
            if not conn.execute(
                select(LINK.c.id).where((LINK.c.account_a == lo) & (LINK.c.account_b == hi))
            ).first():
                conn.execute(LINK.insert().values(account_a=lo, account_b=hi))

    def links(self) -> list[tuple[int, int]]:
        """Every linked pair."""
        with self._read() as conn:
            return [(r[0], r[1]) for r in conn.execute(select(LINK.c.account_a, LINK.c.account_b))]

    def add_manual(self, account_id: int, day: datetime, note: str) -> None:
        """Record an objection confirmed on screen (in the app)."""
        if account_id not in {acc.id for acc in self.accounts()}:
            raise NotFound(f"no account with id {account_id}")
        with self._write() as conn:
            conn.execute(
                MANUAL.insert().values(account_id=account_id, date=day, note=note, created=now())
            )

    def manual_evidence(self) -> list[Evidence]:
        """Every manual confirmation, as evidence."""
        with self._read() as conn:
            rows = conn.execute(select(MANUAL).order_by(MANUAL.c.date)).mappings().all()
        return [Evidence(Kind.OBJECTION_ACCEPTED, utc(r["date"]), Authenticity.PASS, "manual",
                         r["note"] or "manual", account_id=r["account_id"]) for r in rows]  # fmt: skip


def _accounts(conn: Connection) -> list[Account]:
    rows = conn.execute(select(ACCOUNT).order_by(ACCOUNT.c.id)).mappings().all()
    addresses = conn.execute(select(ADDRESS).order_by(ADDRESS.c.id)).mappings().all()
    by_account: dict[int, list[str]] = {}
    for a in addresses:
        by_account.setdefault(a["account_id"], []).append(a["address"])
    return [_account(r, by_account.get(r["id"], [])) for r in rows]


def _add_account(
    conn: Connection,
    platform: Platform,
    emails: Iterable[str],
    handle: str | None,
    label: str | None,
    discovered: bool,
) -> Account:
    unique = list(dict.fromkeys(e.strip() for e in emails if e.strip()))
    row = {"platform": platform.value, "handle": handle, "label": label,
           "discovered": discovered, "created": now()}  # fmt: skip
    account_id = conn.execute(ACCOUNT.insert().values(row).returning(ACCOUNT.c.id)).scalar_one()
    if unique:
        conn.execute(ADDRESS.insert(), [{"account_id": account_id, "address": e,
                                         "normalized": normalize_address(e)} for e in unique])  # fmt: skip
    return _account({**row, "id": account_id}, unique)


def _account(r: Mapping[Any, Any], emails: list[str]) -> Account:
    return Account(
        id=r["id"],
        platform=Platform(r["platform"]),
        emails=tuple(emails),
        handle=r["handle"],
        label=r["label"],
        discovered=bool(r["discovered"]),
    )
