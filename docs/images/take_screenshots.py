"""The README's screenshots, taken from a real JupyterLab in Debian's Chromium.

    unshare --net sh -c 'ip link set lo up; exec .venv/bin/python docs/images/take_screenshots.py'

Starts ``jupyter lab`` on 127.0.0.1 with the classroom, opens it in headless
Chromium (Playwright) as four people with fake cameras, each in a browser
context and a JupyterLab workspace of their own, walks three of them to
Table 2, and writes into this folder (1280 x 800 each):

- ``classroom-sidebar.png``: the classroom in the left sidebar beside a notebook;
- ``classroom-table.png``: the classroom in the main area, zoomed in on the table;
- ``classroom-teaching.png``: the instructor's teaching tools, with a raised hand.

Run it from the repository's root with the project's virtual environment
(``scripts/start.sh`` makes it), inside a network namespace as the tests
are, and look at the images before committing them.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from playwright.sync_api import ViewportSize

REPO = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(REPO))

# The tests' own server, browser and waiting: the pictures are taken as the
# browser tests run.
from tests.harness.pages import CHROMIUM, CHROMIUM_ARGS, walk_to, write_voice  # noqa: E402
from tests.harness.servers import JupyterProcess  # noqa: E402
from tests.harness.waiting import wait_until as _wait_until  # noqa: E402

VIEWPORT: ViewportSize = {"width": 1280, "height": 800}
PANEL = "#jp-classroom-panel"
MAP = f"{PANEL} .jp-Classroom-map"


def wait_until(check: Callable[[], Any], what: str, timeout: float = 60.0) -> Any:
    return _wait_until(check, timeout, what)


def start_lab(root: Path) -> JupyterProcess:
    """``jupyter lab`` with the classroom, where ``?user=NAME`` on the login
    names the browser's user: people with names and one instructor."""
    lab = JupyterProcess(
        root,
        identity_provider="tests.harness.clients.LoginNamedUsers",
        instructors="['ada']",
        # aioice leaves loopback out of the server's candidates, and the
        # server ignores Chromium's loopback candidates unless told.
        sfu_ice_addresses="127.0.0.1",
        sfu_allowed_candidate_networks="127.0.0.0/8",
    )
    lab.start()
    return lab


def playing_videos(page: Any) -> int:
    return int(
        page.evaluate(
            f"[...document.querySelectorAll('{PANEL} video')]"
            ".filter(v => v.readyState >= 2 && v.videoWidth > 0).length"
        )
    )


def cameras(page: Any, n: int) -> Callable[[], bool]:
    return lambda: playing_videos(page) >= n


def settle(page: Any) -> None:
    """Two animation frames: what the page changed is drawn."""
    page.evaluate("() => new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))")


def dismiss_news(page: Any) -> None:
    # JupyterLab's question about news would cover a corner.
    close = page.locator(".jp-Notification-Toast-Close, .Toastify__close-button")
    for i in range(close.count()):
        close.nth(i).click()


def close_launcher(page: Any) -> None:
    """Close the Launcher, so that the classroom has the whole main area."""
    tab = page.locator(".lm-DockPanel-tabBar .lm-TabBar-tab", has_text="Launcher")
    if tab.count():
        tab.first.locator(".lm-TabBar-tabCloseIcon").click()
        tab.first.wait_for(state="detached")


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=HERE)
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)

    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        lab = start_lab(root)
        voice = write_voice(root / "voice.wav")
        try:
            with sync_playwright() as p:
                browser = p.chromium.launch(
                    executable_path=CHROMIUM,
                    args=[*CHROMIUM_ARGS, f"--use-file-for-fake-audio-capture={voice}"],
                    headless=True,
                )

                def person(user: str) -> Any:
                    context = browser.new_context(
                        viewport=VIEWPORT, permissions=["microphone", "camera"]
                    )
                    page = context.new_page()
                    # A workspace of their own: layouts are not shared between people.
                    page.goto(f"{lab.url}lab/workspaces/{user}?token={lab.token}&user={user}")
                    page.wait_for_selector(
                        f"{PANEL}[data-restored]", state="attached", timeout=90_000
                    )
                    if not page.locator(PANEL).is_visible():
                        page.click(f'.jp-SideBar [data-id="{PANEL[1:]}"]')
                    page.wait_for_function(f"!!document.querySelector('{MAP}').dataset.x")
                    page.wait_for_selector(f"{MAP}[data-tiles]", state="attached")
                    dismiss_news(page)
                    return page

                ada, ben, cleo, dan = (person(u) for u in ("ada", "ben", "cleo", "dan"))
                # Ben, Cleo and Dan at Table 2 with their cameras; Ada on the stage.
                for page, spot in ((ben, (720, 400)), (cleo, (880, 400)), (dan, (800, 530))):
                    # On a table the server seats them: the seat nearest the click.
                    walk_to(page, *spot, timeout=60)
                    page.get_by_role("button", name="Start camera").click()
                walk_to(ada, 800, 150, timeout=60)
                dan.get_by_role("button", name="Raise hand").click()
                for page in (ben, cleo):
                    wait_until(cameras(page, 3), "the table's cameras")

                # 1. Ben: the classroom in the sidebar, widened by its handle, beside a notebook.
                ben.locator(".jp-LauncherCard[title*='Python 3']").first.click()
                cell = ben.locator(".jp-NotebookPanel .jp-Cell .cm-content").first
                cell.wait_for(timeout=60_000)
                # A cell run before the notebook is connected to its kernel is not run.
                ben.locator("#jp-main-statusbar").get_by_text("| Idle").wait_for(timeout=90_000)
                cell.click()
                ben.keyboard.type("import numpy as np\nnp.linspace(0, 1, 5)")
                ben.keyboard.press("Shift+Enter")
                ben.locator(".jp-OutputArea-output").first.wait_for(timeout=60_000)
                handle = ben.locator("#jp-main-split-panel > .lm-SplitPanel-handle").first
                hb = handle.bounding_box()
                ben.mouse.move(hb["x"] + hb["width"] / 2, hb["y"] + 200)
                ben.mouse.down()
                ben.mouse.move(33 + 420, hb["y"] + 200, steps=8)
                ben.mouse.up()
                wait_until(cameras(ben, 3), "Ben's tiles after the resize")
                settle(ben)
                ben.screenshot(path=str(args.out / "classroom-sidebar.png"))

                # 2. Cleo: the classroom in the main area, zoomed in on the table.
                cleo.get_by_role("button", name="Open the classroom in the main area").click()
                cleo.wait_for_selector(f'{PANEL}[data-placement="main"]')
                close_launcher(cleo)
                for _ in range(2):
                    cleo.get_by_role("button", name="Zoom in (+)").click()
                cleo.locator(f"{PANEL} .jp-Classroom-compose textarea").first.fill(
                    "Is the second plot the same data?"
                )
                cleo.keyboard.press("Enter")
                cleo.locator(f"{PANEL}", has_text="Is the second plot").wait_for()
                wait_until(cameras(cleo, 3), "Cleo's tiles in the main area")
                settle(cleo)
                cleo.screenshot(path=str(args.out / "classroom-table.png"))

                # 3. Ada: the teaching tools, with Dan's hand raised.
                ada.get_by_role("button", name="Open the classroom in the main area").click()
                ada.wait_for_selector(f'{PANEL}[data-placement="main"]')
                close_launcher(ada)
                tools = ada.locator(f"{PANEL} .jp-Classroom-teachingTools")
                tools.wait_for()
                tools.locator("ol.jp-Classroom-hands li", has_text="Dan").first.wait_for()
                # The top of the tools: the hands queue, one person's and everyone's powers.
                tools.evaluate("e => e.scrollIntoView({block: 'start'})")
                settle(ada)
                ada.screenshot(path=str(args.out / "classroom-teaching.png"))
                browser.close()
        finally:
            lab.stop()
    for name in ("classroom-sidebar.png", "classroom-table.png", "classroom-teaching.png"):
        print(f"wrote {args.out / name}")


if __name__ == "__main__":
    main()
