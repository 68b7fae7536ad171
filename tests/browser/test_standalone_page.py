"""The standalone classroom page (``classroom/page``): the classroom without
JupyterLab, beside people in JupyterLab, and what it says to a browser that
is not signed in."""

from __future__ import annotations

import urllib.parse

from playwright.sync_api import Page

from ..harness import wait_until
from ..harness.pages import (
    PANEL,
    SCREEN_STUB,
    People,
    entry_of,
    hold_key,
    joined,
    my_id,
    my_name,
    my_position,
    seen_where_they_stand,
)
from ..harness.servers import JupyterProcess


def page_url(lab: JupyterProcess, **query: str) -> str:
    url = f"{lab.url}classroom/page"
    return f"{url}?{urllib.parse.urlencode(query)}" if query else url


def open_page(person: People, **query: str) -> Page:
    """A new person (browser context) on the standalone page."""
    context = person.context(permissions=["microphone", "camera"])
    context.add_init_script(SCREEN_STUB)
    page = context.new_page()
    page.on("console", lambda m: print("page:", m.text) if m.type == "error" else None)
    page.goto(page_url(person.lab, **query))
    return page


def test_the_page_and_jupyterlab_share_one_classroom(person) -> None:
    # Signed in with the server's token, as the owner would be.
    owner = open_page(person, token=person.lab.token)
    student = person()
    joined(owner, 2)
    joined(student, 2)
    assert owner.title() == "Classroom"
    assert owner.locator("main#classroom-page").count() == 1
    # Nothing of JupyterLab on the page: the panel alone, in the main area's layout.
    assert owner.locator("#jp-main-dock-panel").count() == 0
    assert owner.locator(PANEL).get_attribute("data-placement") == "main"

    owner_id, student_id = my_id(owner), my_id(student)
    assert owner_id != student_id
    assert entry_of(owner, student_id).count() == 1
    assert entry_of(student, owner_id).count() == 1

    # Chat crosses, both ways.
    owner.fill(f"{PANEL} .jp-Classroom-compose textarea", "hello from the page")
    owner.keyboard.press("Enter")
    student.locator(f"{PANEL} .jp-Classroom-log").get_by_text("hello from the page").wait_for()
    student.fill(f"{PANEL} .jp-Classroom-compose textarea", "hello from the lab")
    student.keyboard.press("Enter")
    owner.locator(f"{PANEL} .jp-Classroom-log").get_by_text("hello from the lab").wait_for()

    # Walking with the keyboard on the page moves the avatar the lab sees.
    start = my_position(owner)
    hold_key(owner, "ArrowUp", 0.8)
    seen = seen_where_they_stand(student, owner, owner_id)
    assert start[1] - seen[1] > 100, (start, seen)


def test_without_login_the_page_asks_to_sign_in_and_comes_back(person) -> None:
    page = open_page(person)
    message = page.locator(".jp-ClassroomPage-message[role=alert]")
    message.wait_for()
    assert "Sign in to Jupyter" in message.inner_text()
    link = page.get_by_role("link", name="Sign in")
    href = link.get_attribute("href") or ""
    assert href == f"{person.lab.url}login?next=%2Fclassroom%2Fpage"
    # No classroom was joined, nor tried.
    assert page.locator(PANEL).count() == 0

    # Jupyter's login page brings the person back, signed in, into the classroom.
    link.click()
    page.fill("input[type=password]", person.lab.token)
    page.keyboard.press("Enter")
    page.wait_for_url(page_url(person.lab))
    joined(page, 1)


def test_a_shared_screen_plays_in_a_tab_beside_the_page(person) -> None:
    # Media crosses between JupyterLab and the page (the open floor's call).
    viewer = open_page(person, token=person.lab.token)
    sharer = person()
    joined(viewer, 2)
    joined(sharer, 2)
    sid, s_name = my_id(sharer), my_name(sharer)
    screens = viewer.locator(".jp-ClassroomPage-screens")
    assert not screens.is_visible()

    sharer.get_by_role("button", name="Share screen").click()
    tab = screens.locator(".lm-TabBar-tab", has_text=f"{s_name}'s screen")
    tab.wait_for(timeout=30_000)
    video = viewer.locator(f"#jp-classroom-screen-{sid} video")
    wait_until(
        lambda: video.evaluate("v => v.getVideoPlaybackQuality().totalVideoFrames") > 5,
        timeout=20,
        what="frames of the shared screen on the page",
    )
    # The classroom stays whole beside it.
    assert viewer.locator(f"{PANEL} .jp-Classroom-compose textarea").is_visible()

    # Closing the tab puts the page back as it was.
    viewer.get_by_role("button", name=f"Close {s_name}'s screen").click()
    tab.wait_for(state="detached")
    screens.wait_for(state="hidden")
