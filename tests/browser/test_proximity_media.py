"""Open-floor audio, video and screen share between three real browsers."""

from __future__ import annotations

import pytest

from ..harness import wait_until
from ..harness.pages import PANEL, joined, my_id, walk_to

PEERS = f"document.getElementById('{PANEL[1:]}').classroomPeers"


def calls(page) -> dict[str, str]:
    return page.evaluate(
        f"Object.fromEntries([...{PEERS}.calls.entries()].map(([id, c]) => [id, c.pc.connectionState]))"
    )


def stats(page, peer: str) -> dict[str, float]:
    return page.evaluate(f"(peer) => {PEERS}.stats(peer)", peer)


def gain(page, peer: str) -> float:
    return page.evaluate(f"(peer) => {PEERS}.gain(peer)", peer)


def grows(page, peer: str, key: str, timeout: float = 10) -> None:
    first = stats(page, peer)[key]
    wait_until(
        lambda: stats(page, peer)[key] > first, timeout=timeout, what=f"{key} from {peer} to grow"
    )


@pytest.mark.timeout(300)  # three JupyterLabs to load on a shared machine
def test_three_in_a_line(person) -> None:
    # One at a time, so that A and C never stand near each other on the way.
    a = person()
    joined(a, 1)
    walk_to(a, 330, 615)
    b = person()
    joined(b, 2)
    walk_to(b, 440, 615)
    c = person()
    joined(c, 3)
    walk_to(c, 580, 615)
    ida, idb, idc = my_id(a), my_id(b), my_id(c)

    seen_by_a: set[str] = set()
    seen_by_c: set[str] = set()

    def pairs_connected() -> bool:
        ca, cb, cc = calls(a), calls(b), calls(c)
        seen_by_a.update(ca)
        seen_by_c.update(cc)
        return (
            ca.get(idb) == "connected"
            and cc.get(idb) == "connected"
            and cb.get(ida) == "connected"
            and cb.get(idc) == "connected"
        )

    wait_until(pairs_connected, timeout=20, what="A-B and B-C to connect")
    # Audio flows both ways on both pairs.
    grows(b, ida, "audioBytes")
    grows(b, idc, "audioBytes")
    grows(a, idb, "audioBytes")
    grows(c, idb, "audioBytes")
    # A and C are out of range: never a call between them.
    assert idc not in seen_by_a and ida not in seen_by_c

    # B hears A (about 110 px away) louder than C (about 140 px away).
    b.locator(f"{PANEL} h3[id^=jp-Classroom-people]").click()  # a user gesture lets audio play
    wait_until(lambda: gain(b, ida) is not None and gain(b, idc) is not None, what="voices")
    # The gains glide to their distances' values.
    wait_until(lambda: gain(b, ida) > gain(b, idc) > 0, what="A louder than C at B")

    # A turns the camera on: B decodes A's video.
    a.get_by_role("button", name="Start camera").click()
    grows(b, ida, "videoFrames", timeout=15)
    b.locator(f'{PANEL} .jp-Classroom-tile[data-peer="{ida}"][data-kind="camera"]').wait_for()

    # C shares a screen: it reaches B as a screen tile with frames.
    c.get_by_role("button", name="Share screen").click()
    b.locator(f'{PANEL} .jp-Classroom-tile[data-peer="{idc}"][data-kind="screen"]').wait_for(
        timeout=15_000
    )
    grows(b, idc, "videoFrames", timeout=15)

    # B walks away down the aisle: both calls end on every side.
    walk_to(b, 545, 905)
    wait_until(
        lambda: idb not in calls(a) and idb not in calls(c) and not calls(b),
        timeout=15,
        what="both calls to close",
    )
    assert idc not in seen_by_a and ida not in seen_by_c


def test_refused_devices_are_explained_and_the_classroom_keeps_working(person) -> None:
    context = person.context()
    # This browser refuses the microphone and camera, as a person may.
    context.add_init_script(
        "navigator.mediaDevices.getUserMedia = async () => {"
        " throw new DOMException('Permission denied', 'NotAllowedError'); };"
    )
    denied = person.open(context)
    joined(denied, 1)
    alert = denied.locator(f"{PANEL} .jp-Classroom-media [role=alert]")
    wait_until(
        lambda: "did not allow the microphone" in alert.inner_text(), what="the explanation"
    )
    denied.get_by_role("button", name="Start camera").click()
    wait_until(
        lambda: "did not allow the camera" in alert.inner_text(), what="the camera explanation"
    )
    # Everything else still works: someone else arrives, chat flows, and
    # the refused browser still hears the other (receive-only call).
    other = person()
    joined(other, 2)
    joined(denied, 2)
    other.fill(f"{PANEL} .jp-Classroom-compose textarea", "can you hear me?")
    other.keyboard.press("Enter")
    denied.locator(f"{PANEL} .jp-Classroom-log").get_by_text("can you hear me?").wait_for()
    idother = my_id(other)
    wait_until(lambda: calls(denied).get(idother) == "connected", timeout=20, what="a call")
    grows(denied, idother, "audioBytes")


def test_push_to_talk_and_popping_out_a_shared_screen(person) -> None:
    a, b = person(), person()
    joined(a, 2)
    joined(b, 2)
    ida = my_id(a)
    mic = a.locator(f"{PANEL} .jp-Classroom-media button").first
    wait_until(lambda: mic.get_attribute("aria-pressed") == "true", what="the microphone to start")

    # Push-to-talk: silent until Space is held on the map.
    a.locator(f"{PANEL} .jp-Classroom-devices summary").click()
    a.get_by_label("Push to talk (hold Space on the map)").check()
    wait_until(lambda: mic.get_attribute("aria-pressed") == "false", what="push-to-talk to mute")
    a.focus(f"{PANEL} .jp-Classroom-map")
    a.keyboard.down(" ")
    wait_until(
        lambda: mic.get_attribute("aria-pressed") == "true", what="talking while Space is held"
    )
    wait_until(
        lambda: entry_of_has(b, ida, "microphone on"), what="the other to see the microphone on"
    )
    a.keyboard.up(" ")
    wait_until(lambda: mic.get_attribute("aria-pressed") == "false", what="silence after Space")

    # A shares a screen; B pops it out into a tab in the main area.
    a.get_by_role("button", name="Share screen").click()
    tile = b.locator(f'{PANEL} .jp-Classroom-tile[data-peer="{ida}"][data-kind="screen"]')
    tile.wait_for(timeout=15_000)
    tile.get_by_role("button").click()
    b.locator(f"#jp-classroom-screen-{ida} video").wait_for(timeout=10_000)
    assert (
        b.evaluate(
            f"document.querySelector('#jp-classroom-screen-{ida} video').srcObject.getVideoTracks().length"
        )
        == 1
    )
    # Stopping the share removes the tile.
    a.get_by_role("button", name="Stop sharing").click()
    tile.wait_for(state="detached", timeout=15_000)


def entry_of_has(page, pid: str, text: str) -> bool:
    return text in page.locator(f'{PANEL} li.jp-Classroom-person[data-id="{pid}"]').inner_text()
