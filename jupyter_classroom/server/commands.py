"""What the server does with each client message: one table.

:data:`COMMANDS` maps every client message class to its :class:`Command`:
what runs it, whether it needs a joined participant, and whether a request
``id`` gets an ``ack`` (with what the handler returns as ``message_id``).
The session looks the message's class up and follows the entry; nothing else
dispatches on message types.

An instructor's command is one :func:`teaching` entry that calls its method
of :class:`~jupyter_classroom.classroom.teaching.Teaching` (which refuses it
from a student); the service applies its effects and the session acks it.
A test checks that every client message of the protocol has an entry.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from .. import protocol
from ..classroom import Effects
from ..protocol import ErrorCode, ProtocolError

if TYPE_CHECKING:
    from ..classroom.teaching import Teaching
    from .invitations import InvitationDesk
    from .session import ClassroomSession

M = TypeVar("M", bound=protocol.ClientMessage)
T = TypeVar("T", bound=protocol.TeachingMessage)

#: A teaching rule: (the class's teaching state, the sender's participant id,
#: the message, the service's clock) -> what it changed.
TeachingRule = Callable[["Teaching", str, T, float], Effects]


@dataclass(frozen=True)
class Command(Generic[M]):
    """The server's rule for one client message."""

    #: Carries the message out for a session; returns the ``message_id`` of
    #: the ``ack`` (a stored chat message), if any.
    run: Callable[[ClassroomSession, M], int | None]
    #: A request ``id`` is answered with an ``ack`` (others reply otherwise,
    #: or only when refused).
    ack: bool = False
    #: Refused with ``not_joined`` before the connection joined.
    joined: bool = True
    #: An observer (the notebook API) may send it; others it is refused
    #: (``observer``): it has no avatar, presence or calls.
    observer: bool = False


COMMANDS: dict[type[protocol.ClientMessage], Command[Any]] = {}


def command(
    kind: type[M], *, ack: bool = False, joined: bool = True, observer: bool = False
) -> Callable[[Callable[[ClassroomSession, M], int | None]], Command[M]]:
    """Register the rule for client message ``kind``."""

    def register(run: Callable[[ClassroomSession, M], int | None]) -> Command[M]:
        if kind in COMMANDS:
            raise TypeError(f"two rules for {kind.__name__}")
        rule = Command(run, ack=ack, joined=joined, observer=observer)
        COMMANDS[kind] = rule
        return rule

    return register


def teaching(kind: type[T]) -> Callable[[TeachingRule[T]], TeachingRule[T]]:
    """Register an instructor's command: ``rule`` calls the core, the service
    applies what it changed, a request ``id`` is acknowledged."""

    def register(rule: TeachingRule[T]) -> TeachingRule[T]:
        def run(session: ClassroomSession, message: T) -> None:
            session.service.teach(session, message, rule)

        command(kind, ack=True, observer=True)(run)
        return rule

    return register


# -- joining, keep-alive ---------------------------------------------------------


@command(protocol.Join, joined=False)
def _join(session: ClassroomSession, m: protocol.Join) -> None:
    session.join(m)


@command(protocol.Ping, joined=False)
def _ping(session: ClassroomSession, m: protocol.Ping) -> None:
    session.send(protocol.Pong(t=round(time.time() * 1000.0, 1), id=m.id))


# -- the participant's own state -------------------------------------------------


@command(protocol.Move)
def _move(session: ClassroomSession, m: protocol.Move) -> None:
    session.service.move(session, m.x, m.y)


@command(protocol.SetPresence, ack=True)
def _presence(session: ClassroomSession, m: protocol.SetPresence) -> None:
    session.service.set_presence(
        session,
        status=m.status,
        hand=m.hand,
        mic=m.mic,
        camera=m.camera,
        screen=m.screen,
        transport=m.transport,
    )


@command(protocol.SetProfile, ack=True)
def _profile(session: ClassroomSession, m: protocol.SetProfile) -> None:
    session.service.set_profile(session, m.name, m.color)


@command(protocol.ChatSend, ack=True, observer=True)
def _chat(session: ClassroomSession, m: protocol.ChatSend) -> int | None:
    return session.service.chat(session, m.channel, m.text, m.to)


# -- media signaling -------------------------------------------------------------


@command(protocol.RelaySignal)
def _signal(session: ClassroomSession, m: protocol.RelaySignal) -> None:
    session.service.relay_signal(session, m)


@command(protocol.SfuAnswer, ack=True)
def _sfu_answer(session: ClassroomSession, m: protocol.SfuAnswer) -> None:
    session.service.sfu_answer(session, m)


@command(protocol.SfuCandidate)
def _sfu_candidate(session: ClassroomSession, m: protocol.SfuCandidate) -> None:
    session.service.sfu_candidate(session, m)


@command(protocol.Shown)
def _shown(session: ClassroomSession, m: protocol.Shown) -> None:
    session.service.shown(session, m)


@command(protocol.UdpProbe)
def _udp_probe(session: ClassroomSession, m: protocol.UdpProbe) -> None:
    session.service.udp_probe(session, m)


@command(protocol.UdpProbeAnswer, ack=True)
def _udp_probe_answer(session: ClassroomSession, m: protocol.UdpProbeAnswer) -> None:
    session.service.udp_probe_answer(session, m)


# -- the instructors' commands ---------------------------------------------------


@teaching(protocol.LowerHand)
def _lower_hand(t: Teaching, pid: str, m: protocol.LowerHand, now: float) -> Effects:
    return t.lower_hand(pid, m.participant, now)


@teaching(protocol.Mute)
def _mute(t: Teaching, pid: str, m: protocol.Mute, now: float) -> Effects:
    return t.mute(pid, m.participant, now)


@teaching(protocol.SetLocks)
def _set_locks(t: Teaching, pid: str, m: protocol.SetLocks, now: float) -> Effects:
    return t.set_locks(pid, now, mic=m.mic, camera=m.camera, screen=m.screen, chat=m.chat)


@teaching(protocol.Announce)
def _announce(t: Teaching, pid: str, m: protocol.Announce, now: float) -> Effects:
    return t.announce(pid, m.text, now, time.time())


@teaching(protocol.LockRoom)
def _lock_room(t: Teaching, pid: str, m: protocol.LockRoom, now: float) -> Effects:
    return t.lock_room(pid, m.room, m.locked, now)


@teaching(protocol.Summon)
def _summon(t: Teaching, pid: str, m: protocol.Summon, now: float) -> Effects:
    return t.summon(pid, m.participants, m.to, now)


@teaching(protocol.StartBreakouts)
def _start_breakouts(t: Teaching, pid: str, m: protocol.StartBreakouts, now: float) -> Effects:
    groups = None if m.groups is None else [g.users for g in m.groups]
    return t.start_breakouts(pid, m.mode, now, tables=m.tables, groups=groups, minutes=m.minutes)


@teaching(protocol.EndBreakouts)
def _end_breakouts(t: Teaching, pid: str, m: protocol.EndBreakouts, now: float) -> Effects:
    return t.end_breakouts(pid, now)


@teaching(protocol.SetBroadcast)
def _broadcast(t: Teaching, pid: str, m: protocol.SetBroadcast, now: float) -> Effects:
    return t.set_broadcast(pid, m.on, now)


@teaching(protocol.GiveFloor)
def _give_floor(t: Teaching, pid: str, m: protocol.GiveFloor, now: float) -> Effects:
    return t.give_floor(pid, m.participant, m.on, now)


# -- invitations (a single server's: see server/invitations.py) ----------------------


def _desk(session: ClassroomSession, request_id: int | None) -> InvitationDesk:
    desk = session.service.invitations
    if desk is None:
        raise ProtocolError(
            ErrorCode.NO_INVITATIONS,
            "This classroom makes no invitations: on JupyterHub, the hub decides who enters.",
            request_id,
        )
    return desk


@command(protocol.CreateInvitation, observer=True)
def _create_invitation(session: ClassroomSession, m: protocol.CreateInvitation) -> None:
    made = _desk(session, m.id).create(
        session.identity,
        m.role or "student",
        7200.0 if m.expires_in is None else m.expires_in,
        m.max_guests,
        m.label,
        m.id,
    )
    session.send(protocol.InvitationReply(invitation=made, id=m.id))


@command(protocol.ListInvitations, observer=True)
def _list_invitations(session: ClassroomSession, m: protocol.ListInvitations) -> None:
    desk = _desk(session, m.id)
    desk.require_instructor(session.identity, m.id)
    current = [desk.info(i) for i in desk.current()]
    session.send(protocol.InvitationList(invitations=current, id=m.id))


@command(protocol.RevokeInvitation, observer=True)
def _revoke_invitation(session: ClassroomSession, m: protocol.RevokeInvitation) -> None:
    ended = _desk(session, m.id).revoke(session.identity, m.invitation, m.id)
    session.send(protocol.InvitationReply(invitation=ended, id=m.id))
