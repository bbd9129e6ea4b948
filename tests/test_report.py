"""`metawatch report`: the HTML file (escaping, nothing to load, groups, timeline) and the text
report, and `report_html` rewritten after every scan."""

from __future__ import annotations

import re
import stat
from collections.abc import Callable
from datetime import UTC, date, datetime
from html.parser import HTMLParser
from pathlib import Path

from metawatch.models import Account, AccountStatus, Platform, State
from metawatch.report import html, view
from metawatch.rules import waves

from .conftest import SAMPLES, Result

Run = Callable[..., Result]
SUBJECT = re.compile(rb"^Subject: .*$", re.MULTILINE)


def hostile_notice(subject: str) -> bytes:
    """A real, verified Instagram notice whose subject and sender name an attacker chose."""
    raw = (SAMPLES / "en-ig-notice-2025.eml").read_bytes()
    raw = SUBJECT.sub(f"Subject: {subject}".encode(), raw, count=1)
    return raw.replace(b'From: "Instagram"', b'From: "<b onmouseover=alert(1)>Instagram</b>"')


class Elements(HTMLParser):
    """Every start tag with its attributes, and the text, of an HTML document."""

    def __init__(self, document: str) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.text: list[str] = []
        self.feed(document)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))

    def handle_data(self, data: str) -> None:
        self.text.append(data)


ALLOWED = {"html", "head", "meta", "link", "title", "style", "body", "header", "h1", "h2", "h3",
           "p", "section", "div", "strong", "span", "ul", "ol", "li", "main", "article", "a",
           "q", "time", "figure", "svg", "defs", "g", "circle", "path", "rect", "line", "text",
           "use", "footer"}  # fmt: skip


def scan_and_report(run: Run, tmp_path: Path, *sources: Path) -> str:
    assert run("scan", "-q", *map(str, sources)).code in (0, 2)
    out = tmp_path / "report.html"
    assert run("report", "--html", str(out)).code == 0
    return out.read_text("utf-8")


def test_a_hostile_subject_is_text_not_markup(run: Run, tmp_path: Path) -> None:
    subject = '</q><script>alert("x")</script><img src=https://pixel.invalid/p.gif onerror=alert(1)> & "quotes"'
    (tmp_path / "hostile.eml").write_bytes(hostile_notice(subject))
    document = scan_and_report(run, tmp_path, tmp_path / "hostile.eml")
    parsed = Elements(document)
    assert {tag for tag, _ in parsed.tags} <= ALLOWED
    assert not any(name.startswith("on") for _, attrs in parsed.tags for name in attrs)
    assert subject in parsed.text  # shown whole, as the text it is
    assert "&lt;script&gt;" in document and "<script" not in document


def test_nothing_in_the_file_can_load_from_the_network(run: Run, tmp_path: Path) -> None:
    document = scan_and_report(run, tmp_path, SAMPLES)
    parsed = Elements(document)
    for tag, attrs in parsed.tags:
        assert not {"src", "srcset", "poster", "background", "action"} & set(attrs), tag
        if tag == "link":
            assert attrs["href"] == "data:,"
        if tag == "a":
            assert (attrs["href"] or "").startswith("https://")
        if tag == "use":
            assert (attrs["href"] or "").startswith("#")
    assert not re.search(r"url\(|@import|@font-face|http://", document)
    assert "default-src 'none'" in document  # and the browser is told to refuse if anything did


def test_report_html_file_is_private_and_complete(run: Run, tmp_path: Path) -> None:
    document = scan_and_report(run, tmp_path, SAMPLES)
    assert stat.S_IMODE((tmp_path / "report.html").stat().st_mode) == 0o600
    assert (
        document.count('<article class="card')
        == len(run("accounts", "list", "--json").out.split('"id"')) - 1
    )
    assert "lukas_klettert" in document and "Warning:" in document  # the suspected fake
    assert 'href="https://help.instagram.com/contact/767264225370182"' in document


def test_report_to_stdout_and_an_existing_file_keeps_its_mode(run: Run, tmp_path: Path) -> None:
    run("scan", "-q", str(SAMPLES / "en-fb-notice-2025.eml"))
    out = run("report", "--html", "-")
    assert out.code == 0 and out.out.startswith("<!DOCTYPE html>") and out.out.endswith("</html>\n")
    shared = tmp_path / "shared.html"
    shared.write_text("old")
    shared.chmod(0o644)
    assert run("report", "--html", str(shared)).code == 0
    assert (
        stat.S_IMODE(shared.stat().st_mode) == 0o644
        and "tom.evans@icloud.com" in shared.read_text()
    )


def test_report_into_a_missing_folder_fails_with_73(run: Run, tmp_path: Path) -> None:
    result = run("report", "--html", str(tmp_path / "no" / "such" / "r.html"))
    assert result.code == 73 and "cannot write the report" in result.err
    assert not list(tmp_path.glob("no*"))


def test_linked_accounts_form_one_group_and_manual_confirmations_show(
    run: Run, tmp_path: Path
) -> None:
    run("accounts", "add", "--platform", "facebook", "--email", "anna@example.org")
    run(
        "accounts",
        "add",
        "--platform",
        "instagram",
        "--email",
        "anna@example.org",
        "--handle",
        "anna_ig",
    )
    run("accounts", "link", "1", "2")
    run("accounts", "confirm", "1", "--date", "2025-05-02", "--note", "objected <in> the app")
    assert run("report", "--html", str(tmp_path / "r.html")).code == 0
    document = (tmp_path / "r.html").read_text()
    group = document[document.index('<section class="group"') :]
    assert group.index('id="account-1"') < group.index('id="account-2"') < group.index("</section>")
    assert "One Accounts Center (#1, #2)" in group
    assert (
        "objected &lt;in&gt; the app" in document and "objection confirmed in the app" in document
    )
    assert "Covered by the confirmation of linked account #1" in document


def test_text_report(run: Run) -> None:
    run("scan", "-q", str(SAMPLES))
    out = run("report")
    assert out.code == 0 and "\x1b" not in out.out
    assert re.search(r"^\d+ of \d+ accounts protected, \d+ need something done$", out.out, re.M)
    assert "Instagram · lukas_klettert  UNPROTECTED" in out.out
    assert "next step: object now: https://help.instagram.com/contact/767264225370182" in out.out


def test_report_html_is_rewritten_after_every_scan(run: Run, tmp_path: Path) -> None:
    target = tmp_path / "out" / "report.html"
    target.parent.mkdir()
    cfg = tmp_path / "c.toml"
    cfg.write_text(f'report_html = "{target}"\n')
    assert run("--config", str(cfg), "scan", "-q", str(SAMPLES / "en-fb-notice-2025.eml")).code == 0
    first = target.read_text()
    assert first.count('<article class="card') == 1
    assert run("--config", str(cfg), "scan", "-q", str(SAMPLES / "en-ig-notice-2025.eml")).code == 0
    assert target.read_text().count('<article class="card') == 2
    target.unlink()
    assert run("--config", str(cfg), "scan", "--dry-run", str(SAMPLES)).code == 0
    assert not target.exists()  # a dry run writes nothing
    assert run("--config", str(cfg), "scan", "-q", str(SAMPLES / "en-ig-notice-2025.eml")).code == 0
    assert target.exists()  # nothing new, still rewritten
    assert [p.name for p in target.parent.iterdir()] == ["report.html"]  # no temporary left


def test_a_report_that_cannot_be_written_fails_the_scan_after_alerting(
    run: Run, tmp_path: Path
) -> None:
    cfg = tmp_path / "c.toml"
    cfg.write_text(f'report_html = "{tmp_path / "missing" / "r.html"}"\n')
    result = run("--config", str(cfg), "scan", "-q", str(SAMPLES / "en-fb-notice-2025.eml"))
    assert result.code == 73 and "cannot write the report" in result.err
    assert "is not protected" in result.out  # the alert went out all the same


# -- the pieces ------------------------------------------------------------------------------


def test_the_axis_keeps_the_waves_and_events_and_leaves_out_quiet_months() -> None:
    stretches = view.axis([date(2024, 6, 10), date(2024, 11, 2)], waves())
    assert len(stretches) == 3  # 2024 wave, a lone November mail, 2025 wave
    assert stretches[0][0] < date(2024, 5, 22) and stretches[0][1] > date(2024, 6, 26)
    scale = html.Scale(stretches)
    spots = [
        scale.pos(d)
        for d in (date(2024, 5, 22), date(2024, 6, 25), date(2024, 11, 2), date(2025, 5, 26))
    ]
    assert spots == sorted(spots) and spots[0] >= 0 and spots[-1] <= 100
    assert len(scale.breaks()) == 2


def test_the_next_deadline_in_words() -> None:
    assert view.deadline_words(date(2025, 5, 12), waves()) == "2025-05-26 (2025 wave): 14 days left"
    assert view.deadline_words(date(2025, 6, 2), waves()).startswith(
        "none announced; the last (2025 wave)"
    )
    assert view.deadline_words(date(2025, 6, 2), ()) == "none known"


def test_an_account_without_mail_still_gets_a_card() -> None:
    status = AccountStatus(Account(3, Platform.THREADS, ("x@example.org",)), State.UNKNOWN)
    now = datetime(2025, 6, 2, tzinfo=UTC)
    document = html.render(view.build([status], [], [], [], waves(), now, {}))
    assert 'data-state="unknown"' in document and "Threads · x@example.org" in document
    assert "No AI-related mail from Meta" in document and '<ol class="events"' not in document


def test_every_ai_kind_has_a_place_on_the_timeline() -> None:
    from metawatch.models import AI_KINDS

    assert set(view._EVENT) == set(AI_KINDS)
    markers = {marker for _, marker, _ in view._EVENT.values()} | {"manual", "fake"}
    assert all(f'<g id="m-{m}">' in html.MARKERS for m in markers)
