"""UDP probes: whether a page that sends its media through the server could
use WebRTC again.

A page falls back to the media socket when ICE does not connect; in a room
the room's connection, which the SFU keeps offering, shows when UDP passes
again, but on the open floor nothing would. So such a page asks now and
then for a probe: a connection with the server carrying nothing but a data
channel, on the same ICE addresses and candidate rules as the SFU's own
connections. It is closed once it connects (a second later, so the page
sees it connected too) or after :data:`PROBE_TIMEOUT`, whatever happens;
each participant has at most one at a time and one per
:attr:`UdpProbes.interval`.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import time
from collections.abc import Callable

from aiortc import RTCConfiguration, RTCPeerConnection, RTCSessionDescription

from .. import protocol
from ..protocol import ErrorCode, ProtocolError
from . import aiortc_release
from .connection import announce_public_address, checked_answer
from .router import SfuSettings

log = logging.getLogger(__name__)

#: Seconds a probe may take, from the request to connected, before it is closed.
PROBE_TIMEOUT = 15.0
#: Seconds a connected probe stays open, so the page's end sees it connected.
CONNECTED_GRACE = 1.0
#: Seconds between one participant's probes.
PROBE_INTERVAL = 60.0


class Probe:
    """The server's end of one probe."""

    def __init__(self, participant: str, number: int, owner: UdpProbes) -> None:
        self.participant = participant
        self.number = number
        self.owner = owner
        settings = owner.settings
        self.allowed_candidate_networks = settings.allowed_candidate_networks
        self.max_candidates = settings.max_candidates
        # No ICE servers, as for the SFU's connections: the server offers its
        # own addresses, the browser brings its TURN servers.
        self.pc = RTCPeerConnection(RTCConfiguration(iceServers=[]))
        self.pc.createDataChannel("probe")
        self.pc.on("connectionstatechange", self._on_state)
        self.connected = False
        self.closed = False
        self._answer: asyncio.Future[RTCSessionDescription] | None = None
        self._outcome: asyncio.Future[bool] | None = None
        self._task: asyncio.Task[None] | None = None

    def start(self, request_id: int | None) -> None:
        self._task = asyncio.ensure_future(self._run(request_id))

    async def _run(self, request_id: int | None) -> None:
        loop = asyncio.get_running_loop()
        self._answer = loop.create_future()
        self._outcome = loop.create_future()
        try:
            self.connected = await asyncio.wait_for(self._connect(request_id), self.owner.timeout)
            if self.connected:
                await asyncio.sleep(CONNECTED_GRACE)
        except (asyncio.TimeoutError, asyncio.CancelledError):
            pass
        except Exception as e:
            log.info("sfu: UDP probe of %s failed: %s", self.participant, e)
        finally:
            await self._close()

    async def _connect(self, request_id: int | None) -> bool:
        """Offer, wait for the answer, then for ICE and DTLS: whether they connected."""
        assert self._answer is not None and self._outcome is not None
        # aiortc gathers all its candidates here: they are in the SDP.
        await self.pc.setLocalDescription(await self.pc.createOffer())
        sdp = self.pc.localDescription.sdp
        public = self.owner.settings.public_address
        if public:
            sdp = announce_public_address(sdp, public)
        self.owner.send(
            self.participant,
            protocol.UdpProbeOffer(
                probe=self.number,
                description=protocol.SessionDescription("offer", sdp),
                id=request_id,
            ),
        )
        await self.pc.setRemoteDescription(await self._answer)
        return await self._outcome

    def answer(self, description: protocol.SessionDescription, request_id: int | None) -> None:
        """The page's answer; raises :class:`ProtocolError` when it cannot be applied
        (the probe waits on for a good one)."""
        if self._answer is None or self._answer.done():
            raise ProtocolError(
                ErrorCode.NO_CONNECTION, "That UDP probe has been answered already.", request_id
            )
        sdp, count = checked_answer(
            self.pc.localDescription.sdp,
            description,
            self.allowed_candidate_networks,
            "the UDP probe",
            request_id,
        )
        if count > self.max_candidates:
            raise ProtocolError(
                ErrorCode.TOO_MANY_CANDIDATES,
                f"A UDP probe takes at most {self.max_candidates} ICE candidates.",
                request_id,
            )
        self._answer.set_result(RTCSessionDescription(sdp=sdp, type="answer"))

    def _on_state(self) -> None:
        outcome = self._outcome
        if outcome is None or outcome.done():
            return
        state = self.pc.connectionState
        if state == "connected":
            outcome.set_result(True)
        elif state in ("failed", "closed"):
            outcome.set_result(False)

    def close(self) -> None:
        """End the probe now (its participant left); idempotent."""
        if self._task is not None and not self._task.done():
            self._task.cancel()

    async def wait_closed(self) -> None:
        if self._task is not None:
            await asyncio.gather(self._task, return_exceptions=True)

    async def _close(self) -> None:
        if self.closed:
            return
        self.closed = True
        try:
            await self.pc.close()
            # Freed by reference counting at once (see aiortc_release).
            aiortc_release.release(self.pc)
        except Exception:
            log.exception("sfu: closing a UDP probe failed")
        self.owner.probe_closed(self)


class UdpProbes:
    """Every participant's UDP probe."""

    def __init__(
        self,
        send: Callable[[str, object], None],
        settings: SfuSettings | None = None,
        clock: Callable[[], float] = time.monotonic,
        interval: float = PROBE_INTERVAL,
        timeout: float = PROBE_TIMEOUT,
    ) -> None:
        self.send = send
        self.settings = settings or SfuSettings()
        self.clock = clock
        self.interval = interval
        self.timeout = timeout
        #: The probe under way, by participant.
        self.probes: dict[str, Probe] = {}
        #: When each participant last asked for a probe (forgotten when they leave).
        self._asked: dict[str, float] = {}
        self._numbers = itertools.count(1)
        self._closed = False

    def request(self, pid: str, request_id: int | None) -> None:
        """Start a probe for ``pid``; raises :class:`ProtocolError` when they
        have one under way or had one less than :attr:`interval` ago."""
        if self._closed:
            raise ProtocolError(ErrorCode.NO_CONNECTION, "The server is stopping.", request_id)
        if pid in self.probes:
            raise ProtocolError(
                ErrorCode.RATE_LIMITED, "A UDP probe of yours is under way already.", request_id
            )
        now = self.clock()
        last = self._asked.get(pid)
        if last is not None and now - last < self.interval:
            raise ProtocolError(
                ErrorCode.RATE_LIMITED,
                f"One UDP probe every {self.interval:g} seconds: "
                f"ask again in {self.interval - (now - last):.0f} seconds.",
                request_id,
            )
        self._asked[pid] = now
        probe = self.probes[pid] = Probe(pid, next(self._numbers), self)
        probe.start(request_id)

    def answer(
        self,
        pid: str,
        number: int,
        description: protocol.SessionDescription,
        request_id: int | None,
    ) -> None:
        probe = self.probes.get(pid)
        if probe is None or probe.number != number or probe.closed:
            raise ProtocolError(
                ErrorCode.NO_CONNECTION, f"UDP probe {number} is not open.", request_id
            )
        probe.answer(description, request_id)

    def probe_closed(self, probe: Probe) -> None:
        if self.probes.get(probe.participant) is probe:
            del self.probes[probe.participant]
            if not self._closed:
                self.send(
                    probe.participant,
                    protocol.UdpProbeClosed(probe=probe.number, connected=probe.connected),
                )

    def forget(self, pid: str) -> None:
        """``pid`` left: their probe closes, their last request is forgotten."""
        self._asked.pop(pid, None)
        probe = self.probes.get(pid)
        if probe is not None:
            probe.close()

    async def close(self) -> None:
        """Close every probe. Idempotent."""
        self._closed = True
        probes = list(self.probes.values())
        for probe in probes:
            probe.close()
        await asyncio.gather(*(p.wait_closed() for p in probes), return_exceptions=True)
