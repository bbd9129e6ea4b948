"""The HTML report in a real headless Chromium: every account and state in the rendered page,
not one request leaving the file, readable at phone width, printable, a hostile subject inert.

Set METAWATCH_UPDATE_DOCS=1 to write the screenshots into docs/ (the README shows them).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from metawatch.models import State
from metawatch.report.view import STATE_LABEL

from .browser import CHROMIUM, Browser, Page, chromium
from .conftest import ROOT, SAMPLES

pytestmark = pytest.mark.browser
NOW = "2025-06-02T09:00:00+00:00"  # just after the 2025 wave's deadline: fixed, for the screenshots
DESKTOP, PHONE, A4 = 1100, 390, 794  # CSS pixels; A4 is 210 mm at 96 dpi


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Browser]:
    """A real headless Chromium; skipped on a developer machine without it, never in CI."""
    if CHROMIUM is None:
        if os.environ.get("CI"):
            pytest.fail("Chromium is not installed, and CI must run the browser tests")
        pytest.skip("Chromium is not installed (apt-get install chromium)")
    with chromium(tmp_path_factory.mktemp("chromium-profile")) as b:
        yield b


def metawatch(db: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """The metawatch command, as a user runs it."""
    env = {**os.environ, "METAWATCH_NOW": NOW, "NO_COLOR": "1"}
    for var in ("METAWATCH_CONFIG", "METAWATCH_DB"):
        env.pop(var, None)
    return subprocess.run([sys.executable, "-m", "metawatch", "--db", str(db), *args],
                          capture_output=True, text=True, env=env, check=False)  # fmt: skip


@pytest.fixture(scope="module")
def samples(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[dict[str, Any]]]:
    """The report of sample_mails/ and what `status --json` says about the same accounts."""
    folder = tmp_path_factory.mktemp("samples-report")
    db, report = folder / "m.db", folder / "report.html"
    assert metawatch(db, "scan", "-q", str(SAMPLES)).returncode in (0, 2)
    assert metawatch(db, "report", "--html", str(report)).returncode == 0
    return report, json.loads(metawatch(db, "status", "--json").stdout)


def open_page(browser: Browser, path: Path, width: int, mobile: bool = False) -> Page:
    page = browser.page()
    page.open(path.as_uri(), width, mobile=mobile)
    return page


def keep(page: Page, name: str, height: int, folder: Path) -> None:
    """A screenshot in tmp_path, and in docs/ when asked to update them."""
    data = page.screenshot(folder / name, height)
    assert data.startswith(b"\x89PNG\r\n\x1a\n") and len(data) > 20_000  # a page, not a blank
    if os.environ.get("METAWATCH_UPDATE_DOCS"):
        shutil.copy(folder / name, ROOT / "docs" / name)


CARDS = """[...document.querySelectorAll('article.card')].map(c => ({
  id: Number(c.dataset.account), state: c.dataset.state,
  badge: c.querySelector('[data-role=state]').innerText.trim(),
  text: c.innerText, shown: c.getBoundingClientRect().height > 0
    && getComputedStyle(c).visibility === 'visible'}))"""


def test_every_account_and_state_is_in_the_rendered_report(
    browser: Browser, samples: tuple[Path, list[dict[str, Any]]], tmp_path: Path
) -> None:
    report, statuses = samples
    page = open_page(browser, report, DESKTOP)
    cards = {c["id"]: c for c in page.js(CARDS)}
    assert sorted(cards) == sorted(s["account"] for s in statuses)
    for s in statuses:
        card = cards[s["account"]]
        assert card["shown"], s["account"]
        assert card["state"] == s["state"]
        assert card["badge"] == STATE_LABEL[State(s["state"])]
        assert all(email in card["text"] for email in s["emails"])
        assert s["handle"] is None or s["handle"] in card["text"]
    protected = sum(1 for s in statuses if s["state"] == "protected")
    tiles = page.js("[...document.querySelectorAll('.tile strong')].map(t => t.innerText)")
    assert tiles[0] == str(protected)
    # each account's timeline is drawn, with one mark per event listed under it
    marks = page.js("""[...document.querySelectorAll('article.card')].map(c =>
        [c.querySelectorAll('figure.timeline svg > use:not([href="#m-break"])').length,
         c.querySelectorAll('ol.events > li').length])""")
    assert all(drawn == listed for drawn, listed in marks)
    keep(page, "report.png", 1500, tmp_path)


def test_not_one_request_leaves_the_file(
    browser: Browser, samples: tuple[Path, list[dict[str, Any]]]
) -> None:
    report, _ = samples
    page = open_page(browser, report, DESKTOP)
    assert [u for u in page.requests if not u.startswith("data:")] == [report.as_uri()]
    # and nothing in it could ask: no element that loads, no URL in the styles
    loaders = "script, img, iframe, frame, object, embed, video, audio, source, track, base, form, link:not([href^='data:'])"
    assert page.js(f"document.querySelectorAll({json.dumps(loaders)}).length") == 0
    assert (
        page.js("document.querySelectorAll('[src], [srcset], [poster], [background]').length") == 0
    )
    assert page.js(
        "[...document.querySelectorAll('use')].every(u => u.getAttribute('href').startsWith('#'))"
    )
    css = page.js(
        "[...document.styleSheets].flatMap(s => [...s.cssRules]).map(r => r.cssText).join('\\n')"
    )
    assert "url(" not in css and "@import" not in css and "@font-face" not in css
    links = page.js("[...document.querySelectorAll('a[href]')].map(a => a.href)")
    assert links and all(
        u.startswith(("https://help.instagram.com/", "https://www.facebook.com/")) for u in links
    )


def test_the_request_check_sees_a_page_that_loads_something(
    browser: Browser, tmp_path: Path
) -> None:
    """The check above is worth something: a pixel, a stylesheet and a CSS image are all seen."""
    bad = tmp_path / "bad.html"
    bad.write_text('<img src="http://pixel.invalid/p.gif"><link rel="stylesheet" href="https://cdn.invalid/x.css">'
                   '<div style="background:url(https://img.invalid/b.png)">x</div>')  # fmt: skip
    page = open_page(browser, bad, DESKTOP)
    assert {
        "http://pixel.invalid/p.gif",
        "https://cdn.invalid/x.css",
        "https://img.invalid/b.png",
    } <= set(page.requests)


def test_readable_at_phone_width(
    browser: Browser, samples: tuple[Path, list[dict[str, Any]]], tmp_path: Path
) -> None:
    report, statuses = samples
    page = open_page(browser, report, PHONE, mobile=True)
    assert page.js("document.documentElement.scrollWidth") <= PHONE  # no sideways scrolling
    too_wide = page.js("""[...document.querySelectorAll('article.card *')].filter(e => {
        const r = e.getBoundingClientRect(), c = e.closest('article').getBoundingClientRect();
        return r.width > 0 && (r.left < c.left - 1 || r.right > c.right + 1); }).length""")
    assert too_wide == 0  # long addresses, links and subjects wrap inside their card
    smallest = page.js("""Math.min(...[...document.querySelectorAll('article.card p, article.card li')]
        .map(e => parseFloat(getComputedStyle(e).fontSize)))""")
    assert smallest >= 12
    assert len(page.js(CARDS)) == len(statuses)
    keep(page, "report-phone.png", 1400, tmp_path)


def test_printable(browser: Browser, samples: tuple[Path, list[dict[str, Any]]]) -> None:
    report, statuses = samples
    page = open_page(browser, report, A4)
    page.media("print")
    assert page.js("document.documentElement.scrollWidth") <= A4
    avoid = page.js(
        "[...document.querySelectorAll('article.card')].map(c => getComputedStyle(c).breakInside)"
    )
    assert avoid == ["avoid"] * len(statuses)  # a card is not cut in two across pages
    assert len(page.js(CARDS)) == len(statuses)
    pdf = page.pdf()
    assert pdf.startswith(b"%PDF-") and pdf.count(b"/Type /Page") + pdf.count(b"/Type/Page") >= 2


HOSTILE = (
    '<script>window.pwned = 1</script><img src="https://pixel.invalid/p.gif" '
    'onerror="window.pwned = 2"></q></li></ol></article><style>*{display:none}</style>'
)


def test_a_hostile_subject_renders_as_text(browser: Browser, tmp_path: Path) -> None:
    from .test_report import hostile_notice

    mail = tmp_path / "hostile.eml"
    mail.write_bytes(hostile_notice(HOSTILE))
    db, report = tmp_path / "m.db", tmp_path / "r.html"
    assert metawatch(db, "scan", "-q", str(mail)).returncode in (0, 2)
    assert metawatch(db, "report", "--html", str(report)).returncode == 0
    page = open_page(browser, report, DESKTOP)
    assert page.js("typeof window.pwned") == "undefined"
    assert page.js("document.querySelectorAll('script, img, style:not(head style)').length") == 0
    assert page.js("[...document.querySelectorAll('q.subject')].map(q => q.textContent)") == [
        HOSTILE
    ]
    assert page.js("document.querySelector('article.card').getBoundingClientRect().height") > 0
    assert [u for u in page.requests if not u.startswith("data:")] == [report.as_uri()]
