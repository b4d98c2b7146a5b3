"""Build the lesson site and photograph some pages in headless Chromium, for a human to review.

Not part of CI: it needs Debian's `chromium` (``apt-get install -y --no-install-recommends
chromium``). The site is built with ``mkdocs build --strict`` into a temporary folder, served by
Python's own HTTP server on 127.0.0.1 (a free port), and each page is saved as a PNG. Chromium is
started with every background network feature switched off, so nothing leaves the machine.

Usage::

    python scripts/site_screenshot.py                       # landing page + episode 2 + episode 5
    python scripts/site_screenshot.py --out shots 06-linux-containers.html
    python scripts/site_screenshot.py --width 390 --height 844   # a phone-sized window
"""

from __future__ import annotations

import argparse
import functools
import http.server
import shutil
import subprocess
import sys
import tempfile
import threading
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_PAGES = ("index.html", "02-introduction-to-pixi.html", "05-cuda-conda-packages.html")
CHROMIUM_FLAGS = (
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--hide-scrollbars",
)


def find_chromium() -> str:
    """The Chromium executable, or an error that says how to install it."""
    for name in ("chromium", "chromium-browser", "google-chrome"):
        path = shutil.which(name)
        if path:
            return path
    sys.exit("chromium not found: apt-get install -y --no-install-recommends chromium")


def build_site(site_dir: Path) -> None:
    """`mkdocs build --strict` from the repository root into `site_dir`."""
    subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--quiet", "--site-dir", str(site_dir)],
        cwd=ROOT, check=True,
    )


def serve(site_dir: Path) -> http.server.ThreadingHTTPServer:
    """Serve `site_dir` on 127.0.0.1 at a free port, in a background thread."""
    handler = functools.partial(QuietHandler, directory=str(site_dir))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - stdlib's name
        pass


def screenshot(chromium: str, url: str, png: Path, width: int, height: int) -> None:
    """Save one page as a PNG of the given window size."""
    with tempfile.TemporaryDirectory(prefix="chromium-profile-") as profile:
        subprocess.run(
            [chromium, *CHROMIUM_FLAGS, f"--user-data-dir={profile}",
             f"--window-size={width},{height}", f"--screenshot={png}", url],
            check=True, capture_output=True, timeout=120,
        )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("pages", nargs="*", default=list(DEFAULT_PAGES), help="pages of the built site")
    parser.add_argument("--out", type=Path, default=ROOT / "site-screenshots", help="folder for PNGs")
    parser.add_argument("--width", type=int, default=1280)
    parser.add_argument("--height", type=int, default=900)
    args = parser.parse_args(argv)
    chromium = find_chromium()
    args.out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="lesson-site-") as tmp:
        site_dir = Path(tmp) / "site"
        build_site(site_dir)
        server = serve(site_dir)
        try:
            port = server.server_address[1]
            for page in args.pages:
                png = args.out / (Path(page).stem + ".png")
                screenshot(chromium, f"http://127.0.0.1:{port}/{page}", png, args.width, args.height)
                print(png)
        finally:
            server.shutdown()
    return 0


if __name__ == "__main__":
    sys.exit(main())
