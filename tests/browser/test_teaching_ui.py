"""The instructor's controls in real Chromium: an instructor broadcasts from
the stage and is heard at a table and on the open floor, works the hands
queue, runs timed breakouts that bring everyone back, locks chat and a room,
and follows a student; students see the state but not the controls."""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from jupyter_classroom.client import Classroom

from ..harness import wait_until
from ..harness.pages import (
    PANEL,
    ROOM,
    close_context,
    joined,
    lab_url,
    login_as,
    my_id,
    my_name,
    my_position,
    seen_position,
    walk_to,
    workspace_name,
)
from ..harness.servers import JupyterProcess
from .test_room_media import grows, sends, stats

TOOLS = f"{PANEL} .jp-Classroom-teachingTools"
TIMER = f"{PANEL} .jp-Classroom-breakoutTimer"


@pytest.fixture(scope="module")
def lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[JupyterProcess]:
    root = tmp_path_factory.mktemp("teaching")
    # ?user=NAME on the login names the browser's user; "teacher" is an instructor.
    server = JupyterProcess(
        root,
        identity_provider="tests.harness.clients.LoginNamedUsers",
        sfu_ice_addresses="127.0.0.1",
        sfu_allowed_candidate_networks="127.0.0.0/8",
        instructors="['teacher']",
        owner_is_instructor=False,
    )
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def login(browser: object, lab: JupyterProcess) -> Iterator[Callable[[str], object]]:
    """Factory: a named person (browser context) with JupyterLab and the classroom open."""
    contexts = []

    def make(user: str) -> object:
        context, page = login_as(browser, lab, user, workspace_name(user))  # type: ignore[arg-type]
        contexts.append(context)
        return page

    yield make
    for context in contexts:
        close_context(context)


def tools(page):
    return page.locator(TOOLS)


def open_group(page, title: str) -> None:
    """Unfold a group of the instructor's controls."""
    group = page.locator(
        f"{TOOLS} details.jp-Classroom-teachGroup", has=page.locator("summary", has_text=title)
    )
    if group.get_attribute("open") is None:
        group.locator("summary").click()


def room_of(page, pid: str) -> str:
    return (
        page.locator(f'{PANEL} li.jp-Classroom-person[data-id="{pid}"]').get_attribute("data-room")
        or ""
    )


def test_broadcast_reaches_a_table_and_the_open_floor_and_the_hands_queue(login) -> None:
    teacher, ann, ben = login("teacher"), login("ann"), login("ben")
    for page in (teacher, ann, ben):
        joined(page, 3)
    # Only the instructor gets the controls.
    tools(teacher).wait_for()
    assert tools(ann).is_hidden() and tools(ben).is_hidden()
    assert ann.get_by_role("button", name="Start broadcast").count() == 0

    walk_to(teacher, 700, 150)  # the stage
    walk_to(ann, 800, 780)  # Table 5
    walk_to(ben, 560, 300)  # the open floor, far from everyone
    idt = my_id(teacher)
    # Until the broadcast, Ben on the open floor gets nothing from the stage.
    assert stats(ben, idt)["audioBytes"] == 0

    teacher.get_by_role("button", name="Start broadcast").click()
    wait_until(
        lambda: teacher.get_by_role("button", name="Stop broadcast").count() == 1,
        what="the broadcast to start",
    )
    for page, who in ((ann, "Ann at Table 5"), (ben, "Ben on the open floor")):
        wait_until(
            lambda p=page: stats(p, idt)["audioBytes"] > 0, timeout=30, what=f"{who} to hear"
        )
        first = stats(page, idt)["audioBytes"]
        wait_until(
            lambda p=page, first=first: stats(p, idt)["audioBytes"] > first,
            timeout=15,
            what=f"{who}'s audio to grow",
        )

    # The instructor's camera and shared screen reach them through the broadcast too.
    teacher.get_by_role("button", name="Start camera").click()
    teacher.get_by_role("button", name="Share screen").click()
    for page, who in ((ann, "Ann at Table 5"), (ben, "Ben on the open floor")):
        wait_until(
            lambda p=page: sends(p, idt, camera=True, screen=True),
            timeout=30,
            what=f"{who} to get the camera and the screen",
        )
        grows(page, idt, "videoFrames")

    # Ann raises her hand: the instructor sees it in the queue, gives her the
    # floor, then lowers it with the queue's button.
    ida = my_id(ann)
    ann.get_by_role("button", name="Raise hand").click()
    entry = teacher.locator(f'{TOOLS} li.jp-Classroom-handEntry[data-id="{ida}"]')
    entry.wait_for()
    assert "Ann" in entry.inner_text()
    teacher.get_by_role("combobox", name="Participant").select_option(label="Ann")
    teacher.get_by_role("button", name="Give the floor").click()
    teacher.get_by_role("button", name="Take the floor back").wait_for()
    # Given the floor, her raised hand was lowered by the server.
    wait_until(lambda: entry.count() == 0, what="Ann's hand to leave the queue")
    ann.get_by_role("button", name="Raise hand").wait_for()
    ann.get_by_role("button", name="Raise hand").click()
    entry.wait_for()
    teacher.get_by_role("button", name="Lower Ann's hand").click()
    wait_until(lambda: entry.count() == 0, what="the lowered hand to leave the queue")
    ann.get_by_role("button", name="Raise hand").wait_for()

    teacher.get_by_role("button", name="Stop broadcast").click()
    teacher.get_by_role("button", name="Start broadcast").wait_for()


def test_breakouts_with_a_timer_locks_and_following(login) -> None:
    teacher, ann, ben = login("teacher"), login("ann"), login("ben")
    for page in (teacher, ann, ben):
        joined(page, 3)
    ida, idb = my_id(ann), my_id(ben)

    # Random breakouts over two tables for a few seconds.
    open_group(teacher, "Breakouts")
    teacher.get_by_role("combobox", name="How students get to tables").select_option("random")
    teacher.get_by_role("spinbutton", name="Tables").fill("2")
    teacher.get_by_role("spinbutton", name="Minutes").fill("0.15")
    teacher.get_by_role("button", name="Start breakouts").click()
    for page in (teacher, ann, ben):
        wait_until(
            lambda p=page: room_of(p, ida).startswith("table-"), timeout=15, what="Ann at a table"
        )
        wait_until(
            lambda p=page: room_of(p, idb).startswith("table-"), timeout=15, what="Ben at a table"
        )
    # Everyone sees the countdown (a timer region); students do not get End.
    for page in (ann, ben, teacher):
        timer = page.locator(TIMER)
        timer.wait_for()
        assert timer.get_attribute("role") == "timer"
        assert "left" in timer.inner_text()
    assert ann.get_by_role("button", name="End breakouts").count() == 0
    # The timer (under a minute: the warning is given at once) ends them and
    # brings everyone to the stage.
    for page in (ann, ben):
        wait_until(
            lambda p=page: room_of(p, my_id(p)) == "stage", timeout=30, what="back on the stage"
        )
        page.locator(TIMER).wait_for(state="hidden")
        wait_until(
            lambda p=page: (
                "Breakouts ended." in p.locator(f"{PANEL} .jp-Classroom-teachingLive").inner_text()
            ),
            what="the end to be announced",
        )

    # Breakouts where students choose, ended by the instructor.
    teacher.get_by_role("combobox", name="How students get to tables").select_option("choose")
    teacher.get_by_role("spinbutton", name="Minutes").fill("")
    teacher.get_by_role("button", name="Start breakouts").click()
    wait_until(
        lambda: "no time limit" in ann.locator(TIMER).inner_text(),
        what="the untimed breakout at Ann",
    )
    teacher.get_by_role("button", name="End breakouts").click()
    ann.locator(TIMER).wait_for(state="hidden")

    # Locks: the instructor locks chat, students read it.
    open_group(teacher, "Lock for students")
    teacher.get_by_role("button", name="Chat", exact=True).click()
    wait_until(
        lambda: (
            "Locked for students: chat."
            in ann.locator(f"{PANEL} .jp-Classroom-locksLine").inner_text()
        ),
        what="the chat lock at Ann",
    )
    assert (
        teacher.get_by_role("button", name="Chat", exact=True).get_attribute("aria-pressed")
        == "true"
    )
    teacher.get_by_role("button", name="Chat", exact=True).click()
    ann.locator(f"{PANEL} .jp-Classroom-locksLine").wait_for(state="hidden")

    # A room locked and unlocked again (the server's rule is tested on its own).
    open_group(teacher, "Rooms")
    teacher.get_by_role("combobox", name="Room").select_option(label="Table 1")
    teacher.get_by_role("button", name="Lock room", exact=True).click()
    teacher.get_by_role("button", name="Unlock room", exact=True).wait_for()
    assert (
        teacher.get_by_role("combobox", name="Room").locator("option:checked").inner_text()
        == "Table 1 (locked)"
    )
    teacher.get_by_role("button", name="Unlock room", exact=True).click()
    teacher.get_by_role("button", name="Lock room", exact=True).wait_for()

    # Following: the instructor follows Ann around the room, and Escape stops it.
    teacher.get_by_role("combobox", name="Participant").select_option(label="Ann")
    teacher.get_by_role("button", name="Follow", exact=True).click()
    teacher.locator(f"{PANEL} .jp-Classroom-followLine").wait_for()
    walk_to(ann, 560, 300)
    wait_until(
        lambda: math.dist(my_position(teacher), (560, 300)) < 90,
        timeout=30,
        what="the teacher to follow",
    )
    walk_to(ann, 1000, 300)
    wait_until(
        lambda: math.dist(my_position(teacher), (1000, 300)) < 90,
        timeout=30,
        what="the teacher to follow on",
    )
    teacher.focus(f"{PANEL} .jp-Classroom-map")
    teacher.keyboard.press("Escape")
    teacher.locator(f"{PANEL} .jp-Classroom-followLine").wait_for(state="hidden")
    here = my_position(teacher)
    walk_to(ann, 560, 300)
    # The teacher's page has had Ann's walk (a follower would have set off on
    # her first step) and drawn two frames since: it stays where it was.
    ida = my_id(ann)
    wait_until(
        lambda: math.dist(seen_position(teacher, ida), (560, 300)) < 10,
        what="Ann's walk at the teacher's",
    )
    teacher.evaluate(
        "() => new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))"
    )
    assert math.dist(my_position(teacher), here) < 5


def write_notebook(path: Path, *cells: str) -> None:
    nb = {
        "cells": [
            {
                "cell_type": "code",
                "execution_count": None,
                "id": f"c{i}",
                "metadata": {},
                "outputs": [],
                "source": c,
            }
            for i, c in enumerate(cells)
        ],
        "metadata": {
            "kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"},
            "language_info": {"name": "python"},
        },
        "nbformat": 4,
        "nbformat_minor": 5,
    }
    path.write_text(json.dumps(nb))


def test_the_notebook_widget_shows_the_class_and_its_buttons_act(browser, lab, login) -> None:
    ann = login("ann")
    joined(ann, 1)
    ida = my_id(ann)
    # The notebook's own connection logs in as the teacher (``?user=`` names it here).
    write_notebook(
        lab.root / "notebooks" / "teach.ipynb",
        "from jupyter_classroom import Classroom\n"
        f"c = Classroom(url='{lab.url}?user=teacher', token='{lab.token}')\n"
        "c",
    )
    context = browser.new_context(viewport={"width": 1400, "height": 900})
    try:
        page = context.new_page()
        page.on("console", lambda m: m.type == "error" and print("notebook:", m.text))
        page.goto(lab_url(lab, workspace_name("teacher"), tree="teach.ipynb", user="teacher"))
        # A cell run before the notebook is connected to its kernel is not run at all (the
        # toolbar's indicator says "idle" from the start; the status bar waits for the kernel).
        page.locator("#jp-main-statusbar").get_by_text("| Idle").wait_for(timeout=90_000)
        page.locator(".jp-Notebook .jp-Cell .cm-content").first.click(timeout=60_000)
        page.keyboard.press("Shift+Enter")
        widget = page.locator(".jp-ClassroomWidget")
        widget.wait_for(timeout=90_000)
        # The live roster: Ann, where she is; her raised hand appears without running anything.
        row = widget.locator(f'tr[data-id="{ida}"]')
        row.wait_for()
        assert "Ann" in row.inner_text()
        ann.get_by_role("button", name="Raise hand").click()
        widget.locator(f'.jp-Classroom-hands li[data-id="{ida}"]').wait_for()
        assert "1 hand raised" in widget.inner_text()
        # Its buttons act on the class, through the notebook API and the server.
        widget.get_by_role("button", name="Lower Ann's hand").click()
        ann.get_by_role("button", name="Raise hand").wait_for()
        widget.locator(f'.jp-Classroom-hands li[data-id="{ida}"]').wait_for(state="detached")

        widget.get_by_role("button", name="Chat", exact=True).click()
        wait_until(
            lambda: (
                "Locked for students: chat."
                in ann.locator(f"{PANEL} .jp-Classroom-locksLine").inner_text()
            ),
            what="the chat lock at Ann",
        )
        # The button unlocks once the widget has heard of the lock (its state comes through
        # the kernel, after Ann's).
        wait_until(
            lambda: (
                widget.get_by_role("button", name="Chat", exact=True).get_attribute("aria-pressed")
                == "true"
            ),
            what="the chat lock in the widget",
        )
        widget.get_by_role("button", name="Chat", exact=True).click()
        ann.locator(f"{PANEL} .jp-Classroom-locksLine").wait_for(state="hidden")

        widget.get_by_role("button", name="Lock Table 1").click()
        widget.get_by_role("button", name="Unlock Table 1").wait_for()
        assert "Table 1: empty (locked)" in widget.inner_text()

        # The breakout planner: Ann's group to a table, then ended.
        widget.get_by_role("combobox", name="How students get to tables").select_option("groups")
        widget.get_by_role("textbox", name="Groups").fill("ann")
        widget.get_by_role("button", name="Start breakouts").click()
        wait_until(
            lambda: room_of(ann, ida).startswith("table-"), timeout=15, what="Ann at her table"
        )
        wait_until(
            lambda: "Breakouts" in widget.locator(".jp-Classroom-breakoutTimer").inner_text(),
            what="the timer",
        )
        widget.get_by_role("button", name="End breakouts").click()
        wait_until(lambda: room_of(ann, ida) == "stage", timeout=15, what="Ann back on the stage")

        # A refusal is shown, not swallowed: more tables than the map has.
        wait_until(
            lambda: widget.get_by_role("button", name="End breakouts").is_disabled(),
            what="no breakouts",
        )
        widget.get_by_role("combobox", name="How students get to tables").select_option("random")
        widget.get_by_role("spinbutton", name="Tables").fill("99")
        widget.get_by_role("button", name="Start breakouts").click()
        alert = widget.get_by_role("alert")
        alert.wait_for()
        assert "table" in alert.inner_text().lower()
    finally:
        close_context(context)


def test_a_notebook_is_nobody_in_the_panel(lab, login) -> None:
    """The notebook API observes for its user: the instructor's panel counts
    the people, not the notebook, and the "One person" picker does not offer
    it; what it announces is signed with the instructor's own name."""
    teacher, ann = login("teacher"), login("ann")
    joined(teacher, 2)
    joined(ann, 2)
    ida = my_id(ann)
    # What the panel hears, from now on: the sentinel below.
    teacher.evaluate(
        f"""{ROOM}.model.connection.on('class_updated', m => {{
              window.__announced = m.state.announcement;
            }})"""
    )
    notebook = Classroom(url=f"{lab.url}?user=teacher", token=lab.token)
    try:
        assert notebook.me["role"] == "instructor"
        notebook.announce("From the notebook")
        announced = wait_until(
            lambda: teacher.evaluate("window.__announced || null"), what="the announcement"
        )
        assert announced["text"] == "From the notebook"
        assert announced["sender_name"] == my_name(teacher)
        assert "(2)" not in announced["sender_name"]
        heading = teacher.locator(f"{PANEL} .jp-Classroom-participants .jp-Classroom-heading")
        assert heading.inner_text() == "Participants (2)"
        picker = teacher.get_by_role("combobox", name="Participant")
        offered = picker.locator("option").evaluate_all("os => os.map(o => o.value)")
        assert offered == [ida]
        assert notebook.me["id"] not in offered
        assert teacher.locator(f"{PANEL} li.jp-Classroom-person").count() == 2
    finally:
        notebook.announce(None)
        notebook.close()
