"""Chromium for Playwright, JupyterLab in a workspace of its own, and what
the browser tests read from and do in the classroom's panel."""

from __future__ import annotations

import itertools
import json
import math
import os
import re
import secrets
import shutil
import struct
import time
import urllib.parse
import wave
from collections.abc import Callable
from pathlib import Path
from typing import Any

from playwright.sync_api import Browser, BrowserContext, Locator, Page
from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

from jupyter_classroom.classroom import ClassroomMap

from .servers import JupyterProcess
from .waiting import wait_until

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

PANEL = "#jp-classroom-panel"
DEFAULT_MAP = Path(__file__).parents[2] / "jupyter_classroom" / "maps" / "classroom.json"


def write_wav(
    path: Path, sample: Callable[[float], float], seconds: float = 4.0, rate: int = 48000
) -> Path:
    """A mono 16-bit WAV for the fake microphone: ``sample(t)`` at each
    instant (seconds), as a 16-bit value."""
    frames = bytearray()
    for i in range(int(seconds * rate)):
        frames += struct.pack("<h", int(sample(i / rate)))
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(bytes(frames))
    return path


def write_voice(path: Path, seconds: float = 4.0, rate: int = 48000) -> Path:
    """Something like a voice for the fake microphone: a 150 Hz buzz with
    harmonics, in syllables (four a second). Chromium's own fake microphone
    only beeps briefly twice a second, which is not speech."""

    def voice(t: float) -> float:
        syllable = 0.55 + 0.45 * math.sin(2 * math.pi * 4 * t)
        buzz = sum(math.sin(2 * math.pi * 150 * k * t) / k for k in range(1, 6))
        return 9000 * syllable * buzz

    return write_wav(path, voice, seconds, rate)


# -- JupyterLab ---------------------------------------------------------------


def workspace_name(hint: str = "test") -> str:
    """A JupyterLab workspace name nobody else uses."""
    slug = re.sub(r"[^A-Za-z0-9]+", "-", hint).strip("-").lower()[:40] or "test"
    return f"{slug}-{secrets.token_hex(4)}"


def lab_url(lab: JupyterProcess, workspace: str, tree: str = "", **query: str) -> str:
    """JupyterLab in ``workspace`` (optionally opening the file ``tree``), logging
    in with the server's token.

    A workspace is the layout JupyterLab saves on the server (which panels are
    open, and where). Browsers on the default ``/lab`` all share one: each
    saves it as it changes, so one page's late save rearranges the next
    page's layout. Each page of a test opens a workspace of its own.
    """
    path = f"lab/workspaces/{urllib.parse.quote(workspace)}"
    if tree:
        path += f"/tree/{urllib.parse.quote(tree)}"
    return f"{lab.url}{path}?{urllib.parse.urlencode({'token': lab.token, **query})}"


def open_lab(page: Page, lab: JupyterProcess, workspace: str, **query: str) -> None:
    """Log in with the token (which sets this context's cookie) and wait for
    JupyterLab in ``workspace``."""
    page.goto(lab_url(lab, workspace, **query))
    page.wait_for_selector("#jp-main-dock-panel", timeout=60_000)
    # Once its layout is restored JupyterLab opens its launcher (or the
    # restored tabs), which takes the focus: a test that focused the map
    # before then would lose it mid-walk. Wait for the main area to hold a
    # widget and for its activation (a message, run on a frame) to be done.
    page.wait_for_selector(
        "#jp-main-dock-panel .lm-DockPanel-widget", state="attached", timeout=60_000
    )
    page.evaluate("() => new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))")


def open_classroom(page: Page) -> None:
    """Reveal the Classroom panel from its left sidebar tab.

    The layout restorer may have shown it already (a reload of a page that
    showed it): clicking its tab then would hide it.
    """
    panel = page.locator(PANEL)
    page.wait_for_selector(f"{PANEL}[data-restored]", state="attached")
    if not panel.is_visible():
        page.click(f'.jp-SideBar [data-id="{PANEL[1:]}"]')
    panel.wait_for(state="visible")


def login_as(
    browser: Browser, lab: JupyterProcess, user: str, workspace: str, **options: Any
) -> tuple[BrowserContext, Page]:
    """A browser (context) logged in as ``user`` (on a server whose identity
    provider is ``tests.harness.clients.LoginNamedUsers``), with JupyterLab in
    ``workspace`` and the classroom open. ``options``: Playwright's
    ``new_context`` options (a desktop's window, microphone and camera by default)."""
    options.setdefault("viewport", {"width": 1400, "height": 900})
    options.setdefault("permissions", ["microphone", "camera"])
    context = browser.new_context(**options)
    context.add_init_script(SCREEN_STUB)
    page = context.new_page()
    page.on("console", lambda m: print(f"{user}:", m.text) if m.type == "error" else None)
    open_lab(page, lab, workspace, user=user)
    open_classroom(page)
    return context, page


class People:
    """The browsers of one test: each person a browser context of their own
    (their own login cookie, so their own identity), with JupyterLab in a
    workspace of their own. :meth:`close` takes everyone out of the class."""

    def __init__(self, browser: Browser, lab: JupyterProcess, hint: str = "test") -> None:
        self.browser = browser
        self.lab = lab
        self.hint = hint
        self._count = itertools.count(1)
        self.contexts: list[BrowserContext] = []

    def context(self, **options: Any) -> BrowserContext:
        """A new browser (context), closed with the others: Playwright's
        ``new_context`` options, a desktop's window by default."""
        options.setdefault("viewport", {"width": 1400, "height": 900})
        context = self.browser.new_context(**options)
        self.contexts.append(context)
        return context

    def open(self, context: BrowserContext, open_panel: bool = True, **query: str) -> Page:
        """A page of ``context`` with JupyterLab (and the Classroom panel) open."""
        page = context.new_page()
        n = next(self._count)
        page.on("console", lambda m: print(f"browser {n}:", m.text) if m.type == "error" else None)
        open_lab(page, self.lab, workspace_name(f"{self.hint}-{n}"), **query)
        if open_panel:
            open_classroom(page)
        return page

    def __call__(self, open_panel: bool = True) -> Page:
        """A new person with a microphone, a camera and a screen to share."""
        context = self.context(permissions=["microphone", "camera"])
        context.add_init_script(SCREEN_STUB)
        return self.open(context, open_panel)

    def close(self) -> None:
        for context in self.contexts:
            close_context(context)
        self.contexts = []


def close_context(context: BrowserContext) -> None:
    """Close a person's browser after each of its pages left the classroom
    (see :func:`leave`), so nobody stays into the next test."""
    for page in context.pages:
        leave(page)
    context.close()


def leave(page: Page) -> None:
    """Leave the classroom, then close the page with its unload handlers
    run. A tab closed is kept for ``reload_grace`` (it may be a reload): the
    page leaves first (its socket closes with 1000), so nobody stays into the
    next test."""
    if page.is_closed():
        return
    try:
        page.evaluate(
            "document.getElementById('jp-classroom-panel')"
            "?.classroomRoom?.model?.connection?.dispose()"
        )
    except PlaywrightError:
        pass  # a page mid-navigation: its close is kept for the reload grace
    # JupyterLab asks before leaving unsaved notebooks: leave anyway.
    page.on("dialog", lambda dialog: dialog.accept())
    try:
        with page.expect_event("close", timeout=15_000):
            page.close(run_before_unload=True)
    except PlaywrightTimeoutError:
        # A page that will not unload (hung, or mid-navigation) is closed
        # with its context: the classroom keeps it for the reconnect grace.
        print(f"{page.url} did not unload in time")


# -- the classroom's panel ----------------------------------------------------


def my_entry(page: Page) -> Locator:
    return page.locator(f"{PANEL} li.jp-Classroom-person", has_text="(you)")


def my_id(page: Page) -> str:
    return my_entry(page).get_attribute("data-id") or ""


def my_name(page: Page) -> str:
    return my_entry(page).get_attribute("data-name") or ""


def entry_of(page: Page, pid: str) -> Locator:
    """A participant's entry, by id (two anonymous users may share a name)."""
    return page.locator(f'{PANEL} li.jp-Classroom-person[data-id="{pid}"]')


def _number(value: str | None) -> float:
    assert value is not None, "no such attribute"
    return float(value)


def my_position(page: Page) -> tuple[float, float]:
    node = page.locator(f"{PANEL} .jp-Classroom-map")
    return _number(node.get_attribute("data-x")), _number(node.get_attribute("data-y"))


def seen_position(page: Page, pid: str) -> tuple[float, float]:
    e = entry_of(page, pid)
    return _number(e.get_attribute("data-x")), _number(e.get_attribute("data-y"))


def seen_where_they_stand(viewer: Page, walker: Page, pid: str) -> tuple[float, float]:
    """Wait until ``viewer`` sees participant ``pid`` where the walker's own
    page draws them, and return that position. After a walk the walker's page
    may still draw a last step and send it: the two agree once it has."""

    def agree() -> tuple[float, float] | None:
        seen, own = seen_position(viewer, pid), my_position(walker)
        return seen if math.dist(seen, own) < 1 else None

    return wait_until(agree, what="the viewer to see them where they stand")


#: The page's media, as the panel's node offers them for diagnostics.
PANEL_NODE = f"document.getElementById('{PANEL[1:]}')"
ROOM = f"{PANEL_NODE}.classroomRoom"
SOCKET = f"{PANEL_NODE}.classroomSocket"


def remote_media(page: Page, of: str = ROOM) -> dict[str, dict[str, bool]]:
    """Who sends us what through ``of`` (:data:`ROOM`, the room's call, or
    :data:`SOCKET`, the media socket): ``{pid: {audio, camera, screen}}``."""
    return page.evaluate(
        f"""Object.fromEntries([...{of}.remote.entries()].map(([id, m]) =>
            [id, {{audio: !!m.audio, camera: !!m.camera, screen: !!m.screen}}]))"""
    )


def page_pause(page: Page) -> Callable[[float], None]:
    """A pause for :func:`wait_until` that keeps Playwright's event handlers
    running (a routed socket goes on carrying messages while the test waits)."""
    return lambda seconds: page.wait_for_timeout(seconds * 1000)


def joined(page: Page, count: int) -> None:
    """Wait until the page lists at least ``count`` people and knows where we stand."""
    page.wait_for_function(
        f"document.querySelectorAll('{PANEL} li.jp-Classroom-person').length >= {count}"
    )
    page.wait_for_function(f"!!document.querySelector('{PANEL} .jp-Classroom-map').dataset.x")


def hold_key(page: Page, key: str, seconds: float) -> None:
    """Walk with the keyboard: focus the map and hold a key down (for that
    long: the distance walked is what the test is about)."""
    page.focus(f"{PANEL} .jp-Classroom-map")
    page.keyboard.down(key)
    time.sleep(seconds)
    page.keyboard.up(key)


def click_map(page: Page, x: float, y: float) -> None:
    """Click the map at (x, y) in map pixels: our avatar sets off there."""
    canvas = page.locator(f"{PANEL} .jp-Classroom-map canvas")
    box = canvas.bounding_box()
    assert box is not None, "the map is not shown"
    canvas.click(position={"x": box["width"] * x / 1600, "y": box["height"] * y / 960})


def walk_to(page: Page, x: float, y: float, timeout: float = 20) -> None:
    """Click the map at (x, y) in map pixels and wait until we stand there."""
    click_map(page, x, y)
    # One screen pixel is several map pixels in the narrow sidebar. Walking
    # onto a table ends on the seat the server gives, nearest the way in.
    seats = seats_at(x, y)
    wait_until(
        lambda: math.dist(my_position(page), (x, y)) < 10 or my_position(page) in seats,
        timeout=timeout,
        what=f"walk to {x},{y}",
    )


def seats_at(x: float, y: float) -> set[tuple[float, float]]:
    """The seats of the default map's table at (x, y), if it is on one."""
    cmap = ClassroomMap.from_tiled(json.loads(DEFAULT_MAP.read_text()))
    room = cmap.room_at(x, y)
    return set(room.seats) if room is not None else set()
