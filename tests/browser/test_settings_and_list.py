"""The user's settings in JupyterLab's settings system, and a participant list
that updates its entries in place."""

from __future__ import annotations

from ..harness import wait_until
from ..harness.pages import PANEL, entry_of, hold_key, joined, my_id

SETTINGS = f"document.querySelector('{PANEL}').classroomSettings"


def settings_loaded(page) -> None:
    page.wait_for_function(f"!!{SETTINGS}")


def test_an_entry_keeps_its_element_across_updates(person) -> None:
    alice, bob = person(), person()
    joined(alice, 2)
    joined(bob, 2)
    b_id = my_id(bob)
    entry = entry_of(alice, b_id).element_handle()
    same = '([el, id]) => el.isConnected && document.querySelector(`li[data-id="${id}"]`) === el'

    # A presence change (a raised hand) rewrites the entry's text in place.
    bob.click(f"{PANEL} .jp-Classroom-hand")
    wait_until(
        lambda: "hand raised" in entry_of(alice, b_id).inner_text(), what="Alice to see Bob's hand"
    )
    assert alice.evaluate(same, [entry, b_id])

    # Walking away changes who is near whom and Bob's position.
    before = entry_of(alice, b_id).get_attribute("data-y")
    assert "nearby" in entry.inner_text() or "talking with you" in entry.inner_text()
    hold_key(bob, "ArrowUp", 1.5)
    wait_until(
        lambda: (
            "nearby" not in entry.inner_text() and "talking with you" not in entry.inner_text()
        ),
        timeout=20,
        what="Bob to be out of Alice's earshot",
    )
    assert entry_of(alice, b_id).get_attribute("data-y") != before
    assert alice.evaluate(same, [entry, b_id])
    assert alice.locator(f"{PANEL} li.jp-Classroom-person").count() == 2


def test_settings_are_listed_and_take_effect_live(person) -> None:
    alice = person()
    joined(alice, 1)
    settings_loaded(alice)

    # The settings editor lists the classroom's settings with their titles.
    alice.keyboard.press("Control+,")
    alice.get_by_text("Classroom", exact=True).first.wait_for()
    alice.locator(".jp-PluginList-entry", has_text="Classroom").first.click()
    alice.get_by_text("Show names on the map").first.wait_for()
    alice.get_by_text("Default microphone").first.wait_for()
    alice.get_by_text("Spatial audio").first.wait_for()
    alice.get_by_text("How your sound and video travel").first.wait_for()

    defaults = alice.evaluate(f"{SETTINGS}.composite")
    assert defaults == {
        "pushToTalk": False,
        "microphone": "",
        "camera": "",
        "spatialAudio": True,
        "mediaTransport": "auto",
        "showNames": True,
        "announcementToast": False,
    }
    alice.get_by_text("Announcements as notifications too").first.wait_for()
    names = alice.locator(f"{PANEL} .jp-Classroom-map")
    assert names.get_attribute("data-names") == "shown"

    # Changing a setting through the registry changes the classroom at once.
    alice.evaluate(f"{SETTINGS}.set('showNames', false)")
    wait_until(lambda: names.get_attribute("data-names") == "hidden", what="names to be hidden")

    mic = alice.locator(f"{PANEL} .jp-Classroom-toggle").first
    wait_until(lambda: mic.get_attribute("aria-pressed") == "true", what="the microphone to start")
    alice.evaluate(f"{SETTINGS}.set('pushToTalk', true)")
    wait_until(
        lambda: mic.get_attribute("aria-pressed") == "false",
        what="push to talk to mute the microphone",
    )
    ptt = alice.locator(f"{PANEL} .jp-Classroom-devices input[type=checkbox]")
    assert ptt.is_checked()

    # And what is changed in the panel is saved as the user's setting.
    alice.click(f"{PANEL} .jp-Classroom-devices summary")
    ptt.uncheck()
    wait_until(
        lambda: alice.evaluate(f"{SETTINGS}.composite.pushToTalk") is False,
        what="the setting to follow",
    )
    wait_until(
        lambda: mic.get_attribute("aria-pressed") == "true", what="the microphone to come back"
    )

    peers = f"document.querySelector('{PANEL}').classroomPeers"
    assert alice.evaluate(f"{peers}.spatial") is True
    alice.evaluate(f"{SETTINGS}.set('spatialAudio', false)")
    wait_until(lambda: alice.evaluate(f"{peers}.spatial") is False, what="spatial audio to go off")

    # The next tests in this server start from the defaults again.
    for key in ("showNames", "pushToTalk", "spatialAudio"):
        alice.evaluate(f"{SETTINGS}.remove('{key}')")
    wait_until(
        lambda: names.get_attribute("data-names") == "shown", what="names to be shown again"
    )
