"""Mail providers (rules/providers.toml) and which one received a mail.

A sender can write any header, so a sender-authentication verdict may rest only on the headers
of the provider that received the mail. This module knows the providers (look them up by name,
IMAP host or address domain) and decides, per mail, which one received it: from the mailbox it
was read from, from ``--provider``, or from the mail's topmost Received line.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, fields
from typing import Any, Protocol

from metawatch.errors import ConfigError, MetawatchError, RulesError, UsageError
from metawatch.received import Headers, fetched, host_matches, receiving_host

SELF_HOSTED = "self-hosted"
POSITIONS = ("top", "bottom")
SECRETS = ("password", "app_password", "oauth2", "bridge")  # what its IMAP login takes
_COMMENT = re.compile(r"\([^()]*\)")


@dataclass(frozen=True)
class Provider:
    """One mail provider and where it writes its verdict on the mail it receives."""

    name: str
    label: str
    imap_hosts: tuple[str, ...] = ()
    domains: tuple[str, ...] = ()
    received_by: tuple[str, ...] = ()
    authserv_ids: tuple[str, ...] = ()
    no_authserv_id: bool = False
    position: str = "top"
    above_received: tuple[str, ...] = ()
    max_headers: int = 0
    per_method: bool = False
    always_verdict: bool = False
    methods: tuple[str, ...] = ()
    verdict_headers: tuple[str, ...] = ()
    appended: tuple[str, ...] = ()
    verdict_known: bool = True
    samples: tuple[str, ...] = ()
    notes: str = ""
    # what `metawatch mailbox add` writes and says (see the keys in providers.toml)
    imap_port: int = 993
    imap_tls: str = "implicit"
    setup_host: str = ""
    domain_hosts: tuple[tuple[str, str], ...] = ()
    mx_hosts: tuple[str, ...] = ()
    login: str = "address"
    secret: str = "password"
    setup: tuple[str, ...] = ()
    oauth2_tools: tuple[str, ...] = ()
    exact_ids: bool = False  # self-hosted: the config's ids, compared as written

    def imap_host_for(self, domain: str) -> str:
        """The IMAP server for an address domain or an MX host (aol.com: imap.aol.com)."""
        domain = domain.strip().lower().rstrip(".")
        explicit = (h for d, h in self.domain_hosts if host_matches(domain, d))
        return next(explicit, self.imap_hosts[0] if self.imap_hosts else self.setup_host)

    def writes_id(self, authserv_id: str | None) -> bool:
        """Whether an Authentication-Results with this authserv-id (None: none) may be its own."""
        if authserv_id is None:
            return self.no_authserv_id
        if self.exact_ids:
            return authserv_id in self.authserv_ids
        return any(host_matches(authserv_id, p) for p in self.authserv_ids)

    def is_verdict(self, name: str, value: str) -> bool:
        """Whether a header field is one of the kind this provider writes its verdict in."""
        if name == "authentication-results":
            return self.writes_id(authserv_id(value))
        return name in {h.lower() for h in self.verdict_headers}

    @property
    def checks_dmarc(self) -> bool:
        """A provider that reports DMARC has said dmarc=pass for every genuine Meta mail."""
        return "dmarc" in self.methods


@dataclass(frozen=True)
class Registry:
    """Every known provider, looked up by name, IMAP host, address domain or Received host."""

    providers: tuple[Provider, ...]

    def names(self) -> tuple[str, ...]:
        """The provider names, for messages and option help."""
        return tuple(p.name for p in self.providers)

    def get(self, name: str) -> Provider | None:
        """The provider of this name (case-insensitive)."""
        return next((p for p in self.providers if p.name == name.strip().lower()), None)

    def by_imap_host(self, host: str) -> Provider | None:
        """The provider whose IMAP server this is."""
        host = host.strip().lower().rstrip(".")
        return next((p for p in self.providers if host in p.imap_hosts), None)

    def by_domain(self, address: str) -> Provider | None:
        """The provider of an address (``anna@gmx.de``) or a domain (``gmx.de``)."""
        domain = address.rpartition("@")[2].strip().lower().rstrip(".")
        return next((p for p in self.providers if domain in p.domains), None)

    def by_mx(self, hosts: Sequence[str]) -> Provider | None:
        """The provider that a domain's MX hosts (most preferred first) point to."""
        return next((p for h in hosts for p in self.providers
                     if any(host_matches(h, m) for m in p.mx_hosts)), None)  # fmt: skip

    def by_received_host(self, host: str) -> Provider | None:
        """The provider that names its servers like this host in its Received lines."""
        return next(
            (p for p in self.providers if any(host_matches(host, h) for h in p.received_by)), None
        )


@functools.cache
def registry() -> Registry:
    """The packaged registry, validated once."""
    from metawatch.rules import data

    return build_registry(data("providers"))


def build_registry(raw: dict[str, Any]) -> Registry:
    """Validate parsed providers.toml; unsafe combinations are refused, not guessed at."""
    found = [_provider(p) for p in raw.get("provider", [])]
    names = [p.name for p in found]
    if len(set(names)) != len(names) or SELF_HOSTED in names:
        raise RulesError(f"providers.toml: duplicate or reserved provider names in {names}")
    return Registry(tuple(found))


_LISTS = {"imap_hosts", "domains", "received_by", "authserv_ids", "above_received", "methods",
          "verdict_headers", "appended", "mx_hosts"}  # fmt: skip
_TEXTS = {"samples", "setup", "oauth2_tools"}  # lists kept as written


def _provider(raw: dict[str, Any]) -> Provider:
    known = {f.name for f in fields(Provider)} - {"exact_ids"}
    where = f"providers.toml: provider {raw.get('name')!r}"
    if unknown := set(raw) - known:
        raise RulesError(f"{where} has unknown keys {sorted(unknown)}")
    try:
        values = {k: _value(k, v) for k, v in raw.items()}
        p = Provider(**values)
    except TypeError as e:
        raise RulesError(f"{where}: {e}") from None
    _check(p, where)
    return p


def _value(key: str, value: Any) -> Any:
    """A key's TOML value as the Provider holds it: host lists lower case, tables as pairs."""
    if key in _LISTS:
        return tuple(str(x).lower() for x in value)
    if key in _TEXTS:
        return tuple(str(x) for x in value)
    if key == "domain_hosts":
        return tuple((str(d).lower(), str(h).lower()) for d, h in dict(value).items())
    return value


def _check(p: Provider, where: str) -> None:
    """The layouts that can be read safely; anything else is a data error."""
    if p.position not in POSITIONS:
        raise RulesError(f"{where}: position must be one of {POSITIONS}")
    _check_setup(p, where)
    if not p.verdict_known:
        return
    if not (p.authserv_ids or p.no_authserv_id or p.verdict_headers):
        raise RulesError(f"{where}: names no authserv_ids and no verdict_headers")
    # The first N of its headers are its own only if it always writes them: otherwise a sender's
    # forged copy moves up into their place. DMARC makes every spoof of Meta fail there.
    first_n_safe = p.max_headers >= 1 and p.always_verdict and p.checks_dmarc
    if p.position == "top" and not p.above_received and not first_n_safe:
        raise RulesError(f"{where}: a top provider without above_received needs max_headers, "
                             "always_verdict = true and dmarc among its methods")  # fmt: skip
    if not p.per_method and p.max_headers > 1:
        raise RulesError(f"{where}: max_headers > 1 needs per_method = true")


def _check_setup(p: Provider, where: str) -> None:
    """What `mailbox add` writes must make a valid [[mailbox]]."""
    if p.imap_tls not in ("implicit", "starttls") or p.secret not in SECRETS:
        raise RulesError(f"{where}: imap_tls must be implicit or starttls, secret one of {SECRETS}")
    if p.login not in ("address", "local"):
        raise RulesError(f"{where}: login must be address or local")
    if not (p.imap_hosts or p.setup_host):
        raise RulesError(f"{where}: names no imap_hosts and no setup_host")
    if stray := {h for _, h in p.domain_hosts} - set(p.imap_hosts):
        raise RulesError(f"{where}: domain_hosts names hosts not in imap_hosts: {sorted(stray)}")


def self_hosted(ids: Iterable[str]) -> Provider:
    """A self-hosted server: its authserv-ids come from ``trusted_authserv_ids``, exactly."""
    return _self_hosted(tuple(dict.fromkeys(normalize_id(i) for i in ids)))


@functools.lru_cache(maxsize=64)
def _self_hosted(ids: tuple[str, ...]) -> Provider:
    return Provider(
        name=SELF_HOSTED,
        label="your own server",
        authserv_ids=ids,
        max_headers=3,  # OpenDKIM, OpenDMARC and an SPF milter each write one
        per_method=True,
        exact_ids=True,
        samples=("deltachat-core-rust dkimchecks alice@nauta.cu/*", "docker-mailserver #2333"),
    )


def normalize_id(value: str) -> str:
    """An authserv-id as compared: lower case, without docker-mailserver's single quotes."""
    return value.strip().strip("'\"").lower().rstrip(".")


def authserv_id(value: str) -> str | None:
    """The authserv-id of an Authentication-Results value; None when it has none (Microsoft)."""
    head = _COMMENT.sub(" ", value).split(";", 1)[0].strip()
    if not head or "=" in head:
        return None
    return normalize_id(head.split()[0])


# -- which provider received a mail ------------------------------------------------------------


class MailboxLike(Protocol):
    """What provider resolution needs of a configured mailbox (a MailboxConfig)."""

    @property
    def name(self) -> str: ...
    @property
    def host(self) -> str: ...
    @property
    def provider(self) -> str | None: ...
    @property
    def trusted_authserv_ids(self) -> tuple[str, ...]: ...


@dataclass(frozen=True)
class Receiver:
    """The provider that received a mail, and how that was decided."""

    provider: Provider | None
    how: str


@dataclass(frozen=True)
class Trust:
    """Decides which provider received a mail: mailbox, ``--provider``, or its Received line.

    ``trusted_ids`` are the config's ``trusted_authserv_ids`` (a self-hosted server);
    ``forced`` is the ``--provider`` given for mail files.
    """

    trusted_ids: tuple[str, ...] = ()
    forced: str | None = None

    def __post_init__(self) -> None:
        if self.forced is not None:
            lookup(self.forced, self.trusted_ids, "--provider", UsageError)

    def receiver(self, headers: Headers, mailbox: MailboxLike | None = None) -> Receiver:
        """The provider that received this mail."""
        found = self.for_mailbox(mailbox) if mailbox is not None else None
        if found is not None and not fetched(headers):
            return found
        if self.forced is not None:
            return Receiver(lookup(self.forced, self.trusted_ids, "--provider"),
                            f"--provider {self.forced}")  # fmt: skip
        host = receiving_host(headers)
        if host and (p := registry().by_received_host(host)):
            return Receiver(p, f"from the Received line by {host}")
        if self.trusted_ids:
            return Receiver(self_hosted(self.trusted_ids), "trusted_authserv_ids")
        where = f"by {host}" if host else "no Received line with a host"
        return Receiver(None, f"not a listed provider ({where}); see the README on self-hosted")

    def for_mailbox(self, mailbox: MailboxLike) -> Receiver | None:
        """A configured mailbox's provider; None: read it from each mail's Received line."""
        ids = (*mailbox.trusted_authserv_ids, *self.trusted_ids)
        if mailbox.provider:
            where = f"mailbox {mailbox.name}: provider"
            return Receiver(lookup(mailbox.provider, ids, where), f"provider = {mailbox.provider}")
        if mailbox.trusted_authserv_ids:
            return Receiver(self_hosted(ids), f"mailbox {mailbox.name}: trusted_authserv_ids")
        if p := registry().by_imap_host(mailbox.host):
            return Receiver(p, f"IMAP host {mailbox.host}")
        if self.trusted_ids:
            return Receiver(self_hosted(self.trusted_ids), "trusted_authserv_ids")
        return None


def lookup(name: str, trusted_ids: Sequence[str] = (), where: str = "provider",
           unknown: type[MetawatchError] = ConfigError) -> Provider:  # fmt: skip
    """The provider of this name; ``self-hosted`` needs trusted_authserv_ids."""
    if name.strip().lower() == SELF_HOSTED:
        if not trusted_ids:
            raise ConfigError(f"{where}: {SELF_HOSTED} needs trusted_authserv_ids "
                              "(the authserv-id your server writes)")  # fmt: skip
        return self_hosted(trusted_ids)
    found = registry().get(name)
    if found is None:
        names = ", ".join((*registry().names(), SELF_HOSTED))
        raise unknown(f"{where}: unknown provider {name!r} (known: {names})")
    return found
