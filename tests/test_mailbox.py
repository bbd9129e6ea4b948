"""`metawatch mailbox add|list|remove`: from an address to a checked, scanned mailbox.

No test asks real DNS: every MX lookup goes to a stub resolver. The end-to-end tests type
through the questions (through click's test input, and through a real pty) against Dovecot.
"""

from __future__ import annotations

import json
import os
import select
import stat
import subprocess
import sys
import tomllib
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from metawatch import cli, config
from metawatch.errors import RulesError
from metawatch.providers import build_registry, registry

from .conftest import ROOT, SAMPLES, Result
from .dovecot import Dovecot

Run = Callable[..., Result]
PW = "secret-pw"
MX: dict[str, list[str]] = {
    "schmidt-family.de": ["aspmx.l.google.com", "alt1.aspmx.l.google.com"],
    "evans.ie": ["evans-ie.mail.protection.outlook.com"],
    "dubois.fr": ["mail.protonmail.ch"],
    "nowak.pl": ["mx.nowak.pl"],
}
# Anna's Facebook account: a notice and Meta's acceptance, both received by GMX; plus an Instagram
# notice to Tom that no one declared (discovered) and a personal mail (never fetched).
MAILS = ["de-fb-notice-2025.eml", "de-fb-accepted.eml", "en-ig-notice-2025.eml",
         "not-meta-personal.eml"]  # fmt: skip


@pytest.fixture(autouse=True)
def stub_dns(monkeypatch: pytest.MonkeyPatch) -> None:
    """MX lookups answer from MX above, never from the network."""
    from metawatch import mx

    monkeypatch.setattr(mx, "system_resolver", lambda: lambda domain: MX.get(domain, []))


@pytest.fixture
def cfg(tmp_path: Path) -> Path:
    return tmp_path / "conf" / "config.toml"


@pytest.fixture
def pwfile(tmp_path: Path) -> Path:
    path = tmp_path / "imap-password"
    path.write_text(PW + "\n")
    path.chmod(0o600)
    return path


def typed(db: Path, answers: list[str], *args: str) -> Result:
    """Run the CLI with these lines on standard input, as a person types them."""
    with CliRunner().isolation(input="".join(f"{a}\n" for a in answers)) as (out, err, _):
        try:
            cli.main(["--db", str(db), *args])
            code = 0
        except SystemExit as e:
            code = int(e.code or 0)
        return Result(code, out.getvalue().decode(), err.getvalue().decode())


def entries(path: Path) -> dict[str, object]:
    return tomllib.loads(path.read_text("utf-8"))


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


# -- providers: host, port, TLS, and what each needs first ---------------------------------------


@pytest.mark.parametrize(
    ("address", "host", "extra", "needs"),
    [
        ("anna.schmidt@gmx.de", "imap.gmx.net", {}, "switch IMAP on first"),
        ("lukas.weber@web.de", "imap.web.de", {}, "POP3/IMAP Abruf"),
        ("anna.s.fotos@gmail.com", "imap.gmail.com", {}, "myaccount.google.com/apppasswords"),
        ("tom.evans@icloud.com", "imap.mail.me.com", {"username": "tom.evans"}, "App-Specific Passwords"),
        ("kim@yahoo.de", "imap.mail.yahoo.com", {}, "Generate app password"),
        ("kim@aol.de", "imap.aol.com", {}, "Generate app password"),
        ("jo@gmx.co.uk", "imap.gmx.com", {}, "switch IMAP on first"),
        ("oma@t-online.de", "secureimap.t-online.de", {}, "E-Mail-Passwort"),
        ("kasia.nowak@o2.pl", "poczta.o2.pl", {}, "allow access by mail programs"),
        ("l.weber@posteo.de", "posteo.de", {}, "nothing to switch on first"),
        ("marie.dubois@orange.fr", "imap.orange.fr", {}, "confirmations will show as needs_review"),
        ("marie@proton.me", "127.0.0.1", {"port": 1143, "tls": "starttls", "provider": "proton"},
         "Export TLS certificates"),
    ],
)  # fmt: skip
def test_the_provider_comes_from_the_address(
    run: Run, cfg: Path, address: str, host: str, extra: dict[str, object], needs: str
) -> None:
    result = run("--config", str(cfg), "mailbox", "add", address, "--password-env", "PW",
                 "--yes", "--no-check")  # fmt: skip
    assert result.code == 0, result.err
    assert needs in result.out
    (mailbox,) = entries(cfg)["mailbox"]  # type: ignore[misc]
    expected = {"host": host, "username": address, "password_env": "PW", **extra}
    assert {k: mailbox[k] for k in expected} == expected
    assert "port" in extra or "port" not in mailbox  # 993 is the default: not written
    assert mode(cfg) == 0o600


def test_outlook_asks_for_an_oauth2_token_command_and_names_the_tools(
    db: Path, cfg: Path, tmp_path: Path
) -> None:
    tool = tmp_path / "oama"
    tool.write_text("#!/bin/sh\necho token\n")
    tool.chmod(0o755)
    # Enter takes oauth2, the default for Outlook; then the token command
    result = typed(db, ["", f"{tool} access tom.evans@outlook.com", "", ""],
                   "--config", str(cfg), "mailbox", "add", "tom.evans@outlook.com", "--no-check")  # fmt: skip
    assert result.code == 0, result.err
    assert "take only OAuth2" in result.out and "oama access tom.evans@outlook.com" in result.out
    assert "Which one [oauth2]" in result.out
    (mailbox,) = entries(cfg)["mailbox"]  # type: ignore[misc]
    assert mailbox["oauth2_token_command"] == f"{tool} access tom.evans@outlook.com"
    assert mailbox["host"] == "outlook.office365.com"


def test_an_unlisted_server_on_port_143_speaks_starttls(run: Run, cfg: Path) -> None:
    result = run("--config", str(cfg), "mailbox", "add", "me@nowak.pl", "--host", "mail.nowak.pl",
                 "--port", "143", "--password-env", "PW", "--yes", "--no-check")  # fmt: skip
    assert result.code == 0, result.err
    (mailbox,) = entries(cfg)["mailbox"]  # type: ignore[misc]
    assert (mailbox["tls"], "port" in mailbox, "provider" in mailbox) == ("starttls", False, False)


def test_a_password_at_outlook_gets_a_warning(run: Run, cfg: Path) -> None:
    result = run("--config", str(cfg), "mailbox", "add", "tom@hotmail.com", "--password-env",
                 "PW", "--yes", "--no-check")  # fmt: skip
    assert result.code == 0 and "refuses passwords over IMAP" in result.out


@pytest.mark.parametrize(
    ("address", "host", "provider"),
    [
        ("anna@schmidt-family.de", "imap.gmail.com", "Gmail / Google Workspace (MX aspmx.l.google.com"),
        ("tom@evans.ie", "outlook.office365.com", "Outlook.com / Hotmail / Microsoft 365 (MX"),
        ("marie@dubois.fr", "127.0.0.1", "Proton Mail (Bridge) (MX mail.protonmail.ch"),
    ],
)  # fmt: skip
def test_a_custom_domain_is_known_by_its_mx(
    run: Run, cfg: Path, address: str, host: str, provider: str
) -> None:
    result = run("--config", str(cfg), "mailbox", "add", address, "--password-env", "PW",
                 "--yes", "--no-check")  # fmt: skip
    assert result.code == 0, result.err
    assert f"provider: {provider}" in result.out
    assert entries(cfg)["mailbox"][0]["host"] == host  # type: ignore[index]


def test_an_unknown_custom_domain_is_asked_about(db: Path, cfg: Path) -> None:
    result = typed(db, ["fastmail", "", "env", "PW", ""],
                   "--config", str(cfg), "mailbox", "add", "kasia@nowak.pl", "--no-check")  # fmt: skip
    assert result.code == 0, result.err
    assert "nowak.pl's mail goes to mx.nowak.pl, which is not a listed provider" in result.out
    assert (
        "Who hosts nowak.pl's mail?" in result.out and "Login name [kasia@nowak.pl]" in result.out
    )
    assert entries(cfg)["mailbox"][0]["host"] == "imap.fastmail.com"  # type: ignore[index]


# -- without a person: never a question, a one-line error and exit 64 ----------------------------


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["kasia@nowak.pl", "--password-env", "PW"],
         "cannot tell who hosts nowak.pl's mail: give --provider NAME or --host HOST"),
        (["anna@gmx.de"], "no password source: give --password-command, --password-env, "
                          "--password-file or --oauth2-token-command"),
        ([], "give the email ADDRESS"),
        (["anna@gmx.de", "--password-env", "A", "--password-file", "/x"], "give only one of"),
        (["anna@gmx.de", "--password-env", "A", "--provider", "gmxx"], "unknown provider 'gmxx'"),
        (["not-an-address", "--password-env", "A"], "not an email address"),
        (["anna@gmx.de", "--password-env", "A", "--account", "myspace"], "PLATFORM[:ADDRESS][:HANDLE]"),
        (["anna@gmx.de", "--password-env", "A", "--ca-file", "/nonexistent.pem"], "no such file"),
    ],
)  # fmt: skip
def test_something_missing_without_a_terminal_exits_64_in_one_line(
    run: Run, cfg: Path, args: list[str], message: str
) -> None:
    result = run("--config", str(cfg), "mailbox", "add", *args, "--yes")
    assert result.code == 64
    assert result.err.count("\n") == 1 and message in result.err
    assert not cfg.exists()


@pytest.mark.parametrize("stdin", ["devnull", "closed"])
def test_with_stdin_closed_it_never_waits(tmp_path: Path, cfg: Path, stdin: str) -> None:
    """A real process whose stdin is /dev/null or no descriptor at all: no --yes needed."""
    env = {**os.environ, "HOME": str(tmp_path / "home"), "XDG_CONFIG_HOME": str(tmp_path / "x")}
    done = subprocess.run(
        [sys.executable, "-m", "metawatch", "--config", str(cfg), "mailbox", "add",
         "kasia@nowak.pl", "--password-env", "PW"],
        stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=120, env=env,
        preexec_fn=(lambda: os.close(0)) if stdin == "closed" else None,
    )  # fmt: skip
    assert done.returncode == 64, done.stderr
    assert done.stderr.startswith("metawatch: error: cannot tell who hosts nowak.pl's mail")
    assert done.stderr.count("\n") == 1 and "?" not in done.stdout


def test_a_password_typed_as_a_command_is_never_written_or_echoed(run: Run, cfg: Path) -> None:
    result = run("--config", str(cfg), "mailbox", "add", "anna@gmx.de", "--password-command",
                 "hunter2-s3cret", "--yes")  # fmt: skip
    assert result.code == 64 and "not on PATH" in result.err
    assert "hunter2" not in result.out + result.err and not cfg.exists()


def test_a_password_file_readable_by_others_is_refused(run: Run, cfg: Path, pwfile: Path) -> None:
    pwfile.chmod(0o644)
    result = run("--config", str(cfg), "mailbox", "add", "anna@gmx.de", "--password-file",
                 str(pwfile), "--yes")  # fmt: skip
    assert result.code == 64 and f"chmod 600 {pwfile}" in result.err


def test_a_bad_answer_is_asked_again(db: Path, cfg: Path, pwfile: Path) -> None:
    result = typed(db, ["nobody", "anna@gmx.de", "smoke-signal", "file", "/nonexistent", str(pwfile),
                        "myspace", "facebook", "", "anna_s", "", ""],
                   "--config", str(cfg), "mailbox", "add", "--no-check")  # fmt: skip
    assert result.code == 0, result.err
    assert "not an email address: 'nobody'" in result.out
    assert "one of: command, env, file, oauth2" in result.out
    assert (
        "no such file: /nonexistent (create it with `(umask 077; cat > /nonexistent)`" in result.out
    )
    assert "one of: facebook, instagram, threads, whatsapp" in result.out
    assert entries(cfg)["account"] == [
        {"platform": "facebook", "emails": ["anna@gmx.de"], "handle": "anna_s"}
    ]


def test_answering_no_writes_nothing(db: Path, cfg: Path) -> None:
    result = typed(db, ["", "n"], "--config", str(cfg), "mailbox", "add", "anna@gmx.de",
                   "--password-env", "PW")  # fmt: skip
    assert result.code == 0 and "nothing written" in result.out and not cfg.exists()


# -- the config file: the rest of it stays as written --------------------------------------------

MINE = """\
# my metawatch setup -- do not lose this comment
database = "~/mw.db"   # trailing comment

[alerts]
urls = ["ntfy://anna-secret-topic"]   # a token: the file must stay 0600

# the old box, kept for reference
[[mailbox]]
name = "old"                # comment inside
host = "imap.example.org"
username = "anna"
password_env = "OLD_PW"
# password_command = "pass show old"

# the work box
[[mailbox]]
name = "work"
host = "mail.example.com"
username = "anna@example.com"
password_env = "WORK_PW"

[[account]]
platform = "instagram"
emails = ["anna.s.fotos@gmail.com"]
"""


def test_add_then_remove_gives_back_the_file_byte_for_byte(run: Run, cfg: Path) -> None:
    cfg.parent.mkdir()
    cfg.write_text(MINE)
    cfg.chmod(0o600)
    added = run("--config", str(cfg), "mailbox", "add", "anna@gmx.de", "--password-env", "GMX_PW",
                "--account", "facebook", "--yes", "--no-check")  # fmt: skip
    assert added.code == 0, added.err
    text = cfg.read_text()
    assert text.startswith(MINE) and mode(cfg) == 0o600
    assert [m.name for m in config.load(str(cfg)).mailboxes] == ["old", "work", "gmx"]
    assert run("--config", str(cfg), "mailbox", "remove", "gmx").code == 0
    assert (
        cfg.read_text() == MINE + '\n[[account]]\nplatform = "facebook"\nemails = ["anna@gmx.de"]\n'
    )


def test_remove_takes_out_one_table_and_its_comment(run: Run, cfg: Path) -> None:
    cfg.parent.mkdir()
    cfg.write_text(MINE)
    cfg.chmod(0o600)
    result = run("--config", str(cfg), "mailbox", "remove", "old")
    assert result.code == 0, result.err
    assert "removed mailbox old" in result.out
    text = cfg.read_text()
    assert (
        "the old box" not in text and "pass show old" not in text and "comment inside" not in text
    )
    assert text == MINE.replace(
        MINE[MINE.index("# the old box") : MINE.index("# the work box")], ""
    )


def test_remove_an_unknown_mailbox_exits_65_and_names_the_known(run: Run, cfg: Path) -> None:
    cfg.parent.mkdir()
    cfg.write_text(MINE)
    cfg.chmod(0o600)
    result = run("--config", str(cfg), "mailbox", "remove", "gmx")
    assert result.code == 65 and "no mailbox named 'gmx' (configured: old, work)" in result.err
    assert cfg.read_text() == MINE


def test_a_second_mailbox_of_the_same_login_is_refused(run: Run, cfg: Path) -> None:
    args = ["--config", str(cfg), "mailbox", "add", "anna@gmx.de", "--password-env", "A", "--yes",
            "--no-check"]  # fmt: skip
    assert run(*args).code == 0
    again = run(*args, "--name", "gmx")
    assert again.code == 64 and "a mailbox named 'gmx' is already configured" in again.err
    again = run(*args)
    assert (
        again.code == 64
        and "anna@gmx.de at imap.gmx.net is already configured as mailbox 'gmx'" in again.err
    )


def test_an_invalid_config_is_not_touched(run: Run, cfg: Path) -> None:
    cfg.parent.mkdir()
    cfg.write_text('[[mailbox]]\nname = "x"\nhots = "typo"\n')
    result = run(
        "--config", str(cfg), "mailbox", "add", "anna@gmx.de", "--password-env", "A", "--yes"
    )
    assert result.code == 78 and "unknown key 'hots'" in result.err
    assert cfg.read_text() == '[[mailbox]]\nname = "x"\nhots = "typo"\n'


def test_a_symlinked_config_stays_a_symlink(run: Run, tmp_path: Path) -> None:
    real = tmp_path / "dotfiles" / "metawatch.toml"
    real.parent.mkdir()
    real.write_text("# mine\n")
    link = tmp_path / "config.toml"
    link.symlink_to(real)
    result = run("--config", str(link), "mailbox", "add", "anna@gmx.de", "--password-env", "A",
                 "--yes", "--no-check")  # fmt: skip
    assert result.code == 0, result.err
    assert link.is_symlink() and real.read_text().startswith("# mine\n") and mode(real) == 0o600


def test_a_new_config_starts_from_the_commented_template(run: Run) -> None:
    result = run("mailbox", "add", "anna@gmx.de", "--password-env", "A", "--yes", "--no-check")
    assert result.code == 0, result.err
    path = config.default_path()
    assert path.read_text().startswith(config.STARTER) and mode(path) == 0o600
    assert run("config", "check").out.endswith("OK (1 mailboxes, 0 accounts)\n")


def test_mailbox_list(run: Run, cfg: Path) -> None:
    assert "no mailbox configured" in run("--config", str(cfg), "mailbox", "list").out
    run("--config", str(cfg), "mailbox", "add", "marie@proton.me", "--password-env", "BRIDGE_PW",
        "--yes", "--no-check")  # fmt: skip
    table = run("--config", str(cfg), "mailbox", "list").out
    assert "proton  127.0.0.1:1143  starttls  marie@proton.me  proton" in table
    assert "env BRIDGE_PW" in table
    (row,) = json.loads(run("--config", str(cfg), "mailbox", "list", "--json").out)
    assert row == {"name": "proton", "host": "127.0.0.1", "port": 1143, "tls": "starttls",
                   "username": "marie@proton.me", "provider": "proton", "secret": "env BRIDGE_PW"}  # fmt: skip


def test_scan_mailbox_names_a_configured_mailbox(run: Run, cfg: Path) -> None:
    run("--config", str(cfg), "mailbox", "add", "anna@gmx.de", "--password-env", "A", "--yes",
        "--no-check")  # fmt: skip
    result = run("--config", str(cfg), "scan", "--mailbox", "work")
    assert result.code == 64 and "--mailbox: no mailbox named work in the config" in result.err
    result = run("--config", str(cfg), "scan", "--mailbox", "gmx", str(SAMPLES))
    assert result.code == 64 and "give SOURCEs or --mailbox, not both" in result.err


# -- the registry's setup data -------------------------------------------------------------------


def test_every_provider_can_be_set_up() -> None:
    for p in registry().providers:
        for domain in p.domains:
            host = p.imap_host_for(domain)
            assert host in p.imap_hosts or (not p.imap_hosts and host == p.setup_host), domain
        assert p.secret != "oauth2" or p.oauth2_tools, p.name


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"imap_tls": "plain"}, "imap_tls must be implicit or starttls"),
        ({"secret": "magic"}, "secret one of"),
        ({"login": "nick"}, "login must be"),
        ({"domain_hosts": {"gmail.com": "imap.example.org"}}, "domain_hosts names hosts"),
        ({"imap_hosts": []}, "names no imap_hosts and no setup_host"),
    ],
)
def test_bad_setup_data_is_refused(changes: dict[str, object], message: str) -> None:
    raw = tomllib.loads((ROOT / "src/metawatch/rules/providers.toml").read_text("utf-8"))
    next(p for p in raw["provider"] if p["name"] == "gmail").update(changes)
    with pytest.raises(RulesError, match=message):
        build_registry(raw)


# -- end to end against Dovecot ------------------------------------------------------------------


@pytest.fixture
def mailbox_user(dovecot: Dovecot, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.delenv("METAWATCH_PASSWORD", raising=False)
    user = dovecot.new_user()
    dovecot.append(user, "INBOX", [(SAMPLES / n).read_bytes() for n in MAILS])
    return user


def _status(run: Run, cfg: Path) -> dict[str, dict[str, object]]:
    rows = json.loads(run("--config", str(cfg), "status", "--json").out)
    return {f"{r['platform']} {r['emails'][0]}": r for r in rows}


def test_typing_through_the_questions_to_a_first_scan(
    dovecot: Dovecot, mailbox_user: str, db: Path, cfg: Path, pwfile: Path, run: Run
) -> None:
    answers = [
        "anna@nowak.pl",            # the address: its MX names no listed provider
        "other",                    # who hosts it
        "127.0.0.1",                # IMAP server
        "",                         # TLS: implicit
        str(dovecot.tls_port),      # port
        dovecot.ca_file,            # the server's own CA
        mailbox_user,               # login name
        "file", str(pwfile),        # the password: from a 0600 file
        "facebook", "anna.schmidt@gmx.de", "",  # a Meta account, no user name
        "",                         # done with accounts
        "",                         # write it: yes
        "",                         # scan it now: yes
    ]  # fmt: skip
    result = typed(db, answers, "--config", str(cfg), "mailbox", "add")
    assert result.code == 0, result.out + result.err
    assert "wrote mailbox anna@nowak.pl to" in result.out
    assert "connected and logged in" in result.out
    assert "so confirmations can be verified" in result.out
    assert "scanned 3 mails: 3 new" in result.out  # the personal mail never left the server
    assert "discovered account: instagram tom.evans.ie@gmail.com" in result.out
    settings = config.load(str(cfg))
    (m,) = settings.mailboxes
    assert (m.host, m.port, m.username, m.password_file) == ("127.0.0.1", dovecot.tls_port,
                                                              mailbox_user, str(pwfile))  # fmt: skip
    assert PW not in cfg.read_text() and mode(cfg) == 0o600
    rows = _status(run, cfg)
    anna = rows["facebook anna.schmidt@gmx.de"]
    assert (anna["state"], anna["discovered"]) == ("protected", False)
    assert rows["instagram tom.evans.ie@gmail.com"]["discovered"] is True
    assert run("--config", str(cfg), "doctor").code == 0


def test_the_non_interactive_form(
    dovecot: Dovecot, mailbox_user: str, cfg: Path, pwfile: Path, run: Run
) -> None:
    result = run(
        "--config", str(cfg), "mailbox", "add", "anna@schmidt-family.de", "--host", "127.0.0.1",
        "--port", str(dovecot.tls_port), "--ca-file", dovecot.ca_file, "--username", mailbox_user,
        "--password-command", f"cat {pwfile}", "--name", "anna", "--provider", "gmx",
        "--account", "facebook:anna.schmidt@gmx.de", "--yes", "--scan",
    )  # fmt: skip
    assert result.code == 0, result.err
    assert "prov  GMX (provider = gmx)" in result.out and "scanned 3 mails: 3 new" in result.out
    (mailbox,) = entries(cfg)["mailbox"]  # type: ignore[misc]
    assert mailbox["provider"] == "gmx" and mailbox["password_command"] == f"cat {pwfile}"
    assert _status(run, cfg)["facebook anna.schmidt@gmx.de"]["state"] == "protected"
    assert run("--config", str(cfg), "scan").code == 0  # and the next scan, as cron runs it


def test_without_scan_the_non_interactive_form_only_checks(
    dovecot: Dovecot, mailbox_user: str, cfg: Path, pwfile: Path, run: Run
) -> None:
    result = run("--config", str(cfg), "mailbox", "add", f"{mailbox_user}@nowak.pl", "--host",
                 "127.0.0.1", "--port", str(dovecot.tls_port), "--ca-file", dovecot.ca_file,
                 "--username", mailbox_user, "--password-file", str(pwfile), "--yes")  # fmt: skip
    assert result.code == 0, result.err
    assert "connected and logged in" in result.out and "scanned" not in result.out
    assert "no Meta accounts named: metawatch discovers them" in result.out


def test_a_failed_check_keeps_the_entry_and_says_what_the_provider_needs(
    dovecot: Dovecot, mailbox_user: str, cfg: Path, tmp_path: Path, run: Run
) -> None:
    wrong = tmp_path / "wrong"
    wrong.write_text("not-the-password\n")
    wrong.chmod(0o600)
    result = run("--config", str(cfg), "mailbox", "add", "anna@gmx.de", "--host", "127.0.0.1",
                 "--port", str(dovecot.tls_port), "--ca-file", dovecot.ca_file, "--username",
                 mailbox_user, "--password-file", str(wrong), "--scan", "--yes")  # fmt: skip
    assert result.code == 77
    assert "FAIL" in result.out and "the server refused the credentials" in result.out
    assert "GMX needs first: GMX: switch IMAP on first" in result.out
    assert "metawatch mailbox remove gmx" in result.out and "scanned" not in result.out
    assert [m.name for m in config.load(str(cfg)).mailboxes] == ["gmx"]


class Pty:
    """A process on a real terminal: read until a prompt shows, then type a line."""

    def __init__(self, args: list[str], env: dict[str, str]) -> None:
        self.master, slave = os.openpty()
        self.process = subprocess.Popen(args, stdin=slave, stdout=slave, stderr=slave, env=env,
                                        start_new_session=True)  # fmt: skip
        os.close(slave)
        self.seen = ""

    def expect(self, text: str) -> None:
        while text not in self.seen:
            ready, _, _ = select.select([self.master], [], [], 120)  # a hang fails, never a pace
            assert ready, f"no {text!r} in:\n{self.seen}"
            try:
                chunk = os.read(self.master, 4096)
            except OSError:  # the process has ended and the terminal closed
                chunk = b""
            assert chunk, f"no {text!r} in:\n{self.seen}"
            self.seen += chunk.decode("utf-8", "replace")

    def type(self, line: str) -> None:
        os.write(self.master, line.encode() + b"\r")

    def close(self) -> int:
        code = self.process.wait(120)
        os.close(self.master)
        return code


@pytest.fixture
def terminal(tmp_path: Path) -> Iterator[Callable[..., Pty]]:
    started: list[Pty] = []
    env = {**os.environ, "HOME": str(tmp_path / "home"), "XDG_CONFIG_HOME": str(tmp_path / "x"),
           "XDG_DATA_HOME": str(tmp_path / "d"), "TERM": "dumb"}  # fmt: skip
    env.pop("METAWATCH_PASSWORD", None)

    def start(*args: str) -> Pty:
        started.append(Pty([sys.executable, "-m", "metawatch", *args], env))
        return started[-1]

    yield start
    for p in started:
        if p.process.poll() is None:
            p.process.kill()
            p.process.wait()


def test_on_a_real_terminal(
    dovecot: Dovecot, mailbox_user: str, db: Path, cfg: Path, pwfile: Path,
    terminal: Callable[..., Pty],
) -> None:  # fmt: skip
    t = terminal("--db", str(db), "--config", str(cfg), "mailbox", "add", "--host", "127.0.0.1")
    for prompt, answer in [
        ("Your email address: ", "anna@nowak.pl"),
        ("TLS: implicit (port 993) or starttls (port 143) [implicit]: ", ""),
        ("IMAP port [993]: ", str(dovecot.tls_port)),
        ("CA file, for a self-signed server (Enter: the system's CAs): ", dovecot.ca_file),
        ("Login name [anna@nowak.pl]: ", mailbox_user),
        ("Which one [command]: ", ""),
        ("Command that prints the password: ", f"cat {pwfile}"),
        ("Enter: done): ", "facebook"),
        ("its login address [anna@nowak.pl]: ", "anna.schmidt@gmx.de"),
        ("(Enter: none): ", ""),
        ("Enter: done): ", ""),
        ("? [Y/n]: ", "y"),
        ("Scan it now? [Y/n]: ", ""),
    ]:
        t.expect(prompt)
        t.type(answer)
    t.expect("next: `metawatch status`")
    assert t.close() == 0, t.seen
    assert "connected and logged in" in t.seen and "scanned 3 mails: 3 new" in t.seen
    assert config.load(str(cfg)).accounts[0].emails == ("anna.schmidt@gmx.de",)
