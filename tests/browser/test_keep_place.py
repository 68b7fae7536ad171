"""A reload keeps one's place in real Chromium: at a table, in its call,
under the same name; within the reload grace as the same participant (the
others never see them leave), past it put back where they stood, as after a
server restart."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Page

from ..harness import wait_until
from ..harness.pages import PANEL, People, joined, my_id, my_name, open_classroom, walk_to
from ..harness.servers import JupyterProcess
from .test_room_media import ROOM, room_state, sends

#: Two spots at Table 3 (x 1160..1460, y 360..550).
SPOTS = ((1230.0, 410.0), (1390.0, 480.0))


def start_lab(root, reload_grace: float) -> JupyterProcess:
    server = JupyterProcess(
        root,
        sfu_ice_addresses="127.0.0.1",
        sfu_allowed_candidate_networks="127.0.0.0/8",
        # A reload on a busy machine takes a while: the grace outlasts it.
        reload_grace=reload_grace,
        reconnect_grace=max(reload_grace, 30.0),
    )
    server.start()
    return server


@pytest.fixture(scope="module")
def lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[JupyterProcess]:
    server = start_lab(tmp_path_factory.mktemp("keep-place"), reload_grace=120.0)
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def gone_at_once(browser, tmp_path_factory: pytest.TempPathFactory) -> Iterator[People]:
    """People on a server that keeps nobody whose page went away: every
    reload comes back past the grace."""
    server = start_lab(tmp_path_factory.mktemp("no-reload-grace"), reload_grace=0.0)
    people = People(browser, server, "past-grace")
    try:
        yield people
    finally:
        people.close()
        server.stop()


def my_room(page: Page) -> str | None:
    return page.evaluate(f"{ROOM}.model.me && {ROOM}.model.me.room")


def at_table_in_a_call(ada: Page, bob: Page) -> tuple[str, str]:
    """Both walk to Table 3 and hear each other through its call."""
    for page, spot in zip((ada, bob), SPOTS, strict=True):
        joined(page, 1)
        walk_to(page, *spot)
    ida, idb = my_id(ada), my_id(bob)
    for page, other in ((ada, idb), (bob, ida)):
        wait_until(
            lambda p=page, o=other: sends(p, o, audio=True), timeout=30, what="the table's call"
        )
    assert my_room(ada) == my_room(bob) == "table-3"
    return ida, idb


def watch_departures(page: Page) -> None:
    """Note every participant the page hears leave, from now on."""
    page.evaluate(
        f"""() => {{
          window.__left = [];
          {ROOM}.model.connection.on('participant_left', m => window.__left.push(m.participant_id));
        }}"""
    )


def reload(page: Page) -> None:
    page.reload()
    page.wait_for_selector("#jp-main-dock-panel", timeout=90_000)
    if not page.locator(PANEL).is_visible():
        open_classroom(page)


def back_in_the_call(ada: Page, bob: Page, ida: str, idb: str) -> None:
    wait_until(lambda: my_room(ada) == "table-3", timeout=60, what="Ada back at Table 3")
    for page, other in ((ada, idb), (bob, ida)):
        wait_until(
            lambda p=page, o=other: sends(p, o, audio=True),
            timeout=30,
            what="the table's call again",
        )
    wait_until(lambda: room_state(ada) == "connected", timeout=30, what="Ada's room connection")


def test_a_reload_resumes_at_the_table_in_its_call(person) -> None:
    ada, bob = person(), person()
    ida, idb = at_table_in_a_call(ada, bob)
    name = my_name(ada)
    watch_departures(bob)

    reload(ada)
    joined(ada, 2)
    # The same participant: the same id, the same name (no "(2)"), the same place.
    wait_until(lambda: my_id(ada) == ida, timeout=30, what="Ada resumed")
    assert my_name(ada) == name and "(2)" not in name
    back_in_the_call(ada, bob, ida, idb)
    # Bob never saw her leave (a chat message after it all is the sentinel).
    ada.fill(f"{PANEL} .jp-Classroom-compose textarea", "back")
    ada.keyboard.press("Enter")
    bob.locator(f"{PANEL} .jp-Classroom-log").get_by_text("back").wait_for()
    assert bob.evaluate("window.__left") == []
    assert bob.locator(f"{PANEL} li.jp-Classroom-person").count() == 2


def test_a_reload_past_the_grace_is_put_back_where_it_stood(gone_at_once: People) -> None:
    ada, bob = gone_at_once(), gone_at_once()
    ida, idb = at_table_in_a_call(ada, bob)
    name = my_name(ada)
    watch_departures(bob)

    reload(ada)
    # Past the grace: Ada left, and comes back as a new participant where she stood.
    wait_until(lambda: bob.evaluate("window.__left") == [ida], timeout=30, what="Ada gone")
    joined(ada, 2)
    wait_until(lambda: my_id(ada) not in ("", ida), timeout=30, what="Ada back")
    ida = my_id(ada)
    assert my_name(ada) == name and "(2)" not in name
    back_in_the_call(ada, bob, ida, idb)
    assert bob.locator(f"{PANEL} li.jp-Classroom-person").count() == 2
