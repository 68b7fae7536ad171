"""Roles on a single Jupyter server, in real Chromium: the server's owner
(signed in with the token, in JupyterLab) is the instructor; two people
invited by a link are students on the standalone page; the owner's teaching
controls work on them as on a hub: the hands queue, a chat lock and timed
breakouts that everyone to the stage ends."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from playwright.sync_api import Page

from jupyter_classroom.client import Classroom

from ..harness import wait_until
from ..harness.pages import PANEL, People, click_map, entry_of, joined, my_id, walk_to
from ..harness.servers import JupyterProcess

TOOLS = f"{PANEL} .jp-Classroom-teachingTools"
TIMER = f"{PANEL} .jp-Classroom-breakoutTimer"
#: Inside Table 5, in map pixels.
TABLE_5 = (800.0, 780.0)


@pytest.fixture(scope="module")
def lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[JupyterProcess]:
    # A token login is the owner, the instructor of a single server; tables
    # have their calls (the server names loopback for Chromium's candidates).
    server = JupyterProcess(
        tmp_path_factory.mktemp("roles"),
        owner_is_instructor=True,
        sfu_ice_addresses="127.0.0.1",
        sfu_allowed_candidate_networks="127.0.0.0/8",
    )
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def link(lab: JupyterProcess) -> Iterator[str]:
    """A student's invitation for two, made by the owner through the notebook
    API (the panel's dialog is tested in test_invite_ui), revoked afterwards."""
    notebook = Classroom(url=lab.url, token=lab.token)
    try:
        assert notebook.me["role"] == "instructor"
        invitation = notebook.invite(role="student", expires="1h", max_guests=2, label="Roles")
        yield str(invitation)
        notebook.revoke(invitation)
    finally:
        notebook.close()


def guest(person: People, url: str, name: str) -> Page:
    """Someone who opens the link in a browser of their own and joins as ``name``."""
    page = person.context(permissions=["microphone", "camera"]).new_page()
    page.on("console", lambda m: print(f"{name}:", m.text) if m.type == "error" else None)
    page.goto(url)
    page.get_by_role("heading", name=re.compile("You are invited to")).wait_for()
    page.get_by_label("Your name").fill(name)
    page.get_by_role("button", name="Join").click()
    page.wait_for_url(f"{person.lab.url}classroom/page")
    return page


def open_group(page: Page, title: str) -> None:
    """Unfold a group of the instructor's controls."""
    group = page.locator(
        f"{TOOLS} details.jp-Classroom-teachGroup", has=page.locator("summary", has_text=title)
    )
    if group.get_attribute("open") is None:
        group.locator("summary").click()


def room_of(page: Page, pid: str) -> str:
    return entry_of(page, pid).get_attribute("data-room") or ""


def queue(page: Page) -> list[str]:
    """The raised hands in the instructor's queue, in its order."""
    return page.locator(f"{TOOLS} li.jp-Classroom-handEntry").evaluate_all(
        "es => es.map(e => e.dataset.id)"
    )


def test_the_owner_teaches_two_invited_students(person: People, link: str) -> None:
    owner = person()
    ann = guest(person, link, "Ann Guest")
    ben = guest(person, link, "Ben Guest")
    for page in (owner, ann, ben):
        joined(page, 3)
    ida, idb = my_id(ann), my_id(ben)
    # The owner is the instructor; the invited are students, without the controls.
    owner.locator(TOOLS).wait_for()
    for page, pid in ((ann, ida), (ben, idb)):
        assert entry_of(owner, pid).get_attribute("data-name") in ("Ann Guest", "Ben Guest")
        assert page.locator(TOOLS).is_hidden()
        assert page.get_by_role("button", name="Start breakouts").count() == 0

    # Hands: raised in turn, queued in that order; the owner lowers Ann's.
    for page, queued in ((ann, [ida]), (ben, [ida, idb])):
        page.get_by_role("button", name="Raise hand").click()
        page.get_by_role("button", name="Lower hand").wait_for()
        wait_until(lambda q=queued: queue(owner) == q, what=f"{len(queued)} hands queued in order")
    owner.get_by_role("button", name="Lower Ann Guest's hand").click()
    ann.get_by_role("button", name="Raise hand").wait_for()
    wait_until(lambda: queue(owner) == [idb], what="Ann's hand out of the queue")
    assert ben.get_by_role("button", name="Lower hand").count() == 1
    owner.get_by_role("button", name="Lower all hands").click()
    ben.get_by_role("button", name="Raise hand").wait_for()

    # Locks: chat locked, Ann's chat box is disabled with the reason beside it.
    open_group(owner, "Lock for students")
    chat_lock = owner.get_by_role("button", name="Chat", exact=True)
    chat_lock.click()
    locks_line = ann.locator(f"{PANEL} .jp-Classroom-locksLine")
    wait_until(
        lambda: "Locked for students: chat." in locks_line.inner_text(), what="the lock at Ann"
    )
    compose = ann.locator(f"{PANEL} .jp-Classroom-compose textarea")
    wait_until(lambda: compose.is_disabled(), what="Ann's chat box disabled by the lock")
    note = ann.locator(f"{PANEL} .jp-Classroom-chat .jp-Classroom-note")
    assert "locked the chat" in note.inner_text()
    chat_lock.click()
    locks_line.wait_for(state="hidden")
    wait_until(lambda: compose.is_enabled(), what="Ann's chat box enabled again")
    owner_log = owner.locator(f"{PANEL} .jp-Classroom-log")
    ann.fill(f"{PANEL} .jp-Classroom-compose textarea", "after the lock")
    ann.keyboard.press("Enter")
    owner_log.get_by_text("after the lock").wait_for()

    # A room locked: Ben's walk into it is refused, and he reads why.
    open_group(owner, "Rooms")
    owner.get_by_role("combobox", name="Room").select_option(label="Table 5")
    owner.get_by_role("button", name="Lock room", exact=True).click()
    owner.get_by_role("button", name="Unlock room", exact=True).wait_for()
    click_map(ben, *TABLE_5)
    # The refusal is told at the map's edge, in a live region.
    refusal = ben.locator(f"{PANEL} .jp-Classroom-map .jp-Classroom-mapNotice")
    wait_until(lambda: refusal.is_visible(), what="the refusal at Ben's map")
    assert refusal.get_attribute("role") == "alert"
    assert "Table 5 is locked" in refusal.inner_text()
    assert room_of(owner, idb) != "table-5"
    owner.get_by_role("button", name="Unlock room", exact=True).click()
    owner.get_by_role("button", name="Lock room", exact=True).wait_for()
    walk_to(ben, *TABLE_5)
    wait_until(lambda: room_of(owner, idb) == "table-5", what="Ben at the unlocked table")

    # Breakouts over two tables with a timer: both students are moved to tables.
    open_group(owner, "Breakouts")
    owner.get_by_role("combobox", name="How students get to tables").select_option("random")
    owner.get_by_role("spinbutton", name="Tables").fill("2")
    owner.get_by_role("spinbutton", name="Minutes").fill("10")
    owner.get_by_role("button", name="Start breakouts").click()
    for page in (owner, ann, ben):
        for pid, who in ((ida, "Ann"), (idb, "Ben")):
            wait_until(
                lambda p=page, pid=pid: room_of(p, pid).startswith("table-"),
                what=f"{who} at a table",
            )
    for page in (ann, ben):
        tab = page.locator(f'{PANEL} .jp-Classroom-tab[data-channel="room"]')
        wait_until(lambda t=tab: "Room: Table" in t.inner_text(), what="the table on their page")
    for page in (owner, ann, ben):
        countdown = page.locator(TIMER)
        countdown.wait_for()
        assert countdown.get_attribute("role") == "timer"
        assert "left" in countdown.inner_text()
    # Everyone to the stage brings them back, breakouts or not.
    owner.get_by_role("button", name="Everyone to the stage").click()
    for page in (owner, ann, ben):
        for pid, who in ((ida, "Ann"), (idb, "Ben")):
            wait_until(
                lambda p=page, pid=pid: room_of(p, pid) == "stage", what=f"{who} on the stage"
            )
    owner.get_by_role("button", name="End breakouts").click()
    for page in (owner, ann, ben):
        page.locator(TIMER).wait_for(state="hidden")
