"""Only what is shown is sent, in real Chromium: two people at a table; one
hides the videos, and the other's camera stops encoding; shown again, it
encodes again and the picture comes back."""

from __future__ import annotations

from ..harness import wait_until
from ..harness.pages import (
    PANEL,
    ROOM,
    SOCKET,
    entry_of,
    joined,
    my_id,
    remote_media,
    walk_to,
)


def encoding(page) -> bool | None:
    """Whether the page's camera sender encodes (None: it sends no camera)."""
    return page.evaluate(f"{ROOM}.encodingActive('camera')")


def frames_of(page, pid: str) -> float:
    return page.evaluate(f"(pid) => {ROOM}.stats(pid)", pid)["videoFrames"]


def test_hidden_videos_are_neither_sent_nor_encoded(person) -> None:
    a, b = person(), person()
    for page, spot in ((a, (720, 730)), (b, (880, 730))):
        joined(page, 1)
        walk_to(page, *spot)  # Table 5: x 650..950, y 680..870
        page.get_by_role("button", name="Start camera").click()
    ida, idb = my_id(a), my_id(b)
    for page, other in ((a, idb), (b, ida)):
        wait_until(
            lambda p=page, o=other: remote_media(p).get(o, {}).get("camera"),
            timeout=20,
            what=f"{other}'s camera",
        )
        page.locator(f'{PANEL} .jp-Classroom-tile[data-peer="{other}"] video').wait_for()
    wait_until(lambda: frames_of(a, idb) > 5, timeout=15, what="B's picture at A")
    assert encoding(b) is True

    # A folds the videos away: B's camera is received by nobody, so B stops encoding it.
    a.get_by_role("button", name="Hide the videos (and stop receiving cameras)").click()
    fold = a.locator(f"{PANEL} .jp-Classroom-fold")
    assert fold.get_attribute("aria-pressed") == "true"
    assert fold.inner_text() == "Show videos"
    wait_until(lambda: encoding(b) is False, timeout=15, what="B's camera to stop encoding")
    # A's camera is still shown at B: it goes on.
    assert encoding(a) is True
    stopped = frames_of(a, idb)

    # Shown again: B encodes again, and A gets the picture at once.
    a.get_by_role("button", name="Videos hidden (cameras are not received): show them").click()
    wait_until(lambda: encoding(b) is True, timeout=15, what="B's camera to encode again")
    wait_until(lambda: frames_of(a, idb) > stopped + 5, timeout=15, what="B's picture again")


def test_over_the_media_socket_a_hidden_video_is_not_sent(person) -> None:
    """The same for a page whose media goes over the classroom's WebSocket:
    it tells the server what it shows there too, and the relay sends it no
    frame of a hidden camera while the voice goes on."""
    a, b = person(), person()
    for n, (page, spot) in enumerate(((a, (720, 730)), (b, (880, 730))), 1):
        joined(page, n)
        page.evaluate(f"{SOCKET}.prefer('websocket')")
        page.locator(f'{PANEL} .jp-Classroom-transport[data-transport="websocket"]').wait_for()
        walk_to(page, *spot)  # Table 5
    b.get_by_role("button", name="Start camera").click()
    idb = my_id(b)
    a.locator(f'{PANEL} .jp-Classroom-tile[data-peer="{idb}"] video').wait_for()
    wait_until(lambda: frames_of(a, idb) > 5, timeout=20, what="B's picture at A")

    a.get_by_role("button", name="Hide the videos (and stop receiving cameras)").click()
    pictures_stop(a, b, idb)
    assert a.evaluate(f"{SOCKET}.transport") == "websocket"
    # Nobody watches B's camera: B's page stops encoding both of its layers.
    wait_until(
        lambda: all(layer["idle"] > 10 for layer in camera_layers(b)),
        timeout=15,
        what="B's camera to stop encoding",
    )

    # B's camera off and on: the video leaves A's plan and comes back. A's
    # page keeps B's tile meanwhile (B stays at the table), so its report
    # still hides it: no picture comes, and B's page does not encode it.
    b.get_by_role("button", name="Stop camera").click()
    wait_until(lambda: "camera on" not in entry_of(a, idb).inner_text(), what="B's camera off")
    b.get_by_role("button", name="Start camera").click()
    wait_until(lambda: "camera on" in entry_of(a, idb).inner_text(), what="B's camera on")
    pictures_stop(a, b, idb)
    wait_until(
        lambda: all(layer["idle"] > 4 for layer in camera_layers(b)),
        timeout=15,
        what="B's camera, back on, not encoded",
    )
    # B walks off the table and back: A's page drops B's tiles, and makes a
    # new one (folded away) at B's first picture. It says again what it
    # shows, the same, which now covers the new tile: the pictures stop.
    walk_to(b, 880, 600)
    wait_until(lambda: idb not in remote_media(a, SOCKET), what="B gone from A's table")
    walk_to(b, 880, 730)
    wait_until(lambda: frames_of(a, idb) > 0, timeout=20, what="B's picture, back at the table")
    pictures_stop(a, b, idb)
    wait_until(
        lambda: all(layer["idle"] > 4 for layer in camera_layers(b)),
        timeout=15,
        what="B's camera, back at the table, not encoded",
    )
    encoded = sum(layer["frames"] for layer in camera_layers(b))

    a.get_by_role("button", name="Videos hidden (cameras are not received): show them").click()
    stopped = frames_of(a, idb)
    wait_until(lambda: frames_of(a, idb) > stopped + 5, timeout=20, what="B's picture again")
    assert sum(layer["frames"] for layer in camera_layers(b)) > encoded


def pictures_stop(a, b, idb: str) -> None:
    """Wait until A gets B's voice without pictures. One socket carries B's
    voice and camera to A, in order: once much of B's voice came after the
    last picture, no picture is on its way."""
    last = {"frames": -1.0, "audio": 0.0}
    seen: dict[str, object] = {}

    def stopped() -> bool:
        got = a.evaluate(f"(pid) => {ROOM}.stats(pid)", idb)
        seen.update(stats=got, layers=camera_layers(b))
        if got["videoFrames"] != last["frames"]:
            last.update(frames=got["videoFrames"], audio=got["audioBytes"])
        return got["audioBytes"] > last["audio"] + 16_000  # about 4 s of voice

    try:
        wait_until(stopped, timeout=40, what="B's voice going on without pictures")
    except AssertionError as e:
        # Which of the two did not happen: the pictures going on, or the voice stopping.
        raise AssertionError(
            f"{e}: A's last figures of B {seen.get('stats')}, since the last picture"
            f" {last}; B's camera layers {seen.get('layers')}"
        ) from None


def camera_layers(page) -> list[dict[str, float]]:
    """What the page encodes of its camera for the media socket, per layer."""
    return page.evaluate(f"{SOCKET}.sentStats('camera')")
