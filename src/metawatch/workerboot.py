"""Imported once, by the fork server that starts a scan's worker processes (see workers.py).

What it loads here — the packaged rule packs, compiled, and the parsing libraries — every worker
forked from it has from the start: compiled once per scan, not once per worker, and shared.
"""

from metawatch import parsing
from metawatch.rules import load_rules

load_rules()
parsing.html_to_text(parsing.parse(b"From: a@example.org\r\n\r\nwarm-up").text)
