"""A real browser for the HTML tests: Debian's chromium, headless, stdlib only.

- `screenshot(page, png)`: the plain command line (`--screenshot`), with the
  browser's log on stderr (console messages appear as `INFO:CONSOLE` lines).
- `visit(page)`: the DevTools protocol over a pipe (`--remote-debugging-pipe`,
  JSON messages ended by NUL on fds 3 and 4): every request the page makes,
  every failed load, console message, uncaught exception and log entry, and a
  screenshot.  Precise where the log is not (a failed request is not logged).
- `png_ink(png)`: how much of a PNG is not blank, read with zlib only.

`browser()` finds chromium; without one the test skips with the reason, or
fails when FUGONG_TEST_REQUIRE_BROWSER=1 (as .ci/run sets it).
"""

from __future__ import annotations

import base64
import contextlib
import fcntl
import json
import os
import shutil
import struct
import subprocess
import sys
import time
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

NAMES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
# A4 at 150 dpi
WIDTH, HEIGHT = 1240, 1754
QUIET = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def browser() -> str:
    for name in NAMES:
        found = shutil.which(name)
        if found:
            return found
    reason = (
        "chromium is not installed (apt-get install chromium): the page is not tried in a browser"
    )
    if os.environ.get("FUGONG_TEST_REQUIRE_BROWSER") == "1":
        pytest.fail(reason, pytrace=False)
    pytest.skip(reason)


def screenshot(chrome: str, page: Path, png: Path, profile: Path) -> str:
    """Render `page` to `png` with the command line; returns the browser's log."""
    done = subprocess.run(
        [
            chrome,
            *QUIET,
            f"--user-data-dir={profile}",
            f"--screenshot={png}",
            f"--window-size={WIDTH},{HEIGHT}",
            "--enable-logging=stderr",
            "--v=0",
            page.resolve().as_uri(),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        stdin=subprocess.DEVNULL,
    )
    assert png.exists(), f"no screenshot (exit {done.returncode}):\n{done.stderr[-2000:]}"
    return done.stderr


@dataclass
class Visit:
    requests: list[str] = field(default_factory=list)
    failed: list[tuple[str, str]] = field(default_factory=list)
    console: list[tuple[str, str]] = field(default_factory=list)
    exceptions: list[str] = field(default_factory=list)
    log: list[tuple[str, str]] = field(default_factory=list)
    png: bytes = b""

    def problems(self, page_url: str) -> list[str]:
        """Everything a self-contained, clean page must not show."""
        out = [f"request {url}" for url in self.requests if url != page_url]
        out += [f"failed {url}: {error}" for url, error in self.failed]
        out += [f"console.{kind}: {text}" for kind, text in self.console]
        out += [f"exception: {text}" for text in self.exceptions]
        out += [f"log {level}: {text}" for level, text in self.log if level in ("error", "warning")]
        return out


_PLACE_FDS = (
    "import os, sys\n"
    "r, w = int(sys.argv[1]), int(sys.argv[2])\n"
    "os.dup2(r, 3)\n"
    "os.dup2(w, 4)\n"
    "os.close(r)\n"
    "os.close(w)\n"
    "os.execv(sys.argv[3], sys.argv[3:])\n"
)


def _high(fd: int) -> int:
    """The same file on a descriptor >= 10, so that putting one end on 3 or 4 cannot
    overwrite the other."""
    moved = fcntl.fcntl(fd, fcntl.F_DUPFD_CLOEXEC, 10)
    os.close(fd)
    return moved


class _Pipe:
    """The DevTools protocol over the browser's pipe."""

    def __init__(self, chrome: str, profile: Path):
        to_browser_r, self.to_browser = map(_high, os.pipe())
        self.from_browser, from_browser_w = map(_high, os.pipe())
        # the browser reads commands on fd 3 and writes answers and events on fd 4: a
        # small Python puts the pipe's ends there and becomes the browser
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-c",
                _PLACE_FDS,
                str(to_browser_r),
                str(from_browser_w),
                chrome,
                *QUIET,
                f"--user-data-dir={profile}",
                "--remote-debugging-pipe",
                f"--window-size={WIDTH},{HEIGHT}",
                "about:blank",
            ],
            pass_fds=(to_browser_r, from_browser_w),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        os.close(to_browser_r)
        os.close(from_browser_w)
        self.buffer = b""
        self.next_id = 0
        self.events: list[dict[str, Any]] = []

    def send(self, method: str, params: dict | None = None, session: str | None = None) -> dict:
        self.next_id += 1
        message: dict[str, Any] = {"id": self.next_id, "method": method, "params": params or {}}
        if session:
            message["sessionId"] = session
        os.write(self.to_browser, json.dumps(message).encode() + b"\0")
        while True:
            reply = self.receive(timeout=60)
            if reply.get("id") == self.next_id:
                assert "error" not in reply, f"{method}: {reply['error']}"
                return reply.get("result", {})

    def receive(self, timeout: float) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while b"\0" not in self.buffer:
            if time.monotonic() > deadline:
                raise TimeoutError("the browser did not answer")
            chunk = os.read(self.from_browser, 1 << 20)
            if not chunk:
                raise EOFError("the browser closed its pipe")
            self.buffer += chunk
        raw, self.buffer = self.buffer.split(b"\0", 1)
        message = json.loads(raw)
        if "method" in message:
            self.events.append(message)
        return message

    def wait_for(self, method: str, timeout: float = 60) -> None:
        if any(e["method"] == method for e in self.events):
            return
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.receive(timeout).get("method") == method:
                return
        raise TimeoutError(method)

    def close(self) -> None:
        with contextlib.suppress(OSError, EOFError, TimeoutError, AssertionError):
            self.send("Browser.close")
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        os.close(self.to_browser)
        os.close(self.from_browser)


def visit(chrome: str, page: Path, profile: Path) -> Visit:
    """Open `page`, let it load and settle, and report what it did."""
    pipe = _Pipe(chrome, profile)
    try:
        target = pipe.send("Target.createTarget", {"url": "about:blank"})["targetId"]
        session = pipe.send("Target.attachToTarget", {"targetId": target, "flatten": True})[
            "sessionId"
        ]
        for domain in ("Page", "Network", "Runtime", "Log"):
            pipe.send(f"{domain}.enable", session=session)
        pipe.send(
            "Emulation.setDeviceMetricsOverride",
            {"width": WIDTH, "height": HEIGHT, "deviceScaleFactor": 1, "mobile": False},
            session=session,
        )
        pipe.events.clear()
        pipe.send("Page.navigate", {"url": page.resolve().as_uri()}, session=session)
        pipe.wait_for("Page.loadEventFired")
        time.sleep(0.3)  # late console messages
        shot = pipe.send("Page.captureScreenshot", {"format": "png"}, session=session)
        result = Visit(png=base64.b64decode(shot["data"]))
        for event in pipe.events:
            method, params = event["method"], event.get("params", {})
            if method == "Network.requestWillBeSent":
                result.requests.append(params["request"]["url"])
            elif method == "Network.loadingFailed":
                result.failed.append((params.get("requestId", ""), params.get("errorText", "")))
            elif method == "Runtime.consoleAPICalled":
                text = " ".join(
                    str(a.get("value", a.get("description", ""))) for a in params["args"]
                )
                result.console.append((params["type"], text))
            elif method == "Runtime.exceptionThrown":
                details = params["exceptionDetails"]
                thrown = details.get("exception", {}).get("description")
                result.exceptions.append(thrown or details.get("text", ""))
            elif method == "Log.entryAdded":
                entry = params["entry"]
                result.log.append((entry["level"], f"{entry.get('url', '')} {entry['text']}"))
        return result
    finally:
        pipe.close()


def png_ink(data: bytes) -> tuple[int, int, float]:
    """(width, height, share of rows that are not one flat colour) of a PNG.

    Each row is read after its filter byte: a flat row filters to one repeated
    value (or to zeros), whatever the filter, so a row with several distinct
    bytes beyond its first pixel has something drawn on it.
    """
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    pos, idat, header = 8, b"", None
    while pos < len(data):
        (length,) = struct.unpack(">I", data[pos : pos + 4])
        kind = data[pos + 4 : pos + 8]
        body = data[pos + 8 : pos + 8 + length]
        if kind == b"IHDR":
            header = struct.unpack(">IIBBBBB", body)
        elif kind == b"IDAT":
            idat += body
        pos += 12 + length
    assert header is not None, "no IHDR"
    width, height, depth, colour = header[:4]
    channels = {0: 1, 2: 3, 3: 1, 4: 2, 6: 4}[colour]
    pixel = max(1, channels * depth // 8)
    stride = 1 + (width * channels * depth + 7) // 8
    raw = zlib.decompress(idat)
    assert len(raw) == stride * height, "truncated image data"
    inked = sum(
        1 for y in range(height) if len(set(raw[y * stride + 1 + pixel : (y + 1) * stride])) > 2
    )
    return width, height, inked / height
