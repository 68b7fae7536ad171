"""Rooms' conferences in real Chromium: three people at a table hear and see
each other through the server's SFU, share a screen, and take their media
with them to another table."""

from __future__ import annotations

from ..harness import wait_until
from ..harness.pages import PANEL, joined, my_id, remote_media, walk_to

ROOM = f"document.getElementById('{PANEL[1:]}').classroomRoom"


def room_state(page) -> str:
    return page.evaluate(f"{ROOM}.state")


def remote(page) -> dict[str, dict[str, bool]]:
    """Who sends us what through the room: {pid: {audio, camera, screen}}."""
    return remote_media(page, ROOM)


def stats(page, pid: str) -> dict[str, float]:
    return page.evaluate(f"(pid) => {ROOM}.stats(pid)", pid)


def grows(page, pid: str, key: str, timeout: float = 15) -> None:
    first = stats(page, pid)[key]
    wait_until(
        lambda: stats(page, pid)[key] > first, timeout=timeout, what=f"{key} from {pid} to grow"
    )


def sends(page, pid: str, **media: bool) -> bool:
    got = remote(page).get(pid, {})
    return all(got.get(k, False) == v for k, v in media.items())


def test_three_at_a_table_then_one_moves_to_another(person) -> None:
    a, b, c = person(), person(), person()
    for page, spot in ((a, (720, 730)), (b, (800, 800)), (c, (880, 730))):
        joined(page, 1)
        walk_to(page, *spot)  # Table 5: x 650..950, y 680..870
        page.get_by_role("button", name="Start camera").click()
    ida, idb, idc = my_id(a), my_id(b), my_id(c)
    people = {a: ida, b: idb, c: idc}

    # Everyone gets the other two's voice and camera, through one connection each.
    for page, me in people.items():
        for other in set(people.values()) - {me}:
            wait_until(
                lambda p=page, o=other: sends(p, o, audio=True, camera=True),
                timeout=20,
                what=f"{other}'s audio and camera at {me}",
            )
        assert room_state(page) == "connected"
        assert (
            "in the room's call" in page.locator(f"{PANEL} .jp-Classroom-roomStatus").inner_text()
        )
    for page, me in people.items():
        for other in set(people.values()) - {me}:
            grows(page, other, "audioBytes")
            grows(page, other, "videoFrames")
            page.locator(
                f'{PANEL} .jp-Classroom-tile[data-peer="{other}"][data-kind="camera"]'
            ).wait_for()
    # No peer-to-peer calls inside a room: it all goes through the server.
    assert a.evaluate(f"document.getElementById('{PANEL[1:]}').classroomPeers.calls.size") == 0

    # A shares a screen: it reaches both others as a screen tile with frames.
    a.get_by_role("button", name="Share screen").click()
    for page in (b, c):
        wait_until(lambda p=page: sends(p, ida, screen=True), timeout=15, what="A's screen")
        tile = page.locator(
            f'{PANEL} .jp-Classroom-tile[data-peer="{ida}"][data-kind="screen"] video'
        )
        tile.wait_for(timeout=15_000)
        wait_until(
            lambda t=tile: t.evaluate("v => v.getVideoPlaybackQuality().totalVideoFrames") > 5,
            timeout=15,
            what="frames of A's screen",
        )

    # C walks to Table 4: C's media leaves Table 5, and C no longer gets theirs.
    walk_to(c, 600, 640)
    walk_to(c, 300, 760)  # Table 4: x 140..440, y 680..870
    for page in (a, b):
        wait_until(
            lambda p=page: idc not in remote(p), timeout=15, what="C's media to leave Table 5"
        )
    wait_until(lambda: remote(c) == {}, timeout=15, what="Table 5's media to leave C")
    assert room_state(c) == "connected"  # the same connection, kept for the next room
    # B follows C: B and C hear and see each other at Table 4, A is alone.
    walk_to(b, 600, 640)
    walk_to(b, 360, 800)
    wait_until(lambda: sends(b, idc, audio=True, camera=True), timeout=15, what="C at B")
    wait_until(lambda: sends(c, idb, audio=True, camera=True), timeout=15, what="B at C")
    grows(c, idb, "videoFrames")
    grows(b, idc, "audioBytes")
    wait_until(lambda: remote(a) == {}, timeout=15, what="A alone at Table 5")


def test_the_stage_speaker_gets_the_large_tile(person) -> None:
    speaker, listener = person(), person()
    for page, spot in ((speaker, (700, 150)), (listener, (900, 150))):  # the stage: y 56..236
        joined(page, 1)
        walk_to(page, *spot)
        page.get_by_role("button", name="Start camera").click()
    ids, idl = my_id(speaker), my_id(listener)
    listener.get_by_role("button", name="Mute").click()  # only the speaker talks
    wait_until(
        lambda: sends(listener, ids, audio=True, camera=True),
        timeout=20,
        what="the speaker's media",
    )
    # The server hears who speaks from the audio levels it forwards ...
    wait_until(
        lambda: (
            listener.evaluate(
                f"document.getElementById('{PANEL[1:]}').classroomRoom.model.roster.speakers[0]"
            )
            == ids
        ),
        timeout=15,
        what="the speaker to be the active speaker",
    )

    # ... and on the stage their camera is the large tile, marked while they speak.
    def featured() -> dict:
        return listener.evaluate(
            f"""() => {{
              const tile = document.querySelector('{PANEL} .jp-Classroom-tile.jp-mod-featured');
              return tile ? {{peer: tile.dataset.peer, text: tile.innerText}} : null;
            }}"""
        )

    wait_until(lambda: (featured() or {}).get("peer") == ids, timeout=10, what="the large tile")
    wait_until(lambda: "(speaking)" in featured()["text"], timeout=10, what="the speaking mark")
    # The large tile stays with the speaker through the pauses of their voice.
    for _ in range(10):
        tile = featured()
        assert (tile or {}).get("peer") == ids, (
            f"large tile {tile}; room call {room_state(listener)}; received {remote(listener)}; "
            f"speakers {listener.evaluate(f'{ROOM}.model.roster.speakers')}; "
            f"my room {listener.evaluate(f'{ROOM}.model.me && {ROOM}.model.me.room')}"
        )
        listener.wait_for_timeout(200)
    assert not sends(speaker, idl, audio=True)  # the muted listener's voice is not forwarded


def test_a_full_table_is_a_wall_and_says_so(person) -> None:
    a, b = person(), person()
    joined(a, 1)
    walk_to(a, 1050, 640)  # between the tables
    walk_to(a, 1310, 775)  # Table 6 (x 1160..1460, y 680..870) holds one person
    ida = my_id(a)
    joined(b, 2)
    wait_until(
        lambda: (
            b.locator(f'{PANEL} li.jp-Classroom-person[data-id="{ida}"]').get_attribute(
                "data-room"
            )
            == "table-6"
        ),
        what="B to see A at Table 6",
    )
    walk_to(b, 1050, 640)
    # B clicks into Table 6: B stops at its edge, and the map says why.
    canvas = b.locator(f"{PANEL} .jp-Classroom-map canvas")
    box = canvas.bounding_box()
    canvas.click(position={"x": box["width"] * 1310 / 1600, "y": box["height"] * 775 / 960})
    alert = b.locator(f"{PANEL} .jp-Classroom-map [role=alert]")
    wait_until(lambda: "Table 6 is full (1 person)" in alert.inner_text(), what="the explanation")
    assert (
        b.locator(f'{PANEL} li.jp-Classroom-person:has-text("(you)")').get_attribute("data-room")
        == ""
    )
