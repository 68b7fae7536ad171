"""A class on JupyterHub, in real Chromium: an instructor and two students log
in through the hub's login page, each to their own single-user server, open
the classroom and meet in the hub's one classroom under their hub names;
they chat, talk on the open floor, and a table's call goes through the
service's SFU."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

from ..harness import wait_until
from ..harness.hub import PASSWORD, HubProcess
from ..harness.pages import (
    PANEL,
    SCREEN_STUB,
    entry_of,
    joined,
    leave,
    my_id,
    open_classroom,
    walk_to,
)
from .test_proximity_media import calls, grows
from .test_room_media import grows as room_grows
from .test_room_media import remote, room_state, sends

pytestmark = pytest.mark.timeout(600)  # a hub and three single-user servers on a shared machine


@pytest.fixture(scope="module")
def hub(tmp_path_factory: pytest.TempPathFactory) -> Iterator[HubProcess]:
    process = HubProcess(
        tmp_path_factory.mktemp("hub"),
        groups={
            "instructors": ["teacher"],
            "physics": ["teacher", "alice", "bob"],
            "chemistry": ["teacher"],
        },
        classrooms={
            "physics": {"title": "Physics 101", "groups": ["physics"]},
            "chemistry": {"title": "Chemistry 201", "groups": ["chemistry"]},
        },
    )
    process.start()
    try:
        yield process
    finally:
        process.stop()


@pytest.fixture
def hub_person(browser: object, hub: HubProcess) -> Iterator[Callable[[str], object]]:
    """Factory: a person who logs in to the hub as ``name`` and opens the classroom."""
    contexts = []

    def make(name: str) -> object:
        context = browser.new_context(  # type: ignore[attr-defined]
            viewport={"width": 1400, "height": 900}, permissions=["microphone", "camera"]
        )
        contexts.append(context)
        context.add_init_script(SCREEN_STUB)
        page = context.new_page()
        page.on("console", lambda m: m.type == "error" and print(f"browser ({name}):", m.text))
        page.goto(f"{hub.url}hub/login")
        page.fill("#username_input", name)
        page.fill("#password_input", PASSWORD)
        page.click("#login_submit")
        # The hub starts the person's server, then sends the browser to JupyterLab.
        page.wait_for_selector("#jp-main-dock-panel", timeout=180_000)
        assert f"/user/{name}/lab" in page.url
        open_classroom(page)
        return page

    yield make
    for context in contexts:
        for page in context.pages:
            leave(page)
        context.close()


def role(page, pid: str) -> str:
    return page.evaluate(
        f"(id) => document.getElementById('{PANEL[1:]}').classroomRoom.model.roster.participants.get(id).role",
        pid,
    )


def test_a_class_meets_in_the_hubs_classroom(hub: HubProcess, hub_person) -> None:
    teacher = hub_person("teacher")
    joined(teacher, 1)
    alice = hub_person("alice")
    joined(alice, 2)
    bob = hub_person("bob")
    for page in (teacher, alice, bob):
        joined(page, 3)
    ids = {
        name: my_id(page) for name, page in (("teacher", teacher), ("alice", alice), ("bob", bob))
    }
    # Students are in their one class; the teacher, in two, may choose.
    for page in (alice, bob):
        assert page.locator(f"{PANEL} .jp-Classroom-title").inner_text() == "Physics 101"
        assert not page.get_by_label("Classroom", exact=True).is_visible()
    chooser = teacher.get_by_label("Classroom", exact=True)
    assert chooser.input_value() == "physics"
    # (Listed as the teacher arrived, first: nobody was in yet.)
    assert chooser.locator("option").all_inner_texts() == ["Physics 101", "Chemistry 201"]

    # Everyone sees everyone under their hub name, and the teacher as the instructor.
    for page in (teacher, alice, bob):
        for name, pid in ids.items():
            assert entry_of(page, pid).get_attribute("data-name") == name
            assert role(page, pid) == ("instructor" if name == "teacher" else "student")
        assert "instructor" in entry_of(page, ids["teacher"]).inner_text().lower()
        # The page found the hub's classroom through its server, and joined it with its token.
        assert page.evaluate(
            "performance.getEntriesByType('resource').some(e => e.name.endsWith('/services/classroom/api/classrooms'))"
        )
    # Chat to the whole class.
    alice.fill(f"{PANEL} .jp-Classroom-compose textarea", "hello from alice")
    alice.keyboard.press("Enter")
    for page in (teacher, bob):
        page.locator(f"{PANEL} .jp-Classroom-log").get_by_text("hello from alice").wait_for(
            timeout=15_000
        )

    # The open floor: alice walks up to bob; they hear each other peer to peer.
    walk_to(bob, 440, 615)
    walk_to(alice, 520, 615)
    wait_until(
        lambda: (
            calls(alice).get(ids["bob"]) == "connected"
            and calls(bob).get(ids["alice"]) == "connected"
        ),
        timeout=30,
        what="alice and bob's call",
    )
    grows(alice, ids["bob"], "audioBytes", timeout=20)
    grows(bob, ids["alice"], "audioBytes", timeout=20)

    # A table: the teacher joins alice and bob at Table 5, one call through the service's SFU.
    for page, spot in ((alice, (720, 730)), (bob, (800, 800)), (teacher, (880, 730))):
        walk_to(page, 600, 640)
        walk_to(page, *spot)  # Table 5: x 650..950, y 680..870
    people = {teacher: ids["teacher"], alice: ids["alice"], bob: ids["bob"]}
    for page, me in people.items():
        for other in set(people.values()) - {me}:
            wait_until(
                lambda p=page, o=other: sends(p, o, audio=True),
                timeout=30,
                what=f"{other}'s voice at {me} through the table's call",
            )
        assert room_state(page) == "connected"
    room_grows(teacher, ids["alice"], "audioBytes", timeout=20)
    room_grows(alice, ids["teacher"], "audioBytes", timeout=20)
    assert set(remote(bob)) == {ids["teacher"], ids["alice"]}

    # The teacher goes over to the other class: alone there, gone from physics.
    teacher.get_by_label("Classroom", exact=True).select_option("chemistry")
    teacher.wait_for_selector("#jp-main-dock-panel", timeout=120_000)
    if not teacher.locator(PANEL).is_visible():
        open_classroom(teacher)
    joined(teacher, 1)
    assert teacher.get_by_label("Classroom", exact=True).input_value() == "chemistry"
    assert teacher.locator(f"{PANEL} li.jp-Classroom-person").count() == 1
    wait_until(
        lambda: entry_of(alice, ids["teacher"]).count() == 0,
        timeout=30,
        what="the teacher to leave physics",
    )


def test_someone_in_no_class_is_told_so(hub: HubProcess, hub_person) -> None:
    eve = hub_person("eve")  # a hub user in neither class
    status = eve.locator(f"{PANEL} .jp-Classroom-status")
    wait_until(
        lambda: "not a member of any classroom on this hub" in status.inner_text(),
        timeout=30,
        what="the panel to say eve is in no class",
    )
    # It says so once and does not keep retrying: the connection is closed
    # for good ("closed", where a retry would be "reconnecting" on a timer).
    assert eve.locator(f"{PANEL} li.jp-Classroom-person").count() == 0
    connection = f"document.getElementById('{PANEL[1:]}').classroomRoom.model.connection.state"
    assert eve.evaluate(f"{connection}.status") == "closed"
    assert "not a member of any classroom" in eve.evaluate(f"{connection}.reason")
    assert "not a member of any classroom" in status.inner_text()
    assert "Reconnecting" not in status.inner_text()
