"""Congestion towards one viewer: when to stop sending them a video, and
when to try again. :class:`ViewerLink` makes the decisions, purely, over what
the viewer's RTCP says, with the time passed in; :class:`CongestionControl`
applies them to the slots of the viewer's room connection.

A WebRTC publisher sends one VP8 encoding (aiortc receives no simulcast),
and a VP8 frame refers to the one before it, so the only lighter thing a
viewer can be sent is no video at all: a video is paused for that viewer
and, when it starts again, starts at a key frame. Audio is never paused
here: the videos make room for the voices.

Two signals, as libwebrtc's sender reads them:

- receiver reports: the fraction of a video's packets lost since the
  viewer's last report (RFC 3550, out of 256), counted before any
  retransmission repaired them;
- REMB: the viewer's estimate of what its link carries of the streams it
  names: those with the abs-send-time extension, which the SFU negotiates
  for video only (as aiortc does), so an estimate is of videos; aiortc's own
  receiver makes one per stream, a browser one for all of them.

A paused video is tried again after a hold time in which the viewer's
reports stayed good; the hold doubles each time a video is paused again
soon after it started again (a link that is still bad), up to a limit.
"""

from __future__ import annotations

import asyncio
import logging
import math
from collections.abc import Callable, Collection, Hashable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Generic, Literal, TypeVar

if TYPE_CHECKING:
    from .forwarding import Slot

log = logging.getLogger(__name__)

#: A report losing more than this (of 256: 10 %) is bad. VP8 at this loss
#: is mostly frozen waiting for retransmissions and key frames anyway.
LOSS_LIMIT = 25
#: Bad reports in a row that pause a video: one can be a burst (another
#: application's download starting), two (1 to 3 s) are a link.
BAD_REPORTS = 2
#: An estimate below this share of what is sent to the viewer is a link
#: that carries less than it is sent. REMB's rate control starts at the
#: rate it received and answers each overuse with 0.85 times that rate, so
#: a healthy link's estimate dips to about 0.85 for a moment; it does not
#: stay below 0.7.
LOW_ESTIMATE = 0.7
#: Seconds the estimate must stay low before a video is paused (one video
#: per such stretch: the estimate says how much less, not which video).
LOW_ESTIMATE_FOR = 3.0
#: Seconds after a video starts again during which the estimate is not
#: read: while it was paused the viewer's estimate followed what it
#: received (less), and climbs back by about 8 % a second.
ESTIMATE_GRACE = 6.0
#: Seconds of rates measured at least (the estimate is compared with them).
RATE_WINDOW = 1.0
#: The first hold (seconds a video stays paused), doubled each time it is
#: paused again within STABLE of starting, up to HOLD_MAX: a link that stays
#: bad costs its viewer a key frame every HOLD_MAX seconds, not every two.
HOLD_FIRST = 2.0
HOLD_MAX = 16.0
#: Seconds a video must flow after starting again for its next pause to
#: count as a new trouble (the hold goes back to HOLD_FIRST).
STABLE = 20.0

Reason = Literal["loss", "estimate", "recovered"]
#: What a viewer's videos are known by (the SFU: their sending transceivers).
K = TypeVar("K", bound=Hashable)


@dataclass(frozen=True)
class Change(Generic[K]):
    """A video to pause or start again for this viewer."""

    key: K
    paused: bool
    reason: Reason
    #: The hold the pause lasts at least (seconds); for a restart, the one it had.
    hold: float


@dataclass
class _Video:
    paused: bool = False
    #: Bad reports in a row (of this video).
    bad: int = 0
    #: When the current hold began (the pause, or the last bad report since).
    held_since: float = 0.0
    hold: float = HOLD_FIRST
    resumed_at: float = -math.inf
    #: Octets sent when the rate was last measured, and the rate then (bit/s).
    octets: int = 0
    rate: float = 0.0


class ViewerLink(Generic[K]):
    """The congestion state of one viewer's connection: its videos (by any
    key, e.g. the sending transceiver) and its link's estimate."""

    def __init__(self) -> None:
        self._videos: dict[K, _Video] = {}
        self._audio: dict[K, tuple[int, float]] = {}
        self._measured_at: float | None = None
        #: Since when the estimate of these streams has been low (aiortc's
        #: receivers each estimate their own stream, in turn).
        self._low_since: dict[frozenset[K], float] = {}
        #: Pauses and restarts so far (each is logged as it happens).
        self.pauses = 0
        self.resumes = 0

    def paused(self, key: K) -> bool:
        video = self._videos.get(key)
        return video is not None and video.paused

    def report(self, key: K, kind: str, fraction_lost: int, now: float) -> list[Change[K]]:
        """A receiver report's block for one of the viewer's streams: of a
        video, it may pause that video; of any stream, a bad one holds every
        paused video longer (the link is still losing), and a good one may
        let those whose hold is over start again."""
        bad = fraction_lost > LOSS_LIMIT
        changes: list[Change[K]] = []
        if kind == "video":
            video = self._videos.setdefault(key, _Video())
            if not video.paused:
                video.bad = video.bad + 1 if bad else 0
                if video.bad >= BAD_REPORTS:
                    changes.append(self._pause(video, key, "loss", now))
        if bad:
            # A paused video's own reports lose nothing (nothing is sent):
            # the link's other streams say whether it still loses.
            for video in self._videos.values():
                if video.paused:
                    video.held_since = now
            return changes
        return changes + self.due(now)

    def due(self, now: float) -> list[Change[K]]:
        """The paused videos whose hold is over, started again. Reports
        call it; so must a timer: a viewer that receives nothing else may
        stop reporting on a video it has not received for a while (libwebrtc
        does after 8 s), and no news of the link is no bad news."""
        changes: list[Change[K]] = []
        for key, video in self._videos.items():
            if video.paused and now - video.held_since >= video.hold:
                video.paused = False
                video.bad = 0
                video.resumed_at = now
                self.resumes += 1
                changes.append(Change(key, False, "recovered", video.hold))
        return changes

    def next_due(self) -> float | None:
        """When the first paused video's hold ends as things stand (None:
        nothing is paused); a bad report before then puts it off."""
        ends = [v.held_since + v.hold for v in self._videos.values() if v.paused]
        return min(ends) if ends else None

    def estimate(
        self,
        bitrate: int,
        covers: Collection[K],
        sent: Mapping[K, tuple[str, int]],
        now: float,
    ) -> list[Change[K]]:
        """A REMB estimate (bit/s) of what the viewer's link carries of the
        streams it ``covers``, with the octets sent so far on each of the
        viewer's streams (kind, octets): when it stays below what those
        streams are sent, the one of their videos sent fastest is paused."""
        self._measure(sent, now)
        if self._measured_at is None or any(
            now - v.resumed_at < ESTIMATE_GRACE for v in self._videos.values()
        ):
            self._low_since.clear()
            return []
        named = frozenset(covers)
        videos = [(k, v) for k, v in self._videos.items() if k in named and not v.paused]
        flowing = [(v.rate, k) for k, v in videos if v.rate > 0]
        needed = sum(v.rate for _, v in videos)
        needed += sum(rate for k, (_, rate) in self._audio.items() if k in named)
        if not flowing or bitrate >= LOW_ESTIMATE * needed:
            self._low_since.pop(named, None)
            return []
        if now - self._low_since.setdefault(named, now) < LOW_ESTIMATE_FOR:
            return []
        self._low_since.clear()
        _, key = max(flowing, key=lambda item: item[0])
        return [self._pause(self._videos[key], key, "estimate", now)]

    def _measure(self, sent: Mapping[K, tuple[str, int]], now: float) -> None:
        at = self._measured_at
        if at is not None and now - at < RATE_WINDOW:
            return
        for key, (kind, octets) in sent.items():
            if kind == "video":
                video = self._videos.setdefault(key, _Video())
                if at is not None:
                    video.rate = max(0, octets - video.octets) * 8 / (now - at)
                video.octets = octets
            else:
                before = self._audio.get(key)
                rate = 0.0
                if at is not None and before is not None:
                    rate = max(0, octets - before[0]) * 8 / (now - at)
                self._audio[key] = (octets, rate)
        self._measured_at = now

    def _pause(self, video: _Video, key: K, reason: Reason, now: float) -> Change[K]:
        if now - video.resumed_at < STABLE:
            video.hold = min(HOLD_MAX, video.hold * 2)
        else:
            video.hold = HOLD_FIRST
        video.paused = True
        video.bad = 0
        video.held_since = now
        video.rate = 0.0
        self.pauses += 1
        return Change(key, True, reason, video.hold)


class CongestionControl:
    """The feedback of a viewer's slots (``forwarding.LinkFeedback``): their
    receiver reports and estimates decide, through a :class:`ViewerLink`,
    which slots are paused.

    Called from aiortc's receiving loop: a failure here is logged, not
    raised into it (it would end the connection).
    """

    def __init__(
        self,
        participant: str,
        slots: Sequence[Slot],
        clock: Callable[[], float],
        on_change: Callable[[], None] | None = None,
    ) -> None:
        self.participant = participant
        #: The connection's own list of slots, as it grows.
        self.slots = slots
        self.clock = clock
        #: Called after a video was paused or started again (to tell the viewer).
        self.on_change = on_change
        self.link: ViewerLink[Slot] = ViewerLink()
        #: Ends a hold that no report ends (see ViewerLink.due).
        self._timer: asyncio.TimerHandle | None = None
        self.closed = False

    def report(self, slot: Slot, fraction_lost: int) -> None:
        try:
            self._apply(self.link.report(slot, slot.kind, fraction_lost, self.clock()))
        except Exception:
            log.exception("sfu: reading %s's receiver report failed", self.participant)

    def estimate(self, slot: Slot, bitrate: int, ssrcs: list[int]) -> None:
        # Each slot the estimate names hands it on: the same decision, taken
        # again, changes nothing (the estimate must stay low for a while).
        try:
            covers = {s for s in self.slots if s.sender._ssrc in ssrcs}
            sent = {s: (s.kind, s.octets) for s in self.slots}
            self._apply(self.link.estimate(bitrate, covers, sent, self.clock()))
        except Exception:
            log.exception("sfu: reading %s's bitrate estimate failed", self.participant)

    def _apply(self, changes: list[Change[Slot]]) -> None:
        for change in changes:
            slot = change.key
            slot.set_congested(change.paused)
            consumer = slot.consumer
            key = consumer.producer.key if consumer is not None else None
            what = f"{key[0]}'s {key[1]}" if key is not None else "a video"
            if change.paused:
                log.info(
                    "sfu: %s's link is congested (%s): %s paused for them for %g s at least",
                    self.participant,
                    change.reason,
                    what,
                    change.hold,
                )
            else:
                log.info("sfu: %s's link recovered: %s sent again", self.participant, what)
        if changes and self.on_change is not None:
            self.on_change()
        if any(change.paused for change in changes):
            self._time_hold()

    def _time_hold(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        due = self.link.next_due()
        if due is not None and not self.closed:
            delay = max(0.0, due - self.clock())
            self._timer = asyncio.get_running_loop().call_later(delay, self._hold_over)

    def _hold_over(self) -> None:
        self._timer = None
        try:
            self._apply(self.link.due(self.clock()))
        except Exception:
            log.exception("sfu: ending a hold of %s's videos failed", self.participant)
        # Still paused (a bad report put the hold off): look again then.
        self._time_hold()

    def close(self) -> None:
        """The connection closed: no more decisions, no timer that keeps
        this (and the slots) alive until it fires, and no callback into the
        connection (a cycle that only a garbage collection would free).
        Idempotent."""
        self.closed = True
        self.on_change = None
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
