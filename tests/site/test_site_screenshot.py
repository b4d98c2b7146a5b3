"""The built site in a real browser: every figure is an image with a size, and nothing leaves 127.0.0.1.

Headless Chromium (Debian's ``chromium``; .ci/run installs it, and the test skips without it) is
driven over the Chrome DevTools protocol on a pipe (``--remote-debugging-pipe``: JSON messages,
each ended by a NUL byte, on file descriptors 3 and 4), so no port is opened for it. The site is
built with ``mkdocs build --strict`` and served by a server this test starts on 127.0.0.1. For
each page that shows a figure, the browser loads the page; the test then asks the page for every
image's natural and rendered size, and records every request the browser made (the Network
domain's ``requestWillBeSent`` events). Any request to anything but the test's server fails the
test, and a host-resolver rule makes sure such a request could not have reached anything anyway.
"""

from __future__ import annotations

import base64
import fcntl
import functools
import http.server
import importlib.util
import json
import os
import queue
import re
import shutil
import subprocess
import sys
import threading
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
LESSONS = ROOT / "lessons"
TIMEOUT_S = 30


def _chromium() -> str | None:
    return next((p for p in map(shutil.which, ("chromium", "chromium-browser")) if p), None)


pytestmark = [
    pytest.mark.skipif(_chromium() is None, reason="chromium is not installed (apt-get install chromium)"),
    pytest.mark.skipif(any(importlib.util.find_spec(m) is None for m in ("mkdocs", "material")),
                       reason="mkdocs-material is not installed (docs extra)"),
]


class _Handler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format, *args):  # the test reads the browser's requests, not this log
        pass


class Browser:
    """One headless Chromium, spoken to over the DevTools pipe (flat sessions)."""

    def __init__(self, chromium: str, profile: Path) -> None:
        to_child_r, self._to_child = os.pipe()
        self._from_child, from_child_w = os.pipe()

        def plumb() -> None:  # in the child: fd 3 reads our commands, fd 4 writes its answers
            high_r = fcntl.fcntl(to_child_r, fcntl.F_DUPFD, 10)  # out of the way of 3 and 4 first
            high_w = fcntl.fcntl(from_child_w, fcntl.F_DUPFD, 10)
            os.dup2(high_r, 3)
            os.dup2(high_w, 4)

        flags = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 "--hide-scrollbars", "--window-size=1280,900", f"--user-data-dir={profile}",
                 "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
                 "--remote-debugging-pipe", "about:blank"]
        self.proc = subprocess.Popen([chromium, *flags], preexec_fn=plumb, pass_fds=(3, 4),
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        os.close(to_child_r)
        os.close(from_child_w)
        self._next = 0
        self.replies: dict[int, queue.Queue] = {}
        self.events: queue.Queue = queue.Queue()
        self.requests: list[str] = []
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        buffer = b""
        while chunk := os.read(self._from_child, 65536):
            buffer += chunk
            *messages, buffer = buffer.split(b"\0")
            for raw in messages:
                message = json.loads(raw)
                if "id" in message:
                    self.replies.setdefault(message["id"], queue.Queue()).put(message)
                else:
                    if message.get("method") == "Network.requestWillBeSent":
                        self.requests.append(message["params"]["request"]["url"])
                    self.events.put(message)

    def send(self, method: str, session: str | None = None, **params) -> dict:
        self._next += 1
        ident = self._next
        reply = self.replies.setdefault(ident, queue.Queue())
        message = {"id": ident, "method": method, "params": params}
        if session:
            message["sessionId"] = session
        os.write(self._to_child, json.dumps(message).encode() + b"\0")
        answer = reply.get(timeout=TIMEOUT_S)
        assert "error" not in answer, (method, answer["error"])
        return answer["result"]

    def wait_for(self, method: str) -> dict:
        while True:
            event = self.events.get(timeout=TIMEOUT_S)
            if event.get("method") == method:
                return event

    def close(self) -> None:
        try:
            self.send("Browser.close")
        except Exception:
            pass
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        os.close(self._to_child)


# Asks the page, once every image has loaded (or failed), for each image's sizes.
IMAGE_SIZES = """
Promise.all([...document.images].map(i => i.complete ? 0 :
    new Promise(r => { i.addEventListener('load', r); i.addEventListener('error', r); })))
  .then(() => JSON.stringify([...document.images].map(i => {
    const box = i.getBoundingClientRect();
    return {src: i.getAttribute('src'), natural: [i.naturalWidth, i.naturalHeight],
            shown: [box.width, box.height], classes: i.className};
  })))
"""


# The look of an episode's first box (Questions) and of its challenge and solution boxes.
BOX_STYLES = """
JSON.stringify(Object.fromEntries(['.admonition.questions', '.admonition.objectives',
    '.admonition.question', 'details.success, .admonition.success'].map(sel => {
  const box = document.querySelector(sel);
  const style = box && getComputedStyle(box);
  const title = box && getComputedStyle(box.querySelector('.admonition-title, summary'));
  return [sel, style ? [style.borderLeftColor, style.backgroundColor, title.backgroundColor] : null];
})))
"""


def _pages_with_figures() -> dict[str, set[str]]:
    """{built page: figure files it shows}, read from the Markdown sources."""
    pages = {}
    for page in sorted(LESSONS.glob("*.md")):
        figures = set(re.findall(r"\]\(figures/([\w.-]+\.svg)\)", page.read_text(encoding="utf-8")))
        if figures:
            pages[page.with_suffix(".html").name] = figures
    return pages


def test_every_figure_renders_with_a_size_and_no_request_leaves_127_0_0_1(tmp_path: Path) -> None:
    pages = _pages_with_figures()
    saved = {p.name for p in (LESSONS / "figures").glob("*.svg")}
    assert saved and set().union(*pages.values()) == saved, "every saved figure is shown on a page"
    site = tmp_path / "site"
    build = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--quiet", "--site-dir", str(site)],
        cwd=ROOT, capture_output=True, text=True, timeout=300,
        env={"NO_MKDOCS_2_WARNING": "1", "PATH": "/usr/bin:/bin"},
    )
    assert build.returncode == 0, build.stdout + build.stderr
    server = http.server.ThreadingHTTPServer(
        ("127.0.0.1", 0), functools.partial(_Handler, directory=str(site)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_address[1]}/"
    browser = Browser(_chromium(), tmp_path / "profile")
    try:
        target = browser.send("Target.createTarget", url="about:blank")["targetId"]
        session = browser.send("Target.attachToTarget", targetId=target, flatten=True)["sessionId"]
        browser.send("Network.enable", session)
        browser.send("Page.enable", session)
        for page, figures in pages.items():
            browser.send("Page.navigate", session, url=base + page)
            browser.wait_for("Page.loadEventFired")
            result = browser.send("Runtime.evaluate", session, expression=IMAGE_SIZES,
                                  awaitPromise=True, returnByValue=True)
            images = json.loads(result["result"]["value"])
            shown = {Path(i["src"]).name: i for i in images if "figures/" in i["src"]}
            assert set(shown) == figures, page
            for name, image in shown.items():
                assert "lesson-figure" in image["classes"], (page, name)
                assert min(image["natural"]) > 0 and min(image["shown"]) > 0, (page, image)
            boxes = json.loads(browser.send("Runtime.evaluate", session, expression=BOX_STYLES,
                                            returnByValue=True)["result"]["value"])
            questions, objectives, challenge, solution = boxes.values()
            assert None not in (questions, objectives, challenge, solution), (page, boxes)
            assert questions == objectives, "the two opening boxes share one look"
            assert questions[0] == "rgb(92, 107, 192)", "lessons/stylesheets/extra.css applies"
            assert questions != challenge and questions != solution, (page, boxes)
        shot = browser.send("Page.captureScreenshot", session, format="png")["data"]
        assert base64.b64decode(shot).startswith(b"\x89PNG"), "a screenshot of the last page"
    finally:
        browser.close()
        server.shutdown()
        server.server_close()
    assert browser.requests, "the browser's requests were recorded"
    outside = [u for u in browser.requests if not u.startswith((base, "data:", "about:"))]
    assert outside == [], f"requests beyond the test's server: {outside}"
    assert any(u.endswith("figures/gpu-environment.svg") for u in browser.requests)
