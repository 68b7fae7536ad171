"""Who is who in real Chromium: a name of one's own, names that never cover
each other at a crowded table, people coming back as they were after the
server restarts, and error messages that go away by themselves."""

from __future__ import annotations

import asyncio
import math
import threading
import time
from typing import Any

import pytest
import tornado.websocket

from ..harness import wait_until
from ..harness.clients import Client
from ..harness.pages import (
    PANEL,
    SCREEN_STUB,
    entry_of,
    joined,
    my_entry,
    my_id,
    my_name,
    my_position,
    walk_to,
)
from ..harness.servers import JupyterProcess
from .test_room_media import remote, stats

MAP = f"{PANEL} .jp-Classroom-map"


class Crowd:
    """People who are not browsers: protocol clients on a loop of their own
    (the browsers' Playwright keeps the main thread's), each reading what the
    server sends so that nothing piles up for them."""

    def __init__(self, lab: JupyterProcess) -> None:
        self.lab = lab
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()
        self.clients: list[Client] = []
        self.drains: list[asyncio.Future[None]] = []

    def _run(self, coro: Any, timeout: float = 30) -> Any:
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout)

    def join(self, name: str, x: float, y: float) -> str:
        """Someone called ``name`` standing at (x, y); their id."""

        async def go() -> Client:
            ws = await tornado.websocket.websocket_connect(
                f"{self.lab.ws_url}?token={self.lab.token}"
            )
            client = Client(ws)
            await client.join(name=name, resume="none", restore={"x": x, "y": y})
            self.drains.append(asyncio.ensure_future(self._drain(client)))
            return client

        client = self._run(go())
        self.clients.append(client)
        return client.id

    @staticmethod
    async def _drain(client: Client) -> None:
        while await client.ws.read_message() is not None:
            pass

    def close(self) -> None:
        async def go() -> None:
            for client in self.clients:
                client.ws.close(1000)
            # Each reader ends with the server's closing frame: they have left.
            await asyncio.wait_for(asyncio.gather(*self.drains), 10)

        self._run(go())
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(5)


@pytest.fixture
def crowd(lab):
    c = Crowd(lab)
    yield c
    c.close()


def labels(page) -> list[dict[str, Any]]:
    return page.evaluate(f"document.querySelector('{MAP}').classroomLabels || []")


def avatars(page) -> list[dict[str, Any]]:
    """The avatars as drawn: centres and radii in CSS pixels over the canvas."""
    return page.evaluate(f"document.querySelector('{MAP}').classroomAvatars || []")


def overlapping(boxes: list[dict[str, Any]]) -> list[tuple[str, str]]:
    out = []
    for i, a in enumerate(boxes):
        for b in boxes[i + 1 :]:
            if (
                a["x"] < b["x"] + b["width"]
                and b["x"] < a["x"] + a["width"]
                and a["y"] < b["y"] + b["height"]
                and b["y"] < a["y"] + a["height"]
            ):
                out.append((a["text"], b["text"]))
    return out


@pytest.mark.timeout(300)
def test_a_name_of_ones_own_reaches_the_others_and_errors_clear_themselves(person, crowd) -> None:
    ada, bob = person(), person()
    joined(ada, 2)
    joined(bob, 2)
    ida = my_id(ada)
    assert my_name(ada).startswith("Anonymous ")
    # The list shows her placeholder name by its distinct word, and reads it out whole.
    word = my_name(ada).removeprefix("Anonymous ")
    assert my_entry(ada).locator(".jp-Classroom-personName").inner_text() == f"{word} (you)"
    label = my_entry(ada).locator("button[data-action=select]").get_attribute("aria-label")
    assert (label or "").startswith(f"Anonymous {word} (you), ")

    # Ada opens "Your name" (a labelled form), writes her name and picks a colour.
    ada.locator(f"{PANEL} .jp-Classroom-profile summary").click()
    form = ada.locator(f"{PANEL} .jp-Classroom-profile")
    form.get_by_label("Name", exact=True).fill("  Ada   Lovelace ")
    form.get_by_label("Colour", exact=True).fill("#00aa11")
    form.get_by_role("button", name="Save").click()
    # Bob sees it at once, in the list (and on the map: the label's text).
    wait_until(
        lambda: entry_of(bob, ida).get_attribute("data-name") == "Ada Lovelace",
        what="Ada's name at Bob",
    )
    assert "Ada Lovelace" in entry_of(bob, ida).inner_text()
    wait_until(
        lambda: any(b["text"] == "Ada Lovelace" for b in labels(bob)),
        what="Ada's label on Bob's map",
    )
    colour = (
        entry_of(bob, ida)
        .locator(".jp-Classroom-dot")
        .evaluate("e => getComputedStyle(e).backgroundColor")
    )
    assert colour == "rgb(0, 170, 17)"
    saved = ada.locator(f"{PANEL} .jp-Classroom-bar [role=status].jp-Classroom-profileNote")
    wait_until(lambda: "Ada Lovelace" in saved.inner_text(), what="the 'Saved' note")

    # Bob takes the same name: the server tells the two apart.
    form = bob.locator(f"{PANEL} .jp-Classroom-profile")
    form.locator("summary").click()
    form.get_by_label("Name", exact=True).fill("ada lovelace")
    form.get_by_role("button", name="Save").click()
    wait_until(
        lambda: my_entry(bob).get_attribute("data-name") == "ada lovelace (2)",
        what="Bob told apart",
    )
    # A name with nothing to read is refused with a sentence, and the name stays.
    form.get_by_label("Name", exact=True).fill("...")
    form.get_by_role("button", name="Save").click()
    alert = bob.locator(f"{PANEL} .jp-Classroom-bar [role=alert]")
    wait_until(lambda: "at least one letter" in alert.inner_text(), what="the refusal")
    assert my_entry(bob).get_attribute("data-name") == "ada lovelace (2)"
    # It clears itself.
    wait_until(lambda: alert.inner_text() == "", timeout=20, what="the refusal to clear itself")

    # The name is kept in the browser: after a reload Ada is Ada again.
    ada.reload()
    ada.wait_for_selector("#jp-main-dock-panel", timeout=60_000)
    ada.click('.jp-SideBar [data-id="jp-classroom-panel"]')
    wait_until(
        lambda: (
            my_entry(ada).count() == 1
            and my_entry(ada).get_attribute("data-name") == "Ada Lovelace"
        ),
        timeout=60,
        what="Ada's name after a reload",
    )

    # Someone sits at Table 6, which holds one person: Bob walking in is told
    # at the map, and the message goes once he walks away.
    crowd.join("Sitter", 1310, 775)
    walk_to(bob, 1050, 640)
    canvas = bob.locator(f"{MAP} canvas")
    box = canvas.bounding_box()
    canvas.click(position={"x": box["width"] * 1310 / 1600, "y": box["height"] * 775 / 960})
    alert = bob.locator(f"{MAP} .jp-Classroom-mapNotice")
    wait_until(lambda: "Table 6 is full" in alert.inner_text(), what="the room-full message")
    assert alert.get_attribute("role") == "alert"
    walk_to(bob, 1000, 620)
    wait_until(alert.is_hidden, timeout=20, what="the room-full message to go as Bob walks away")


@pytest.mark.timeout(300)
def test_eight_at_a_table_no_name_covers_another(person, crowd) -> None:
    page = person()
    joined(page, 1)
    walk_to(page, 800, 790)  # Table 5: x 650..950, y 680..870
    seats = [(690, 720), (750, 715), (850, 715), (910, 720), (690, 800), (910, 800), (750, 850)]
    ids = [
        crowd.join(f"Student number {i + 1} with a long name", x, y)
        for i, (x, y) in enumerate(seats)
    ]
    joined(page, 8)
    wait_until(
        lambda: all(entry_of(page, pid).get_attribute("data-room") == "table-5" for pid in ids),
        what="everyone at Table 5",
    )
    for where in ("sidebar", "main area"):
        if where == "main area":
            # The same table, drawn larger beside the notebooks.
            page.get_by_role("button", name="Open the classroom in the main area").click()
            page.wait_for_selector(
                f'#jp-main-dock-panel {PANEL}[data-placement="main"]', state="visible"
            )
        # In the narrow sidebar a long name is wider than the table: fewer fit.
        least = 1 if where == "sidebar" else 3
        wait_until(lambda n=least: len(labels(page)) >= n, what=f"labels in the {where}")
        # The boxes and the count left out, of one frame (the map may still be
        # growing into the main area).
        boxes, hidden = page.evaluate(
            f"(m => [m.classroomLabels || [], Number(m.dataset.labelsHidden)])"
            f"(document.querySelector('{MAP}'))"
        )
        assert overlapping(boxes) == [], where
        mine = [b for b in boxes if b["id"] == my_id(page)]
        assert len(mine) == 1, boxes
        assert len(boxes) + hidden == 8
        print(f"{where}: {len(boxes)} of 8 names shown at the table, {hidden} on pointing")
        # Pointing at someone whose name is not shown shows it (and still no overlap).
        shown = {b["id"] for b in boxes}
        missing = [pid for pid in ids if pid not in shown]
        if missing:
            pid = missing[0]
            # Where the avatar is drawn (neighbours are drawn side by side,
            # a little off their seats where the map is small).
            spot = next(a for a in avatars(page) if a["id"] == pid)
            box = page.locator(f"{MAP} canvas").bounding_box()
            page.mouse.move(box["x"] + spot["x"], box["y"] + spot["y"])
            wait_until(
                lambda p=pid: p in {b["id"] for b in labels(page)}, what="the pointed-at name"
            )
            assert overlapping(labels(page)) == []
            page.mouse.move(box["x"] - 50, box["y"] - 50)
        # So does focusing them in the participant list (the keyboard's way).
        if len(missing) > 1:
            pid = missing[1]
            entry_of(page, pid).locator("button.jp-Classroom-personButton").focus()
            wait_until(
                lambda p=pid: p in {b["id"] for b in labels(page)},
                what="the focused person's name",
            )
            assert overlapping(labels(page)) == []
            page.locator(MAP).focus()


@pytest.mark.timeout(400)
def test_after_a_restart_people_come_back_as_they_were(person, lab) -> None:
    a, b = person(), person()
    joined(a, 2)
    joined(b, 2)
    walk_to(a, 720, 760)  # Table 5
    walk_to(b, 880, 760)
    a.get_by_role("button", name="Raise hand").click()
    a.get_by_role("button", name="Start camera").click()
    ida, idb = my_id(a), my_id(b)
    wait_until(
        lambda: remote(b).get(ida, {}).get("audio"), timeout=30, what="A heard at the table"
    )
    wait_until(
        lambda: all(w in entry_of(b, ida).inner_text() for w in ("hand raised", "camera on")),
        what="A's hand and camera at B",
    )
    before_a, before_b = my_position(a), my_position(b)
    status_a = a.locator(f"{PANEL} .jp-Classroom-status")

    lab.restart()  # the same port, the same login cookies
    back = time.monotonic()
    wait_until(lambda: status_a.inner_text() == "Connected", timeout=60, what="A to reconnect")
    # New sessions (the server forgot everything) ...
    for page, old in ((a, ida), (b, idb)):
        wait_until(
            lambda p=page, o=old: my_entry(p).count() == 1 and my_id(p) != o,
            timeout=30,
            what="a new session",
        )
    joined(a, 2)
    joined(b, 2)
    new_a = my_id(a)
    # ... but the same places ...
    assert math.dist(my_position(a), before_a) < 2 and math.dist(my_position(b), before_b) < 2
    wait_until(
        lambda: entry_of(b, new_a).get_attribute("data-room") == "table-5",
        what="A at Table 5, seen by B",
    )
    # ... the hand still up, the microphone and camera still on (as every button says) ...
    text = entry_of(b, new_a).inner_text()
    assert all(w in text for w in ("hand raised", "microphone on", "camera on")), text
    assert a.get_by_role("button", name="Lower hand").is_visible()
    assert a.get_by_role("button", name="Microphone on: mute it").is_visible()
    assert a.get_by_role("button", name="Stop camera").is_visible()

    # ... and the table hears A again.
    def heard() -> bool:
        got = remote(b).get(new_a, {})
        return bool(got.get("audio")) and stats(b, new_a)["audioBytes"] > 0

    wait_until(heard, timeout=30, what="A heard at the table again")
    wait_until(
        lambda: remote(b).get(new_a, {}).get("camera"),
        timeout=30,
        what="A seen at the table again",
    )
    first = stats(b, new_a)["audioBytes"]
    wait_until(lambda: stats(b, new_a)["audioBytes"] > first, timeout=10, what="A's audio flowing")
    heard_after = time.monotonic() - back
    print(
        f"after the restart: the table heard A again {heard_after:.2f} s after the server was back"
    )
    call = a.locator(f"{PANEL} .jp-Classroom-callStatus")
    wait_until(lambda: "in the room's call" in call.inner_text(), what="A's call badge")
    assert "in the room's call" in my_entry(a).inner_text()


# Room calls that cannot connect: only relayed candidates are allowed, and
# there is no relay (TURN) server, so no ICE path exists.
NO_PATH = """
const Native = window.RTCPeerConnection;
window.RTCPeerConnection = function (config) {
  return new Native({ ...(config || {}), iceTransportPolicy: 'relay' });
};
window.RTCPeerConnection.prototype = Native.prototype;
"""


@pytest.mark.timeout(300)
def test_a_room_call_that_does_not_connect_is_warned_about(person) -> None:
    context = person.context(permissions=["microphone", "camera"])
    context.add_init_script(SCREEN_STUB)
    context.add_init_script(NO_PATH)
    page = person.open(context)
    joined(page, 1)
    call = page.locator(f"{PANEL} .jp-Classroom-callStatus")
    assert call.is_hidden()  # the open floor has no room call
    walk_to(page, 800, 790)  # Table 5
    wait_until(lambda: "joining the room's call" in call.inner_text(), what="joining")
    # A few seconds on, a warning where people look: over the map, and in
    # our own entry of the participant list.
    wait_until(
        lambda: call.get_attribute("data-state") == "not-connected", timeout=30, what="the warning"
    )
    assert "nobody here hears you" in call.inner_text()
    assert "jp-mod-warning" in (call.get_attribute("class") or "")
    assert "room's call not connected" in my_entry(page).inner_text()
