"""Refusals where people look, in real Chromium: an instructor locks a table,
and a student who walks into it reads why at the map's edge (a live region
that stays until the table is unlocked) and sees the lock drawn; the chat
lock disables the student's chat box, and the microphone lock the student's
microphone button (not the instructor's), with the reason beside them, and
unlocking enables them again."""

from __future__ import annotations

from typing import Any

from ..harness import wait_until
from ..harness.pages import PANEL, joined
from .test_teaching_ui import lab, login, open_group  # noqa: F401  (the same server and people)

MAP = f"{PANEL} .jp-Classroom-map"
NOTICE = f"{MAP} .jp-Classroom-mapNotice"


def room_label(page: Any, room: str) -> dict[str, Any] | None:
    boxes = page.evaluate(f"document.querySelector('{MAP}').classroomRoomLabels || []")
    return next((b for b in boxes if b["id"] == room), None)


def test_a_locked_table_refuses_at_the_map_and_locked_controls_are_disabled(login) -> None:  # noqa: F811
    teacher, ann = login("teacher"), login("ann")
    joined(teacher, 2)
    joined(ann, 2)

    # The instructor locks Table 5; Ann's map draws the lock.
    open_group(teacher, "Rooms")
    teacher.get_by_role("combobox", name="Room").select_option(label="Table 5")
    teacher.get_by_role("button", name="Lock room", exact=True).click()
    teacher.get_by_role("button", name="Unlock room", exact=True).wait_for()
    wait_until(
        lambda: "table-5" in (ann.locator(MAP).get_attribute("data-locked-rooms") or "").split(),
        what="Table 5 locked on Ann's map",
    )
    wait_until(
        lambda: (room_label(ann, "table-5") or {}).get("locked") is True,
        what="the lock drawn by Table 5's name",
    )

    # Ann (at the door, just below Table 5) clicks into it: she stays out, and
    # the map says why, in a live region.
    notice = ann.locator(NOTICE)
    assert notice.is_hidden()
    canvas = ann.locator(f"{MAP} canvas")
    box = canvas.bounding_box()
    assert box is not None
    canvas.click(position={"x": box["width"] * 800 / 1600, "y": box["height"] * 780 / 960})
    wait_until(lambda: notice.is_visible(), what="the refusal at the map")
    assert notice.get_attribute("role") == "alert"
    assert "Table 5 is locked" in notice.inner_text()
    assert notice.get_attribute("data-room") == "table-5"
    me = ann.locator(f'{PANEL} li.jp-Classroom-person:has-text("(you)")')
    assert me.get_attribute("data-room") == ""

    # The chat lock: Ann's box is disabled, with the reason beside it...
    box_ = ann.locator(f"{PANEL} .jp-Classroom-compose textarea")
    send = ann.locator(f"{PANEL} .jp-Classroom-compose button[type=submit]")
    note = ann.locator(f"{PANEL} .jp-Classroom-chat .jp-Classroom-note")
    assert box_.is_enabled()
    open_group(teacher, "Lock for students")
    teacher.get_by_role("button", name="Chat", exact=True).click()
    wait_until(lambda: box_.is_disabled(), what="Ann's chat box disabled")
    assert send.is_disabled()
    assert "locked the chat" in note.inner_text()
    assert note.get_attribute("data-locked") == "true"
    # ... and the refusal at the map is still there: the table is still locked.
    assert notice.is_visible() and "Table 5 is locked" in notice.inner_text()

    # Unlocking the chat enables the box again; unlocking the table clears the refusal.
    teacher.get_by_role("button", name="Chat", exact=True).click()
    wait_until(lambda: box_.is_enabled(), what="Ann's chat box enabled again")
    assert send.is_enabled()
    assert "locked the chat" not in note.inner_text()

    # The microphone lock: Ann's microphone button is disabled, described by
    # the reason shown beside it; the instructor's own stays enabled.
    mic = ann.locator(f"{PANEL} .jp-Classroom-media button").first
    why = ann.locator(f"{PANEL} .jp-Classroom-media .jp-Classroom-lockNote")
    assert mic.is_enabled() and why.is_hidden()
    teacher.get_by_role("button", name="Microphones", exact=True).click()
    wait_until(lambda: mic.is_disabled(), what="Ann's microphone button disabled")
    assert why.is_visible() and "locked the microphones" in why.inner_text()
    assert why.get_attribute("data-locked") == "true"
    assert mic.get_attribute("aria-describedby") == why.get_attribute("id")
    assert "locked the microphones" in (mic.get_attribute("title") or "")
    assert teacher.locator(f"{PANEL} .jp-Classroom-media button").first.is_enabled()
    teacher.get_by_role("button", name="Microphones", exact=True).click()
    wait_until(lambda: mic.is_enabled(), what="Ann's microphone button enabled again")
    assert why.is_hidden() and mic.get_attribute("aria-describedby") is None
    teacher.get_by_role("button", name="Unlock room", exact=True).click()
    wait_until(lambda: notice.is_hidden(), what="the refusal to go with the lock")
    wait_until(
        lambda: (room_label(ann, "table-5") or {}).get("locked") is False,
        what="Table 5 drawn unlocked",
    )
