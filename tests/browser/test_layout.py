"""Where the classroom sits in JupyterLab: its shortcuts in the running
application, the panel back in its place after a reload, and shared screens
in main-area tabs of their own."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator

import pytest
from playwright.sync_api import Page, Request, Response

from ..harness import wait_until
from ..harness.pages import PANEL, joined, my_id, my_name, page_pause
from ..harness.servers import JupyterProcess

OURS = {
    "classroom:open",
    "classroom:focus-map",
    "classroom:toggle-microphone",
    "classroom:toggle-camera",
    "classroom:toggle-screen",
}


@pytest.fixture(scope="module")
def lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[JupyterProcess]:
    # window.jupyterapp, to read the running application's key bindings.
    server = JupyterProcess(
        tmp_path_factory.mktemp("lab"),
        server_args=("--LabApp.expose_app_in_browser=True",),
        sfu_ice_addresses="127.0.0.1",
        sfu_allowed_candidate_networks="127.0.0.0/8",
    )
    server.start()
    try:
        yield server
    finally:
        server.stop()


class Workspace:
    """The page's JupyterLab workspace as the server holds it (what a reload
    restores), and the page's saves of it."""

    def __init__(self, page: Page) -> None:
        self.page = page
        found = re.search(r"/lab/workspaces/([^/?#]+)", page.url)
        assert found, page.url
        self.url = page.url[: found.start()] + f"/lab/api/workspaces/{found.group(1)}"
        self.pending: set[Request] = set()
        self.failures: list[tuple[str, int]] = []
        page.on("request", self._sent)
        page.on("requestfinished", self._ended)
        page.on("requestfailed", self._ended)
        page.on("response", self._answered)

    def _sent(self, request: Request) -> None:
        if request.method == "PUT" and request.url.startswith(self.url):
            self.pending.add(request)

    def _ended(self, request: Request) -> None:
        self.pending.discard(request)

    def _answered(self, response: Response) -> None:
        if response.url.startswith(self.url) and response.status >= 400:
            self.failures.append((response.request.method, response.status))

    def placement(self) -> str | None:
        """Where the saved layout has the classroom: the main area, shown in
        the left sidebar, or (None) neither."""
        response = self.page.request.get(self.url)
        assert response.ok, response.status
        layout = response.json()["data"].get("layout-restorer:data", {})
        left = layout.get("left", {})
        if '"classroom"' in json.dumps(layout.get("main", {})):
            return "main"
        if left.get("current") == "classroom" and not left.get("collapsed"):
            return "left"
        return None

    def saved(self, placement: str) -> None:
        """Wait until the server holds the layout with the classroom at
        ``placement`` and no save of this page is on its way (an older one,
        arriving late, would undo it)."""
        wait_until(
            lambda: not self.pending and self.placement() == placement,
            # JupyterLab saves the layout after a pause; a loaded machine
            # (four browsers in a test beside) takes its time.
            timeout=60,
            what=f"the workspace saved with the classroom in {placement}",
            # The page's request events (a save finished) are delivered only
            # inside a Playwright call: pause with one, or a save still on its
            # way when the wait starts would look pending for ever.
            pause=page_pause(self.page),
        )


def reload(page) -> None:
    page.reload()
    page.wait_for_selector(f"{PANEL}[data-restored]", state="attached", timeout=60_000)


def new_notebook_editor(page):
    """A new notebook, its first cell in edit mode with some code typed in."""
    page.evaluate(
        "window.jupyterapp.commands.execute('notebook:create-new', {kernelName: 'python3'})"
    )
    editor = page.locator(".jp-NotebookPanel .jp-Cell .cm-content").first
    editor.wait_for(timeout=30_000)
    editor.click()
    page.keyboard.type("x = 1")
    return editor


def test_shortcuts_collide_with_nothing_in_the_running_lab(person) -> None:
    page = person(open_panel=False)
    page.wait_for_selector(f"{PANEL}[data-restored]", state="attached")
    bindings = page.evaluate(
        """() => window.jupyterapp.commands.keyBindings.map(
            b => ({command: b.command, keys: [...b.keys], selector: b.selector}))"""
    )
    ours = [b for b in bindings if b["command"].startswith("classroom:")]
    assert {b["command"] for b in ours} == OURS
    assert len(bindings) - len(ours) > 100, "JupyterLab's own bindings were not read"
    for b in ours:
        for other in bindings:
            if other["command"].startswith("classroom:"):
                continue
            n = min(len(b["keys"]), len(other["keys"]))
            assert b["keys"][:n] != other["keys"][:n], (b, other)

    # In a notebook's editor the keys reach the classroom, and the code is untouched.
    editor = new_notebook_editor(page)
    page.keyboard.press("Alt+Shift+C")
    page.wait_for_selector(f'#jp-main-dock-panel {PANEL}[data-placement="main"]', state="visible")
    joined(page, 1)
    assert editor.inner_text().strip() == "x = 1"
    mic = page.locator(f"{PANEL} .jp-Classroom-media button").first
    wait_until(lambda: mic.get_attribute("aria-pressed") == "true", what="the microphone to start")
    editor.click()
    page.keyboard.press("End")
    page.keyboard.press("Alt+Shift+M")
    wait_until(lambda: mic.get_attribute("aria-pressed") == "false", what="Alt+Shift+M to mute")
    assert editor.inner_text().strip() == "x = 1"
    page.keyboard.press("Alt+Shift+W")
    wait_until(
        lambda: page.evaluate(
            f"document.activeElement === document.querySelector('{PANEL} .jp-Classroom-map')"
        ),
        what="Alt+Shift+W to focus the map",
    )


def test_the_panel_comes_back_where_it_was_after_a_reload(person) -> None:
    page = person()
    workspace = Workspace(page)
    joined(page, 1)
    assert page.locator(PANEL).get_attribute("data-placement") == "left"

    # In the sidebar, shown: after a reload it is shown in the sidebar.
    workspace.saved("left")
    reload(page)
    page.locator(PANEL).wait_for(state="visible")
    assert page.locator(f".jp-SideBar.jp-mod-left {PANEL}, #jp-left-stack {PANEL}").count() == 1
    assert page.locator(PANEL).get_attribute("data-placement") == "left"

    # Beside the notebooks: after a reload it is there again, and knows it.
    page.get_by_role("button", name="Open the classroom in the main area").click()
    workspace.saved("main")
    reload(page)
    page.wait_for_selector(f"#jp-main-dock-panel {PANEL}", state="visible")
    assert page.locator(PANEL).get_attribute("data-placement") == "main"
    assert page.get_by_role("button", name="Move the classroom to the left sidebar").is_visible()
    joined(page, 1)

    # And back to the sidebar.
    page.get_by_role("button", name="Move the classroom to the left sidebar").click()
    workspace.saved("left")
    reload(page)
    page.locator(PANEL).wait_for(state="visible")
    assert page.locator(f"#jp-main-dock-panel {PANEL}").count() == 0
    assert page.locator(PANEL).get_attribute("data-placement") == "left"
    assert workspace.failures == []


def screen_tab(page, name: str):
    return page.locator("#jp-main-dock-panel .lm-TabBar-tab", has_text=f"{name}'s screen")


def test_a_shared_screen_opens_in_a_tab_of_its_own(person) -> None:
    alice, bob = person(), person()
    joined(alice, 2)
    joined(bob, 2)
    ida, a_name = my_id(alice), my_name(alice)

    # Alice shares; Bob gets a tab titled with her name, playing her screen,
    # beside his notebooks, while his classroom stays in the sidebar.
    live = bob.locator(f"{PANEL} .jp-Classroom-map [aria-live]")
    alice.get_by_role("button", name="Share screen").click()
    tab = screen_tab(bob, a_name)
    tab.wait_for(timeout=30_000)
    # Screen readers hear of the tab that opened without taking the focus.
    wait_until(lambda: "is sharing their screen" in live.inner_text(), what="the announcement")
    video = bob.locator(f"#jp-classroom-screen-{ida} video")
    wait_until(
        lambda: video.evaluate("v => v.getVideoPlaybackQuality().totalVideoFrames") > 5,
        timeout=20,
        what="frames of Alice's screen in Bob's tab",
    )
    assert bob.locator(PANEL).get_attribute("data-placement") == "left"
    assert bob.locator(PANEL).is_visible()
    assert bob.locator(f"{PANEL} .jp-Classroom-compose textarea").is_visible()

    # Bob closes the tab: it stays closed; Pop out brings it back.
    bob.get_by_role("button", name=f"Close {a_name}'s screen").click()
    tab.wait_for(state="detached")
    bob.get_by_role("button", name=f"Open {a_name}'s shared screen in a tab").click()
    tab.wait_for()

    # Alice stops: the tab says so, and its title too.
    alice.get_by_role("button", name="Stop sharing").click()
    bob.locator(
        "#jp-main-dock-panel .lm-TabBar-tab", has_text=f"{a_name}'s screen (ended)"
    ).wait_for(timeout=20_000)
    ended = bob.locator(f"#jp-classroom-screen-{ida} .jp-Classroom-screenEnded")
    ended.wait_for()
    assert "stopped sharing" in ended.inner_text()
    wait_until(lambda: "stopped sharing" in live.inner_text(), what="the announcement of the end")

    # She shares again: the same tab shows it.
    alice.get_by_role("button", name="Share screen").click()
    wait_until(lambda: not ended.is_visible(), timeout=20, what="the screen back in its tab")
    assert screen_tab(bob, a_name).count() == 1
