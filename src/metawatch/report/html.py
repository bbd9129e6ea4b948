"""The report as one self-contained HTML file: inline CSS and SVG, no script, nothing fetched.

Markup is built only through ``el``, which escapes every string it is given; only ``Html`` values
(markup this module made) pass through as they are. So a mail's subject can never become markup.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from datetime import date
from html import escape
from pathlib import Path

from metawatch import __version__
from metawatch.errors import OutputError
from metawatch.report import clean, safe
from metawatch.report.view import LANES, STATE_LABEL, Card, Event, Group, Overview
from metawatch.rules import Wave

# Defence in depth: even markup that slipped through could load nothing and run nothing.
CSP = ("default-src 'none'; style-src 'unsafe-inline'; img-src data:; "
       "base-uri 'none'; form-action 'none'")  # fmt: skip


class Html(str):
    """Markup made by this module: safe to insert as it is."""


def el(tag: str, attrs: dict[str, object] | None = None, *children: object) -> Html:
    """An element; attribute values and string children are escaped, ``Html`` children are not."""
    attr = "".join(
        f' {k.rstrip("_").replace("_", "-")}="{escape(safe(v))}"'
        for k, v in (attrs or {}).items()
        if v is not None and v is not False
    )
    return Html(f"<{tag}{attr}>{join(children)}</{tag}>")


def join(children: Iterable[object]) -> Html:
    """Children side by side: strings escaped, markup kept, None left out."""
    return Html(
        "".join(c if isinstance(c, Html) else escape(clean(c)) for c in children if c is not None)
    )


def link(url: str | None, text: str | None = None) -> Html | None:
    """A link to an https address (Meta's objection form); anything else only as text."""
    if not url:
        return None
    if not url.startswith("https://"):
        return el("span", {"class": "url"}, url)
    return el("a", {"href": url, "rel": "noopener noreferrer", "class": "url"}, text or url)


def render(o: Overview) -> str:
    """The whole report as an HTML document."""
    title = f"metawatch report of {o.created:%Y-%m-%d}"
    head = join([
        Html('<meta charset="utf-8">'),
        Html('<meta name="viewport" content="width=device-width, initial-scale=1">'),
        Html(f'<meta http-equiv="Content-Security-Policy" content="{CSP}">'),
        Html('<meta name="referrer" content="no-referrer">'),
        Html('<link rel="icon" href="data:,">'),  # else the browser may ask for /favicon.ico
        el("title", None, title),
        Html(f"<style>{STYLE}</style>"),
    ])  # fmt: skip
    body = join([
        Html(MARKERS),
        el("header", {"class": "top"}, el("h1", None, "metawatch"),
           el("p", None, f"Report of {o.created:%Y-%m-%d %H:%M} UTC")),
        summary(o),
        el("main", None, *(group(g, o) for g in o.groups)) if o.groups else el(
            "main", None, el("p", {"class": "empty"}, "No accounts yet: run `metawatch scan SOURCE` "
                             "or `metawatch accounts add`.")),
        el("footer", None, f"metawatch {__version__}. This file is self-contained: it loads "
           "nothing from the network. Mail subjects and senders are shown as received."),
    ])  # fmt: skip
    return f'<!DOCTYPE html>\n<html lang="en">\n<head>{head}</head>\n<body>{body}</body>\n</html>\n'


def summary(o: Overview) -> Html:
    """The top of the report: protected, to do, the next deadline, accounts per state."""
    total = sum(n for _, n in o.counts)
    tiles = [
        _tile("ok", str(o.protected), f"of {total} accounts protected"),
        _tile("bad" if o.to_do else "ok", str(o.to_do), "need something done"),
        _tile("info", "next deadline", o.deadline),
    ]
    chips = [
        el("li", {"class": f"badge s-{s.value}"}, f"{n} {STATE_LABEL[s]}") for s, n in o.counts
    ]
    return el("section", {"class": "summary", "aria-label": "Summary"},
              el("div", {"class": "tiles"}, *tiles), el("ul", {"class": "chips"}, *chips),
              legend() if o.axis else None)  # fmt: skip


def _tile(kind: str, big: str, small: str) -> Html:
    return el("div", {"class": f"tile {kind}"}, el("strong", None, big), el("span", None, small))


def legend() -> Html:
    """What the timeline's marks mean."""
    items = [("notice", "Meta's notice"), ("code", "verification code"), ("manual", "confirmed in the app"),
             ("accepted", "objection accepted"), ("rejected", "rejected / more information asked"),
             ("unclear", "answer not understood: read it"), ("fake", "failed sender check (fake)")]  # fmt: skip
    marks = [el("li", None, _mark(m), text) for m, text in items]
    marks.append(el("li", None, Html('<svg width="14" height="14" aria-hidden="true"><rect '
                                     'class="wave" width="14" height="14"/></svg>'), "notice wave"))  # fmt: skip
    marks.append(el("li", None, Html('<svg width="14" height="14" aria-hidden="true"><line '
                                     'class="deadline" x1="7" x2="7" y1="0" y2="14"/></svg>'),
                    "objection deadline"))  # fmt: skip
    return el("ul", {"class": "legend", "aria-label": "Timeline legend"}, *marks)


def _mark(marker: str) -> Html:
    return Html(f'<svg width="14" height="14" aria-hidden="true"><use href="#m-{marker}" x="7" '
                'y="7"/></svg>')  # fmt: skip


def group(g: Group, o: Overview) -> Html:
    """A single card, or the cards of one Accounts Center framed together."""
    cards = [card(c, o) for c in g.cards]
    if len(cards) == 1:
        return cards[0]
    ids = ", ".join(f"#{c.status.account.id}" for c in g.cards)
    return el("section", {"class": "group", "aria-label": f"Linked accounts {ids}"},
              el("h2", {"class": "group-title"}, f"One Accounts Center ({ids}): one accepted "
                 "objection covers every account in it"), *cards)  # fmt: skip


def card(c: Card, o: Overview) -> Html:
    """One account: title and state, addresses, why, warnings, next step, timeline, events."""
    a, state = c.status.account, c.state
    who = [", ".join(a.emails), f"account #{a.id}", "found in mail" if a.discovered else None,
           f"since {c.status.since:%Y-%m-%d}" if c.status.since else None]  # fmt: skip
    step = _next_step(c)
    return el(
        "article",
        {"class": f"card s-{state.value}", "id": f"account-{a.id}", "data_account": a.id,
         "data_state": state.value},  # fmt: skip
        el("header", None, el("h3", None, c.title),
           el("span", {"class": f"badge s-{state.value}", "data_role": "state"}, STATE_LABEL[state])),
        el("p", {"class": "who"}, " · ".join(w for w in who if w)),
        *(el("p", {"class": "why"}, w) for w in c.why),
        *(el("p", {"class": "warning", "role": "note"}, el("strong", None, "Warning: "), w) for w in c.warnings),
        el("p", {"class": "next"}, el("strong", None, "Next step: "), step),
        timeline(c, Scale(o.axis), o.waves) if o.axis else None,
        events(c.events),
    )  # fmt: skip


def _next_step(c: Card) -> Html:
    """The next step in words, its link clickable."""
    if c.link and c.link in c.next_step:
        before, _, after = c.next_step.partition(c.link)
        return join([before, link(c.link), after])
    if c.link:
        return join([c.next_step, " — objection form: ", link(c.link)])
    return join([c.next_step])


def events(items: Sequence[Event]) -> Html | None:
    """The account's mails and confirmations, oldest first, with dates and sender verdicts."""
    if not items:
        return None
    rows = []
    for e in items:
        meta = " · ".join(x for x in (f"from {e.sender}" if e.sender else "", e.verdict,
                                      f"message #{e.ref}" if e.ref.isdigit() else e.ref) if x)  # fmt: skip
        rows.append(el("li", {"class": f"ev-{e.marker}"}, _mark(e.marker),
                       el("time", {"datetime": f"{e.when:%Y-%m-%d}"}, f"{e.when:%Y-%m-%d}"),
                       el("span", {"class": "what"}, e.what),
                       el("q", {"class": "subject"}, e.subject) if e.subject else None,
                       el("span", {"class": "meta"}, meta) if meta else None))  # fmt: skip
    return el("ol", {"class": "events", "aria-label": "Mails and confirmations"}, *rows)


class Scale:
    """Dates to horizontal positions (in percent) on an axis of stretches with breaks between."""

    BREAK = 4.0  # percent of the width for each left-out stretch

    def __init__(self, stretches: Sequence[tuple[date, date]]) -> None:
        self.stretches = list(stretches)
        days = sum(max(1, (hi - lo).days) for lo, hi in stretches)
        room = 100 - self.BREAK * (len(stretches) - 1)
        self.starts: list[float] = []
        self.widths: list[float] = []
        at = 0.0
        for lo, hi in stretches:
            self.starts.append(at)
            self.widths.append(room * max(1, (hi - lo).days) / days)
            at += self.widths[-1] + self.BREAK

    def pos(self, d: date) -> float:
        """Where a date is; a date in a left-out stretch sits at the break."""
        for (lo, hi), start, width in zip(self.stretches, self.starts, self.widths, strict=True):
            if d <= hi:
                return start + width * max(0, (d - lo).days) / max(1, (hi - lo).days)
        return 100.0

    def x(self, d: date) -> str:
        """The position as an SVG length."""
        return f"{self.pos(d):.2f}%"

    def breaks(self) -> list[float]:
        """The middles of the breaks."""
        return [s - self.BREAK / 2 for s in self.starts[1:]]

    def ticks(self) -> list[tuple[date, bool]]:
        """First days of months on each stretch (every second or third on long ones), and
        whether each is a stretch's first, which keeps its label on a phone."""
        out = []
        for lo, hi in self.stretches:
            months = [date(y, m, 1) for y in range(lo.year, hi.year + 1) for m in range(1, 13)]
            inside = [d for d in months if lo < d <= hi]
            step = 1 if len(inside) <= 4 else 2 if len(inside) <= 8 else 3
            out += [(d, i == 0) for i, d in enumerate(inside[::step])]
        return out


def timeline(c: Card, scale: Scale, waves: Sequence[Wave]) -> Html:
    """An SVG timeline: waves as bands with their deadlines, the account's events in three lanes
    (Meta's notices, your objection, Meta's answers). Positions in percent, so it fits any width
    while its text keeps its size; quiet months between the stretches are left out."""
    x = scale.x
    parts: list[Html] = []
    for w in waves:
        width = f"{scale.pos(w.deadline) - scale.pos(w.notices_from):.2f}%"
        parts.append(el("rect", {"class": "wave", "x": x(w.notices_from), "y": 0, "width": width,
                                 "height": AXIS}, el("title", None, _wave_title(w))))  # fmt: skip
        parts.append(el("line", {"class": "deadline", "x1": x(w.deadline), "x2": x(w.deadline),
                                 "y1": 0, "y2": AXIS}, el("title", None, f"deadline {w.deadline}")))  # fmt: skip
        parts.append(el("text", {"class": "wave-name", "x": x(w.notices_from), "y": 10, "dx": 3},
                        f"{w.id} wave"))  # fmt: skip
    for (_, hi), start in zip(scale.stretches, scale.starts, strict=True):
        parts.append(
            el(
                "line",
                {"class": "axis", "x1": f"{start:.2f}%", "x2": x(hi), "y1": AXIS, "y2": AXIS},
            )
        )
    parts += [el("use", {"href": "#m-break", "x": f"{b:.2f}%", "y": AXIS}) for b in scale.breaks()]
    for tick, first in scale.ticks():
        parts.append(
            el("line", {"class": "tick", "x1": x(tick), "x2": x(tick), "y1": AXIS, "y2": AXIS + 4})
        )
        parts.append(el("text", {"class": "tick-label" if first else "tick-label minor", "x": x(tick),
                                 "y": AXIS + 16}, f"{tick:%b %Y}" if first else f"{tick:%b}"))  # fmt: skip
    for e in c.events:
        parts.append(el("use", {"href": f"#m-{e.marker}", "x": x(e.when.date()), "y": LANE_Y[e.lane]},
                        el("title", None, f"{e.when:%Y-%m-%d}: {e.what}")))  # fmt: skip
    label = f"Timeline of {c.title}: {len(c.events)} mails and confirmations against Meta's notice waves"
    return el("figure", {"class": "timeline"},
              el("svg", {"width": "100%", "height": AXIS + 22, "role": "img", "aria_label": label},
                 el("title", None, label), *parts))  # fmt: skip


AXIS = 74
LANE_Y = dict(zip(LANES, (24, 42, 60), strict=True))


def _wave_title(w: Wave) -> str:
    return (f"{w.name}: notices from {w.notices_from}, objection deadline {w.deadline}, "
            f"training from {w.training_from}")  # fmt: skip


def save(path: Path, document: str) -> None:
    """Write the report atomically: a reader never sees half a file. A new file is private
    (0600: it holds addresses); an existing one keeps its mode."""
    path = path.expanduser()
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        mode = path.stat().st_mode & 0o777 if path.exists() else 0o600
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(document)
        os.chmod(tmp, mode)  # os.open's mode passed through the umask
        os.replace(tmp, path)
    except OSError as e:
        tmp.unlink(missing_ok=True)
        raise OutputError(f"cannot write the report {path}: {e.strerror}") from e


# Marker shapes, defined once and drawn with <use>: shape and colour both tell the kind, so the
# timeline also reads in black and white print.
MARKERS = """<svg class="defs" width="0" height="0" aria-hidden="true"><defs>
<g id="m-notice"><circle r="5.5" class="mk-notice"/></g>
<g id="m-code"><path d="M0 -6L6 0L0 6L-6 0Z" class="mk-code"/></g>
<g id="m-manual"><rect x="-5" y="-5" width="10" height="10" class="mk-manual"/></g>
<g id="m-accepted"><circle r="6" class="mk-accepted"/><path d="M-3 0L-1 2.5L3.2 -2.5" class="mk-line"/></g>
<g id="m-rejected"><circle r="6" class="mk-rejected"/><path d="M-2.6 -2.6L2.6 2.6M2.6 -2.6L-2.6 2.6" class="mk-line"/></g>
<g id="m-unclear"><circle r="6" class="mk-unclear"/><path d="M-2.2 -2A2.3 2.3 0 1 1 0 0.8V1.6M0 3.4V3.8" class="mk-line"/></g>
<g id="m-break"><path d="M-5 5L-1 -5M1 5L5 -5" class="mk-break"/></g>
<g id="m-fake"><path d="M0 -6.5L6.5 5.5L-6.5 5.5Z" class="mk-fake"/><path d="M0 -2.5V1.5M0 3V3.6" class="mk-line fake"/></g>
</defs></svg>"""

STYLE = """
:root{--fg:#1f2328;--muted:#59636e;--bg:#f6f8fa;--card:#fff;--line:#d1d9e0;--link:#0550ae;
--ok:#1a7f37;--ok-bg:#dafbe1;--bad:#b42318;--bad-bg:#ffebe9;--warn:#8a5300;--warn-bg:#fff4d4;
--na:#59636e;--na-bg:#eef1f4;--wave:#ddeafe;--notice:#1f6feb;--code:#8250df;color-scheme:light dark}
@media (prefers-color-scheme:dark){:root{--fg:#e6edf3;--muted:#9198a1;--bg:#0d1117;--card:#161b22;
--line:#3d444d;--link:#6cb6ff;--ok:#56d364;--ok-bg:#12361f;--bad:#ff7b72;--bad-bg:#3c1618;
--warn:#e3b341;--warn-bg:#3a2a00;--na:#9198a1;--na-bg:#262c36;--wave:#1b2f4d;--notice:#58a6ff;--code:#bc8cff}}
*{box-sizing:border-box}
body{margin:0 auto;max-width:72rem;padding:1rem;background:var(--bg);color:var(--fg);
font:15px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,"Noto Sans",sans-serif;overflow-wrap:anywhere}
h1{margin:0;font-size:1.5rem} h2,h3{margin:0;font-size:1.05rem}
.top{display:flex;flex-wrap:wrap;gap:.25rem 1rem;align-items:baseline;margin-bottom:1rem}
.top p{margin:0;color:var(--muted)}
a{color:var(--link)}
.defs{position:absolute}
.summary{margin-bottom:1.25rem}
.tiles{display:grid;gap:.75rem;grid-template-columns:repeat(auto-fit,minmax(min(100%,10rem),1fr))}
.tile{background:var(--card);border:1px solid var(--line);border-left:.35rem solid var(--na);
border-radius:.5rem;padding:.6rem .8rem;display:flex;flex-direction:column}
.tile strong{font-size:1.6rem;line-height:1.2}
.tile.info strong{font-size:1rem;text-transform:uppercase;letter-spacing:.04em;color:var(--muted)}
.tile.ok{border-left-color:var(--ok)} .tile.bad{border-left-color:var(--bad)}
.chips,.legend{list-style:none;padding:0;margin:.75rem 0 0;display:flex;flex-wrap:wrap;gap:.4rem .9rem}
.legend{font-size:.85rem;color:var(--muted)} .legend li{display:flex;align-items:center;gap:.3rem}
.badge{display:inline-block;border-radius:1rem;padding:.05rem .6rem;font-weight:600;font-size:.85rem;
white-space:nowrap;background:var(--na-bg);color:var(--na)}
.s-protected.badge{background:var(--ok-bg);color:var(--ok)}
.s-unprotected.badge,.s-rejected.badge{background:var(--bad-bg);color:var(--bad)}
.s-pending.badge,.s-needs_review.badge{background:var(--warn-bg);color:var(--warn)}
main{display:grid;gap:1rem}
.group{border:2px dashed var(--line);border-radius:.75rem;padding:.75rem;display:grid;gap:.75rem}
.group-title{font-size:.9rem;color:var(--muted);font-weight:600}
.card{background:var(--card);border:1px solid var(--line);border-left:.4rem solid var(--na);
border-radius:.6rem;padding:.8rem 1rem;break-inside:avoid}
.card.s-protected{border-left-color:var(--ok)}
.card.s-unprotected,.card.s-rejected{border-left-color:var(--bad)}
.card.s-pending,.card.s-needs_review{border-left-color:var(--warn)}
.card header{display:flex;flex-wrap:wrap;justify-content:space-between;gap:.3rem .75rem;align-items:center}
.card p{margin:.4rem 0}
.who{color:var(--muted);font-size:.9rem}
.warning{background:var(--bad-bg);color:var(--bad);border-radius:.4rem;padding:.35rem .6rem}
.timeline{margin:.6rem 0 .2rem}
.timeline svg{display:block;overflow:visible}
.wave{fill:var(--wave)} .deadline{stroke:var(--bad);stroke-width:1.5;stroke-dasharray:4 3}
.axis,.tick{stroke:var(--muted);stroke-width:1}
.tick-label,.wave-name{fill:var(--muted);font-size:11px} .tick-label{text-anchor:middle}
.mk-notice{fill:var(--notice)} .mk-code{fill:var(--code)} .mk-manual{fill:var(--ok);stroke:var(--card);stroke-width:1.5}
.mk-accepted{fill:var(--ok)} .mk-rejected{fill:var(--bad)} .mk-unclear{fill:var(--warn)}
.mk-fake{fill:var(--card);stroke:var(--bad);stroke-width:1.6}
.mk-line{fill:none;stroke:#fff;stroke-width:1.8;stroke-linecap:round;stroke-linejoin:round}
.mk-line.fake{stroke:var(--bad)} .mk-break{stroke:var(--muted);stroke-width:1.2}
.events{list-style:none;padding:0;margin:.5rem 0 0;font-size:.9rem;border-top:1px solid var(--line)}
.events li{display:flex;flex-wrap:wrap;align-items:baseline;gap:.1rem .5rem;padding:.3rem 0;
border-bottom:1px solid var(--line)}
.events li svg{align-self:center;flex:none}
.events time{font-variant-numeric:tabular-nums;font-weight:600}
.events .subject{flex-basis:100%;padding-left:1.4rem}
.events .meta{flex-basis:100%;padding-left:1.4rem;color:var(--muted);font-size:.85rem}
.ev-fake .what{color:var(--bad);font-weight:600}
@media (max-width:36rem){.tick-label.minor{display:none} .tile.info{grid-column:1/-1}}
.empty{color:var(--muted)}
footer{margin-top:1.5rem;color:var(--muted);font-size:.85rem}
@media print{
:root{--fg:#000;--bg:#fff;--card:#fff;color-scheme:light}
body{max-width:none;padding:0;font-size:10.5pt;background:#fff}
*{-webkit-print-color-adjust:exact;print-color-adjust:exact}
.card,.group,.tile{break-inside:avoid}
}
"""
