"""The provider registry, and sender verification on each provider's real layout.

Per provider (tests/provider_mails.py names the public sample of each layout): a genuine
confirmation passes and protects; a spoof the provider marked failed fails and is flagged; a
spoof with forged pass headers where a sender can put them never passes. Each is read without a
config, with the config its user writes, and with --provider.
"""

from __future__ import annotations

import json
import tomllib
from collections.abc import Callable
from pathlib import Path

import pytest

from metawatch import parsing
from metawatch.classify import Classifier
from metawatch.config import MailboxConfig
from metawatch.errors import RulesError
from metawatch.models import Authenticity
from metawatch.providers import SELF_HOSTED, Trust, build_registry, registry
from metawatch.received import entry_index, hop, receiving_host
from metawatch.rules import data

from .conftest import ROOT, Result
from .dovecot import Dovecot
from .provider_mails import LAYOUTS, Delivery, Layout, build, dkim_signature, seed

Run = Callable[..., Result]
FB = "notification@facebookmail.com"
BODY = (b"Hi,\r\n\r\nWe have reviewed your request and will honour your objection. This means that we "
        b"won't use your public information from Facebook and Instagram for developing and improving "
        b"generative AI models for AI at Meta.\r\n")  # fmt: skip
# Every authserv-id metawatch once trusted in every mailbox: a user may still have them in a config.
OLD_TRUST = ("mx.google.com", "gmx.net", "web.de", "icloud.com", "outlook.com", "posteo.de",
             "mailbox.org", "t-online.de", "yahoo.com", "protonmail.ch", "orange.fr", "libero.it",
             "wp.pl", "zoho.eu", "messagingengine.com")  # fmt: skip
# (delivery kind, where the spoofer's forged headers go)
GENUINE = ("pass", None)
MARKED_FAILED = ("fail", None)
FORGED = [("unsigned", "first"), ("unsigned", "last"), ("unsigned", "bottom"), ("fail", "first"),
          ("foreign", "first"), ("foreign", "bottom")]  # fmt: skip
CASES = [GENUINE, MARKED_FAILED, *FORGED]


def mail(layout: Layout, kind: str, forged: str | None = None) -> bytes:
    """A Facebook confirmation to a fresh address at the layout's provider."""
    rcpt = f"{kind}.{forged or 'plain'}@{layout.rcpt_domain}"
    d = Delivery(rcpt, FB, kind, seed=seed(f"{layout.provider}{rcpt}"))
    own = [("Date", "Sun, 20 Apr 2025 09:12:00 +0000"), ("To", rcpt),
           ("Subject", "Your objection to AI at Meta"), ("Message-ID", f"<{d.seed[:20]}@facebookmail.com>"),
           ("From", f'"Facebook" <{FB}>'), ("MIME-Version", "1.0")]  # fmt: skip
    signature = [dkim_signature(d)] if d.signed else []
    body_headers = [
        ("Content-Type", "text/plain; charset=UTF-8"),
        ("Content-Transfer-Encoding", "8bit"),
    ]
    return build(layout, d, signature + own, body_headers, BODY, forged)


def known(layout: Layout) -> bool:
    """Whether the provider's verdict can be read (not Orange, Libero)."""
    p = registry().get(layout.provider)
    return p is None or p.verdict_known  # self-hosted: with its trusted_authserv_ids


def expected(layout: Layout, kind: str, forged: str | None, configured: bool) -> set[Authenticity]:
    """What a user must see; a spoof is never pass."""
    readable = known(layout) and (configured or layout.provider != SELF_HOSTED)
    if not readable:
        return {Authenticity.NONE}
    if (kind, forged) == GENUINE:
        return {Authenticity.PASS}
    if (kind, forged) == MARKED_FAILED:
        return {Authenticity.FAIL}
    p = registry().get(layout.provider)
    return {Authenticity.FAIL} if p and p.checks_dmarc else {Authenticity.FAIL, Authenticity.NONE}


def mailbox_of(layout: Layout) -> MailboxConfig:
    """The [[mailbox]] its user writes: the provider's IMAP host (Proton Bridge: a provider key)."""
    p = registry().get(layout.provider)
    if p is None:  # self-hosted
        return MailboxConfig(
            "own", "mail.example.org", "me", trusted_authserv_ids=layout.trusted_ids
        )
    if not p.imap_hosts:
        return MailboxConfig(p.name, "127.0.0.1", "me", provider=p.name)
    return MailboxConfig(p.name, p.imap_hosts[0], "me")


def classify(raw: bytes, trust: Trust, mailbox: MailboxConfig | None = None) -> Authenticity:
    return Classifier(trust=trust).classify(parsing.parse(raw), raw, mailbox).authenticity


PARAMS = [pytest.param(name, kind, forged, id=f"{name}-{kind}-{forged or 'plain'}")
          for name in LAYOUTS for kind, forged in CASES]  # fmt: skip


@pytest.mark.parametrize(("name", "kind", "forged"), PARAMS)
def test_mail_file_without_a_config(name: str, kind: str, forged: str | None) -> None:
    layout = LAYOUTS[name]
    got = classify(mail(layout, kind, forged), Trust())
    assert got in expected(layout, kind, forged, configured=False)


@pytest.mark.parametrize(("name", "kind", "forged"), PARAMS)
def test_mailbox_with_the_config_its_user_writes(name: str, kind: str, forged: str | None) -> None:
    layout = LAYOUTS[name]
    trust = Trust(OLD_TRUST)  # every id once trusted, also listed: none of them may leak
    got = classify(mail(layout, kind, forged), trust, mailbox_of(layout))
    assert got in expected(layout, kind, forged, configured=True)


@pytest.mark.parametrize(("name", "kind", "forged"), PARAMS)
def test_mail_file_with_provider_option(name: str, kind: str, forged: str | None) -> None:
    layout = LAYOUTS[name]
    trust = Trust(layout.trusted_ids, forced=layout.provider)
    got = classify(mail(layout, kind, forged), trust)
    assert got in expected(layout, kind, forged, configured=True)


@pytest.mark.parametrize("name", [n for n in LAYOUTS if LAYOUTS[n].provider != SELF_HOSTED])
def test_a_mail_file_names_its_provider_by_its_topmost_received_line(name: str) -> None:
    raw = mail(LAYOUTS[name], "pass")
    host = receiving_host(parsing.parse(raw).headers)
    found = registry().by_received_host(host or "")
    assert found is not None and found.name == LAYOUTS[name].provider


def test_every_provider_in_the_registry_has_a_layout_with_its_source() -> None:
    assert {layout.provider for layout in LAYOUTS.values()} == {*registry().names(), SELF_HOSTED}
    assert all(layout.source for layout in LAYOUTS.values())
    assert all(p.samples for p in registry().providers if p.verdict_known)


def test_the_registry_holds_every_provider_of_the_survey() -> None:
    assert set(registry().names()) >= {
        "gmail", "outlook", "yahoo", "icloud", "gmx", "webde", "t-online", "proton", "fastmail",
        "posteo", "mailbox.org", "zoho", "wp", "orange", "libero",
    }  # fmt: skip
    assert {p.name for p in registry().providers if not p.verdict_known} == {"orange", "libero"}


def test_the_readme_lists_every_provider_and_what_self_hosted_users_set() -> None:
    readme = (ROOT / "README.md").read_text("utf-8")
    assert all(f"| {p.label} | `{p.name}` |" in readme for p in registry().providers)
    assert "**Self-hosted or unlisted server:**" in readme and "trusted_authserv_ids" in readme


# -- the lookup API -------------------------------------------------------------------------------


def test_lookup_by_name_address_imap_host_and_received_host() -> None:
    r = registry()
    assert r.get("GMX") is r.by_domain("anna.schmidt@gmx.de") is r.by_imap_host("imap.gmx.net")
    assert r.by_domain("web.de") is r.get("webde")
    assert (
        r.by_imap_host("outlook.office365.com")
        is r.by_domain("tom@hotmail.com")
        is r.get("outlook")
    )
    assert r.by_received_host("mailin40.mgt.mul.t-online.de") is r.get("t-online")
    assert r.by_domain("someone@example.org") is None and r.by_imap_host("127.0.0.1") is None
    assert r.get("nope") is None


def test_imap_hosts_and_domains_name_one_provider_each() -> None:
    hosts = [h for p in registry().providers for h in p.imap_hosts]
    domains = [d for p in registry().providers for d in p.domains]
    assert len(hosts) == len(set(hosts)) and len(domains) == len(set(domains))


def _registry_with(**changes: object) -> None:
    raw = tomllib.loads((ROOT / "src/metawatch/rules/providers.toml").read_text("utf-8"))
    gmail = next(p for p in raw["provider"] if p["name"] == "gmail")
    gmail.update(changes)
    build_registry(raw)


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"always_verdict": False}, "needs max_headers, always_verdict"),
        ({"methods": ["dkim"]}, "needs max_headers, always_verdict"),
        ({"max_headers": 0}, "needs max_headers, always_verdict"),
        ({"max_headers": 2}, "needs per_method"),
        ({"authserv_ids": []}, "names no authserv_ids"),
        ({"position": "middle"}, "position must be one of"),
        ({"colour": "red"}, "unknown keys"),
        ({"name": "gmx"}, "duplicate"),
    ],
)
def test_unsafe_or_broken_registry_data_is_refused(
    changes: dict[str, object], message: str
) -> None:
    with pytest.raises(RulesError, match=message):
        _registry_with(**changes)


def test_the_packaged_registry_is_valid() -> None:
    assert build_registry(data("providers")).names() == registry().names()


# -- Received lines -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "by", "inside"),
    [
        ("from mx-out.facebookmail.com (mx-out.facebookmail.com. [69.171.232.1])\r\n by "
         "mx.google.com with ESMTPS id x", "mx.google.com", False),
        ("by 2002:a05:7300:5c8c:b0:1a1:abcd:0 with SMTP id x", "2002:a05:7300:5c8c:b0:1a1:abcd:0", True),
        ("from mailin40.aul.t-online.de ([10.223.144.80]) by ehead26a17.aul.t-online.de with LMTP",
         "ehead26a17.aul.t-online.de", True),
        ("from cafe.de (cafe.de [185.220.101.7]) (using TLSv1.3 (256/256 bits) by x) by mx.cafe.de",
         "mx.cafe.de", False),
        ("(wp-smtpd mx.wp.pl 27013 invoked from network); 1 Sep 2020", None, True),
        ("from x (HELO y) (u@[10.0.0.1]) (envelope-sender <a@b>) by smtp.wp.pl (WP-SMTPD)", "smtp.wp.pl", True),
    ],
)  # fmt: skip
def test_received_lines_are_read(value: str, by: str | None, inside: bool) -> None:
    h = hop(value)
    assert (h.by, h.from_inside) == (by, inside)


def test_internal_hops_are_skipped_but_not_an_unknown_receiver() -> None:
    gmail = parsing.parse(mail(LAYOUTS["gmail"], "pass")).headers
    assert receiving_host(gmail) == "mx.google.com"  # its "by 2002:a05:…" line is skipped
    fastmail = parsing.parse(mail(LAYOUTS["fastmail"], "pass")).headers
    assert receiving_host(fastmail) == "mx6.messagingengine.com"
    unknown_then_forged = [
        ("received", "from mx-out.facebookmail.com ([69.171.232.1]) by mx.unlisted.example"),
        ("received", "from a.example ([185.220.101.9]) by mx.google.com"),  # the sender's
    ]
    assert receiving_host(unknown_then_forged) == "mx.unlisted.example"
    assert Trust().receiver(unknown_then_forged).provider is None


def test_mail_fetched_from_another_account_is_judged_by_the_provider_that_received_it() -> None:
    fetch = (b"Received: from pop.gmx.net [212.227.17.185]\r\n\tby mx.google.com with POP3 id "
             b"a1b2c3\r\n\tfor <anna@gmail.com> (single-drop); Sun, 20 Apr 2025 09:13:00 +0000\r\n")  # fmt: skip
    genuine = fetch + mail(LAYOUTS["gmx"], "pass")
    gmail = MailboxConfig("gmail", "imap.gmail.com", "anna@gmail.com")
    assert (
        classify(genuine, Trust(), gmail) is Authenticity.PASS
    )  # GMX's verdict, not Gmail's absent one
    assert classify(genuine, Trust()) is Authenticity.PASS
    spoof = fetch + mail(LAYOUTS["gmx"], "unsigned", "first")
    assert classify(spoof, Trust(), gmail) is Authenticity.NONE


def test_an_entry_line_below_a_foreign_line_is_not_the_providers() -> None:
    gmx = registry().get("gmx")
    assert gmx is not None
    hosts = gmx.above_received
    forged = [
        ("received", "from x ([185.220.101.7]) by in.gmx.net"),  # its entry, by an unknown name
        ("authentication-results", "gmx.net; dkim=pass header.i=@facebookmail.com"),
        ("received", "from y ([185.220.101.8]) by mx-ha.gmx.net (mxgmx114)"),  # the sender's
    ]
    assert entry_index(forged, hosts) is None
    relayed = [
        ("received", "from mx01.gmx.net ([10.1.1.1]) by imap01.gmx.net with LMTP"),
        *forged[1:],
    ]
    assert entry_index(relayed, hosts) == 2


# -- end to end -----------------------------------------------------------------------------------


def _inbox(tmp_path: Path) -> Path:
    folder = tmp_path / "inbox"
    folder.mkdir()
    for name, layout in LAYOUTS.items():
        for kind, forged in CASES:
            (folder / f"{name}-{kind}-{forged or 'plain'}.eml").write_bytes(
                mail(layout, kind, forged)
            )
    return folder


def _states(run: Run, *args: str) -> dict[str, tuple[str, bool]]:
    rows = json.loads(run(*args, "status", "--json").out)
    return {r["emails"][0]: (r["state"], bool(r["suspected_fake"])) for r in rows}


def _check_states(states: dict[str, tuple[str, bool]], configured: bool) -> None:
    for layout in LAYOUTS.values():
        for kind, forged in CASES:
            state, flagged = states[f"{kind}.{forged or 'plain'}@{layout.rcpt_domain}"]
            want = expected(layout, kind, forged, configured)
            if (kind, forged) == GENUINE:
                assert state == ("protected" if Authenticity.PASS in want else "needs_review"), (
                    layout
                )
            else:
                assert state != "protected", (layout.provider, kind, forged)
                if len(want) == 1:  # a fail is flagged as a suspected fake, a none is not
                    assert flagged == (want == {Authenticity.FAIL}), (layout.provider, kind, forged)


def test_scan_without_a_config_protects_only_genuine_confirmations(
    run: Run, tmp_path: Path
) -> None:
    run("scan", "-q", str(_inbox(tmp_path)))
    _check_states(_states(run), configured=False)


def test_scan_with_a_config_protects_only_genuine_confirmations(run: Run, tmp_path: Path) -> None:
    ids = [*OLD_TRUST, *(i for layout in LAYOUTS.values() for i in layout.trusted_ids)]
    cfg = tmp_path / "config.toml"
    cfg.write_text(f"trusted_authserv_ids = {json.dumps(ids)}\n")
    folder = _inbox(tmp_path)
    run("--config", str(cfg), "scan", "-q", str(folder))
    states = _states(run, "--config", str(cfg))
    # the listed ids do not leak into the listed providers' mail; they name the self-hosted ones
    _check_states(states, configured=True)


def test_explain_names_the_provider_and_the_header_relied_on(run: Run, tmp_path: Path) -> None:
    path = tmp_path / "gmx.eml"
    path.write_bytes(mail(LAYOUTS["gmx"], "pass"))
    out = run("explain", str(path)).out
    assert "sender:    pass — GMX: dkim=pass aligned with facebookmail.com" in out
    assert "provider:  GMX (from the Received line by mx-ha.gmx.net)" in out
    assert "relied on: Authentication-Results: gmx.net; dkim=pass header.i=@facebookmail.com" in out
    forced = run("explain", "--provider", "icloud", str(path)).out
    assert "provider:  Apple iCloud (--provider icloud)" in forced and "sender:    fail" in forced


def test_unknown_provider_names_are_refused(run: Run, tmp_path: Path) -> None:
    path = tmp_path / "m.eml"
    path.write_bytes(mail(LAYOUTS["gmx"], "pass"))
    result = run("classify", "--provider", "nope", str(path), use_db=False)
    assert result.code == 64 and "unknown provider 'nope'" in result.err and "gmx" in result.err
    result = run("classify", "--provider", "self-hosted", str(path), use_db=False)
    assert result.code == 78 and "needs trusted_authserv_ids" in result.err
    cfg = tmp_path / "config.toml"
    cfg.write_text(
        '[[mailbox]]\nname = "m"\nhost = "imap.example.org"\nusername = "u"\nprovider = "gmz"\n'
    )
    result = run("--config", str(cfg), "config", "check", use_db=False)
    assert result.code == 78 and "mailbox 'm': provider: unknown provider 'gmz'" in result.err


def test_classify_json_names_the_provider(run: Run, tmp_path: Path) -> None:
    path = tmp_path / "m.eml"
    path.write_bytes(mail(LAYOUTS["outlook"], "pass"))
    row = json.loads(run("classify", "--json", str(path), use_db=False).out)
    assert row["authenticity"] == "pass" and row["provider"].startswith("Outlook.com")


def test_imap_mailboxes_of_every_provider_protect_only_genuine_confirmations(
    dovecot: Dovecot, run: Run, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("METAWATCH_PASSWORD", "secret-pw")
    tables = []
    for name, layout in LAYOUTS.items():
        user = dovecot.new_user()
        dovecot.append(user, "INBOX", [mail(layout, kind, forged) for kind, forged in CASES])
        # the loopback host names no provider: the key its user would need for Proton's Bridge
        who = (f"trusted_authserv_ids = {json.dumps(list(layout.trusted_ids))}"
               if layout.provider == SELF_HOSTED else f'provider = "{layout.provider}"')  # fmt: skip
        tables.append(f'[[mailbox]]\nname = "{name}"\nhost = "127.0.0.1"\nport = {dovecot.tls_port}\n'
                      f'username = "{user}"\nca_file = "{dovecot.ca_file}"\n{who}\n')  # fmt: skip
    cfg = tmp_path / "config.toml"
    cfg.write_text("\n".join(tables))
    assert run("--config", str(cfg), "scan", "-q", "--jobs", "4").code == 0
    _check_states(_states(run, "--config", str(cfg)), configured=True)
