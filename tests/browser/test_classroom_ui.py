"""Two and more people in real Chromium, each with their own JupyterLab."""

from __future__ import annotations

import math

from ..harness import wait_until
from ..harness.pages import (
    PANEL,
    entry_of,
    hold_key,
    joined,
    my_id,
    my_name,
    my_position,
    open_classroom,
    seen_position,
    seen_where_they_stand,
)


def test_two_people_see_each_other_and_keyboard_moves(person) -> None:
    alice, bob = person(), person()
    joined(alice, 2)
    joined(bob, 2)
    a_name, b_name = my_id(alice), my_id(bob)
    assert a_name != b_name
    assert entry_of(alice, b_name).count() == 1
    assert entry_of(bob, a_name).count() == 1
    assert entry_of(alice, b_name).get_attribute("data-name") == my_name(bob)
    # Both lists are real lists with names and where people are.
    assert bob.locator(f"{PANEL} ul[aria-labelledby] > li").count() >= 2
    assert "Open floor" in entry_of(bob, a_name).inner_text()

    before = seen_position(bob, a_name)
    start = my_position(alice)
    hold_key(alice, "ArrowUp", 0.8)
    seen = seen_where_they_stand(bob, alice, a_name)
    assert start[1] - seen[1] > 100, (start, seen)  # walked up the aisle
    assert before[1] - seen[1] > 100


def test_chat_arrives_as_text_and_history_survives_a_reload(person) -> None:
    alice, bob = person(), person()
    joined(alice, 2)
    joined(bob, 2)
    attack = '<img src=x onerror="window.__pwned=1"> and ```print("hi")```'
    alice.fill(f"{PANEL} .jp-Classroom-compose textarea", attack)
    alice.keyboard.press("Enter")
    log = bob.locator(f"{PANEL} .jp-Classroom-log")
    log.get_by_text('<img src=x onerror="window.__pwned=1">').wait_for()
    assert log.locator("img").count() == 0
    assert log.locator("pre code").inner_text() == 'print("hi")'
    assert bob.evaluate("window.__pwned") is None
    assert alice.evaluate("window.__pwned") is None

    bob.reload()
    bob.wait_for_selector("#jp-main-dock-panel")
    if not bob.locator(PANEL).is_visible():
        open_classroom(bob)
    bob.locator(f"{PANEL} .jp-Classroom-log").get_by_text("onerror").wait_for()
    assert bob.locator(f"{PANEL} .jp-Classroom-log img").count() == 0


def test_go_to_walks_next_to_a_person_and_direct_message(person) -> None:
    alice, bob = person(), person()
    joined(alice, 2)
    joined(bob, 2)
    b_name = my_id(bob)
    b_display = my_name(bob)
    # Bob walks away first, so that Go to has somewhere to go.
    hold_key(bob, "ArrowUp", 0.7)
    target = seen_where_they_stand(alice, bob, b_name)

    entry_of(alice, b_name).locator("button[data-action=select]").click()
    entry_of(alice, b_name).get_by_role("button", name=f"Walk next to {b_display}").click()
    wait_until(
        lambda: math.dist(my_position(alice), target) < 60,
        timeout=15,
        what="Alice to arrive next to Bob",
    )

    entry_of(alice, b_name).get_by_role(
        "button", name=f"Send {b_display} a direct message"
    ).click()
    alice.keyboard.type("just between us")
    alice.keyboard.press("Enter")
    tab = bob.locator(f'{PANEL} [role=tab][data-channel^="direct:"]')
    tab.wait_for()
    tab.click()
    bob.locator(f"{PANEL} .jp-Classroom-log").get_by_text("just between us").wait_for()


def test_clicking_a_table_walks_into_that_room(person) -> None:
    alice, bob = person(), person()
    joined(alice, 2)
    joined(bob, 2)
    a_name = my_id(alice)
    canvas = alice.locator(f"{PANEL} .jp-Classroom-map canvas")
    box = canvas.bounding_box()
    # Table 5 spans x 650..950, y 680..870 of the 1600 x 960 map.
    canvas.click(position={"x": box["width"] * 800 / 1600, "y": box["height"] * 760 / 960})
    wait_until(
        lambda: entry_of(bob, a_name).get_attribute("data-room") == "table-5",
        timeout=15,
        what="Bob to see Alice at Table 5",
    )
    assert "Table 5" in entry_of(bob, a_name).inner_text()
    # Alice's Room tab now talks to Table 5.
    alice.locator(f'{PANEL} [role=tab][data-channel="room"]').click()
    assert "Table 5" in alice.locator(f"{PANEL} .jp-Classroom-compose label").inner_text()
