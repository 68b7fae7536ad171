"""Chat history in SQLite: one file, kept across server restarts.

Writes happen on a thread of their own, so a busy chat never waits for the
disk on the event loop the SFU shares. Ids are given out in memory as
messages arrive (the sender's ack carries it at once) and reads merge what is
still waiting to be written, so history is complete whatever the writer's lag.
"""

from __future__ import annotations

import dataclasses
import logging
import os
import queue
import sqlite3
import threading
import time
from collections.abc import Callable
from pathlib import Path

from . import protocol

log = logging.getLogger(__name__)

SCHEMA_VERSION = 1
#: Seconds between two prunings of old messages (besides the one at start-up).
PRUNE_INTERVAL = 3600.0

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

_COLUMNS = (
    "id, ts, channel, room, sender, sender_user, sender_name, recipient, to_user, to_name, text"
)


def _message(row: tuple) -> protocol.ChatMessage:
    mid, ts, channel, room, sender, sender_user, sender_name, to, to_user, to_name, text = row
    return protocol.ChatMessage(
        id=mid,
        ts=ts,
        channel=channel,
        room=room,
        sender=sender,
        sender_user=sender_user,
        sender_name=sender_name,
        to=to,
        to_user=to_user,
        to_name=to_name,
        text=text,
    )


class ChatStore:
    """Class, room and direct messages. Nearby messages are never stored.

    ``retention_days`` (0: no age limit) and ``retention_messages`` (0: no
    count limit; per class channel, per room, per direct conversation) bound
    what is kept: older messages are deleted at start-up and every
    ``prune_interval`` seconds.
    """

    def __init__(
        self,
        path: str | os.PathLike[str],
        retention_days: float = 0.0,
        retention_messages: int = 0,
        prune_interval: float = PRUNE_INTERVAL,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.path = str(path)
        self.retention_days = retention_days
        self.retention_messages = retention_messages
        self.prune_interval = prune_interval
        self.clock = clock
        if self.path != ":memory:":
            Path(self.path).parent.mkdir(parents=True, exist_ok=True)
        # One connection, used by the writer thread and by readers, always
        # under the lock.
        self._db: sqlite3.Connection | None = sqlite3.connect(
            self.path, isolation_level=None, check_same_thread=False
        )
        self._lock = threading.RLock()
        if self.path != ":memory:":
            self._db.execute("PRAGMA journal_mode=WAL")
            # With WAL, NORMAL syncs at checkpoints, not on every message: a
            # power cut may lose the last moments of chat, never the file.
            self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.executescript(_SCHEMA)
        row = self._db.execute("SELECT version FROM schema_version").fetchone()
        if row is None:
            self._db.execute("INSERT INTO schema_version VALUES (?)", (SCHEMA_VERSION,))
        elif row[0] > SCHEMA_VERSION:
            self._db.close()
            self._db = None
            raise RuntimeError(
                f"{self.path} was written by a newer version of jupyterlab-classroom "
                f"(schema {row[0]}, this one knows {SCHEMA_VERSION})"
            )
        self.prune()
        # AUTOINCREMENT's counter: ids are never reused, even after pruning.
        seq = self._db.execute(
            "SELECT seq FROM sqlite_sequence WHERE name = 'messages'"
        ).fetchone()
        top = self._db.execute("SELECT MAX(id) FROM messages").fetchone()
        self._next_id = max(seq[0] if seq else 0, top[0] or 0) + 1
        #: Accepted, not yet written: readers see them too.
        self._pending: dict[int, protocol.ChatMessage] = {}
        # Each message with its id (known to be set, unlike the message's own field).
        self._queue: queue.Queue[tuple[int, protocol.ChatMessage] | None] = queue.Queue()
        self._closed = False
        self._writer = threading.Thread(
            target=self._write_loop, name="classroom-chat-writer", daemon=True
        )
        self._writer.start()

    @property
    def db(self) -> sqlite3.Connection:
        if self._db is None:
            raise RuntimeError("the chat store is closed")
        return self._db

    def add(self, m: protocol.ChatMessage) -> int:
        """Accept a message for writing and return its id (at once)."""
        if m.channel == "nearby":
            raise ValueError("nearby messages are not stored")
        if self._closed:
            raise RuntimeError("the chat store is closed")
        with self._lock:
            mid = self._next_id
            self._next_id += 1
            stored = dataclasses.replace(m, id=mid)
            self._pending[mid] = stored
        self._queue.put((mid, stored))
        return mid

    def flush(self) -> None:
        """Wait until every accepted message is written."""
        if not self._closed:
            self._queue.join()

    def prune(self) -> int:
        """Delete what the retention settings no longer keep; returns how many."""
        deleted = 0
        with self._lock:
            db = self.db
            if self.retention_days > 0:
                cutoff = self.clock() - self.retention_days * 86400.0
                deleted += db.execute("DELETE FROM messages WHERE ts < ?", (cutoff,)).rowcount
            if self.retention_messages > 0:
                deleted += db.execute(
                    """
                    DELETE FROM messages WHERE id IN (
                        SELECT id FROM (
                            SELECT id, ROW_NUMBER() OVER (
                                PARTITION BY channel, COALESCE(room, ''),
                                    CASE WHEN channel = 'direct'
                                        THEN MIN(sender_user, to_user) || char(0) || MAX(sender_user, to_user)
                                    END
                                ORDER BY id DESC) AS n
                            FROM messages
                        ) WHERE n > ?
                    )
                    """,
                    (self.retention_messages,),
                ).rowcount
        if deleted:
            log.info("classroom: %d old chat messages deleted", deleted)
        return deleted

    def _write_loop(self) -> None:
        next_prune = time.monotonic() + self.prune_interval
        while True:
            try:
                first = self._queue.get(timeout=max(0.0, next_prune - time.monotonic()))
            except queue.Empty:
                first = None
                stop = False
            else:
                stop = first is None
            batch = [] if first is None else [first]
            taken = 1 if first is not None or stop else 0
            while True:
                try:
                    item = self._queue.get_nowait()
                except queue.Empty:
                    break
                taken += 1
                if item is None:
                    stop = True
                else:
                    batch.append(item)
            try:
                if batch:
                    self._write(batch)
                if time.monotonic() >= next_prune:
                    next_prune = time.monotonic() + self.prune_interval
                    self.prune()
            except Exception:
                log.exception("classroom: writing chat history failed")
            finally:
                for _ in range(taken):
                    self._queue.task_done()
            if stop:
                return

    def _write(self, batch: list[tuple[int, protocol.ChatMessage]]) -> None:
        with self._lock:
            db = self.db
            db.execute("BEGIN")
            try:
                db.executemany(
                    f"INSERT INTO messages ({_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    [
                        (
                            mid,
                            m.ts,
                            m.channel,
                            m.room,
                            m.sender,
                            m.sender_user,
                            m.sender_name,
                            m.to,
                            m.to_user,
                            m.to_name,
                            m.text,
                        )
                        for mid, m in batch
                    ],
                )
                db.execute("COMMIT")
            except BaseException:
                db.execute("ROLLBACK")
                raise
            finally:
                for mid, _ in batch:
                    self._pending.pop(mid, None)

    def _recent(
        self, where: str, args: tuple, limit: int, pending: Callable[[protocol.ChatMessage], bool]
    ) -> list[protocol.ChatMessage]:
        with self._lock:
            rows = self.db.execute(
                f"SELECT {_COLUMNS} FROM messages WHERE {where} ORDER BY id DESC LIMIT ?",
                (*args, limit),
            ).fetchall()
            waiting = [(mid, m) for mid, m in self._pending.items() if pending(m)]
        merged: dict[int, protocol.ChatMessage] = {row[0]: _message(row) for row in rows}
        merged.update(waiting)
        return [merged[i] for i in sorted(merged)[-limit:]] if limit > 0 else []

    def recent_class(self, limit: int) -> list[protocol.ChatMessage]:
        return self._recent("channel = 'class'", (), limit, lambda m: m.channel == "class")

    def recent_room(self, room: str, limit: int) -> list[protocol.ChatMessage]:
        return self._recent(
            "channel = 'room' AND room = ?",
            (room,),
            limit,
            lambda m: m.channel == "room" and m.room == room,
        )

    def recent_direct(self, user: str, limit: int) -> dict[str, list[protocol.ChatMessage]]:
        """The last ``limit`` messages of each direct conversation of ``user``, by peer."""
        with self._lock:
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
            waiting = [
                m
                for m in self._pending.values()
                if m.channel == "direct" and user in (m.sender_user, m.to_user)
            ]
        out: dict[str, list[protocol.ChatMessage]] = {}
        for m in [*map(_message, rows), *sorted(waiting, key=lambda m: m.id or 0)]:
            peer = m.to_user if m.sender_user == user else m.sender_user
            conversation = out.setdefault(peer or "", [])
            if not conversation or (conversation[-1].id or 0) < (m.id or 0):
                conversation.append(m)
        return {peer: messages[-limit:] for peer, messages in out.items()} if limit > 0 else {}

    def close(self) -> None:
        """Write what is pending, stop the writer, close the file. Idempotent."""
        if self._closed:
            return
        self._closed = True
        self._queue.put(None)
        self._writer.join()
        with self._lock:
            if self._db is not None:
                self._db.close()
                self._db = None


# -- invitations ---------------------------------------------------------------------------

_INVITATION_SCHEMA = """
CREATE TABLE IF NOT EXISTS invitations (
    id TEXT PRIMARY KEY,
    role TEXT NOT NULL CHECK (role IN ('instructor', 'student')),
    created REAL NOT NULL,
    expires INTEGER NOT NULL,
    max_guests INTEGER NOT NULL,
    label TEXT,
    created_by TEXT NOT NULL,
    revoked REAL
);
CREATE TABLE IF NOT EXISTS guests (
    invitation TEXT NOT NULL REFERENCES invitations (id) ON DELETE CASCADE,
    number INTEGER NOT NULL,
    name TEXT NOT NULL,
    color TEXT NOT NULL,
    created REAL NOT NULL,
    PRIMARY KEY (invitation, number)
);
"""

#: Days an ended invitation (and its guests) is kept before it is deleted.
INVITATION_KEEP_DAYS = 30.0


@dataclasses.dataclass
class StoredInvitation:
    id: str
    role: protocol.Role
    created: float
    #: Seconds since the epoch, whole (the link carries it).
    expires: int
    max_guests: int
    label: str | None
    created_by: str
    #: When it was revoked (None: it was not).
    revoked: float | None = None
    #: Its guests by number, from 1.
    guests: dict[int, StoredGuest] = dataclasses.field(default_factory=dict)


@dataclasses.dataclass(frozen=True)
class StoredGuest:
    invitation: str
    number: int
    name: str
    color: str
    created: float


class InvitationStore:
    """Invitations and the guests they admitted, in the classroom's SQLite file.

    They are few and rarely written (an instructor makes one, a guest joins),
    so everything is read into memory once and each change is written at
    once, in a transaction small enough not to hold up the event loop
    (WAL, without a sync per commit); nobody's connection reads the disk.
    Ended invitations are deleted :data:`INVITATION_KEEP_DAYS` after they end.
    """

    def __init__(self, path: str | os.PathLike[str], clock: Callable[[], float] = time.time):
        self.path = str(path)
        self.clock = clock
        if self.path != ":memory:":
            Path(self.path).parent.mkdir(parents=True, exist_ok=True)
        self._db: sqlite3.Connection | None = sqlite3.connect(self.path, isolation_level=None)
        if self.path != ":memory:":
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.execute("PRAGMA foreign_keys=ON")
        self._db.executescript(_INVITATION_SCHEMA)
        cutoff = self.clock() - INVITATION_KEEP_DAYS * 86400.0
        self._db.execute(
            "DELETE FROM invitations WHERE expires < ? OR (revoked IS NOT NULL AND revoked < ?)",
            (cutoff, cutoff),
        )
        self.invitations: dict[str, StoredInvitation] = {}
        for row in self._db.execute(
            "SELECT id, role, created, expires, max_guests, label, created_by, revoked "
            "FROM invitations"
        ):
            self.invitations[row[0]] = StoredInvitation(*row)
        for row in self._db.execute("SELECT invitation, number, name, color, created FROM guests"):
            guest = StoredGuest(*row)
            invitation = self.invitations.get(guest.invitation)
            if invitation is not None:
                invitation.guests[guest.number] = guest

    @property
    def db(self) -> sqlite3.Connection:
        if self._db is None:
            raise RuntimeError("the invitation store is closed")
        return self._db

    def add(self, invitation: StoredInvitation) -> None:
        i = invitation
        self.db.execute(
            "INSERT INTO invitations (id, role, created, expires, max_guests, label, created_by) "
            "VALUES (?, ?, ?, ?, ?, ?, ?)",
            (i.id, i.role, i.created, i.expires, i.max_guests, i.label, i.created_by),
        )
        self.invitations[i.id] = i

    def revoke(self, invitation_id: str) -> StoredInvitation | None:
        """Mark an invitation revoked (None: no such invitation)."""
        invitation = self.invitations.get(invitation_id)
        if invitation is None:
            return None
        if invitation.revoked is None:
            invitation.revoked = self.clock()
            self.db.execute(
                "UPDATE invitations SET revoked = ? WHERE id = ?",
                (invitation.revoked, invitation_id),
            )
        return invitation

    def add_guest(self, invitation: StoredInvitation, name: str, color: str) -> StoredGuest:
        """A new guest of ``invitation`` (the caller checked its cap)."""
        number = max(invitation.guests, default=0) + 1
        guest = StoredGuest(invitation.id, number, name, color, self.clock())
        self.db.execute(
            "INSERT INTO guests (invitation, number, name, color, created) VALUES (?, ?, ?, ?, ?)",
            (guest.invitation, guest.number, guest.name, guest.color, guest.created),
        )
        invitation.guests[number] = guest
        return guest

    def close(self) -> None:
        """Close the file. Idempotent."""
        if self._db is not None:
            self._db.close()
            self._db = None
