"""The public face of the notebook client: :class:`Classroom`."""

from __future__ import annotations

import weakref
from collections.abc import Callable, Iterable
from typing import Any

from .. import protocol
from .connection import Connection, read_reply
from .discovery import DEFAULT_TIMEOUT, find_server, redact, socket_url
from .errors import ClassroomForbidden, ClassroomRefused, ClassroomUnreachable
from .invitations import COLUMNS as INVITATION_COLUMNS
from .invitations import Invitation, seconds_of, server_origin

__all__ = [
    "Classroom",
    "ClassroomForbidden",
    "ClassroomRefused",
    "ClassroomUnreachable",
    "Invitation",
]

#: The client messages :meth:`Classroom.send` takes (a connection joins once, when opened).
_CLIENT_MESSAGES = frozenset(spec.cls for spec in protocol.SPEC.client) - {protocol.Join}
#: Those the server answers only when it refuses them: sent without waiting.
_UNANSWERED = frozenset((protocol.Move, protocol.RelaySignal, protocol.SfuCandidate))


def _table(records: list[dict[str, Any]], columns: list[str]) -> Any:
    """A pandas DataFrame when pandas is installed, else the records."""
    try:
        import pandas
    except ImportError:
        return records
    return pandas.DataFrame.from_records(records, columns=columns)


#: The open Classroom of each socket URL in this process: running the cell
#: again replaces the connection instead of adding one (a user may only
#: have a few connections at once).
_open: weakref.WeakValueDictionary[str, Classroom] = weakref.WeakValueDictionary()

ROSTER_COLUMNS = [
    "id",
    "user",
    "name",
    "role",
    "room",
    "hand",
    "mic",
    "camera",
    "screen",
    "status",
    "connection",
    "guest",
    "x",
    "y",
]


class Classroom:
    """The classroom this notebook's server (or hub) runs, as the notebook's user.

    Reading (``roster``, ``hands``, ``rooms``, ``announcement``, ``locks``)
    works for everyone; the commands are the instructor's and raise
    :class:`ClassroomForbidden` for a student. The notebook's connection is
    an observer: it acts for its user without being on the map (no avatar,
    not counted, in no call), and what it does is signed with the user's
    name. The server's demo classmates are left out of ``roster``: a roster
    is a list of people.

    On a JupyterHub single-user server, ``classroom`` names the hub's
    classroom to enter (needed when the user is in several).

    ``observer=False`` joins as a participant of its own instead, on the
    map without media (a scripted classmate, as the tests use): it moves and
    shows a presence, and people see it.
    """

    def __init__(
        self,
        url: str | None = None,
        token: str | None = None,
        timeout: float = DEFAULT_TIMEOUT,
        classroom: str | None = None,
        *,
        observer: bool = True,
    ) -> None:
        if url is None:
            url, found_token = find_server(classroom)
            token = token or found_token
        self._url = socket_url(url, token)
        self._timeout = timeout
        self._observer = observer
        self._conn: Connection | None = None
        self._listeners: list[Callable[[], None]] = []
        previous = _open.get(self._url)
        if previous is not None:
            previous.close()
        self._connect()
        _open[self._url] = self

    def _connect(self) -> Connection:
        conn = Connection(self._url, self._timeout, observer=self._observer)
        conn.listeners = self._listeners  # kept across reconnections
        try:
            conn.run(conn.open())
        except BaseException:
            conn.close()
            raise
        self._conn = conn
        return conn

    def _live(self) -> Connection:
        """The connection, opened again if it dropped."""
        conn = self._conn
        if conn is None or conn.closed:
            if conn is not None:
                conn.close()
            conn = self._connect()
        return conn

    def send(self, message: protocol.ClientMessage) -> protocol.Ack | protocol.Pong | None:
        """Send one client message of the protocol (``protocol.Mute(...)``,
        ``protocol.Summon(...)``...) and wait for the server's answer: its
        ``ack`` or ``pong``. Its ``id`` is set here. A ``move``, ``signal`` or
        ``sfu_candidate``, which the server answers only to refuse, is sent
        without waiting (None).

        Raises :class:`ClassroomRefused` (:class:`ClassroomForbidden` for a
        student's instructor command) with the error's ``code`` when the
        message is malformed or the server refuses it, and
        :class:`ClassroomUnreachable` when the classroom does not answer.
        """
        if type(message) in _UNANSWERED:
            self._check(message)
            conn = self._live()
            conn.run(conn.post(message))
            return None
        reply = read_reply(self._ask(message))
        return reply if isinstance(reply, (protocol.Ack, protocol.Pong)) else None

    def _check(self, message: protocol.ClientMessage) -> None:
        if type(message) not in _CLIENT_MESSAGES:
            raise TypeError(f"not a client message of the protocol: {message!r}")
        try:
            # The codec's own checks, as the server would apply them.
            protocol.validate(protocol.to_dict(protocol.with_id(message, 0)))
        except protocol.ProtocolError as e:
            raise ClassroomRefused(e.code.value, e.message) from None

    def _ask(self, message: protocol.ClientMessage) -> dict[str, Any]:
        """Send a request and return the server's reply as it came."""
        self._check(message)
        conn = self._live()
        return conn.run(conn.request(message))

    def close(self) -> None:
        """Leave the classroom (idempotent)."""
        if self._conn is not None:
            self._conn.close()
            self._conn = None

    def __enter__(self) -> Classroom:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        conn = self._conn
        if conn is None:
            return "<Classroom (closed)>"
        with conn.lock:
            people = sum(1 for pid in conn.participants if pid != conn.you)
            hands = len(conn.state.get("hands", []))
        return f"<Classroom at {redact(self._url)}: {people} people, {hands} hands raised>"

    def watch(self, callback: Callable[[], None]) -> None:
        """Call ``callback()`` whenever someone joins, leaves or changes
        (room, hand, microphone...) or the class state changes. It runs on
        the connection's own thread: keep it short."""
        self._listeners.append(callback)

    def unwatch(self, callback: Callable[[], None]) -> None:
        """Stop calling ``callback`` (see :meth:`watch`)."""
        if callback in self._listeners:
            self._listeners.remove(callback)

    def widget(self) -> Any:
        """A live panel for this notebook (ipywidgets): the roster with rooms
        and hands, and buttons for the instructor's powers."""
        from ..widget import ClassroomWidget

        return ClassroomWidget(self)

    def _ipython_display_(self) -> None:
        from IPython.display import display

        try:
            panel = self.widget()
        except ImportError:  # no ipywidgets: the summary line
            print(repr(self))
            return
        display(panel)

    # -- reading ------------------------------------------------------------------------

    def _people(self) -> list[dict[str, Any]]:
        conn = self._live()
        with conn.lock:
            return [dict(p) for pid, p in conn.participants.items() if pid != conn.you]

    @property
    def me(self) -> dict[str, Any]:
        """Whom the notebook acts for: ``id`` (its connection's), ``user``,
        ``name`` and ``role`` (which says what it may do)."""
        conn = self._live()
        with conn.lock:
            return conn.own()

    @property
    def roster(self) -> Any:
        """Everyone in the classroom: one record each (a DataFrame with pandas).
        Demo classmates are not people: they are left out."""
        return _table(
            [{k: p.get(k) for k in ROSTER_COLUMNS} for p in self._people() if not p.get("demo")],
            ROSTER_COLUMNS,
        )

    @property
    def hands(self) -> Any:
        """Raised hands in the order raised (a DataFrame with pandas)."""
        conn = self._live()
        with conn.lock:
            order = list(conn.state.get("hands", []))
            people = dict(conn.participants)
        records = [
            {
                "id": pid,
                "user": people[pid]["user"],
                "name": people[pid]["name"],
                "room": people[pid].get("room"),
            }
            for pid in order
            if pid in people
        ]
        return _table(records, ["id", "user", "name", "room"])

    @property
    def rooms(self) -> Any:
        """The map's rooms: who is in each, capacity, locked (a DataFrame with pandas)."""
        conn = self._live()
        with conn.lock:
            locked = set(conn.state.get("locked_rooms", []))
            rooms = list(conn.rooms)
            people = [p for pid, p in conn.participants.items() if pid != conn.you]
        records = [
            {
                "id": r["id"],
                "name": r["name"],
                "kind": r["kind"],
                "capacity": r.get("capacity"),
                "locked": r["id"] in locked,
                "people": [p["name"] for p in people if p.get("room") == r["id"]],
            }
            for r in rooms
        ]
        return _table(records, ["id", "name", "kind", "capacity", "locked", "people"])

    @property
    def announcement(self) -> str | None:
        """The current announcement's text (None: none)."""
        conn = self._live()
        with conn.lock:
            a = conn.state.get("announcement")
        return a["text"] if a else None

    @property
    def locks(self) -> dict[str, bool]:
        """What is locked for students: ``mic``, ``camera``, ``screen``, ``chat``."""
        conn = self._live()
        with conn.lock:
            return dict(conn.state.get("locks", {}))

    @property
    def breakout(self) -> dict[str, Any] | None:
        """The breakouts in progress (mode, tables, seconds left), or None."""
        conn = self._live()
        with conn.lock:
            b = conn.state.get("breakout")
        return dict(b) if b else None

    # -- whom a command is about ------------------------------------------------------------

    def _ids(self, who: str | Iterable[str] | None) -> list[str] | None:
        """Participant ids from ids or usernames (None stays None: everyone)."""
        if who is None:
            return None
        wanted = [who] if isinstance(who, str) else list(who)
        people = self._people()
        ids: list[str] = []
        for w in wanted:
            found = [p["id"] for p in people if p["id"] == w] or [
                p["id"] for p in people if p["user"] == w
            ]
            if not found:
                raise ClassroomRefused(
                    protocol.ErrorCode.UNKNOWN_PARTICIPANT.value,
                    f"Nobody in the classroom is called {w!r}.",
                )
            ids += found
        return ids

    # -- the instructor's commands ----------------------------------------------------------

    def announce(self, text: str | None) -> None:
        """Show ``text`` to everyone as a banner, kept for late joiners (None or "": clear it)."""
        self.send(protocol.Announce(text=text or None))

    def clear_announcement(self) -> None:
        self.announce(None)

    def lower_hand(self, who: str) -> None:
        """Lower the hand of ``who`` (a username or participant id)."""
        for pid in self._ids(who) or []:
            self.send(protocol.LowerHand(participant=pid))

    def lower_hands(self) -> None:
        """Lower every raised hand."""
        self.send(protocol.LowerHand(participant=None))

    def mute(self, who: str) -> None:
        """Turn off the microphone of ``who`` (a username or participant id)."""
        for pid in self._ids(who) or []:
            self.send(protocol.Mute(participant=pid))

    def mute_all(self) -> None:
        """Turn off every student's microphone (they may turn it on again unless locked)."""
        self.send(protocol.Mute(participant=None))

    def lock(
        self, *, mic: bool = False, camera: bool = False, screen: bool = False, chat: bool = False
    ) -> None:
        """Lock what is named for students, e.g. ``lock(mic=True, chat=True)``."""
        self._set_locks(True, mic=mic, camera=camera, screen=screen, chat=chat)

    def unlock(
        self, *, mic: bool = False, camera: bool = False, screen: bool = False, chat: bool = False
    ) -> None:
        """Unlock what is named, e.g. ``unlock(mic=True)``."""
        self._set_locks(False, mic=mic, camera=camera, screen=screen, chat=chat)

    def _set_locks(self, locked: bool, **named: bool) -> None:
        self.send(protocol.SetLocks(**{k: locked for k, v in named.items() if v}))

    def lock_room(self, room: str, locked: bool = True) -> None:
        """Keep students out of ``room`` (its id, e.g. ``"table-2"``); those inside stay."""
        self.send(protocol.LockRoom(room=room, locked=locked))

    def unlock_room(self, room: str) -> None:
        self.lock_room(room, False)

    def summon(self, who: str | Iterable[str] | None = None, to: str = "stage") -> None:
        """Bring ``who`` (usernames or ids; None: every student) to ``"stage"``
        or next to you (``"me"``)."""
        if to not in ("stage", "me"):
            raise ValueError('to is "stage" or "me"')
        target: protocol.SummonTarget = "stage" if to == "stage" else "me"
        self.send(protocol.Summon(to=target, participants=self._ids(who)))

    def breakouts(
        self,
        groups_or_n: int | str | Iterable[Iterable[str]] | None = None,
        minutes: float | None = None,
    ) -> None:
        """Send students to tables: ``n`` (shuffled over n tables), a list of
        groups of usernames (a table each), ``"choose"`` (they pick), or None
        (shuffled over every table). ``minutes``: a timer, with a warning a
        minute before everyone comes back to the stage."""
        if groups_or_n is None:
            self.send(
                protocol.StartBreakouts(mode="random", tables=None, groups=None, minutes=minutes)
            )
        elif isinstance(groups_or_n, bool):
            raise TypeError(
                "breakouts() takes a number of tables, groups of usernames or 'choose'"
            )
        elif isinstance(groups_or_n, int):
            self.send(
                protocol.StartBreakouts(
                    mode="random", tables=groups_or_n, groups=None, minutes=minutes
                )
            )
        elif groups_or_n == "choose":
            self.send(
                protocol.StartBreakouts(mode="choose", tables=None, groups=None, minutes=minutes)
            )
        elif isinstance(groups_or_n, str):
            raise ValueError(
                "breakouts() takes a number of tables, groups of usernames or 'choose'"
            )
        else:
            groups = [
                protocol.BreakoutGroup(users=[group] if isinstance(group, str) else list(group))
                for group in groups_or_n
            ]
            self.send(
                protocol.StartBreakouts(mode="groups", tables=None, groups=groups, minutes=minutes)
            )

    def end_breakouts(self) -> None:
        """End the breakouts now: everyone comes back to the stage."""
        self.send(protocol.EndBreakouts())

    @property
    def broadcasting(self) -> dict[str, Any] | None:
        """The broadcast running (``by``, ``floor``: participant ids), or None."""
        conn = self._live()
        with conn.lock:
            b = conn.state.get("broadcast")
        return dict(b) if b else None

    def broadcast(self, on: bool = True) -> None:
        """Start (or stop) speaking to the whole classroom: your voice, camera
        and screen reach everyone, at the tables and on the open floor. It is
        your classroom tab's media (open the classroom in JupyterLab first)."""
        self.send(protocol.SetBroadcast(on=bool(on)))

    def give_floor(self, who: str, on: bool = True) -> None:
        """Let ``who`` (a username or participant id) speak in the broadcast,
        or take the floor back (``on=False``)."""
        for pid in self._ids(who) or []:
            self.send(protocol.GiveFloor(participant=pid, on=bool(on)))

    # -- invitations (a single server's) ---------------------------------------------------

    def invite(
        self,
        role: str = "student",
        expires: str | float | Any = "2h",
        max_guests: int | None = None,
        label: str | None = None,
    ) -> Invitation:
        """A link that admits whoever opens it to this classroom only (not to
        the server: no notebooks, files or terminals), as a ``"student"`` or a
        co-instructor (``"instructor"``), under a name they type, until
        ``expires`` (``"2h"``, ``"1d"``, ``"1w"``, seconds or a timedelta),
        for at most ``max_guests`` people (None: the server's default).
        ``str()`` of the result is the link to send. The link names this
        server as this notebook reaches it: send one whose address your
        guests can reach."""
        if role not in ("student", "instructor"):
            raise ValueError('role is "student" or "instructor"')
        message = protocol.CreateInvitation(
            role="instructor" if role == "instructor" else "student",
            expires_in=seconds_of(expires),
            max_guests=max_guests,
            label=label,
        )
        return Invitation.from_info(self._ask(message)["invitation"], server_origin(self._url))

    def _invitations(self) -> list[Invitation]:
        origin = server_origin(self._url)
        listed = self._ask(protocol.ListInvitations())["invitations"]
        return [Invitation.from_info(info, origin) for info in listed]

    def invitations(self) -> Any:
        """The current invitations, newest first (a DataFrame with pandas)."""
        return _table([i.record() for i in self._invitations()], INVITATION_COLUMNS)

    def revoke(self, invitation: str | Invitation) -> Invitation:
        """End an invitation (its id, its link or the :class:`Invitation`):
        its link and guests' passes open nothing more, and its guests are
        disconnected at once."""
        if isinstance(invitation, Invitation):
            wanted = invitation.id
        elif "/" in invitation:
            found = [i.id for i in self._invitations() if i.link.endswith(invitation)]
            if not found:
                raise ClassroomRefused(
                    protocol.ErrorCode.UNKNOWN_INVITATION.value,
                    f"No current invitation has the link {invitation!r}.",
                )
            wanted = found[0]
        else:
            wanted = invitation
        reply = self._ask(protocol.RevokeInvitation(invitation=wanted))
        return Invitation.from_info(reply["invitation"], server_origin(self._url))
