"""Headless Chromium: render report.html to its DOM or to a PNG (Debian's `chromium` package).

Every call starts a fresh browser with a throw-away profile and everything that would reach the
network switched off; the page itself forbids network access through its Content-Security-Policy.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from collections.abc import Sequence
from pathlib import Path

CHROMIUM_ENV = "APICONFORM_CHROMIUM"
CANDIDATES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
DEFAULT_TIMEOUT = 90.0
# No sandbox: CI containers run as root, where Chromium's sandbox refuses to start.
FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
    "--hide-scrollbars",
)


class BrowserError(Exception):
    """Chromium is missing or could not render the page (one-line message)."""


def find_chromium() -> str | None:
    """The Chromium executable: $APICONFORM_CHROMIUM, else the first known name on PATH."""
    configured = os.environ.get(CHROMIUM_ENV)
    if configured:
        return shutil.which(configured)
    for name in CANDIDATES:
        found = shutil.which(name)
        if found:
            return found
    return None


def require_chromium() -> str:
    """The Chromium executable, or a BrowserError saying how to get one."""
    found = find_chromium()
    if found is None:
        raise BrowserError(
            "headless Chromium is needed for this and was not found; install it (Debian/Ubuntu: "
            f"apt-get install chromium) or point ${CHROMIUM_ENV} at it"
        )
    return found


def _run(arguments: Sequence[str], timeout: float) -> str:
    binary = require_chromium()
    with tempfile.TemporaryDirectory(prefix="apiconform-chromium-") as profile:
        command = [binary, *FLAGS, f"--user-data-dir={profile}", *arguments]
        try:
            completed = subprocess.run(command, capture_output=True, text=True, timeout=timeout, check=False)
        except subprocess.TimeoutExpired:
            raise BrowserError(f"Chromium did not finish within {timeout:g} s") from None
        except OSError as exc:
            raise BrowserError(f"cannot start Chromium ({binary}): {exc.strerror or exc}") from None
    if completed.returncode != 0:
        last = (completed.stderr.strip().splitlines() or ["no output"])[-1]
        raise BrowserError(f"Chromium exited with {completed.returncode}: {last}")
    return completed.stdout


def page_url(html_path: Path, fragment: str = "") -> str:
    """The file:// address of a page, with an optional fragment (such as `only=fail`)."""
    url = html_path.resolve().as_uri()
    return f"{url}#{fragment}" if fragment else url


def dump_dom(html_path: Path, fragment: str = "", timeout: float = DEFAULT_TIMEOUT) -> str:
    """The page's DOM after its scripts ran, serialised as HTML (test support: the browser tests read what
    report.html's scripts made; kept beside `screenshot`, which makes the same Chromium call)."""
    return _run(["--virtual-time-budget=5000", "--dump-dom", page_url(html_path, fragment)], timeout)


def screenshot(
    html_path: Path, png_path: Path, *, width: int = 1280, height: int = 1600, timeout: float = DEFAULT_TIMEOUT
) -> Path:
    """Save a PNG of the page's first `height` pixels; returns its path."""
    png_path = png_path.resolve()
    png_path.unlink(missing_ok=True)
    _run(
        [f"--window-size={width},{height}", f"--screenshot={png_path}", page_url(html_path)],
        timeout,
    )
    if not png_path.exists() or png_path.stat().st_size == 0:
        raise BrowserError(f"Chromium wrote no screenshot to {png_path}")
    return png_path
