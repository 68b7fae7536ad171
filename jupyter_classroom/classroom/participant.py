"""A person in the classroom: their place, presence and session.

The :class:`~jupyter_classroom.classroom.Classroom` owns every participant:
it creates them, places them, changes their presence and removes them;
other parts of the core read them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from .. import protocol
from ..protocol import ProtocolError as ClassroomError
from .identity import (
    Identity,
    check_colour,
    check_name,
    colour_of,
    distinct_colour,
    distinct_name,
    initials_choices,
    name_key,
)


@dataclass(eq=False)
class Participant:
    id: str
    identity: Identity
    name: str
    x: float
    y: float
    resume: str
    seq: int
    room: str | None = None
    status: protocol.Status = "available"
    hand: bool = False
    mic: bool = False
    camera: bool = False
    screen: bool = False
    connection: protocol.Connection = "online"
    #: Whether the client takes part in the rooms' conferences.
    media: bool = False
    #: How their media travels (WebRTC, or frames over the media socket).
    transport: protocol.Transport = "webrtc"
    #: Reconnecting: when the client was last heard from (see ``disconnect``).
    disconnected_at: float | None = None
    #: Reconnecting: seconds they are kept from then (None: ``reconnect_grace``).
    grace: float | None = None
    #: Bumped (classroom-wide counter) on every join and resume.
    generation: int = 0
    #: Whether they stood in a room since their session began: their room
    #: connection is kept across the open floor until the session ends.
    conference: bool = False
    moved_at: float = 0.0
    #: Distance this participant may still walk at once (see ``walk_burst``),
    #: as of ``moved_at``; None until the first move.
    walk_budget: float | None = None
    #: The name and colour they chose (checked), used when the host gives
    #: no name.
    chosen_name: str | None = None
    chosen_color: str | None = None
    #: The name ``name`` was made from (before a number told it apart).
    base_name: str = ""
    #: Their initials and colour, told apart from the others' (see :class:`Names`).
    initials: str = ""
    colour: str = ""
    #: What ``initials`` and ``colour`` were made from (see :meth:`wanted_look`).
    look: tuple[list[str], str, bool] | None = None
    #: The table and seat they sit on (see :mod:`.seats`).
    seat: tuple[str, int] | None = None
    #: Where they stepped onto the table before they were seated: their
    #: moves sent before they heard of the seat start from there.
    seated_from: tuple[float, float] | None = None

    @property
    def naming(self) -> bool:
        """Whether they may choose their own name and colour."""
        return not self.identity.named_by_host

    def wanted_name(self) -> str:
        """Their name before it is told apart from the others'."""
        if self.naming and self.chosen_name:
            return self.chosen_name
        return self.identity.name or self.identity.username

    def info(self) -> protocol.ParticipantInfo:
        ident = self.identity
        return protocol.ParticipantInfo(
            id=self.id,
            user=ident.username,
            name=self.name,
            initials=self.initials,
            color=self.colour,
            role=ident.role,
            x=round(self.x, 1),
            y=round(self.y, 1),
            status=self.status,
            hand=self.hand,
            mic=self.mic,
            camera=self.camera,
            screen=self.screen,
            connection=self.connection,
            room=self.room,
            avatar_url=ident.avatar_url,
            number=self.seq,
            transport=self.transport,
            demo=ident.demo,
            guest=ident.guest,
        )

    def position(self) -> protocol.Position:
        return protocol.Position(id=self.id, x=round(self.x, 1), y=round(self.y, 1))

    def sources(self) -> tuple[protocol.TrackSource, ...]:
        """The tracks this participant sends to the room: an unmuted microphone,
        a camera, a shared screen."""
        on = (("microphone", self.mic), ("camera", self.camera), ("screen_share", self.screen))
        return tuple(source for source, flag in on if flag)  # type: ignore[misc]

    def wanted_look(self) -> tuple[list[str], str, bool]:
        """The initials they would have (the host's first, for a name the
        host gives) and their colour, and whether it is derived from their
        username (nobody chose it)."""
        ident = self.identity
        if self.naming and self.chosen_name:
            given, name = "", self.chosen_name
        else:
            given, name = (ident.initials if not self.naming else ""), ident.name
        colour = (self.chosen_color if self.naming else None) or ident.color
        derived = colour is None or colour == colour_of(ident.username)
        return [given, name], colour or colour_of(ident.username), derived

    def choose(self, name: str | None, color: str | None, notes: list[protocol.Error]) -> None:
        """Take the name and colour they chose, if the host leaves them the
        choice (a host's name wins silently: the welcome says so); what
        cannot be used is told as a note."""
        if not self.naming:
            return
        if name is not None:
            try:
                self.chosen_name = check_name(name)
            except ClassroomError as e:
                notes.append(protocol.Error(code=e.code, message=e.message))
        if color is not None:
            try:
                self.chosen_color = check_colour(color)
            except ClassroomError as e:
                notes.append(protocol.Error(code=e.code, message=e.message))

    def show(
        self,
        status: protocol.Status | None = None,
        hand: bool | None = None,
        mic: bool | None = None,
        camera: bool | None = None,
        screen: bool | None = None,
        transport: protocol.Transport | None = None,
    ) -> bool:
        """Change what they show the others (None: unchanged); whether any of
        it changed."""
        before = (self.status, self.hand, self.mic, self.camera, self.screen, self.transport)
        if status is not None:
            self.status = status
        if hand is not None:
            self.hand = hand
        if mic is not None:
            self.mic = mic
        if camera is not None:
            self.camera = camera
        if screen is not None:
            self.screen = screen
        if transport is not None:
            self.transport = transport
        return (
            self.status,
            self.hand,
            self.mic,
            self.camera,
            self.screen,
            self.transport,
        ) != before

    def take_back(
        self,
        restore: protocol.Restore,
        check: Callable[[Participant, bool | None, bool | None, bool | None], None],
        notes: list[protocol.Error],
    ) -> None:
        """Take back the presence they had before (after a server restart),
        except what ``check`` (mic, camera, screen) refuses, told as a note."""
        self.show(status=restore.status, hand=restore.hand)
        for what in ("mic", "camera", "screen"):
            value = getattr(restore, what)
            if value:
                try:
                    check(
                        self,
                        what == "mic" or None,
                        what == "camera" or None,
                        what == "screen" or None,
                    )
                except ClassroomError as e:
                    notes.append(protocol.Error(code=e.code, message=e.message))
                    continue
            if value is not None:
                setattr(self, what, value)


class Names:
    """Everyone's name, initials and colour, told apart from the others'
    present (names by :func:`name_key`)."""

    def __init__(self) -> None:
        self._holders: dict[str, str] = {}
        self._initials: dict[str, str] = {}
        self._colours: dict[str, int] = {}

    def give(self, p: Participant) -> None:
        """Give ``p`` their name, initials and colour. What is kept from
        before (the same wanted name and look) keeps its number and letters."""
        wanted = p.wanted_name()
        look = p.wanted_look()
        if wanted == p.base_name and p.name and look == p.look:
            return
        self.release(p)
        p.base_name, p.look = wanted, look
        p.name = distinct_name(wanted, self._holders)
        self._holders[name_key(p.name)] = p.id
        (given, name), colour, derived = look
        p.initials = next(i for i in initials_choices(name, given) if i not in self._initials)
        self._initials[p.initials] = p.id
        p.colour = distinct_colour(colour, derived, self._colours)
        self._colours[p.colour] = self._colours.get(p.colour, 0) + 1

    def release(self, p: Participant) -> None:
        """``p`` no longer holds their name, initials and colour (they left,
        or take others)."""
        if p.name and self._holders.get(name_key(p.name)) == p.id:
            del self._holders[name_key(p.name)]
        if p.initials and self._initials.get(p.initials) == p.id:
            del self._initials[p.initials]
        if p.colour and self._colours.get(p.colour):
            self._colours[p.colour] -= 1
