"""The per-connection session and the service behind it, without tornado.

Each connection here is a real :class:`ClassroomSession` over a real
:class:`ClassroomService`, :class:`Classroom` and SQLite :class:`ChatStore`;
only the socket is replaced by two callables that record what the server sent
and echo a close back the way a WebSocket peer does. A hand-driven clock makes
the rate limit and the reconnect grace period deterministic.
"""

from __future__ import annotations

import asyncio
import json
import random
from pathlib import Path
from typing import Any

import pytest

from jupyter_classroom import protocol
from jupyter_classroom.classroom import Classroom, ClassroomMap, ClassroomSettings, Identity
from jupyter_classroom.server.service import ClassroomService, Limits
from jupyter_classroom.server.session import ClassroomSession
from jupyter_classroom.storage import ChatStore

from .conftest import person
from .harness import FakeClock as Clock


class Conn:
    """One client: what it was sent, and how the server closed it."""

    def __init__(self, service: ClassroomService, identity: Identity, clock: Clock) -> None:
        self.inbox: list[dict[str, Any]] = []
        self.closed_with: tuple[int, str] | None = None
        self.session = ClassroomSession(service, identity, self._send, self._close, clock)

    def _send(self, text: str) -> None:
        self.inbox.append(json.loads(text))

    def _close(self, code: int, reason: str) -> None:
        self.closed_with = (code, reason)
        # A WebSocket peer answers the close frame; the transport then reports it.
        self.session.connection_lost(code)

    def send(self, **message: Any) -> None:
        self.session.receive(json.dumps(message, ensure_ascii=False))

    def take(self, type_: str | None = None) -> list[dict[str, Any]]:
        """The messages received since the last take (of one type, if given)."""
        got, self.inbox = self.inbox, []
        return [m for m in got if type_ is None or m["type"] == type_]

    def join(self, **kw: Any) -> dict[str, Any]:
        self.send(type="join", protocol=protocol.PROTOCOL_VERSION, id=1, **kw)
        (welcome,) = [m for m in self.inbox if m["type"] == "welcome"]
        return welcome

    def me(self, welcome: dict[str, Any]) -> dict[str, Any]:
        return next(p for p in welcome["participants"] if p["id"] == welcome["you"])


class Setup:
    def __init__(
        self,
        tmp_path: Path,
        cmap: ClassroomMap,
        service_class: type = ClassroomService,
        **settings: Any,
    ) -> None:
        self.clock = Clock()
        limits = Limits(
            max_message_bytes=settings.pop("max_message_bytes", 2048),
            messages_per_second=settings.pop("messages_per_second", 5.0),
        )
        self.store = ChatStore(tmp_path / "chat.sqlite")
        classroom = Classroom(cmap, ClassroomSettings(**settings), random.Random(3))
        self.service = service_class(classroom, self.store, limits, clock=self.clock)

    def connect(self, name: str) -> Conn:
        return Conn(self.service, person(name), self.clock)

    def joined(self, name: str) -> tuple[Conn, dict[str, Any]]:
        conn = self.connect(name)
        return conn, conn.join()

    def walk(self, conn: Conn, start: tuple[float, float], goal: tuple[float, float]) -> None:
        """Walk in steps a person could take, with time passing between them."""
        x, y = start
        while (x, y) != goal:
            dx, dy = goal[0] - x, goal[1] - y
            d = (dx * dx + dy * dy) ** 0.5
            f = min(1.0, 20 / d)
            x, y = round(x + dx * f, 1), round(y + dy * f, 1)
            self.clock.advance(0.1)
            conn.send(type="move", x=x, y=y)
            self.service.tick()
            assert not [m for m in conn.inbox if m["type"] == "error"], (x, y)


@pytest.fixture
def setup(tmp_path: Path, default_map: ClassroomMap):
    s = Setup(tmp_path, default_map)
    yield s
    s.store.close()


def errors(conn: Conn) -> list[tuple[str, int | None]]:
    return [(m["code"], m.get("id")) for m in conn.take("error")]


# -- validation and errors ----------------------------------------------------


def test_messages_before_join_are_refused_but_ping_answers(setup: Setup) -> None:
    c = setup.connect("alice")
    c.send(type="move", x=1, y=1, id=7)
    c.send(type="chat_send", channel="class", text="hi", id=8)
    assert errors(c) == [("not_joined", 7), ("not_joined", 8)]
    c.send(type="ping", id=9)
    assert c.take("pong")[0]["id"] == 9
    assert c.closed_with is None


def test_every_bad_message_gets_its_code_and_echoed_id(setup: Setup) -> None:
    c, _ = setup.joined("alice")
    c.take()
    for text, code, rid in [
        ("{nope", "bad_json", None),
        ('{"type":"move","x":Infinity,"y":1,"id":3}', "bad_json", None),
        ("[1, 2]", "bad_message", None),
        ('{"type":"fly","id":4}', "unknown_type", 4),
        ('{"type":"move","x":"left","y":1,"id":5}', "bad_message", 5),
        ('{"type":"chat_send","channel":"class","text":"   ","id":6}', "empty_text", 6),
        (
            '{"type":"chat_send","channel":"direct","text":"x","to":"nobody","id":10}',
            "unknown_participant",
            10,
        ),
        ('{"type":"join","protocol":1,"id":11}', "already_joined", 11),
    ]:
        c.session.receive(text)
        assert errors(c) == [(code, rid)], text
    c.send(type="ping", id=12)
    assert c.take("pong")[0]["id"] == 12
    assert c.closed_with is None


def test_the_size_limit_counts_bytes_not_characters(setup: Setup) -> None:
    c, _ = setup.joined("alice")
    c.take()
    # 700 three-byte characters: 700 characters, but over 2048 bytes.
    c.send(type="chat_send", channel="class", text="€" * 700, id=2)
    assert errors(c) == [("too_large", None)]
    c.send(type="chat_send", channel="class", text="€" * 600, id=3)
    assert c.take("ack")[0]["id"] == 3


def test_the_rate_limit_drops_the_excess_with_one_error_a_second(setup: Setup) -> None:
    c = setup.connect("alice")
    # 5 a second, bursts of 10.
    for i in range(30):
        c.send(type="ping", id=i)
    got = c.take()
    assert [m["id"] for m in got if m["type"] == "pong"] == list(range(10))
    assert [m["code"] for m in got if m["type"] == "error"] == ["rate_limited"]
    setup.clock.advance(0.5)  # 2.5 tokens back; no second error within the second
    for i in range(5):
        c.send(type="ping", id=100 + i)
    got = c.take()
    assert [m["id"] for m in got if m["type"] == "pong"] == [100, 101]
    assert not [m for m in got if m["type"] == "error"]
    setup.clock.advance(0.6)
    for i in range(10):
        c.send(type="ping", id=200 + i)
    got = c.take()
    assert len([m for m in got if m["type"] == "pong"]) == 3
    assert [m["code"] for m in got if m["type"] == "error"] == ["rate_limited"]


class BrokenChat(ClassroomService):
    """A service whose chat has a bug, to show a bug does not kill the socket."""

    def chat(self, session, channel, text, to):
        raise RuntimeError("a bug")


def test_an_unexpected_failure_is_answered_with_internal_and_the_session_lives_on(
    tmp_path: Path, default_map: ClassroomMap, caplog: pytest.LogCaptureFixture
) -> None:
    s = Setup(tmp_path, default_map, BrokenChat)
    c, _ = s.joined("alice")
    c.take()
    c.send(type="chat_send", channel="class", text="hi", id=5)
    assert errors(c) == [("internal", 5)]
    assert "unexpected error" in caplog.text
    c.send(type="presence", hand=True, id=6)
    assert c.take("ack")[0]["id"] == 6
    s.store.close()


def test_a_wrong_protocol_version_is_explained_then_closed(setup: Setup) -> None:
    c = setup.connect("alice")
    c.send(type="join", protocol=protocol.PROTOCOL_VERSION + 1, id=1)
    assert errors(c) == [("protocol_version", 1)]
    assert c.closed_with is not None and c.closed_with[0] == protocol.CLOSE_PROTOCOL_VERSION
    assert setup.service.classroom.participants == {}


def test_a_full_classroom_is_explained_then_closed(
    tmp_path: Path, default_map: ClassroomMap
) -> None:
    s = Setup(tmp_path, default_map, max_participants=2)
    a, _ = s.joined("a")
    s.joined("b")
    a.take()
    c = s.connect("c")
    c.send(type="join", protocol=protocol.PROTOCOL_VERSION, id=1)
    assert errors(c) == [("classroom_full", 1)]
    assert c.closed_with is not None and c.closed_with[0] == protocol.CLOSE_CLASSROOM_FULL
    assert len(s.service.classroom.participants) == 2
    assert not a.take("participant_joined")
    # Nothing more reaches a closed session.
    c.send(type="ping", id=2)
    assert c.take() == []
    s.store.close()


# -- leaving, dropping, coming back ------------------------------------------


def test_a_clean_close_leaves_at_once(setup: Setup) -> None:
    code = 1000
    a, _ = setup.joined("alice")
    b, wb = setup.joined("bob")
    a.take()
    b.session.connection_lost(code)
    assert a.take("participant_left") == [
        {"type": "participant_left", "participant_id": wb["you"]}
    ]
    assert wb["you"] not in setup.service.classroom.participants
    assert wb["you"] not in setup.service.sessions


def test_a_page_that_went_away_is_kept_for_its_reload(setup: Setup) -> None:
    """1001: the page was closed or reloaded (nobody can tell which); it is
    kept for ``reload_grace``, and its reload resumes it."""
    a, _ = setup.joined("alice")
    b, wb = setup.joined("bob")
    a.take()
    b.session.connection_lost(1001)
    (upd,) = a.take("participant_updated")
    assert upd["participant"]["connection"] == "reconnecting"
    again = setup.connect("bob")
    back = again.join(resume=wb["resume"])
    assert (back["you"], setup.service.classroom.participants[back["you"]].name) == (
        wb["you"],
        "bob",
    )
    assert not a.take("participant_left") and not a.take("participant_joined")
    # Closed for good: gone once the reload's grace is over.
    again.session.connection_lost(1001)
    reload_grace = setup.service.classroom.settings.reload_grace
    assert reload_grace < setup.service.classroom.settings.reconnect_grace
    setup.clock.advance(reload_grace - 1)
    setup.service.tick()
    assert not a.take("participant_left")
    setup.clock.advance(1)
    setup.service.tick()
    assert a.take("participant_left") == [
        {"type": "participant_left", "participant_id": wb["you"]}
    ]


def test_no_reload_grace_leaves_at_once(setup: Setup) -> None:
    setup.service.classroom.settings.reload_grace = 0
    a, _ = setup.joined("alice")
    b, wb = setup.joined("bob")
    a.take()
    b.session.connection_lost(1001)
    assert a.take("participant_left") == [
        {"type": "participant_left", "participant_id": wb["you"]}
    ]


@pytest.mark.parametrize("code", [1006, None, 4000])
def test_a_dropped_connection_waits_for_the_grace_period(setup: Setup, code: int | None) -> None:
    a, _ = setup.joined("alice")
    b, wb = setup.joined("bob")
    a.take()
    b.session.connection_lost(code)
    (upd,) = a.take("participant_updated")
    assert (
        upd["participant"]["id"] == wb["you"]
        and upd["participant"]["connection"] == "reconnecting"
    )
    setup.clock.advance(setup.service.classroom.settings.reconnect_grace - 1)
    setup.service.tick()
    assert not a.take("participant_left")
    setup.clock.advance(1)
    setup.service.tick()
    assert [m["participant_id"] for m in a.take("participant_left")] == [wb["you"]]


def test_resuming_within_the_grace_period_brings_back_the_same_participant(setup: Setup) -> None:
    a, _ = setup.joined("alice")
    b, wb = setup.joined("bob")
    me = b.me(wb)
    setup.clock.advance(0.2)
    b.send(type="move", x=me["x"] + 12, y=me["y"] - 5)
    setup.service.tick()
    b.session.connection_lost(1006)
    setup.clock.advance(5)
    a.take()
    again = setup.connect("bob")
    welcome = again.join(resume=wb["resume"])
    assert welcome["you"] == wb["you"] and welcome["resume"] == wb["resume"]
    back = again.me(welcome)
    assert (back["x"], back["y"]) == (round(me["x"] + 12, 1), round(me["y"] - 5, 1))
    assert back["connection"] == "online"
    (upd,) = a.take("participant_updated")
    assert upd["participant"]["connection"] == "online"
    assert not a.take("participant_joined")


def test_a_reconnect_storm_while_the_loop_is_stalled_keeps_identities(
    tmp_path: Path, default_map: ClassroomMap
) -> None:
    """200 connections drop together; the event loop then cannot run for
    longer than the grace (the ticker reports it late), and the resumes are
    read after the first tick: everyone comes back as themselves."""
    s = Setup(tmp_path, default_map, max_participants=210)
    grace = s.service.classroom.settings.reconnect_grace
    crowd = [s.joined(f"p{i}") for i in range(200)]
    watcher, _ = s.joined("watcher")
    for conn, _ in crowd:
        conn.session.connection_lost(1006)
    watcher.take()
    s.clock.advance(grace + 10)
    s.service.loop_stalled(grace + 10)  # what the ticker reports on waking up
    s.service.tick()
    assert not watcher.take("participant_left")
    back = []
    for conn, welcome in crowd:
        again = s.connect(conn.session.identity.name)
        back.append(again.join(resume=welcome["resume"]))
    assert [w["you"] for w in back] == [w["you"] for _, w in crowd]
    s.clock.advance(grace + 1)
    s.service.tick()
    assert not watcher.take("participant_left")
    people = s.service.classroom.participants.values()
    assert len(people) == 201 and all(p.connection == "online" for p in people)
    s.store.close()


def test_the_grace_counts_from_the_last_sign_of_life(setup: Setup) -> None:
    grace = setup.service.classroom.settings.reconnect_grace
    a, _ = setup.joined("alice")
    b, wb = setup.joined("bob")
    c, wc = setup.joined("carol")
    # Bob's client goes quiet; a pong is the last that is heard of it.
    setup.clock.advance(5)
    b.session.pong()
    # Carol keeps talking until her connection resets: the reset is heard.
    setup.clock.advance(grace - 2)
    c.send(type="ping")
    setup.clock.advance(1)
    c.session.connection_lost(None)
    # The keep-alive gives up on Bob: he has been silent since the pong.
    b.session.connection_lost(None, silent=True)
    a.take()
    setup.clock.advance(1)
    setup.service.tick()
    assert [m["participant_id"] for m in a.take("participant_left")] == [wb["you"]]
    setup.clock.advance(grace - 2)
    setup.service.tick()
    assert not a.take("participant_left")
    setup.clock.advance(1)
    setup.service.tick()
    assert [m["participant_id"] for m in a.take("participant_left")] == [wc["you"]]


def test_a_resume_token_of_someone_else_gives_a_new_participant(setup: Setup) -> None:
    _, wa = setup.joined("alice")
    mallory = setup.connect("mallory")
    welcome = mallory.join(resume=wa["resume"])
    assert welcome["you"] != wa["you"]
    assert len(setup.service.classroom.participants) == 2


def test_a_new_connection_takes_over_a_half_open_one(setup: Setup) -> None:
    a, _ = setup.joined("alice")
    old, wold = setup.joined("bob")
    a.take()
    new = setup.connect("bob")
    welcome = new.join(resume=wold["resume"])
    assert welcome["you"] == wold["you"]
    # The old connection is closed as replaced, and its close does not remove bob.
    assert old.closed_with is not None and old.closed_with[0] == protocol.CLOSE_REPLACED
    assert setup.service.sessions[wold["you"]] is new.session
    assert setup.service.classroom.participants[wold["you"]].connection == "online"
    assert not a.take("participant_left")
    # Messages for bob reach the new connection only.
    old.take()
    new.take()
    a.send(type="chat_send", channel="direct", text="still there?", to=wold["you"])
    assert [m["message"]["text"] for m in new.take("chat")] == ["still there?"]
    assert old.take() == []
    # A late close report from the old transport changes nothing either.
    old.session.connection_lost(1006)
    assert setup.service.classroom.participants[wold["you"]].connection == "online"


# -- chat and history ---------------------------------------------------------


def test_chat_is_stored_before_it_is_sent_and_acknowledged_with_its_id(setup: Setup) -> None:
    a, _ = setup.joined("alice")
    b, _ = setup.joined("bob")
    a.take()
    b.take()
    text = "<script>alert(1)</script> & ```print('hi')```"
    a.send(type="chat_send", channel="class", text=text, id=4)
    (chat,) = b.take("chat")
    (ack,) = a.take("ack")
    stored = setup.store.recent_class(10)
    assert [m.text for m in stored] == [text]
    assert chat["message"]["id"] == ack["message_id"] == stored[0].id
    assert chat["message"]["text"] == text and ack["id"] == 4


def test_joining_sends_class_and_direct_history_per_peer(setup: Setup) -> None:
    a, _ = setup.joined("alice")
    b, wb = setup.joined("bob")
    c, _ = setup.joined("carol")
    setup.service.tick()  # neighbours at the spawn, for the nearby message
    a.send(type="chat_send", channel="class", text="hello all")
    a.send(type="chat_send", channel="direct", text="bob only", to=wb["you"])
    c.send(type="chat_send", channel="direct", text="carol to bob", to=wb["you"])
    a.send(type="chat_send", channel="nearby", text="not kept")
    assert [m["message"]["text"] for m in c.take("chat")] == [
        "hello all",
        "carol to bob",
        "not kept",
    ]

    b.session.connection_lost(1000)
    fresh = setup.connect("bob")
    fresh.join()
    history = fresh.take("chat_history")
    by_channel = {
        (h["channel"], h.get("peer")): [m["text"] for m in h["messages"]] for h in history
    }
    assert by_channel == {
        ("class", None): ["hello all"],
        ("direct", "alice"): ["bob only"],
        ("direct", "carol"): ["carol to bob"],
    }
    dave = setup.connect("dave")
    dave.join()
    assert [
        (h["channel"], [m["text"] for m in h["messages"]]) for h in dave.take("chat_history")
    ] == [("class", ["hello all"])]


def test_walking_into_a_room_sends_its_history_and_room_chat_stays_in_it(setup: Setup) -> None:
    a, wa = setup.joined("alice")
    b, wb = setup.joined("bob")
    a.take()
    start = a.me(wa)
    # Table 5 is right above the spawn (x 650..950, y 680..870).
    setup.walk(a, (start["x"], start["y"]), (800, 780))
    assert setup.service.classroom.participants[wa["you"]].room == "table-5"
    (history,) = a.take("chat_history")
    assert (
        history["channel"] == "room" and history["room"] == "table-5" and history["messages"] == []
    )
    a.send(type="chat_send", channel="room", text="table talk")
    b.take()
    assert not b.take("chat")

    # Someone entering later gets that history; walking within the room does not repeat it.
    bstart = b.me(wb)
    setup.walk(b, (bstart["x"], bstart["y"]), (760, 760))
    histories = b.take("chat_history")
    assert [[m["text"] for m in h["messages"]] for h in histories] == [["table talk"]]
    setup.walk(b, (760, 760), (780, 740))
    assert not b.take("chat_history")


def test_a_refused_move_is_corrected(setup: Setup) -> None:
    a, wa = setup.joined("alice")
    me = a.me(wa)
    a.take()
    a.send(type="move", x=me["x"], y=me["y"] - 150, id=3)  # farther than one can walk at once
    got = a.take()
    assert [(m["code"], m["id"]) for m in got if m["type"] == "error"] == [("move_blocked", 3)]
    (corr,) = [m for m in got if m["type"] == "positions"]
    assert corr["correction"] and corr["moves"][0]["id"] == wa["you"]
    assert (corr["moves"][0]["x"], corr["moves"][0]["y"]) == (me["x"], me["y"])


# -- the service's lifecycle ---------------------------------------------------


@pytest.mark.asyncio
async def test_close_is_ordered_and_idempotent(tmp_path: Path, default_map: ClassroomMap) -> None:
    s = Setup(tmp_path, default_map)
    s.service.start()
    ticker = s.service._ticker
    assert ticker.running
    a, _ = s.joined("alice")
    b, _ = s.joined("bob")
    await s.service.close()
    assert a.closed_with is not None and a.closed_with[0] == protocol.CLOSE_SERVER_SHUTDOWN
    assert b.closed_with is not None and b.closed_with[0] == protocol.CLOSE_SERVER_SHUTDOWN
    assert not ticker.running and s.service.sessions == {}
    await s.service.close()
    s.service.start()  # a closed service does not start again
    assert not s.service._ticker.running


@pytest.mark.asyncio
async def test_the_ticker_survives_a_failing_tick(
    tmp_path: Path, default_map: ClassroomMap, caplog: pytest.LogCaptureFixture
) -> None:
    class FlakyTick(ClassroomService):
        ticks = 0

        def tick_positions(self) -> None:
            FlakyTick.ticks += 1
            if FlakyTick.ticks == 1:
                raise RuntimeError("first tick fails")
            super().tick_positions()

    s = Setup(tmp_path, default_map, FlakyTick, position_rate_hz=50.0)
    s.service.start()
    for _ in range(100):
        await asyncio.sleep(0.01)
        if FlakyTick.ticks >= 3:
            break
    assert FlakyTick.ticks >= 3
    assert "the position ticker failed; it carries on" in caplog.text
    await s.service.close()


# -- observers -------------------------------------------------------------------------


def test_an_observer_sees_the_class_and_is_seen_by_nobody(setup: Setup) -> None:
    ann, wa = setup.joined("ann")
    setup.service.tick()
    ann.take()
    tess = Conn(setup.service, person("Tess", "instructor"), setup.clock)
    welcome = tess.join(observer=True)
    assert welcome["observer"] == {
        "id": welcome["you"],
        "user": "tess",
        "name": "Tess",
        "role": "instructor",
    }
    assert [p["id"] for p in welcome["participants"]] == [wa["you"]]
    assert welcome["classroom"] is not None and welcome["resume"] == ""
    setup.service.tick()
    assert ann.take() == []  # nobody was told
    assert setup.service.online == 1
    # What it may not do is refused with a code, and the connection lives on.
    tess.take()
    for message in (
        {"type": "move", "x": 100, "y": 100, "id": 5},
        {"type": "presence", "hand": True, "id": 6},
        {"type": "udp_probe", "id": 7},
    ):
        tess.send(**message)
    assert errors(tess) == [("observer", 5), ("observer", 6), ("observer", 7)]
    tess.send(type="ping", id=8)
    assert tess.take("pong")
    # It hears the others come and go, and its announcement is signed with its name.
    ben, wb = setup.joined("ben")
    assert [m["participant"]["id"] for m in tess.take("participant_joined")] == [wb["you"]]
    tess.send(type="announce", text="Quiz at 3", id=9)
    assert tess.take("ack") == [{"type": "ack", "id": 9}]
    (update,) = ann.take("class_updated")
    assert update["state"]["announcement"]["sender_name"] == "Tess"
    ben.session.connection_lost(1000)
    assert tess.take("participant_left") == [
        {"type": "participant_left", "participant_id": wb["you"]}
    ]
    # Its end is nobody's news.
    ann.take()
    tess.session.connection_lost(1006)
    setup.service.tick()
    assert ann.take() == []
    assert len(setup.service.classroom.observers) == 0
    assert welcome["you"] not in setup.service.sessions
