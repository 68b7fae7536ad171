"""Browser tests: a real ``jupyter lab`` with the extension, driven through
Debian's Chromium by Playwright.

Each :func:`person` is a separate browser context, so each gets its own Jupyter
login cookie and therefore its own identity (the server's token gives every
new browser an anonymous user with a name of its own, as on a shared server).
"""

from __future__ import annotations

import math
import os
import shutil
import struct
import wave
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from ..servers import JupyterProcess

playwright_api = pytest.importorskip("playwright.sync_api")

CHROMIUM = os.environ.get("CLASSROOM_CHROMIUM", shutil.which("chromium") or "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--use-fake-device-for-media-stream",
    "--use-fake-ui-for-media-stream",
    "--allow-loopback-in-peer-connection",
    "--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE 127.0.0.1",
]


@pytest.fixture(scope="module")
def lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[JupyterProcess]:
    # aioice leaves 127.0.0.1 out of the server's own ICE candidates: name it.
    # Table 6 holds one person, to show a full room.
    server = JupyterProcess(
        tmp_path_factory.mktemp("lab"),
        sfu_ice_addresses="127.0.0.1",
        # Chromium's candidates here are on loopback, which a server ignores by default.
        sfu_allowed_candidate_networks="127.0.0.0/8",
        room_capacities="{'table-6': 1}",
    )
    server.start()
    try:
        yield server
    finally:
        server.stop()


def write_voice(path: Path, seconds: float = 4.0, rate: int = 48000) -> Path:
    """Something like a voice for the fake microphone: a 150 Hz buzz with
    harmonics, in syllables (four a second). Chromium's own fake microphone
    only beeps briefly twice a second, which is not speech."""
    n = int(seconds * rate)
    frames = bytearray()
    for i in range(n):
        t = i / rate
        syllable = 0.55 + 0.45 * math.sin(2 * math.pi * 4 * t)
        buzz = sum(math.sin(2 * math.pi * 150 * k * t) / k for k in range(1, 6))
        frames += struct.pack("<h", int(9000 * syllable * buzz))
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(bytes(frames))
    return path


@pytest.fixture(scope="session")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[object]:
    if not Path(CHROMIUM).exists():
        pytest.skip(f"no Chromium at {CHROMIUM} (scripts/test.sh installs Debian's chromium)")
    voice = write_voice(tmp_path_factory.mktemp("media") / "voice.wav")
    args = [*CHROMIUM_ARGS, f"--use-file-for-fake-audio-capture={voice}"]
    with playwright_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=args, headless=True)
        try:
            yield b
        finally:
            b.close()


# Headless Chromium has no screen to share: stand in a canvas animation for
# getDisplayMedia, so screen sharing runs through the real WebRTC path.
SCREEN_STUB = """
navigator.mediaDevices.getDisplayMedia = async () => {
  const canvas = document.createElement('canvas');
  canvas.width = 640;
  canvas.height = 360;
  const ctx = canvas.getContext('2d');
  let hue = 0;
  setInterval(() => {
    hue = (hue + 7) % 360;
    ctx.fillStyle = `hsl(${hue}, 80%, 50%)`;
    ctx.fillRect(0, 0, 640, 360);
  }, 50);
  return canvas.captureStream(20);
};
"""


def open_lab(page: object, lab: JupyterProcess, path: str = "lab") -> None:
    """Log in with the token (which sets this context's cookie) and wait for JupyterLab."""
    page.goto(f"{lab.url}{path}?token={lab.token}")  # type: ignore[attr-defined]
    page.wait_for_selector("#jp-main-dock-panel", timeout=60_000)  # type: ignore[attr-defined]
    # Once its layout is restored JupyterLab opens its launcher (or the
    # restored tabs), which takes the focus: a test that focused the map
    # before then would lose it mid-walk. Wait for the main area to hold a
    # widget and for its activation (a message, run on a frame) to be done.
    page.wait_for_selector(  # type: ignore[attr-defined]
        "#jp-main-dock-panel .lm-DockPanel-widget", state="attached", timeout=60_000
    )
    page.evaluate("() => new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))")  # type: ignore[attr-defined]


def open_classroom(page: object) -> None:
    """Reveal the Classroom panel from its left sidebar tab.

    The layout restorer may have shown it already (the workspace is the
    server's, shared by every browser): clicking its tab then would hide it.
    """
    panel = page.locator("#jp-classroom-panel")  # type: ignore[attr-defined]
    page.wait_for_selector("#jp-classroom-panel[data-restored]", state="attached")  # type: ignore[attr-defined]
    if not panel.is_visible():
        page.click('.jp-SideBar [data-id="jp-classroom-panel"]')  # type: ignore[attr-defined]
    panel.wait_for(state="visible")


@pytest.fixture
def person(browser: object, lab: JupyterProcess) -> Iterator[Callable[..., object]]:
    """Factory: a new person (browser context) with JupyterLab and the classroom open."""
    contexts = []

    def make(open_panel: bool = True) -> object:
        context = browser.new_context(  # type: ignore[attr-defined]
            viewport={"width": 1400, "height": 900},
            permissions=["microphone", "camera"],
        )
        contexts.append(context)
        context.add_init_script(SCREEN_STUB)
        page = context.new_page()
        page.on("console", lambda m: m.type == "error" and print("browser:", m.text))
        open_lab(page, lab)
        if open_panel:
            open_classroom(page)
        return page

    yield make
    for context in contexts:
        context.close()


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    # Several JupyterLabs, Chromiums and WebRTC calls share a small machine
    # here, and a page or a call occasionally misses a wait when the machine
    # stalls. A browser test that fails is run once more: one that fails
    # twice is a failure. (Each retry is printed in the summary as RERUN.)
    for item in items:
        if "tests/browser/" in item.nodeid:
            item.add_marker(pytest.mark.flaky(reruns=1))
