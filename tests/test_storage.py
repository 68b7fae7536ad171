"""Chat history in SQLite."""

from __future__ import annotations

import dataclasses
import threading
import time
from typing import Any

import pytest

from jupyter_classroom import protocol
from jupyter_classroom.storage import ChatStore


def msg(
    channel: protocol.ChatChannel, text: str, sender: str = "alice", **kw: Any
) -> protocol.ChatMessage:
    return protocol.ChatMessage(
        channel=channel,
        sender="p1",
        sender_user=sender,
        sender_name=sender.title(),
        text=text,
        ts=1.0,
        **kw,
    )


def test_history_survives_reopening(tmp_path) -> None:
    path = tmp_path / "deep" / "chat.sqlite"
    store = ChatStore(path)
    tricky = "<img src=x onerror=alert(1)> ünïcode\n```py\nprint(1)\n```"
    first = store.add(msg("class", tricky))
    store.add(msg("room", "at table 1", room="table-1"))
    store.close()
    store.close()  # idempotent
    store = ChatStore(path)
    (m,) = store.recent_class(10)
    assert (m.id, m.text, m.sender_name) == (first, tricky, "Alice")
    assert [m.text for m in store.recent_room("table-1", 10)] == ["at table 1"]
    assert store.recent_room("table-2", 10) == []


def test_limits_keep_the_newest_oldest_first() -> None:
    store = ChatStore(":memory:")
    for i in range(10):
        store.add(msg("class", f"m{i}"))
    assert [m.text for m in store.recent_class(3)] == ["m7", "m8", "m9"]


def test_direct_history_grouped_by_peer() -> None:
    store = ChatStore(":memory:")
    store.add(msg("direct", "a->b 1", "alice", to_user="bob", to_name="Bob"))
    store.add(msg("direct", "b->a", "bob", to_user="alice", to_name="Alice"))
    store.add(msg("direct", "a->c", "alice", to_user="carol", to_name="Carol"))
    store.add(msg("direct", "b->c", "bob", to_user="carol", to_name="Carol"))
    store.add(msg("direct", "a->b 2", "alice", to_user="bob", to_name="Bob"))
    alice = store.recent_direct("alice", 2)
    assert {k: [m.text for m in v] for k, v in alice.items()} == {
        "bob": ["b->a", "a->b 2"],
        "carol": ["a->c"],
    }
    assert set(store.recent_direct("carol", 10)) == {"alice", "bob"}


def test_nearby_is_never_stored() -> None:
    store = ChatStore(":memory:")
    with pytest.raises(ValueError):
        store.add(msg("nearby", "psst"))


def test_writes_run_on_the_writer_thread_and_close_flushes(tmp_path) -> None:
    path = tmp_path / "chat.sqlite"
    store = ChatStore(path)
    writes: list[tuple[int, str]] = []
    store.db.set_trace_callback(lambda sql: writes.append((threading.get_ident(), sql)))
    ids = [store.add(msg("class", f"m{i}")) for i in range(50)]
    assert ids == sorted(ids) and len(set(ids)) == 50
    # Readers see every accepted message, written or not.
    assert [m.id for m in store.recent_class(100)] == ids
    store.close()
    inserts = [thread for thread, sql in writes if sql.lstrip().upper().startswith("INSERT")]
    assert inserts and threading.get_ident() not in inserts
    reopened = ChatStore(path)
    assert [m.text for m in reopened.recent_class(100)] == [f"m{i}" for i in range(50)]
    # Ids go on from the last one, never reused.
    assert reopened.add(msg("class", "next")) == ids[-1] + 1
    reopened.close()


def test_pending_messages_are_in_room_and_direct_history(tmp_path) -> None:
    store = ChatStore(tmp_path / "chat.sqlite")
    older = store.add(msg("room", "written", room="table-1"))
    store.flush()
    with store._lock:  # the writer waits for it: what follows stays pending
        room = store.add(msg("room", "r", room="table-1"))
        direct = store.add(msg("direct", "d", "alice", to_user="bob", to_name="Bob"))
        assert store._pending.keys() == {room, direct}
        assert [m.id for m in store.recent_room("table-1", 5)] == [older, room]
        assert [m.id for m in store.recent_room("table-1", 1)] == [room]
        assert [m.id for m in store.recent_direct("bob", 5)["alice"]] == [direct]
    store.close()


def test_retention_by_count_keeps_the_newest_of_each_conversation(tmp_path) -> None:
    path = tmp_path / "chat.sqlite"
    store = ChatStore(path)
    for i in range(6):
        store.add(msg("class", f"c{i}"))
        store.add(msg("room", f"r{i}", room="table-1"))
        store.add(
            msg(
                "direct",
                f"ab{i}",
                "alice" if i % 2 else "bob",
                to_user="bob" if i % 2 else "alice",
            )
        )
    store.add(msg("room", "other", room="table-2"))
    store.close()
    store = ChatStore(path, retention_messages=2)  # prunes at start-up
    assert [m.text for m in store.recent_class(10)] == ["c4", "c5"]
    assert [m.text for m in store.recent_room("table-1", 10)] == ["r4", "r5"]
    assert [m.text for m in store.recent_room("table-2", 10)] == ["other"]
    assert [m.text for m in store.recent_direct("alice", 10)["bob"]] == ["ab4", "ab5"]
    assert store.db.execute("SELECT COUNT(*) FROM messages").fetchone()[0] == 7
    store.close()


def test_retention_by_age_prunes_periodically(tmp_path) -> None:
    now = [1000.0 * 86400]
    store = ChatStore(
        tmp_path / "chat.sqlite", retention_days=2, prune_interval=0.05, clock=lambda: now[0]
    )
    store.add(dataclasses.replace(msg("class", "old"), ts=now[0] - 3 * 86400))
    store.add(dataclasses.replace(msg("class", "new"), ts=now[0] - 1 * 86400))
    store.flush()
    # The writer prunes on its own, every prune_interval seconds.
    deadline = time.monotonic() + 10
    while [m.text for m in store.recent_class(10)] != ["new"]:
        assert time.monotonic() < deadline, "old messages were not pruned"
        time.sleep(0.05)
    store.close()
