"""config: TOML to frozen settings; every error names the file and the key."""

from __future__ import annotations

import stat
from collections.abc import Callable
from pathlib import Path

import pytest

from metawatch import config
from metawatch.config import mailbox_from_url
from metawatch.errors import ConfigError
from metawatch.sources.imap import MAX_COMMAND, ImapSource, command_sized, search_criteria

from .conftest import Result

Run = Callable[..., Result]
ASSETS = Path(__file__).parent / "assets" / "config"


@pytest.mark.parametrize(
    ("asset", "message"),
    [
        ("unknown_key.toml", "[[mailbox]] #1: unknown key 'hots'"),
        (
            "password_inline.toml",
            "unknown key 'password' (passwords are never written in the config",
        ),
        ("wrong_type.toml", "'port' has the wrong type (str)"),
        ("plain_without_allow.toml", "set allow_plaintext = true"),
        ("two_password_sources.toml", "give only one of password_command"),
        ("bad_platform.toml", "platform 'myspace' is not one of"),
        ("missing_host.toml", "'host' is required"),
        ("not_toml.toml", "invalid TOML"),
        (
            "unknown_provider.toml",
            "mailbox 'bridge': provider: unknown provider 'protonmail' (known:",
        ),
        ("self_hosted_without_ids.toml", "self-hosted needs trusted_authserv_ids"),
        ("batch_too_large.toml", "batch_size must be at most 1000, not 5000"),
        ("bad_deadline.toml", "mailbox 'slow': 'deadline': 'soon' is not a duration"),
        ("zero_scan_deadline.toml", "'scan_deadline': '0m' must be longer than 0s"),
    ],
)
def test_bad_config_is_refused_with_file_and_key(asset: str, message: str) -> None:
    with pytest.raises(ConfigError) as e:
        config.load(str(ASSETS / asset))
    assert str(ASSETS / asset) in str(e.value)
    assert message in str(e.value)


def test_good_config_loads() -> None:
    s = config.load(str(ASSETS / "good.toml"))
    assert [m.name for m in s.mailboxes] == ["gmx"]
    assert s.mailboxes[0].effective_port == 993 and s.mailboxes[0].folders == ("INBOX", "Spam")
    assert s.accounts[0].emails == ("anna.s.fotos@gmail.com",)
    assert s.trusted_authserv_ids == ("mx.example.org",)


def test_mailbox_provider_and_own_authserv_ids(tmp_path: Path) -> None:
    cfg = tmp_path / "config.toml"
    cfg.write_text('[[mailbox]]\nname = "bridge"\nhost = "127.0.0.1"\nusername = "a@proton.me"\n'
                   'provider = "proton"\n\n[[mailbox]]\nname = "own"\nhost = "mail.example.org"\n'
                   "username = \"a\"\ntrusted_authserv_ids = [\"'mail.example.org'\"]\n")  # fmt: skip
    bridge, own = config.load(str(cfg)).mailboxes
    assert bridge.provider == "proton" and own.trusted_authserv_ids == ("'mail.example.org'",)
    url = mailbox_from_url("imap://a%40proton.me@127.0.0.1:1143/?provider=proton&tls=starttls")
    assert url.provider == "proton"
    with pytest.raises(ConfigError, match="unknown provider 'nope'"):
        mailbox_from_url("imaps://a@imap.example.org/?provider=nope")


def test_missing_default_config_is_empty() -> None:
    assert config.load() == config.Settings()


def test_missing_explicit_config_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="no such configuration file"):
        config.load(str(tmp_path / "nope.toml"))


def test_config_init_writes_a_private_starter_that_loads(run: Run, tmp_path: Path) -> None:
    path = tmp_path / "c" / "config.toml"
    assert run("--config", str(path), "config", "init").code == 0
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert run("--config", str(path), "config", "check").code == 0
    again = run("--config", str(path), "config", "init")
    assert again.code == 78 and "already exists" in again.err


def test_config_check_reports_errors_with_code_78(run: Run) -> None:
    result = run("--config", str(ASSETS / "unknown_key.toml"), "config", "check")
    assert result.code == 78 and "unknown key 'hots'" in result.err


def test_accounts_from_the_config_are_known(run: Run) -> None:
    rows = __import__("json").loads(
        run("--config", str(ASSETS / "good.toml"), "accounts", "list", "--json").out
    )
    assert rows[0]["emails"] == ["anna.s.fotos@gmail.com"] and not rows[0]["discovered"]


def test_imap_url() -> None:
    m = mailbox_from_url(
        "imaps://anna%40gmx.de@imap.gmx.net:1993/?folders=INBOX,Spam&ca_file=/x.pem"
    )
    assert (m.username, m.host, m.effective_port, m.tls) == (
        "anna@gmx.de",
        "imap.gmx.net",
        1993,
        "implicit",
    )
    assert m.folders == ("INBOX", "Spam") and m.ca_file == "/x.pem"
    assert mailbox_from_url("imap://a@h/").tls == "starttls"
    with pytest.raises(ConfigError, match="unknown parameter"):
        mailbox_from_url("imaps://a@h/?verify=no")
    with pytest.raises(ConfigError, match="allow_plaintext"):
        mailbox_from_url("imap://a@h/?tls=plain")


def test_search_criteria_is_a_chain_of_or() -> None:
    assert search_criteria(["a", "b", "c"]) == ["OR", "FROM", "a", "OR", "FROM", "b", "FROM", "c"]


class FakeGmail:
    """Gmail's LIST: labels are folders; only a corner case a Dovecot can't show."""

    def list_folders(self) -> list[tuple[tuple[bytes, ...], bytes, str]]:
        return [
            ((b"\\HasNoChildren",), b"/", "INBOX"),
            ((b"\\HasNoChildren", b"\\All"), b"/", "[Gmail]/All Mail"),
            ((b"\\HasNoChildren", b"\\Junk"), b"/", "[Gmail]/Spam"),
            ((b"\\HasNoChildren", b"\\Sent"), b"/", "[Gmail]/Sent Mail"),
            ((b"\\HasNoChildren",), b"/", "Meta"),
        ]

    def has_capability(self, name: str) -> bool:
        return name == "X-GM-EXT-1"


def test_gmail_scans_all_mail_and_spam_only() -> None:
    src = ImapSource(config.MailboxConfig("g", "imap.gmail.com", "a"), lambda: None, ["x"], {})  # type: ignore[arg-type, return-value]
    assert src.folders(FakeGmail()) == ["[Gmail]/All Mail", "[Gmail]/Spam"]


def test_explicit_folder_list_overrides() -> None:
    cfg = config.MailboxConfig("g", "imap.gmail.com", "a", folders=("Meta",))
    src = ImapSource(cfg, lambda: None, ["x"], {})  # type: ignore[arg-type, return-value]
    assert src.folders(FakeGmail()) == ["Meta"]
    missing = ImapSource(
        config.MailboxConfig("g", "h", "a", folders=("Nope",)), lambda: None, ["x"], {}
    )  # type: ignore[arg-type, return-value]
    with pytest.raises(ConfigError, match="no such folder"):
        missing.folders(FakeGmail())


def test_deadlines_have_sensible_defaults() -> None:
    settings = config.parse({"mailbox": [{"name": "m", "host": "h", "username": "u"}]}, None)
    assert settings.scan_deadline == "1h" and settings.mailboxes[0].deadline_seconds == 1800


def test_uids_are_fetched_in_commands_of_bounded_size() -> None:
    uids = list(range(1, 20_001))
    runs = list(command_sized(uids))
    assert [u for run in runs for u in run] == uids
    assert max(len(",".join(map(str, run))) for run in runs) <= MAX_COMMAND
