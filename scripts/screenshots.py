"""Screenshots of the classroom for the README, from a real JupyterLab.

    unshare --net sh -c 'ip link set lo up; exec .venv/bin/python scripts/screenshots.py'

Starts ``jupyter lab`` on 127.0.0.1 with the classroom, opens it in
Debian's Chromium (Playwright) as three people with fake cameras, walks
them to a table, and writes:

- ``docs/images/classroom-sidebar.png``: the panel at sidebar width;
- ``docs/images/classroom-beside-notebook.png``: the panel in the main
  area beside a notebook, zoomed in and following its person.

Look at them before committing them.
"""

from __future__ import annotations

import argparse
import math
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from tests.harness.pages import CHROMIUM, CHROMIUM_ARGS, SCREEN_STUB, write_voice  # noqa: E402
from tests.harness.servers import JupyterProcess  # noqa: E402

PANEL = "#jp-classroom-panel"


def wait_until(check, timeout: float = 30.0, what: str = "condition"):
    deadline = time.monotonic() + timeout
    while not (value := check()):
        if time.monotonic() > deadline:
            raise SystemExit(f"timed out waiting for {what}")
        time.sleep(0.1)
    return value


def position(page) -> tuple[float, float]:
    node = page.locator(f"{PANEL} .jp-Classroom-map")
    return float(node.get_attribute("data-x") or "nan"), float(node.get_attribute("data-y") or "nan")


def walk_to(page, x: float, y: float) -> None:
    """Click the map at a map point (the whole map is shown) and wait to arrive."""
    canvas = page.locator(f"{PANEL} .jp-Classroom-map canvas")
    box = canvas.bounding_box()
    canvas.click(position={"x": box["width"] * x / 1600, "y": box["height"] * y / 960})
    wait_until(lambda: math.dist(position(page), (x, y)) < 12, what=f"walking to {x},{y}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=REPO / "docs" / "images")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)

    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        server = JupyterProcess(
            root, sfu_ice_addresses="127.0.0.1", sfu_allowed_candidate_networks="127.0.0.0/8"
        )
        server.start()
        voice = write_voice(root / "voice.wav")
        try:
            with sync_playwright() as p:
                browser = p.chromium.launch(
                    executable_path=CHROMIUM,
                    args=[*CHROMIUM_ARGS, f"--use-file-for-fake-audio-capture={voice}"],
                    headless=True,
                )
                pages = []
                spots = [(760, 520), (840, 520), (700, 600)]  # around Table 2
                for i, spot in enumerate(spots):
                    context = browser.new_context(
                        viewport={"width": 1400, "height": 860},
                        permissions=["microphone", "camera"],
                    )
                    context.add_init_script(SCREEN_STUB)
                    page = context.new_page()
                    page.goto(f"{server.url}lab?token={server.token}")
                    page.wait_for_selector(f"{PANEL}[data-restored]", state="attached", timeout=60_000)
                    if not page.locator(PANEL).is_visible():
                        page.click(f'.jp-SideBar [data-id="{PANEL[1:]}"]')
                    page.wait_for_function(f"!!document.querySelector('{PANEL} .jp-Classroom-map').dataset.x")
                    page.wait_for_selector(f"{PANEL} .jp-Classroom-map[data-tiles]", state="attached")
                    walk_to(page, *spot)
                    if i < 2:
                        page.get_by_role("button", name="Start camera").click()
                    pages.append(page)

                me = pages[0]
                # JupyterLab's question about news would cover the corner.
                news = me.locator(".jp-Notification-Toast-Close, .Toastify__close-button")
                if news.count():
                    news.first.click()
                # Everyone's camera in their bubble at the table.
                time.sleep(6)
                # The sidebar widened to 420 pixels by its handle, as people do.
                handle = me.locator("#jp-main-split-panel > .lm-SplitPanel-handle").first
                hb = handle.bounding_box()
                me.mouse.move(hb["x"] + hb["width"] / 2, hb["y"] + 200)
                me.mouse.down()
                me.mouse.move(33 + 420, hb["y"] + 200, steps=8)
                me.mouse.up()
                time.sleep(1)
                me.screenshot(path=str(args.out / "classroom-sidebar.png"))

                # Beside a notebook: a new notebook, then the classroom in the main area.
                me.keyboard.press("Escape")
                me.locator(".jp-LauncherCard[title*='Python 3']").first.click()
                me.wait_for_selector(".jp-NotebookPanel .jp-Cell .cm-content", timeout=60_000)
                me.locator(".jp-NotebookPanel .jp-Cell .cm-content").first.click()
                me.keyboard.type("import numpy as np\nnp.linspace(0, 1, 5)")
                me.get_by_role("button", name="Open the classroom in the main area").click()
                me.wait_for_selector(f'{PANEL}[data-placement="main"]')
                me.get_by_role("button", name="Zoom in (+)").click()
                me.get_by_role("button", name="Zoom in (+)").click()
                time.sleep(2)
                me.screenshot(path=str(args.out / "classroom-beside-notebook.png"))
                browser.close()
        finally:
            server.stop()
    for name in ("classroom-sidebar.png", "classroom-beside-notebook.png"):
        print(f"wrote {args.out / name}")


if __name__ == "__main__":
    main()
