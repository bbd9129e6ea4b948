"""`metawatch mailbox add`: from an email address to a [[mailbox]] entry, asking only what is missing.

The provider comes from the address's domain (the registry, else the domain's MX hosts, else a
question); host, port and TLS from the provider. What the command line gave is never asked
again; without a person to ask, a default is taken or a one-line error names the option to give.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from metawatch.config import PLATFORMS, AccountConfig, MailboxConfig, Settings
from metawatch.credentials import source_problem
from metawatch.errors import UsageError
from metawatch.mx import Resolver
from metawatch.providers import Provider, registry

# the choices of the secret question, and the config key each one writes
SOURCES = {"command": "password_command", "env": "password_env", "file": "password_file",
           "oauth2": "oauth2_token_command"}  # fmt: skip
OTHER = "other"  # an unlisted server: host, TLS and port are asked
SECRET_OPTIONS = "--password-command, --password-env, --password-file or --oauth2-token-command"
_ADDRESS = re.compile(r"[^@\s]+@[^@\s]+")


@dataclass(frozen=True)
class SecretSource:
    """Where the IMAP secret comes from: a config key and its value, never the secret itself."""

    key: str
    value: str

    def get(self, key: str) -> str | None:
        """The value for this config key, if it is this source's."""
        return self.value if key == self.key else None


@dataclass(frozen=True)
class Given:
    """What the command line said; None: ask, or take the default when nobody can answer."""

    address: str | None = None
    provider: str | None = None
    host: str | None = None
    port: int | None = None
    tls: str | None = None
    ca_file: str | None = None
    username: str | None = None
    name: str | None = None
    secret: SecretSource | None = None
    accounts: tuple[str, ...] | None = None  # --account PLATFORM[:ADDRESS][:HANDLE]


class Asker(Protocol):
    """The person at the terminal, or nobody (then defaults are taken, or ``missing`` raised)."""

    @property
    def interactive(self) -> bool: ...

    def ask(
        self, question: str, default: str | None, missing: str, choices: Sequence[str] = ()
    ) -> str:
        """An answer; Enter takes ``default`` (None: an answer is required)."""
        ...

    def say(self, text: str) -> None:
        """Tell the person something."""
        ...


@dataclass(frozen=True)
class Server:
    """Where the mailbox is: host, port (0: the default of its TLS mode), TLS, CA file."""

    host: str
    port: int
    tls: str
    ca_file: str | None


@dataclass(frozen=True)
class Plan:
    """The mailbox to write, its provider (and how it was known), and the accounts to declare."""

    mailbox: MailboxConfig
    provider: Provider | None
    how: str
    accounts: tuple[AccountConfig, ...]


def plan(given: Given, settings: Settings, ask: Asker, resolver: Resolver | None) -> Plan:
    """Ask what is missing and return the entry to write; nothing is written here."""
    if given.secret and (problem := source_problem(given.secret.key, given.secret.value)):
        raise UsageError(problem)
    address = _address(given, ask)
    declared = (
        None if given.accounts is None else [parse_account(a, address) for a in given.accounts]
    )
    provider, how, via = _provider(given, address, ask, resolver)
    name = given.name or _default_name(address, provider, settings)
    ask.say(f"provider: {provider.label} ({how})" if provider else "provider: not a listed one "
            "(the Received line of each Meta mail names who received it)")  # fmt: skip
    for line in needs(provider, address, name):
        ask.say(f"  - {line}")
    server = _server(given, address, provider, via, ask)
    username = _username(given, address, provider, ask)
    _check_new(name, server.host, username, settings)
    secret = given.secret or _ask_secret(provider, address, name, ask)
    _check_secret(secret, provider, server.host, ask)
    mailbox = MailboxConfig(
        name=name, host=server.host, username=username, port=server.port, tls=server.tls,
        ca_file=server.ca_file, provider=_provider_key(provider, server.host),
        password_command=secret.get("password_command"), password_env=secret.get("password_env"),
        password_file=secret.get("password_file"),
        oauth2_token_command=secret.get("oauth2_token_command"),
    )  # fmt: skip
    accounts = declared if declared is not None else _ask_accounts(address, ask)
    return Plan(mailbox, provider, how, _new_accounts(accounts, settings))


def needs(provider: Provider | None, address: str, name: str) -> list[str]:
    """What the person must do at the provider first, and what metawatch cannot verify there."""
    if provider is None:
        return ["sender verification: name your own server's authserv-id in trusted_authserv_ids "
                "if it is yours (see the README); otherwise confirmations may need review"]  # fmt: skip
    lines = [_fill(s, address, name) for s in provider.setup] or ["nothing to switch on first"]
    if not provider.verdict_known:
        lines.append(f"metawatch cannot read {provider.label}'s sender verdict: its confirmations "
                     "will show as needs_review (see --verify-dkim in the README)")  # fmt: skip
    return lines


def parse_account(spec: str, address: str) -> AccountConfig:
    """--account PLATFORM[:ADDRESS][:HANDLE]; the address defaults to the mailbox's."""
    platform, *rest = [p.strip() for p in spec.split(":")]
    emails = [r for r in rest if "@" in r]
    handles = [r.lstrip("@") for r in rest if r and "@" not in r]
    email = emails[0] if emails else address
    if platform.lower() not in PLATFORMS or len(rest) > 2 or len(emails) > 1 or len(handles) > 1:
        raise UsageError(f"--account {spec!r}: expected PLATFORM[:ADDRESS][:HANDLE] with "
                         f"PLATFORM one of {', '.join(PLATFORMS)}")  # fmt: skip
    if _address_problem(email):
        raise UsageError(f"--account {spec!r}: no valid login address")
    return AccountConfig(platform.lower(), (email,), handles[0] if handles else None)


# -- the questions ------------------------------------------------------------------------------


def _valid(ask: Asker, answer: Callable[[], str], problem: Callable[[str], str | None]) -> str:
    """Ask until the answer passes; without a person, a bad answer is a usage error."""
    while True:
        value = answer()
        issue = problem(value)
        if issue is None:
            return value
        if not ask.interactive:
            raise UsageError(issue)
        ask.say(issue)


def _address(given: Given, ask: Asker) -> str:
    if given.address is not None:
        if problem := _address_problem(given.address):
            raise UsageError(problem)
        return given.address.strip()
    question = lambda: ask.ask("Your email address", None, "give the email ADDRESS")  # noqa: E731
    return _valid(ask, question, _address_problem).strip()


def _address_problem(value: str) -> str | None:
    return None if _ADDRESS.fullmatch(value.strip()) else f"not an email address: {value!r}"


def _provider(given: Given, address: str, ask: Asker, resolver: Resolver | None
              ) -> tuple[Provider | None, str, str]:  # fmt: skip
    """The provider, how it was known, and the name its IMAP host is chosen by (domain or MX):
    --provider, the IMAP host, the address domain, the domain's MX hosts, or asked."""
    r, domain = registry(), address.rpartition("@")[2].lower()
    if given.provider:
        return _named(given.provider), "--provider", domain
    if given.host:  # the person knows the server: its MX (maybe a spam filter) is not asked
        if p := r.by_imap_host(given.host):
            return p, f"IMAP host {given.host}", domain
        p = r.by_domain(domain)
        return p, (f"address domain {domain}" if p else f"IMAP host {given.host}"), domain
    if p := r.by_domain(domain):
        return p, f"address domain {domain}", domain
    mx = resolver(domain) if resolver else []
    for host in mx:
        if p := r.by_mx([host]):
            return p, f"MX {host} of {domain}", host
    if mx:
        ask.say(f"{domain}'s mail goes to {mx[0]}, which is not a listed provider")
    names = [*r.names(), OTHER]
    choice = ask.ask(f"Who hosts {domain}'s mail? ({', '.join(names)})", OTHER if ask.interactive
                     else None, f"cannot tell who hosts {domain}'s mail: give --provider NAME "
                     "or --host HOST", names)  # fmt: skip
    return (None if choice == OTHER else _named(choice)), "your answer", domain


def _named(name: str) -> Provider:
    found = registry().get(name)
    if found is None:
        names = ", ".join(registry().names())
        raise UsageError(f"--provider: unknown provider {name!r} (known: {names}); for any "
                         "other server give --host")  # fmt: skip
    return found


def _server(given: Given, address: str, p: Provider | None, via: str, ask: Asker) -> Server:
    """Host, port, TLS and CA file: the provider's, the options', or asked (an unlisted server,
    a proxy, Proton Bridge)."""
    if given.host:
        host = given.host
    elif p is not None:
        host = p.imap_host_for(via)
    else:
        host = ask.ask(
            "IMAP server", f"imap.{address.rpartition('@')[2].lower()}", "give --host HOST"
        )
    own = p is not None and host in (*p.imap_hosts, p.setup_host)
    tls = given.tls or (p.imap_tls if own and p else None)
    if tls is None:
        guess = "starttls" if given.port == 143 else "implicit"
        tls = ask.ask("TLS: implicit (port 993) or starttls (port 143)", guess, "",
                      ("implicit", "starttls"))  # fmt: skip
    port = given.port or (p.imap_port if own and p else _default_port(tls))
    bridge = p is not None and p.secret == "bridge"
    if given.port is None and (not own or bridge):
        label = "Bridge's IMAP port" if bridge else "IMAP port"
        port = int(_valid(ask, lambda: ask.ask(label, str(port), ""), _port_problem))
    ca_file = given.ca_file
    if ca_file and (problem := _ca_problem(ca_file)):
        raise UsageError(f"--ca-file: {problem}")
    if ca_file is None and (not own or bridge):
        label = "Bridge's certificate, cert.pem" if bridge else "CA file, for a self-signed server"
        ca_file = _valid(
            ask, lambda: ask.ask(f"{label} (Enter: the system's CAs)", "", ""), _ca_problem
        )
    ca = _absolute(ca_file) if ca_file else None
    return Server(host, 0 if port == _default_port(tls) else port, tls, ca)


def _default_port(tls: str) -> int:
    return 993 if tls == "implicit" else 143


def _port_problem(value: str) -> str | None:
    ok = value.isdigit() and 0 < int(value) < 65536
    return None if ok else f"not a port number: {value!r}"


def _ca_problem(value: str) -> str | None:
    if value and not Path(value).expanduser().is_file():
        return f"no such file: {value}"
    return None


def _username(given: Given, address: str, p: Provider | None, ask: Asker) -> str:
    """The login: the address (or its local part); asked for a custom domain or another server."""
    if given.username:
        return given.username
    default = address.partition("@")[0] if p is not None and p.login == "local" else address
    custom = p is None or address.rpartition("@")[2].lower() not in p.domains
    return ask.ask("Login name", default, "") if custom else default


def _default_name(address: str, p: Provider | None, settings: Settings) -> str:
    taken = {m.name for m in settings.mailboxes}
    for name in (p.name if p else None, address, *(f"{address}-{n}" for n in range(2, 100))):
        if name and name not in taken:
            return name
    raise UsageError("too many mailboxes of this address: give --name")


def _check_new(name: str, host: str, username: str, settings: Settings) -> None:
    for m in settings.mailboxes:
        if m.name == name:
            raise UsageError(f"a mailbox named {name!r} is already configured: give another --name")
        if m.host.lower() == host.lower() and m.username.lower() == username.lower():
            raise UsageError(f"{username} at {host} is already configured as mailbox {m.name!r}")
    if not name.strip() or any(not c.isprintable() for c in name):
        raise UsageError(f"not a usable mailbox name: {name!r}")


def _provider_key(p: Provider | None, host: str) -> str | None:
    """Write ``provider`` only when the host does not say it (Bridge, a proxy, a custom host)."""
    if p is None or registry().by_imap_host(host) is p:
        return None
    return p.name


# -- the secret -----------------------------------------------------------------------------------


def _ask_secret(p: Provider | None, address: str, name: str, ask: Asker) -> SecretSource:
    """How the secret is supplied: a command, a variable, a file, or an OAuth2 token command."""
    default = "oauth2" if p is not None and p.secret == "oauth2" else "command"
    what = {"app_password": "app password", "bridge": "Bridge password"}.get(
        p.secret if p else "", "password"
    )
    ask.say(f"metawatch never stores the {what} itself. It can get it from: command (a password "
            f"manager prints it, e.g. `pass show mail/{name}`), env (an environment variable), file "
            "(a file only you can read), oauth2 (a command printing an OAuth2 access token)")  # fmt: skip
    kind = ask.ask("Which one", default if ask.interactive else None,
                   f"no password source: give {SECRET_OPTIONS}", tuple(SOURCES))  # fmt: skip
    key = SOURCES[kind]
    tools = [_fill(t, address, name) for t in (p.oauth2_tools if p else ())]
    if kind == "oauth2" and tools:
        ask.say(f"token commands that work here: {'; '.join(tools)}")
    question, default_value = {
        "command": ("Command that prints the password", None),
        "env": ("Environment variable that holds it", None),
        "file": ("File that holds it (mode 0600)", None),
        "oauth2": ("Command that prints an access token", tools[0] if tools else None),
    }[kind]
    value = _valid(ask, lambda: ask.ask(question, default_value, f"no {key}"),
                   lambda v: source_problem(key, v))  # fmt: skip
    return SecretSource(key, _absolute(value) if kind == "file" else value)


def _check_secret(s: SecretSource, p: Provider | None, host: str, ask: Asker) -> None:
    """A given source must work; what would only fail later is said now."""
    if problem := source_problem(s.key, s.value):
        raise UsageError(problem)
    if s.key == "password_env" and not os.environ.get(s.value):
        ask.say(f"note: {s.value} is not set here; set it wherever metawatch runs (cron, systemd)")
    if (
        p is not None
        and p.secret == "oauth2"
        and s.key != "oauth2_token_command"
        and host in p.imap_hosts
    ):
        ask.say(f"note: {p.label} refuses passwords over IMAP: use --oauth2-token-command")


# -- Meta accounts --------------------------------------------------------------------------------


def _ask_accounts(address: str, ask: Asker) -> tuple[AccountConfig, ...]:
    """Which Meta accounts use this address; Enter at once skips (they are then discovered)."""
    if not ask.interactive:
        return ()
    ask.say("Which Meta accounts do you have? Named now, they are known before Meta's first mail "
            "(Enter skips: accounts are then discovered from Meta's mails).")  # fmt: skip
    found: list[AccountConfig] = []
    platforms = (*PLATFORMS, "")
    while ask.interactive:
        platform = ask.ask(f"Meta account: platform ({', '.join(PLATFORMS)}; Enter: done)", "",
                           "", platforms)  # fmt: skip
        if not platform:
            break
        email = _valid(ask, lambda: ask.ask("  its login address", address, ""), _address_problem)
        handle = ask.ask("  its user name, as Meta greets you (Enter: none)", "", "")
        found.append(AccountConfig(platform, (email.strip(),), handle.strip().lstrip("@") or None))
    return tuple(found)


def _new_accounts(accounts: Sequence[AccountConfig], settings: Settings
                  ) -> tuple[AccountConfig, ...]:  # fmt: skip
    """Leave out accounts the config already declares (same platform and address)."""
    known = {(a.platform, e.lower()) for a in settings.accounts for e in a.emails}
    out: list[AccountConfig] = []
    for a in accounts:
        if (a.platform, a.emails[0].lower()) not in known:
            known.add((a.platform, a.emails[0].lower()))
            out.append(a)
    return tuple(out)


def _fill(template: str, address: str, name: str) -> str:
    return template.replace("{address}", address).replace("{name}", name)


def _absolute(path: str) -> str:
    """A path as cron will find it: ``~`` kept, a relative path made absolute."""
    return path if path.startswith(("~", "/")) else str(Path(path).resolve())
