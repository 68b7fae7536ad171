"""Chat history in SQLite."""

from __future__ import annotations

import pytest

from jupyter_classroom import protocol
from jupyter_classroom.storage import ChatStore


def msg(channel: str, text: str, sender: str = "alice", **kw) -> protocol.ChatMessage:
    return protocol.ChatMessage(
        channel=channel, sender="p1", sender_user=sender, sender_name=sender.title(), text=text, ts=1.0, **kw
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
