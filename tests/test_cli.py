"""The CLI as a user meets it: commands, output, exit codes."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import click
import pytest

from metawatch.cli import cli
from metawatch.store import Store, database_url

from .conftest import ROOT, SAMPLES, Result, make_mail
from .postgres import Postgres

Run = Callable[..., Result]


def _commands(group: click.Group, prefix: str = "") -> list[str]:
    names = []
    for name, cmd in group.commands.items():
        names.append(f"{prefix}{name}")
        if isinstance(cmd, click.Group):
            names += _commands(cmd, f"{prefix}{name} ")
    return names


COMMANDS = _commands(cli)


@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_has_help(run: Run, command: str) -> None:
    result = run(*command.split(), "--help")
    assert result.code == 0
    assert "Usage:" in result.out


@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_is_in_the_readme(command: str) -> None:
    assert f"metawatch {command}" in (ROOT / "README.md").read_text("utf-8")


def test_version(run: Run) -> None:
    assert re.match(r"metawatch, version \d+\.\d+", run("--version").out)


def test_scan_samples_twice_stores_each_mail_once(run: Run, db: Path) -> None:
    first = run("scan", str(SAMPLES))
    assert first.code == 0
    count = len(list(SAMPLES.glob("*.eml")))
    assert f"scanned {count} mails: {count} new, 0 already known" in first.out
    second = run("scan", str(SAMPLES))
    assert (second.code, second.out) == (0, "")  # nothing new, nothing to say
    assert sum(Store.open(database_url(str(db))).counts().values()) == count


def test_scan_quiet_prints_nothing_when_all_is_well(run: Run) -> None:
    files = [str(SAMPLES / n) for n in ("en-fb-notice-2025.eml", "en-fb-accepted.eml")]
    result = run("scan", "-q", *files)
    assert (result.code, result.out) == (0, "")


def test_dry_run_writes_nothing(run: Run, db: Path) -> None:
    result = run("scan", "--dry-run", str(SAMPLES))
    assert result.code == 0 and "dry run:" in result.out
    assert not db.exists()


def test_status_after_sample_scan(run: Run) -> None:
    run("scan", "-q", str(SAMPLES))
    result = run("status")
    assert result.code == 2  # unprotected accounts in the sample cast
    assert "anna.s.fotos+insta@gmail.com" in result.out and "unprotected" in result.out
    rows = json.loads(run("status", "--json").out)
    states = {(r["platform"], r["emails"][0]): r["state"] for r in rows}
    assert states[("facebook", "anna.schmidt@gmx.de")] == "protected"
    assert states[("instagram", "anna.s.fotos+insta@gmail.com")] == "unprotected"
    assert states[("instagram", "kasia.nowak@wp.pl")] == "rejected"
    assert states[("instagram", "joaosilva.pt@gmail.com")] == "needs_review"
    assert states[("whatsapp", "tom.evans@icloud.com")] == "not_applicable"
    assert states[("instagram", "l.weber@posteo.de")] == "unprotected"
    lukas = next(r for r in rows if r["emails"] == ["l.weber@posteo.de"])
    assert lukas["suspected_fake"] and lukas["objection_link"].startswith("https://")


@pytest.mark.parametrize(
    ("files", "code"),
    [
        (["en-fb-notice-2025.eml", "en-fb-accepted.eml"], 0),
        (["en-ig-code-2024.eml"], 1),
        (["en-ig-notice-2025.eml"], 2),
        (["pl-ig-rejected.eml"], 2),
    ],
)
def test_status_exit_codes_are_nagios_style(run: Run, files: list[str], code: int) -> None:
    run("scan", "-q", *(str(SAMPLES / f) for f in files))
    assert run("status").code == code
    assert run("status", "--check").out.startswith(
        ("METAWATCH OK", "METAWATCH WARNING", "METAWATCH CRITICAL")
    )


def test_empty_status_says_what_to_do(run: Run) -> None:
    result = run("status")
    assert (result.code, "no accounts yet" in result.out) == (0, True)


def test_accounts_add_list_remove(run: Run) -> None:
    added = run(
        "accounts",
        "add",
        "--platform",
        "instagram",
        "--email",
        "a@example.org",
        "--email",
        "b@example.org",
        "--handle",
        "anna_s",
        "--label",
        "Anna IG",
    )
    assert added.code == 0 and "added account 1" in added.out
    listed = json.loads(run("accounts", "list", "--json").out)
    assert listed == [
        {
            "id": 1,
            "platform": "instagram",
            "emails": ["a@example.org", "b@example.org"],
            "handle": "anna_s",
            "label": "Anna IG",
            "discovered": False,
        }
    ]
    assert run("accounts", "remove", "1").code == 0
    assert json.loads(run("accounts", "list", "--json").out) == []


def test_known_account_is_matched_not_discovered(run: Run) -> None:
    run(
        "accounts",
        "add",
        "--platform",
        "facebook",
        "--email",
        "Tom.Evans@icloud.com",
        "--label",
        "Tom",
    )
    out = run("scan", str(SAMPLES / "en-fb-notice-2025.eml")).out
    assert "discovered" not in out
    assert json.loads(run("status", "--json").out)[0]["state"] == "unprotected"


def test_messages_filters_by_kind_and_account(run: Run) -> None:
    run("scan", "-q", str(SAMPLES))
    lines = [
        json.loads(x)
        for x in run("messages", "--kind", "objection_accepted", "--json").out.splitlines()
    ]
    assert lines and {m["kind"] for m in lines} == {"objection_accepted"}
    account = lines[0]["account"]
    mine = run("messages", "--account", str(account), "--json").out.splitlines()
    assert all(json.loads(x)["account"] == account for x in mine)
    assert "not_meta" not in run("messages").out


def test_classify_json_has_the_promised_fields(run: Run) -> None:
    result = run("classify", "--json", str(SAMPLES / "de-fb-accepted.eml"), use_db=False)
    obj = json.loads(result.out)
    for field in (
        "file",
        "kind",
        "platform",
        "language",
        "rule",
        "recipient",
        "handle",
        "message_id",
        "date",
        "authenticity",
        "forwarded",
        "rules_version",
    ):
        assert field in obj
    assert (obj["kind"], obj["platform"], obj["language"], obj["authenticity"]) == (
        "objection_accepted",
        "facebook",
        "de",
        "pass",
    )
    assert obj["recipient"] == "anna.schmidt@gmx.de"


def test_classify_writes_no_database(run: Run, db: Path) -> None:
    run("classify", str(SAMPLES))
    assert not db.exists()


def test_explain_a_file_names_the_cues(run: Run) -> None:
    out = run("explain", str(SAMPLES / "de-fb-notice-2025.eml")).out
    assert "policy_notice" in out and "notice.structure" in out and "cue:" in out
    assert "relied on: Authentication-Results: gmx.net" in out


def test_explain_a_stored_message(run: Run) -> None:
    run("scan", "-q", str(SAMPLES / "en-fb-accepted.eml"))
    out = run("explain", "1").out
    assert "objection_accepted" in out and "accept" in out


def test_broken_mail_is_recorded_and_the_rest_stored(run: Run, tmp_path: Path) -> None:
    folder = tmp_path / "mails"
    folder.mkdir()
    (folder / "garbage.eml").write_bytes(b"\x00\x01\x02" * 100)
    (folder / "empty.eml").write_bytes(b"")
    (folder / "truncated.eml").write_bytes((SAMPLES / "en-fb-notice-2025.eml").read_bytes()[:1500])
    shutil.copy(SAMPLES / "en-fb-accepted.eml", folder)
    result = run("scan", str(folder))
    assert result.code == 0
    assert "unparseable          2" in result.out and "objection_accepted   1" in result.out
    assert "unparseable mail" in result.err
    assert len(json.loads(run("status", "--json").out)) == 1


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (["scan"], 64, "nothing to scan: give a SOURCE"),
        (["scan", "/no/such/file.eml"], 66, "no such file or folder"),
        (["status", "--bogus"], 64, "No such option"),
        (["accounts", "add", "--platform", "myspace", "--email", "a@b.c"], 64, "Invalid value"),
        (
            ["accounts", "add", "--platform", "facebook", "--email", "nope"],
            64,
            "not an email address",
        ),
        (["accounts", "remove", "99"], 65, "no account with id 99"),
        (["explain", "42"], 65, "no stored message with id 42"),
    ],
)
def test_errors_are_one_line_with_a_documented_code(
    run: Run, args: list[str], code: int, message: str
) -> None:
    result = run(*args)
    assert result.code == code
    assert message in result.err
    assert "Traceback" not in result.err


def test_unwritable_database_exits_73(run: Run, tmp_path: Path) -> None:
    (tmp_path / "blocker").write_text("")
    result = run("--db", str(tmp_path / "blocker" / "x.db"), "status", use_db=False)
    assert result.code == 73 and result.err.startswith("metawatch: error: cannot create database")


def test_env_var_sets_the_database(
    run: Run, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("METAWATCH_DB", str(tmp_path / "env.db"))
    run("scan", "-q", str(SAMPLES / "en-fb-notice-2025.eml"), use_db=False)
    assert (tmp_path / "env.db").exists()


def test_default_database_lives_in_the_user_data_folder(run: Run, tmp_path: Path) -> None:
    run("scan", "-q", str(SAMPLES / "en-fb-notice-2025.eml"), use_db=False)
    assert list((tmp_path / "xdg-data").rglob("metawatch.db"))


def test_terminal_output_is_safe_from_escape_sequences(run: Run, tmp_path: Path) -> None:
    raw = make_mail(
        "Hi x,\nhello",
        subject="evil \x1b[31mred\x1b[0m",
        sender="no-reply@mail.instagram.com",
        to="\x1b]0;pwned\x07@example.org",
    )
    (tmp_path / "evil.eml").write_bytes(raw)
    run("scan", "-q", str(tmp_path / "evil.eml"))
    assert "\x1b" not in run("messages").out and "\x1b" not in run("status").out


def test_python_dash_m_works() -> None:
    out = subprocess.run(
        [sys.executable, "-m", "metawatch", "--version"], capture_output=True, text=True
    )
    assert out.returncode == 0 and "metawatch" in out.stdout


def test_db_upgrade_brings_an_old_file_to_the_newest_schema(run: Run, db: Path) -> None:
    import sqlite3

    assert run("scan", "-q", str(SAMPLES / "en-fb-accepted.eml")).code == 0
    with sqlite3.connect(db) as conn:  # as schema v3 left it
        conn.execute("ALTER TABLE message DROP COLUMN auth_header")
        conn.execute("UPDATE metawatch_meta SET value='3' WHERE key='schema_version'")
    result = run("db", "upgrade")
    assert result.code == 0, result.err
    assert "applied: the Authentication-Results header relied on" in result.out
    assert "nothing to do" in run("db", "upgrade").out


@pytest.mark.postgres
def test_db_copy_moves_everything_to_postgresql(run: Run, postgres: Postgres) -> None:
    assert run("scan", "-q", str(SAMPLES)).code == 0
    before = run("status", "--json").out
    target = postgres.new_database()
    result = run("db", "copy", "--to", target)
    assert result.code == 0, result.err
    assert re.search(r"^message\s+100$", result.out, re.M)
    after = run("--db", target, "status", "--json", use_db=False)
    assert after.out == before
    assert run("db", "copy", "--to", target).code == 73  # never into a database with data


def test_an_attachment_makes_no_noise_on_stderr(tmp_path: Path) -> None:
    mail = tmp_path / "pdf.eml"
    mail.write_bytes(b"From: a@facebookmail.com\r\nSubject: x\r\nContent-Type: multipart/mixed; "
                     b"boundary=b\r\n\r\n--b\r\nContent-Type: application/pdf\r\n"
                     b"Content-Transfer-Encoding: base64\r\n\r\nQUJD\r\n--b--\r\n")  # fmt: skip
    done = subprocess.run([sys.executable, "-m", "metawatch", "--db", str(tmp_path / "x.db"),
                           "scan", "-q", str(mail)], capture_output=True, text=True)  # fmt: skip
    assert (done.returncode, done.stderr) == (0, "")


def test_an_unreadable_answer_is_alerted_listed_and_exported(run: Run, tmp_path: Path) -> None:
    mail = tmp_path / "answer.eml"
    mail.write_bytes(make_mail(
        "Hi anna, we've received your objection about AI at Meta. Reference 12345678.",
        subject="Your objection",
    ))  # fmt: skip
    classified = json.loads(run("classify", "--json", str(mail)).out)
    assert classified["kind"] == "objection_answer_unclear"
    scan = run("scan", str(mail))
    assert "could not read the decision: read it (metawatch explain" in scan.out
    [row] = json.loads(run("status", "--json").out)
    assert (row["state"], row["next_step"]) == ("needs_review", (
        "Meta answered your objection and metawatch could not read the decision: "
        f"read it (`metawatch explain {row['evidence']['message']}`)"))  # fmt: skip
    listed = run("messages", "--kind", "objection_answer_unclear", "--json").out.splitlines()
    assert [json.loads(line)["kind"] for line in listed] == ["objection_answer_unclear"]
    run("export-evidence", str(row["account"]), "--out", str(tmp_path / "ev"))
    manifest = json.loads((tmp_path / "ev" / "manifest.json").read_text())
    assert [m["kind"] for m in manifest["mails"]] == ["objection_answer_unclear"]


WILD = Path(__file__).parent / "assets" / "wild"


def test_library_chatter_stays_off_stderr_under_q_and_shows_under_debug(tmp_path: Path) -> None:
    # mail-parser says "Failed decoding header part"; it reads mails that can matter (the screen
    # lets this one through), Python's parser the rest.
    mail = tmp_path / "broken.eml"
    raw = (WILD / "fb-broken-encoded-words.eml").read_bytes()
    mail.write_bytes(raw.replace(b"du hast 3 neue Benachrichtigungen.", "wir haben deinem "
                                 "Widerspruch gegen die Verwendung deiner Daten für KI bei Meta "
                                 "stattgegeben.".encode()))  # fmt: skip

    def scan(*flags: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "metawatch", *flags, "--db", str(tmp_path / f"{len(flags)}.db"),
                               "scan", "-q", str(mail)], capture_output=True, text=True)  # fmt: skip

    quiet = scan()
    assert (quiet.returncode, quiet.stderr) == (0, "")
    debug = scan("--debug")
    assert "metawatch: debug: mail-parser: Failed decoding header part" in debug.stderr


def test_a_folder_without_mail_is_no_silent_success(run: Run, tmp_path: Path) -> None:
    (tmp_path / "Takeout").mkdir()
    (tmp_path / "Takeout" / "archive_browser.html").write_text("<html></html>")
    result = run("scan", "-q", str(tmp_path / "Takeout"))
    assert result.code == 0 and "no mail found in" in result.err


def test_the_summary_counts_copies_dropped_as_duplicates(run: Run, tmp_path: Path) -> None:
    for name in ("a", "b", "c"):
        (tmp_path / f"{name}.eml").write_bytes((SAMPLES / "en-fb-accepted.eml").read_bytes())
    (tmp_path / "d.eml").write_bytes((SAMPLES / "de-fb-accepted.eml").read_bytes())
    out = run("scan", str(tmp_path)).out
    assert "scanned 4 mails: 2 new, 0 already known, 2 copies of stored mails" in out


def test_a_broken_header_block_is_warned_about_once(run: Run, tmp_path: Path) -> None:
    mail = tmp_path / "broken.eml"
    mail.write_bytes((SAMPLES / "de-fb-notice-2025.eml").read_bytes().replace(
        b"Verbesserung von KI bei Meta", b"Verbesserung\r\nvon\r\nKI\r\nbei\r\nMeta", 1))  # fmt: skip
    first = run("scan", "-q", str(mail))
    assert first.code == 0 and "the header block is broken at line" in first.err
    assert run("scan", "-q", str(mail)).err == ""  # stored: not read, not warned about again


@pytest.mark.parametrize(
    "mail",
    [
        (WILD / "fb-bounce-no-boundaries.eml").read_bytes(),  # Facebook's mailer daemon
        make_mail("Hi, you have (1) new message. Log in: http://fb-login.example/", to="lukas.weber@web.de",
                  sender="Facebook <security@facebook.com>"),  # forged From, no Authentication-Results
    ],
    ids=["bounce", "unauthenticated-spam"],
)  # fmt: skip
def test_no_account_is_discovered_from_mail_that_proves_none(
    run: Run, tmp_path: Path, mail: bytes
) -> None:
    (tmp_path / "m.eml").write_bytes(mail)
    result = run("scan", str(tmp_path / "m.eml"))
    assert result.code == 0 and "other_meta" in result.out and "discovered" not in result.out
    assert json.loads(run("accounts", "list", "--json").out) == []


def test_a_verified_meta_mail_still_discovers_its_account(run: Run) -> None:
    result = run("scan", str(SAMPLES / "en-ig-password-reset.eml"))  # other_meta, pass
    assert "discovered account: instagram tom.evans.ie@gmail.com" in result.out
