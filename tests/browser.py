"""A real headless Chromium, driven over the DevTools protocol on a pipe (standard library only):
open a page, watch every request it makes, read the rendered DOM, take screenshots, print."""

from __future__ import annotations

import base64
import fcntl
import json
import os
import queue
import shutil
import subprocess
import threading
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any

CHROMIUM = next(
    (p for p in map(shutil.which, ("chromium", "chromium-browser", "google-chrome")) if p), None
)
TIMEOUT = 60.0  # for a reply or an event: a failure, never a measurement

FLAGS = [
    "--headless",
    "--no-sandbox",  # as root in a container there is no user namespace to sandbox with
    "--disable-gpu",
    "--remote-debugging-pipe",  # the protocol on fds 3 (commands) and 4 (replies)
    "--no-first-run",
    "--no-default-browser-check",
    "--disable-extensions",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--hide-scrollbars",
    "--mute-audio",
    # Every host name resolves to nothing: a request that tries to leave fails at once (and is
    # still seen), instead of reaching the network or waiting for a timeout.
    "--host-resolver-rules=MAP * ~NOTFOUND",
]


class Page:
    """One browser tab: navigate, evaluate, capture; every network request it made is kept."""

    def __init__(self, browser: Browser, session: str) -> None:
        self.browser, self.session = browser, session
        self.requests: list[str] = []  # URLs, in order

    def call(self, method: str, **params: Any) -> dict[str, Any]:
        """One protocol command in this tab."""
        return self.browser.call(method, params, self.session)

    def open(self, url: str, width: int, height: int = 900, mobile: bool = False) -> None:
        """Load ``url`` at a viewport size and wait until the network has been idle."""
        self.call("Emulation.setDeviceMetricsOverride", width=width, height=height,
                  deviceScaleFactor=1, mobile=mobile)  # fmt: skip
        loader = self.call("Page.navigate", url=url)["loaderId"]
        self.browser.wait_event("Page.lifecycleEvent", self.session, name="load", loaderId=loader)
        self.browser.wait_event("Page.lifecycleEvent", self.session, name="networkIdle",
                                loaderId=loader)  # fmt: skip
        self.requests += self.browser.requests(self.session)

    def js(self, expression: str) -> Any:
        """The value of a JavaScript expression in the page (the test's, not the page's)."""
        reply = self.call("Runtime.evaluate", expression=expression, returnByValue=True)
        if "exceptionDetails" in reply:
            raise AssertionError(f"{expression}: {reply['exceptionDetails']}")
        return reply["result"].get("value")

    def media(self, media: str) -> None:
        """Emulate a CSS media type ('print', or '' for the screen)."""
        self.call("Emulation.setEmulatedMedia", media=media)

    def screenshot(self, path: Path, height: int | None = None) -> bytes:
        """A PNG of the page from the top: ``height`` pixels, or all of it."""
        size = self.call("Page.getLayoutMetrics")["cssContentSize"]
        clip = {"x": 0, "y": 0, "width": size["width"], "height": height or size["height"],
                "scale": 1}  # fmt: skip
        data = base64.b64decode(
            self.call(
                "Page.captureScreenshot", format="png", clip=clip, captureBeyondViewport=True
            )["data"]  # fmt: skip
        )
        path.write_bytes(data)
        return data

    def pdf(self) -> bytes:
        """The page printed to PDF (A4), as the browser's print dialog would."""
        reply = self.call("Page.printToPDF", paperWidth=8.27, paperHeight=11.69)
        return base64.b64decode(reply["data"])


class Browser:
    """A headless Chromium process and its protocol pipe."""

    def __init__(self, profile: Path) -> None:
        assert CHROMIUM, "chromium is not installed"
        commands, self._to_browser = os.pipe()
        self._from_browser, replies = os.pipe()
        # The browser reads fd 3 and writes fd 4: move our ends there in the child, from copies
        # above 10 so that the moves cannot overwrite each other.
        high = [fcntl.fcntl(fd, fcntl.F_DUPFD, 10) for fd in (commands, replies)]

        def child() -> None:
            os.dup2(high[0], 3)
            os.dup2(high[1], 4)

        self.proc = subprocess.Popen(
            [CHROMIUM, *FLAGS, f"--user-data-dir={profile}", "about:blank"],
            pass_fds=(3, 4, *high),
            preexec_fn=child,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for fd in (commands, replies, *high):
            os.close(fd)
        self._id = 0
        self._replies: dict[int, queue.Queue[dict[str, Any]]] = {}
        self._events: list[dict[str, Any]] = []
        self._cond = threading.Condition()
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        buffer = b""
        with os.fdopen(self._from_browser, "rb", buffering=0) as pipe:
            while chunk := pipe.read(65536):
                buffer += chunk
                *messages, buffer = buffer.split(b"\0")
                for raw in messages:
                    self._dispatch(json.loads(raw))

    def _dispatch(self, message: dict[str, Any]) -> None:
        with self._cond:
            if "id" in message:
                self._replies.setdefault(message["id"], queue.Queue()).put(message)
            else:
                self._events.append(message)
                self._cond.notify_all()

    def call(self, method: str, params: dict[str, Any] | None = None,
             session: str | None = None) -> dict[str, Any]:  # fmt: skip
        """Send one command and wait for its reply."""
        with self._cond:
            self._id += 1
            ident = self._id
            box = self._replies.setdefault(ident, queue.Queue())
        message: dict[str, Any] = {"id": ident, "method": method, "params": params or {}}
        if session:
            message["sessionId"] = session
        os.write(self._to_browser, json.dumps(message).encode() + b"\0")
        reply = box.get(timeout=TIMEOUT)
        if "error" in reply:
            raise AssertionError(f"{method}: {reply['error']}")
        return dict(reply["result"])

    def wait_event(self, method: str, session: str, **match: Any) -> dict[str, Any]:
        """The first event of ``method`` in a session whose params contain ``match``; consumed."""

        def found() -> dict[str, Any] | None:
            for e in self._events:
                params = e.get("params", {})
                if (
                    e["method"] == method
                    and e.get("sessionId") == session
                    and all(params.get(k) == v for k, v in match.items())
                ):
                    self._events.remove(e)
                    return e
            return None

        with self._cond:
            event = self._cond.wait_for(found, timeout=TIMEOUT)
        if event is None:
            raise AssertionError(f"no {method} {match} within {TIMEOUT:.0f} s")
        return event

    def requests(self, session: str) -> list[str]:
        """The URLs of every request the session's page made since the last call."""
        with self._cond:
            sent = [e for e in self._events if e["method"] == "Network.requestWillBeSent"
                    and e.get("sessionId") == session]  # fmt: skip
            for e in sent:
                self._events.remove(e)
        return [e["params"]["request"]["url"] for e in sent]

    def page(self) -> Page:
        """A new tab with the network, page lifecycle and runtime domains on."""
        target = self.call("Target.createTarget", {"url": "about:blank"})["targetId"]
        session = self.call("Target.attachToTarget", {"targetId": target, "flatten": True})
        page = Page(self, session["sessionId"])
        for domain in ("Network.enable", "Page.enable", "Runtime.enable"):
            page.call(domain)
        page.call("Page.setLifecycleEventsEnabled", enabled=True)
        return page

    def close(self) -> None:
        """Ask the browser to quit; kill it if it does not."""
        with suppress(AssertionError, OSError, queue.Empty):
            self.call("Browser.close")
        try:
            self.proc.wait(timeout=TIMEOUT)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        os.close(self._to_browser)


@contextmanager
def chromium(profile: Path) -> Iterator[Browser]:
    """A running headless Chromium, closed afterwards."""
    browser = Browser(profile)
    try:
        yield browser
    finally:
        browser.close()
