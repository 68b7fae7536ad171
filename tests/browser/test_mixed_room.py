"""A mixed table: one person's media goes over the classroom's WebSocket
(their choice), the other's over WebRTC; the server bridges the two, and
they hear and see each other."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page

from ..harness import wait_until
from ..harness.pages import PANEL, ROOM, SOCKET, joined, my_id, remote_media, walk_to


def remote(page: Page) -> dict[str, dict[str, bool]]:
    return remote_media(page, ROOM)


def stats(page: Page, pid: str) -> dict[str, float]:
    return page.evaluate(f"(pid) => {ROOM}.stats(pid)", pid)


def hears_and_sees(page: Page, pid: str) -> None:
    wait_until(
        lambda: all(remote(page).get(pid, {}).get(k) for k in ("audio", "camera")),
        timeout=30,
        what=f"{pid}'s voice and camera",
    )
    first = stats(page, pid)
    try:
        wait_until(
            lambda: (
                stats(page, pid)["audioBytes"] > first["audioBytes"] + 2000
                and stats(page, pid)["videoFrames"] > first["videoFrames"] + 10
            ),
            timeout=20,
            what=f"sound and pictures from {pid}",
        )
    except AssertionError as e:
        raise AssertionError(f"{e}: from {first} to {stats(page, pid)}") from None


@pytest.mark.timeout(300)
def test_at_a_mixed_table_each_hears_and_sees_the_other(person) -> None:
    over_socket = person()
    joined(over_socket, 1)
    # What the mediaTransport setting does (JupyterLab keeps settings per
    # server, and both people here share one).
    over_socket.evaluate(f"{SOCKET}.prefer('websocket')")
    over_socket.locator(f'{PANEL} .jp-Classroom-transport[data-transport="websocket"]').wait_for()
    assert (
        "as chosen in your settings"
        in over_socket.locator(f"{PANEL} .jp-Classroom-transport").inner_text()
    )
    over_webrtc = person()
    joined(over_webrtc, 2)
    for page, spot in ((over_socket, (720, 730)), (over_webrtc, (880, 730))):
        walk_to(page, *spot)  # Table 5
        page.get_by_role("button", name="Start camera").click()
    ids, idr = my_id(over_socket), my_id(over_webrtc)

    hears_and_sees(over_socket, idr)
    hears_and_sees(over_webrtc, ids)
    # Each side really goes its own way.
    assert over_socket.evaluate(f"{SOCKET}.transport") == "websocket"
    assert over_webrtc.evaluate(f"{SOCKET}.transport") == "webrtc"
    assert over_webrtc.evaluate(f"{ROOM}.webrtcState") == "connected"


@pytest.mark.timeout(300)
def test_after_a_server_restart_the_socket_carries_the_table_again(person, lab) -> None:
    """A new session has a new ticket: the page opens its media socket again
    with it, tells its transport again, and the table hears it again."""
    over_socket = person()
    joined(over_socket, 1)
    over_socket.evaluate(f"{SOCKET}.prefer('websocket')")
    over_webrtc = person()
    joined(over_webrtc, 2)
    for page, spot in ((over_socket, (720, 730)), (over_webrtc, (880, 730))):
        walk_to(page, *spot)  # Table 5
    ids, idr = my_id(over_socket), my_id(over_webrtc)
    hears(over_webrtc, ids)

    lab.restart()
    for page in (over_socket, over_webrtc):
        status = page.locator(f"{PANEL} .jp-Classroom-status")
        wait_until(lambda s=status: s.inner_text() == "Connected", timeout=60, what="reconnected")
    # Back at the table (the server restored where they stood), as new participants.
    ids, idr = my_id(over_socket), my_id(over_webrtc)
    assert over_socket.evaluate(f"{SOCKET}.transport") == "websocket"
    hears(over_webrtc, ids)
    hears(over_socket, idr)


def hears(page: Page, pid: str) -> None:
    wait_until(lambda: bool(remote(page).get(pid, {}).get("audio")), timeout=60, what="a voice")
    first = stats(page, pid)["audioBytes"]
    wait_until(
        lambda: stats(page, pid)["audioBytes"] > first + 2000, timeout=30, what=f"{pid}'s voice"
    )
