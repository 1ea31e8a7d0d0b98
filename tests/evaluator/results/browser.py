"""Headless Chromium for the report pages' browser checks, driven over the DevTools protocol.

:func:`find_browser` looks for Debian's ``chromium`` (``/usr/bin/chromium``; ``./run tests``
installs it) and a few other names; :func:`browser_or_skip` skips the calling test with a clear
message where none can be had (or ``websocket-client``, the dev extra's DevTools client, is
missing).  :func:`inspect_page` opens one file and returns what a reader's browser did: console
errors and exceptions, every request, each ``<img>``'s decoded size and how many colours its
own pixels have, and a full-page screenshot (PNG bytes).
"""
from __future__ import annotations

import base64
import json
import shutil
import subprocess
import tempfile
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

import pytest

CANDIDATES = ("/usr/bin/chromium", "chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--no-first-run", "--no-default-browser-check",
         "--disable-extensions", "--mute-audio", "--hide-scrollbars", "--remote-debugging-port=0")
WIDTH = 1200
#: Tallest screenshot taken (px): Chromium's capture limit is far above it.
MAX_HEIGHT = 12000
#: In the page: each image's decoded size, layout box and the number of distinct colours of its
#: own pixels (drawn on a canvas; stops counting at 2), -2 where it cannot be drawn.
IMAGES_JS = """(() => Array.from(document.images).map(img => {
  let distinct = -1;
  try {
    const c = document.createElement('canvas'); c.width = img.naturalWidth; c.height = img.naturalHeight;
    const ctx = c.getContext('2d'); ctx.drawImage(img, 0, 0);
    const d = ctx.getImageData(0, 0, c.width, c.height).data; const first = d[0] << 16 | d[1] << 8 | d[2];
    distinct = 1;
    for (let i = 4; i < d.length; i += 4) { if ((d[i] << 16 | d[i + 1] << 8 | d[i + 2]) !== first) { distinct = 2; break; } }
  } catch (e) { distinct = -2; }
  const r = img.getBoundingClientRect();
  return {alt: img.alt, complete: img.complete, naturalWidth: img.naturalWidth, naturalHeight: img.naturalHeight,
          distinct: distinct, x: r.left + window.scrollX, y: r.top + window.scrollY, width: r.width, height: r.height};
}))()"""


def find_browser() -> str | None:
    """The path of a Chromium-like browser, or None."""
    for name in CANDIDATES:
        found = shutil.which(name)
        if found:
            return found
    return None


def browser_or_skip() -> str:
    """The browser's path; skips the test (with the reason) where no browser or DevTools client is there."""
    pytest.importorskip("websocket", reason="websocket-client (dev extra) is needed to drive the browser")
    found = find_browser()
    if found is None:
        pytest.skip("no headless browser: install Debian's chromium (apt-get install chromium; ./run tests does) "
                    "to run the browser checks of the report pages")
    return found


@dataclass
class PageCheck:
    """What opening a page did: console errors, requested URLs, images, and a screenshot."""

    errors: list[str] = field(default_factory=list)
    requests: list[str] = field(default_factory=list)
    images: list[dict] = field(default_factory=list)
    scripts: int = 0
    screenshot: bytes = b""


class DevTools:
    """One page target of a running browser, over its websocket (commands wait for their answer;
    events arriving meanwhile are kept in :attr:`events`)."""

    def __init__(self, ws_url: str) -> None:
        import websocket

        self.ws = websocket.create_connection(ws_url, timeout=30, suppress_origin=True)
        self.events: list[dict] = []
        self.next_id = 0

    def send(self, method: str, **params) -> dict:
        """Run ``method`` and return its result (raises AssertionError on a protocol error)."""
        self.next_id += 1
        self.ws.send(json.dumps({"id": self.next_id, "method": method, "params": params}))
        while True:
            message = json.loads(self.ws.recv())
            if message.get("id") == self.next_id:
                assert "error" not in message, (method, message["error"])
                return message.get("result", {})
            self.events.append(message)

    def wait_for(self, event: str, timeout_s: float = 30.0) -> None:
        """Read messages until ``event`` arrives (it may already have)."""
        deadline = time.monotonic() + timeout_s
        while not any(e.get("method") == event for e in self.events):
            assert time.monotonic() < deadline, f"no {event} within {timeout_s} s"
            self.events.append(json.loads(self.ws.recv()))

    def close(self) -> None:
        """Close the websocket."""
        self.ws.close()


def _launch(browser: str, profile: Path) -> tuple[subprocess.Popen, str]:
    """Start the browser; return the process and the websocket URL of its first page."""
    process = subprocess.Popen([browser, *FLAGS, f"--user-data-dir={profile}", f"--window-size={WIDTH},900",
                                "about:blank"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                               start_new_session=True)
    port_file = profile / "DevToolsActivePort"
    deadline = time.monotonic() + 60
    while not (port_file.is_file() and port_file.read_text().strip()):
        if process.poll() is not None or time.monotonic() > deadline:
            _stop(process)
            raise AssertionError(f"{browser} did not start (exit {process.poll()})")
        time.sleep(0.1)
    port = port_file.read_text().split()[0]
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/json/list", timeout=10) as answer:
        targets = json.loads(answer.read())
    page = next(t for t in targets if t.get("type") == "page")
    return process, page["webSocketDebuggerUrl"]


def inspect_page(browser: str, page: Path) -> PageCheck:
    """Open ``page`` in a fresh headless browser profile and record what it did (module docstring)."""
    with tempfile.TemporaryDirectory(prefix="depthprobe-browser-", ignore_cleanup_errors=True) as profile:
        process, ws_url = _launch(browser, Path(profile))
        try:
            tools = DevTools(ws_url)
            try:
                return _check(tools, page.resolve().as_uri())
            finally:
                tools.close()
        finally:
            _stop(process)


def _stop(process: subprocess.Popen) -> None:
    """End the browser we started: its whole process group (it was started in a session of its
    own, so the group holds only its helpers), then wait for it."""
    import os
    import signal

    for sig in (signal.SIGTERM, signal.SIGKILL):
        try:
            os.killpg(process.pid, sig)
        except ProcessLookupError:
            return
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            continue
        time.sleep(0.2)  # helpers of the group leave after their leader


def _check(tools: DevTools, url: str) -> PageCheck:
    for domain in ("Page", "Runtime", "Log", "Network"):
        tools.send(f"{domain}.enable")
    tools.send("Page.navigate", url=url)
    tools.wait_for("Page.loadEventFired")
    found = PageCheck()
    found.images = tools.send("Runtime.evaluate", expression=IMAGES_JS, returnByValue=True)["result"]["value"]
    found.scripts = tools.send("Runtime.evaluate", expression="document.scripts.length",
                               returnByValue=True)["result"]["value"]
    height = tools.send("Runtime.evaluate", expression="document.documentElement.scrollHeight",
                        returnByValue=True)["result"]["value"]
    tools.send("Emulation.setDeviceMetricsOverride", width=WIDTH, height=min(int(height), MAX_HEIGHT),
               deviceScaleFactor=1, mobile=False)
    found.screenshot = base64.b64decode(tools.send("Page.captureScreenshot", format="png")["data"])
    for event in tools.events:
        method, params = event.get("method"), event.get("params", {})
        if method == "Network.requestWillBeSent":
            found.requests.append(params["request"]["url"])
        elif method == "Runtime.exceptionThrown":
            found.errors.append(json.dumps(params.get("exceptionDetails", {}))[:300])
        elif method == "Runtime.consoleAPICalled" and params.get("type") in ("error", "assert"):
            found.errors.append(json.dumps(params.get("args", []))[:300])
        elif method == "Log.entryAdded" and params.get("entry", {}).get("level") == "error":
            found.errors.append(params["entry"].get("text", "")[:300])
    return found


def region_colours(screenshot: bytes, box: dict) -> int:
    """How many distinct colours (1, or 2 meaning "more than one") the screenshot has inside ``box``."""
    import io

    import numpy as np
    from PIL import Image

    image = np.asarray(Image.open(io.BytesIO(screenshot)).convert("RGB"))
    x0, y0 = int(box["x"]) + 1, int(box["y"]) + 1
    x1, y1 = int(box["x"] + box["width"]) - 1, int(box["y"] + box["height"]) - 1
    region = image[max(y0, 0):max(y1, 0), max(x0, 0):max(x1, 0)].reshape(-1, 3)
    return 0 if region.size == 0 else min(len(np.unique(region, axis=0)), 2)


def assert_page_is_clean(check: PageCheck, page: Path, n_images: int) -> None:
    """No console error, no request but the page itself and data: URIs, no script, and
    ``n_images`` images, each decoded and none a single colour (its pixels, and its region of
    the screenshot)."""
    own = page.resolve().as_uri()
    assert not check.errors, check.errors
    assert all(url == own or url.startswith("data:") for url in check.requests), check.requests
    assert check.scripts == 0
    assert len(check.images) == n_images, [i["alt"] for i in check.images]
    for image in check.images:
        assert image["complete"] and image["naturalWidth"] > 0 and image["naturalHeight"] > 0, image
        assert image["distinct"] == 2, image
        assert region_colours(check.screenshot, image) == 2, image


def save_screenshot(check: PageCheck, path: Path, readme_copy: Path | None = None, width: int = 800) -> Path:
    """Write the screenshot to ``path``; with ``readme_copy``, also a small copy there (``width``
    px wide, 256 colours) for the README."""
    import io

    from PIL import Image

    path.write_bytes(check.screenshot)
    if readme_copy is not None:
        image = Image.open(io.BytesIO(check.screenshot)).convert("RGB")
        small = image.resize((width, round(image.height * width / image.width)), Image.LANCZOS)
        readme_copy.parent.mkdir(parents=True, exist_ok=True)
        small.quantize(colors=256, method=Image.Quantize.FASTOCTREE).save(readme_copy, optimize=True)
    return path


def main(argv: list[str] | None = None) -> int:
    """``python -m tests.evaluator.results.browser PAGE.html SHOT.png``: check a page in headless
    Chromium as the tests do, and write a small screenshot of it (for docs/screenshots/)."""
    import sys

    args = sys.argv[1:] if argv is None else argv
    if len(args) != 2:
        print("usage: python -m tests.evaluator.results.browser PAGE.html SHOT.png", file=sys.stderr)
        return 2
    browser = find_browser()
    if browser is None:
        print("no chromium found", file=sys.stderr)
        return 2
    page = Path(args[0])
    check = inspect_page(browser, page)
    assert_page_is_clean(check, page, n_images=page.read_text(encoding="utf-8").count("<img "))
    with tempfile.TemporaryDirectory() as scratch:
        save_screenshot(check, Path(scratch) / "full.png", Path(args[1]))
    print(f"screenshot: {args[1]}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
