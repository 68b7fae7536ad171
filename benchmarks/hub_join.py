"""From opening JupyterLab to being on the map, on JupyterHub.

Starts a real JupyterHub configured with docs/hub.md's jupyterhub_config.py
(the classroom as a hub service) on 127.0.0.1, logs one student in through
the hub's login page in Debian's Chromium (the hub starts their server),
then --runs times: opens a new tab at /user/<name>/lab, waits for JupyterLab,
opens the Classroom from the left sidebar and waits until the student stands
on the map (the welcome arrived and the map drew them). Prints, per run and
as min/median/max:

* JupyterLab: from the navigation to JupyterLab's main area,
* classroom: from the click on the Classroom tab to standing on the map
  (asking the server where the classroom is, listing the hub's classrooms,
  the socket, the hub's check of the token, the welcome),
* total: from the navigation to standing on the map.

Run it by hand, in a network namespace like the tests:

    unshare --net sh -c 'ip link set lo up; exec .venv/bin/python benchmarks/hub_join.py --runs 10'
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

from playwright.sync_api import sync_playwright

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from tests.harness.hub import PASSWORD, HubProcess  # noqa: E402
from tests.harness.pages import CHROMIUM, CHROMIUM_ARGS  # noqa: E402

PANEL = "#jp-classroom-panel"


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--runs", type=int, default=10)
    args = parser.parse_args()
    hub = HubProcess(Path(tempfile.mkdtemp(prefix="classroom-hub-join-")))
    hub.start()
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(
                executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True
            )
            context = browser.new_context(viewport={"width": 1400, "height": 900})
            page = context.new_page()
            t = time.perf_counter()
            page.goto(f"{hub.url}hub/login")
            page.fill("#username_input", "student")
            page.fill("#password_input", PASSWORD)
            page.click("#login_submit")
            page.wait_for_selector("#jp-main-dock-panel", timeout=180_000)
            print(f"login and first server start: {time.perf_counter() - t:.1f} s")
            page.close()
            rows = []
            for run in range(args.runs):
                page = context.new_page()
                t0 = time.perf_counter()
                page.goto(f"{hub.url}user/student/lab")
                page.wait_for_selector("#jp-main-dock-panel", timeout=120_000)
                t1 = time.perf_counter()
                if not page.locator(PANEL).is_visible():
                    page.click('.jp-SideBar [data-id="jp-classroom-panel"]')
                page.wait_for_function(
                    f"!!document.querySelector('{PANEL} .jp-Classroom-map')?.dataset.x",
                    timeout=60_000,
                )
                t2 = time.perf_counter()
                rows.append((t1 - t0, t2 - t1, t2 - t0))
                print(
                    f"run {run + 1:2d}: JupyterLab {1000 * (t1 - t0):6.0f} ms   "
                    f"classroom {1000 * (t2 - t1):5.0f} ms   total {1000 * (t2 - t0):6.0f} ms"
                )
                page.close()
            browser.close()
        for i, what in enumerate(("JupyterLab", "classroom", "total")):
            values = [1000 * r[i] for r in rows]
            print(
                f"{what:11s} min {min(values):6.0f}   median {statistics.median(values):6.0f}   "
                f"max {max(values):6.0f} ms"
            )
        print(
            f"load average {' '.join(f'{v:.1f}' for v in os.getloadavg())} (the machine's, at the end)"
        )
    finally:
        hub.stop()


if __name__ == "__main__":
    main()
