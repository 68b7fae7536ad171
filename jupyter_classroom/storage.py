"""Chat history in SQLite: one file, kept across server restarts."""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path

from . import protocol

SCHEMA_VERSION = 1

_SCHEMA = """
CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS messages (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    ts REAL NOT NULL,
    channel TEXT NOT NULL CHECK (channel IN ('class', 'room', 'direct')),
    room TEXT,
    sender TEXT NOT NULL,
    sender_user TEXT NOT NULL,
    sender_name TEXT NOT NULL,
    recipient TEXT,
    to_user TEXT,
    to_name TEXT,
    text TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS messages_channel ON messages (channel, room, id);
CREATE INDEX IF NOT EXISTS messages_direct_from ON messages (sender_user, id) WHERE channel = 'direct';
CREATE INDEX IF NOT EXISTS messages_direct_to ON messages (to_user, id) WHERE channel = 'direct';
"""

_COLUMNS = "id, ts, channel, room, sender, sender_user, sender_name, recipient, to_user, to_name, text"


def _message(row: tuple) -> protocol.ChatMessage:
    mid, ts, channel, room, sender, sender_user, sender_name, recipient, to_user, to_name, text = row
    return protocol.ChatMessage(
        id=mid,
        ts=ts,
        channel=channel,
        room=room,
        sender=sender,
        sender_user=sender_user,
        sender_name=sender_name,
        to=recipient,
        to_user=to_user,
        to_name=to_name,
        text=text,
    )


class ChatStore:
    """Class, room and direct messages. Nearby messages are never stored."""

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = str(path)
        if self.path != ":memory:":
            Path(self.path).parent.mkdir(parents=True, exist_ok=True)
        self._db: sqlite3.Connection | None = sqlite3.connect(self.path, isolation_level=None)
        if self.path != ":memory:":
            self._db.execute("PRAGMA journal_mode=WAL")
        self._db.executescript(_SCHEMA)
        row = self._db.execute("SELECT version FROM schema_version").fetchone()
        if row is None:
            self._db.execute("INSERT INTO schema_version VALUES (?)", (SCHEMA_VERSION,))
        elif row[0] > SCHEMA_VERSION:
            raise RuntimeError(
                f"{self.path} was written by a newer version of jupyterlab-classroom "
                f"(schema {row[0]}, this one knows {SCHEMA_VERSION})"
            )

    @property
    def db(self) -> sqlite3.Connection:
        if self._db is None:
            raise RuntimeError("the chat store is closed")
        return self._db

    def add(self, m: protocol.ChatMessage) -> int:
        if m.channel == "nearby":
            raise ValueError("nearby messages are not stored")
        cur = self.db.execute(
            f"INSERT INTO messages ({_COLUMNS}) VALUES (NULL, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (m.ts, m.channel, m.room, m.sender, m.sender_user, m.sender_name, m.to, m.to_user, m.to_name, m.text),
        )
        return int(cur.lastrowid or 0)

    def _recent(self, where: str, args: tuple, limit: int) -> list[protocol.ChatMessage]:
        rows = self.db.execute(
            f"SELECT {_COLUMNS} FROM messages WHERE {where} ORDER BY id DESC LIMIT ?", (*args, limit)
        ).fetchall()
        return [_message(r) for r in reversed(rows)]

    def recent_class(self, limit: int) -> list[protocol.ChatMessage]:
        return self._recent("channel = 'class'", (), limit)

    def recent_room(self, room: str, limit: int) -> list[protocol.ChatMessage]:
        return self._recent("channel = 'room' AND room = ?", (room,), limit)

    def recent_direct(self, user: str, limit: int) -> dict[str, list[protocol.ChatMessage]]:
        """The last ``limit`` messages of each direct conversation of ``user``, by peer."""
        rows = self.db.execute(
            f"""
            SELECT {_COLUMNS} FROM (
                SELECT *, ROW_NUMBER() OVER (
                    PARTITION BY CASE WHEN sender_user = :u THEN to_user ELSE sender_user END
                    ORDER BY id DESC) AS n
                FROM messages
                WHERE channel = 'direct' AND (sender_user = :u OR to_user = :u)
            ) WHERE n <= :limit ORDER BY id
            """,
            {"u": user, "limit": limit},
        ).fetchall()
        out: dict[str, list[protocol.ChatMessage]] = {}
        for row in rows:
            m = _message(row)
            peer = m.to_user if m.sender_user == user else m.sender_user
            out.setdefault(peer or "", []).append(m)
        return out

    def close(self) -> None:
        if self._db is not None:
            self._db.close()
            self._db = None
