"""Classroom-only invitations on a single Jupyter server.

An instructor makes an invitation (a role, an expiry, a cap on guests); its
link, ``{base_url}classroom/join/<token>``, opens a page where a person
types a name and picks a colour, and gets a **guest pass**. The pass opens
the classroom's own guest routes (``classroom/guest/ws``, ``media``,
``map``) and nothing else: Jupyter's identity provider knows neither the
token nor the pass, so the server's kernels, files and terminals stay shut.

- The token is ``<invitation>.<expires>.<signature>`` and the pass
  ``<invitation>.<guest>.<signature>``: HMAC-SHA256 with a secret of the
  classroom's own (:func:`load_secret`, a 0600 file beside its SQLite
  storage), never the server's token, each with its own purpose in what is
  signed, so that one cannot stand for the other.
- Invitations and guests are kept in SQLite (:class:`~..storage.InvitationStore`):
  a link and a pass keep working across a restart until the invitation ends.
- Revoking, or the expiry, ends every socket it opened (close 4009); after
  that the link and the passes are refused.
- Checks that fail are counted per address and overall (:class:`Attempts`):
  beyond a small budget the answer is ``too_many_attempts`` for a while.
"""

from __future__ import annotations

import asyncio
import base64
import dataclasses
import hashlib
import hmac
import logging
import math
import os
import re
import secrets
import stat
import time
from collections import deque
from collections.abc import Callable
from pathlib import Path
from typing import Protocol

from .. import protocol
from ..classroom import Identity
from ..protocol import ErrorCode, ProtocolError
from ..storage import InvitationStore, StoredGuest, StoredInvitation

log = logging.getLogger(__name__)

#: Seconds an invitation lasts at least.
MIN_EXPIRY = 1.0
#: Current invitations at most (each holds a little memory and a timer).
MAX_CURRENT_INVITATIONS = 200
#: Longest token or pass read at all.
MAX_TOKEN_LENGTH = 128

_ID = re.compile(r"[0-9a-f]{10}")
_NUMBER = re.compile(r"[1-9][0-9]{0,9}")
_SIGNATURE = re.compile(r"[A-Za-z0-9_-]{43}")


class Refusal(Exception):
    """A link or pass that opens nothing: an HTTP status and a stable code."""

    def __init__(self, status: int, code: ErrorCode, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message


class Holder(Protocol):
    """A socket a guest pass opened: ended when its invitation ends."""

    def end(self, code: int, reason: str) -> None: ...


def load_secret(path: Path | None) -> bytes:
    """The signing secret kept at ``path`` (made on first use, readable by
    the server's user only); a new one each start when ``path`` is None."""
    if path is None:
        return secrets.token_bytes(32)
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        mode = stat.S_IMODE(path.stat().st_mode)
        if mode & 0o077:
            log.warning("classroom: %s was readable by others: made private", path)
            path.chmod(0o600)
        secret = path.read_bytes()
        if len(secret) < 32:
            raise RuntimeError(f"{path} does not hold a classroom secret: delete it") from None
        return secret
    with os.fdopen(fd, "wb") as f:
        f.write(secrets.token_bytes(32))
    return path.read_bytes()


class Attempts:
    """Checks of links and passes that failed: at most ``per_address`` from
    one address and ``overall`` from everywhere within ``window`` seconds.
    Beyond that the address (or every failed check) is answered
    ``too_many_attempts`` for ``block`` seconds."""

    def __init__(
        self,
        per_address: int = 10,
        overall: int = 100,
        window: float = 60.0,
        block: float = 300.0,
        clock: Callable[[], float] = time.monotonic,
        max_addresses: int = 10000,
    ) -> None:
        self.per_address = per_address
        self.overall = overall
        self.window = window
        self.block = block
        self.clock = clock
        self.max_addresses = max_addresses
        self._failures: dict[str, deque[float]] = {}
        self._blocked: dict[str, float] = {}
        self._all: deque[float] = deque(maxlen=overall + 1)
        self._all_blocked = -math.inf

    def blocked(self, address: str) -> bool:
        """Whether ``address`` used up its budget (everything it asks is refused)."""
        until = self._blocked.get(address)
        if until is None:
            return False
        if self.clock() < until:
            return True
        del self._blocked[address]
        return False

    def swamped(self) -> bool:
        """Whether the overall budget is used up (every failed check gets 429)."""
        return self.clock() < self._all_blocked

    def failed(self, address: str) -> None:
        now = self.clock()
        if len(self._failures) >= self.max_addresses and address not in self._failures:
            self._forget(now)
        seen = self._failures.setdefault(address, deque(maxlen=self.per_address + 1))
        seen.append(now)
        if len(seen) > self.per_address and now - seen[0] <= self.window:
            if len(self._blocked) >= self.max_addresses:
                self._blocked = {a: t for a, t in self._blocked.items() if t > now}
            self._blocked[address] = now + self.block
            log.warning("classroom: too many bad invitation links or passes from %s", address)
        self._all.append(now)
        if len(self._all) > self.overall and now - self._all[0] <= self.window:
            if not self.swamped():
                log.warning("classroom: too many bad invitation links or passes: slowing down")
            self._all_blocked = now + self.block

    def _forget(self, now: float) -> None:
        """Make room: drop the addresses with nothing recent (or, failing that,
        the oldest half); blocked ones stay blocked meanwhile."""
        stale = [a for a, seen in self._failures.items() if now - seen[-1] > self.window]
        for address in stale or list(self._failures)[: len(self._failures) // 2]:
            del self._failures[address]


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


class InvitationDesk:
    """The invitations of one classroom: made, listed and revoked by
    instructors, checked when a link or pass is used, and the sockets each
    one opened, ended with it."""

    def __init__(
        self,
        store: InvitationStore,
        secret: bytes,
        base_url: str,
        *,
        default_guests: int = 40,
        max_seconds: float = 7 * 86400.0,
        clock: Callable[[], float] = time.time,
        attempts: Attempts | None = None,
    ) -> None:
        self.store = store
        self._secret = secret
        self.base_url = base_url if base_url.endswith("/") else base_url + "/"
        self.default_guests = default_guests
        self.max_seconds = max_seconds
        self.clock = clock
        self.attempts = attempts or Attempts()
        self._holders: dict[str, set[Holder]] = {}
        self._timers: dict[str, asyncio.TimerHandle] = {}

    # -- signing ----------------------------------------------------------------------

    def _sign(self, *parts: str) -> str:
        message = "\0".join(parts).encode("utf-8")
        return _b64(hmac.new(self._secret, message, hashlib.sha256).digest())

    def token_of(self, invitation: StoredInvitation) -> str:
        expires = str(invitation.expires)
        return f"{invitation.id}.{expires}.{self._sign('invitation', invitation.id, expires)}"

    def pass_of(self, guest: StoredGuest) -> str:
        number = str(guest.number)
        return f"{guest.invitation}.{number}.{self._sign('pass', guest.invitation, number)}"

    def path_of(self, invitation: StoredInvitation) -> str:
        return f"{self.base_url}classroom/join/{self.token_of(invitation)}"

    def _signed(self, text: str, purpose: str, second: re.Pattern[str]) -> tuple[str, str] | None:
        """The two fields of a token or pass whose signature holds (None: not one of ours)."""
        if len(text) > MAX_TOKEN_LENGTH:
            return None
        parts = text.split(".")
        if len(parts) != 3:
            return None
        first, value, signature = parts
        if not (
            _ID.fullmatch(first) and second.fullmatch(value) and _SIGNATURE.fullmatch(signature)
        ):
            return None
        if not hmac.compare_digest(signature, self._sign(purpose, first, value)):
            return None
        return first, value

    # -- instructors --------------------------------------------------------------------

    @staticmethod
    def require_instructor(identity: Identity, request_id: int | None) -> None:
        if identity.role != "instructor":
            raise ProtocolError(
                ErrorCode.FORBIDDEN, "Only an instructor may invite people.", request_id
            )

    def create(
        self,
        by: Identity,
        role: protocol.Role,
        expires_in: float,
        max_guests: int | None,
        label: str | None,
        request_id: int | None = None,
    ) -> protocol.InvitationInfo:
        """A new invitation (``bad_invitation`` for what cannot be used)."""
        self.require_instructor(by, request_id)
        if not (MIN_EXPIRY <= expires_in <= self.max_seconds):
            raise ProtocolError(
                ErrorCode.BAD_INVITATION,
                f"An invitation lasts between {MIN_EXPIRY:g} second and "
                f"{self.max_seconds:g} seconds (the server's invitation_max_seconds).",
                request_id,
            )
        guests = self.default_guests if max_guests is None else max_guests
        if not (1 <= guests <= protocol.MAX_INVITATION_GUESTS):
            raise ProtocolError(
                ErrorCode.BAD_INVITATION,
                f"An invitation admits between 1 and {protocol.MAX_INVITATION_GUESTS} guests.",
                request_id,
            )
        now = self.clock()
        if len(self.current(now)) >= MAX_CURRENT_INVITATIONS:
            raise ProtocolError(
                ErrorCode.BAD_INVITATION,
                f"There are {MAX_CURRENT_INVITATIONS} current invitations: revoke some first.",
                request_id,
            )
        text = " ".join((label or "").split())[: protocol.MAX_INVITATION_LABEL] or None
        while True:
            invitation_id = secrets.token_hex(5)
            if invitation_id not in self.store.invitations:
                break
        invitation = StoredInvitation(
            id=invitation_id,
            role=role,
            created=now,
            expires=math.ceil(now + expires_in),
            max_guests=guests,
            label=text,
            created_by=by.username,
        )
        self.store.add(invitation)
        log.info(
            "classroom: %s invited up to %d %ss until %s (invitation %s)",
            by.username,
            guests,
            role,
            time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(invitation.expires)),
            invitation_id,
        )
        return self.info(invitation)

    def current(self, now: float | None = None) -> list[StoredInvitation]:
        """Invitations neither revoked nor expired, newest first."""
        now = self.clock() if now is None else now
        live = [
            i for i in self.store.invitations.values() if i.revoked is None and i.expires > now
        ]
        return sorted(live, key=lambda i: i.created, reverse=True)

    def info(self, invitation: StoredInvitation) -> protocol.InvitationInfo:
        return protocol.InvitationInfo(
            id=invitation.id,
            path=self.path_of(invitation),
            role=invitation.role,
            expires=float(invitation.expires),
            guests=len(invitation.guests),
            max_guests=invitation.max_guests,
            online=len(self._holders.get(invitation.id, ())),
            label=invitation.label,
            created_by=invitation.created_by,
            revoked=invitation.revoked is not None,
        )

    def revoke(
        self, by: Identity, invitation_id: str, request_id: int | None = None
    ) -> protocol.InvitationInfo:
        """End an invitation now: its link and passes open nothing more and
        every socket they opened is closed."""
        self.require_instructor(by, request_id)
        invitation = self.store.invitations.get(invitation_id)
        if invitation is None or invitation.revoked is not None:
            raise ProtocolError(
                ErrorCode.UNKNOWN_INVITATION,
                f"No current invitation has the id {invitation_id!r}.",
                request_id,
            )
        self.store.revoke(invitation_id)
        log.info("classroom: %s revoked invitation %s", by.username, invitation_id)
        self._end(invitation_id, "invitation revoked")
        return self.info(invitation)

    # -- links and passes -------------------------------------------------------------------

    def _refuse_unknown(self, address: str, what: str) -> Refusal:
        self.attempts.failed(address)
        if self.attempts.blocked(address) or self.attempts.swamped():
            return self._too_many()
        return Refusal(403, ErrorCode.INVITATION_INVALID, f"This {what} is not valid here.")

    @staticmethod
    def _too_many() -> Refusal:
        return Refusal(
            429,
            ErrorCode.TOO_MANY_ATTEMPTS,
            "Too many links or passes that did not work came from here: try again later.",
        )

    def _usable(self, invitation: StoredInvitation) -> StoredInvitation:
        if invitation.revoked is not None:
            raise Refusal(403, ErrorCode.INVITATION_REVOKED, "This invitation was revoked.")
        if invitation.expires <= self.clock():
            raise Refusal(410, ErrorCode.INVITATION_EXPIRED, "This invitation has expired.")
        return invitation

    def invitation_for(self, token: str, address: str) -> StoredInvitation:
        """The invitation a link's ``token`` stands for, still usable; else :class:`Refusal`."""
        if self.attempts.blocked(address):
            raise self._too_many()
        fields = self._signed(token, "invitation", _NUMBER)
        invitation = self.store.invitations.get(fields[0]) if fields else None
        if fields is None or invitation is None or str(invitation.expires) != fields[1]:
            raise self._refuse_unknown(address, "invitation link")
        return self._usable(invitation)

    def admit(self, invitation: StoredInvitation, name: str, color: str) -> str:
        """A new guest of ``invitation`` under this (checked) name and colour: their pass."""
        self._usable(invitation)
        if len(invitation.guests) >= invitation.max_guests:
            raise Refusal(
                409,
                ErrorCode.INVITATION_FULL,
                f"This invitation admitted as many people as it may ({invitation.max_guests}).",
            )
        guest = self.store.add_guest(invitation, name, color)
        log.info("classroom: guest %d of invitation %s admitted", guest.number, invitation.id)
        return self.pass_of(guest)

    def guest_for(self, guest_pass: str, address: str) -> tuple[StoredInvitation, StoredGuest]:
        """The guest a pass stands for, with its invitation (which may have
        ended: see :meth:`ended`); else :class:`Refusal`."""
        if self.attempts.blocked(address):
            raise self._too_many()
        fields = self._signed(guest_pass, "pass", _NUMBER)
        invitation = self.store.invitations.get(fields[0]) if fields else None
        guest = invitation.guests.get(int(fields[1])) if fields and invitation else None
        if invitation is None or guest is None:
            raise self._refuse_unknown(address, "guest pass")
        return invitation, guest

    def ended(self, invitation: StoredInvitation) -> Refusal | None:
        """Why ``invitation`` admits nobody any more (None: it does)."""
        try:
            self._usable(invitation)
        except Refusal as refusal:
            return refusal
        return None

    @staticmethod
    def identity_of(invitation: StoredInvitation, guest: StoredGuest) -> Identity:
        """Who a guest is in the classroom: a username no Jupyter user has,
        the name and colour they chose, the invitation's role, no avatar."""
        identity = Identity.from_host(
            username=f"guest:{invitation.id}:{guest.number}",
            name=guest.name,
            color=guest.color,
            role=invitation.role,
            named_by_host=True,
        )
        return dataclasses.replace(identity, guest=True)

    # -- what each invitation opened ------------------------------------------------------

    def hold(self, invitation: StoredInvitation, holder: Holder) -> None:
        """``holder`` was opened by a pass of ``invitation``: it ends with it."""
        holders = self._holders.setdefault(invitation.id, set())
        holders.add(holder)
        if invitation.id not in self._timers:
            delay = max(0.0, invitation.expires - self.clock())
            loop = asyncio.get_running_loop()
            self._timers[invitation.id] = loop.call_later(
                delay, self._end, invitation.id, "invitation expired"
            )

    def let_go(self, invitation_id: str, holder: Holder) -> None:
        holders = self._holders.get(invitation_id)
        if holders is None:
            return
        holders.discard(holder)
        if not holders:
            del self._holders[invitation_id]
            timer = self._timers.pop(invitation_id, None)
            if timer is not None:
                timer.cancel()

    def _end(self, invitation_id: str, reason: str) -> None:
        timer = self._timers.pop(invitation_id, None)
        if timer is not None:
            timer.cancel()
        for holder in list(self._holders.pop(invitation_id, ())):
            try:
                holder.end(protocol.CLOSE_INVITATION_ENDED, reason)
            except Exception:  # one socket's failure must not keep the others open
                log.exception("classroom: ending a guest's socket failed")

    def close(self) -> None:
        """Stop the expiry timers and close the store (the service closes the
        sockets). Idempotent."""
        for timer in self._timers.values():
            timer.cancel()
        self._timers.clear()
        self._holders.clear()
        self.store.close()
