"""The congestion decisions for one viewer (``sfu/congestion.py``): sequences
of receiver reports and estimates in, pauses and restarts out."""

from __future__ import annotations

import gc
import time
import weakref

import pytest
from aiortc import RTCConfiguration, RTCPeerConnection

from jupyter_classroom.sfu import aiortc_hooks
from jupyter_classroom.sfu.congestion import (
    BAD_REPORTS,
    ESTIMATE_GRACE,
    HOLD_FIRST,
    HOLD_MAX,
    LOSS_LIMIT,
    LOW_ESTIMATE_FOR,
    STABLE,
    Change,
    CongestionControl,
    ViewerLink,
)
from jupyter_classroom.sfu.forwarding import Slot

from ..harness import until

BAD = 64  # a quarter of the packets lost
GOOD = 0


def pauses(changes: list[Change[str]]) -> list[tuple[str, str]]:
    return [(c.key, c.reason) for c in changes if c.paused]


def resumes(changes: list[Change[str]]) -> list[str]:
    return [c.key for c in changes if not c.paused]


def test_two_bad_reports_in_a_row_pause_that_video_and_only_it() -> None:
    link: ViewerLink[str] = ViewerLink()
    assert link.report("cam", "video", BAD, 0.0) == []
    assert link.report("screen", "video", GOOD, 0.5) == []
    changes = link.report("cam", "video", BAD, 1.0)
    assert pauses(changes) == [("cam", "loss")] and changes[0].hold == HOLD_FIRST
    assert link.paused("cam") and not link.paused("screen")
    assert link.pauses == 1


def test_a_single_bad_report_or_loss_at_the_limit_pauses_nothing() -> None:
    link: ViewerLink[str] = ViewerLink()
    for t in range(20):
        # Bad, good, bad, good...: never two in a row.
        assert link.report("cam", "video", BAD if t % 2 else GOOD, float(t)) == []
    for t in range(20, 40):
        assert link.report("cam", "video", LOSS_LIMIT, float(t)) == []
    assert link.pauses == 0


def test_audio_is_never_paused_whatever_its_reports_say() -> None:
    link: ViewerLink[str] = ViewerLink()
    for t in range(50):
        assert link.report("mic", "audio", 255, float(t)) == []
    assert not link.paused("mic")
    # Nor by a low estimate: a viewer that receives only audio keeps it.
    for second in range(50):
        sent = {"mic": ("audio", second * 6000)}
        assert link.estimate(1000, {"mic"}, sent, float(second)) == []
    assert link.pauses == 0


def test_a_paused_video_comes_back_after_its_hold_with_good_reports() -> None:
    link: ViewerLink[str] = ViewerLink()
    link.report("cam", "video", BAD, 0.0)
    link.report("cam", "video", BAD, 1.0)  # paused at 1.0
    # A paused video's own reports lose nothing (nothing is sent to it).
    assert link.report("cam", "video", GOOD, 2.0) == []
    changes = link.report("cam", "video", GOOD, 1.0 + HOLD_FIRST)
    assert resumes(changes) == ["cam"] and changes[0].reason == "recovered"
    assert not link.paused("cam") and link.resumes == 1


def test_the_links_other_streams_losing_hold_a_paused_video_back() -> None:
    link: ViewerLink[str] = ViewerLink()
    link.report("cam", "video", BAD, 0.0)
    link.report("cam", "video", BAD, 1.0)
    # The audio still loses a quarter at 2.5: the hold starts again from there.
    assert link.report("mic", "audio", BAD, 2.5) == []
    assert link.report("mic", "audio", GOOD, 1.0 + HOLD_FIRST) == []
    assert link.report("cam", "video", GOOD, 2.4 + HOLD_FIRST) == []
    assert resumes(link.report("mic", "audio", GOOD, 2.5 + HOLD_FIRST)) == ["cam"]


def test_the_hold_doubles_while_the_link_stays_bad_and_resets_once_it_is_good() -> None:
    link: ViewerLink[str] = ViewerLink()
    now = 0.0
    holds = []
    for _ in range(6):
        changes: list[Change[str]] = []
        for _ in range(BAD_REPORTS):
            now += 1.0
            changes += link.report("cam", "video", BAD, now)
        (pause,) = changes
        holds.append(pause.hold)
        now += pause.hold
        assert resumes(link.report("cam", "video", GOOD, now)) == ["cam"]
    assert holds == [2.0, 4.0, 8.0, 16.0, 16.0, 16.0]
    assert HOLD_MAX == 16.0 and HOLD_FIRST == 2.0
    # A video that flowed well for a while starts from the first hold again.
    now += STABLE
    link.report("cam", "video", BAD, now)
    (pause,) = link.report("cam", "video", BAD, now + 1.0)
    assert pause.hold == HOLD_FIRST


def test_a_low_estimate_for_long_enough_pauses_the_fastest_video_first() -> None:
    link: ViewerLink[str] = ViewerLink()

    # Per second: the camera 600 kbit/s, the screen 200, the voice 40 (the
    # estimate names the videos: the voice has no abs-send-time).
    videos = {"cam", "screen"}

    def sent(t: float) -> dict[str, tuple[str, int]]:
        return {
            "cam": ("video", int(t * 75_000)),
            "screen": ("video", int(t * 25_000)),
            "mic": ("audio", int(t * 5_000)),
        }

    # Enough for everything: nothing happens.
    for second in range(10):
        assert link.estimate(1_000_000, videos, sent(second), float(second)) == []
    # The link carries 400 kbit/s: after LOW_ESTIMATE_FOR the camera goes.
    changes: list[Change[str]] = []
    t = 10.0
    while not changes:
        changes = link.estimate(400_000, videos, sent(t), t)
        t += 0.5
    assert pauses(changes) == [("cam", "estimate")]
    assert t - 0.5 - 10.0 >= LOW_ESTIMATE_FOR
    # What is left (the screen: 200 kbit/s) fits in 400.
    for _ in range(20):
        assert link.estimate(400_000, videos, sent(t), t) == []
        t += 0.5
    assert not link.paused("screen")


def test_an_estimate_is_compared_with_the_streams_it_names() -> None:
    link: ViewerLink[str] = ViewerLink()

    # Per second: the camera 600 kbit/s, the screen 200, the voice 400 (more
    # than is usual, to show it is left out when the estimate names it not).
    def sent(t: float) -> dict[str, tuple[str, int]]:
        return {
            "cam": ("video", int(t * 75_000)),
            "screen": ("video", int(t * 25_000)),
            "mic": ("audio", int(t * 50_000)),
        }

    # aiortc's receivers estimate one stream each, in turn: the camera's
    # link carries 500 of its 600 kbit/s (over 0.7), the screen's 150 of its
    # 200 (over 0.7 too). Nothing is paused, however long.
    t = 0.0
    while t < 30.0:
        assert link.estimate(500_000, {"cam"}, sent(t), t) == []
        assert link.estimate(150_000, {"screen"}, sent(t), t) == []
        t += 0.5
    # The screen's estimate stays low (100 of 200), the camera's does not
    # (reset in between): the screen goes, though it is the slower video.
    changes: list[Change[str]] = []
    start = t
    while not changes:
        assert link.estimate(500_000, {"cam"}, sent(t), t) == []
        changes = link.estimate(100_000, {"screen"}, sent(t), t)
        t += 0.5
    assert pauses(changes) == [("screen", "estimate")] and t - 0.5 - start >= LOW_ESTIMATE_FOR
    assert not link.paused("cam")


def test_a_short_dip_of_the_estimate_pauses_nothing() -> None:
    link: ViewerLink[str] = ViewerLink()
    for i in range(40):
        t = i * 0.5
        # An overuse: 0.3 of the rate for a second, every five seconds.
        estimate = 200_000 if i % 10 in (3, 4) else 900_000
        assert link.estimate(estimate, {"cam"}, {"cam": ("video", int(t * 75_000))}, t) == []


def test_the_estimate_is_not_read_just_after_a_video_starts_again() -> None:
    link: ViewerLink[str] = ViewerLink()
    link.report("cam", "video", BAD, 0.0)
    link.report("cam", "video", BAD, 1.0)
    link.report("cam", "video", GOOD, 1.0 + HOLD_FIRST)  # back at 3.0
    assert not link.paused("cam")
    # While paused the viewer's estimate fell to what it got: it is ignored
    # for a while after the video starts again.
    t = 3.0
    while t < 3.0 + ESTIMATE_GRACE:
        assert link.estimate(10_000, {"cam"}, {"cam": ("video", int(t * 75_000))}, t) == []
        t += 0.5
    changes: list[Change[str]] = []
    while not changes:
        changes = link.estimate(10_000, {"cam"}, {"cam": ("video", int(t * 75_000))}, t)
        t += 0.5
    assert pauses(changes) == [("cam", "estimate")]
    # Back within STABLE: the hold doubled.
    assert changes[0].hold == 2 * HOLD_FIRST


def test_a_hold_ends_on_time_without_a_report_unless_the_link_still_loses() -> None:
    link: ViewerLink[str] = ViewerLink()
    assert link.next_due() is None
    link.report("cam", "video", BAD, 0.0)
    link.report("cam", "video", BAD, 1.0)  # paused at 1.0
    assert link.next_due() == 1.0 + HOLD_FIRST
    assert link.due(0.9 + HOLD_FIRST) == []
    # The voice loses a quarter at 2.0: the hold ends later.
    link.report("mic", "audio", BAD, 2.0)
    assert link.next_due() == 2.0 + HOLD_FIRST
    assert link.due(1.0 + HOLD_FIRST) == []
    changes = link.due(2.0 + HOLD_FIRST)
    assert resumes(changes) == ["cam"] and changes[0].reason == "recovered"
    assert link.next_due() is None and link.resumes == 1


@pytest.mark.asyncio
async def test_the_control_pauses_a_slots_video_and_sends_it_again_with_no_report() -> None:
    # Real senders, not connected: the slots' RTCP comes from the test.
    pc = RTCPeerConnection(RTCConfiguration(iceServers=[]))
    try:
        slots: list[Slot] = []
        control = CongestionControl("bob", slots, time.monotonic)
        for kind in ("audio", "video"):
            transceiver = pc.addTransceiver(aiortc_hooks.ParkedTrack(kind), direction="sendonly")
            slots.append(Slot(kind, transceiver.sender, time.monotonic, feedback=control))
        voice, picture = slots
        for _ in range(BAD_REPORTS):
            voice.on_receiver_report(255)
            picture.on_receiver_report(BAD)
        assert picture.congested and not voice.congested
        # No report comes after (a browser stops reporting on a stream it has
        # not received for a while): the hold ends all the same.
        await until(lambda: not picture.congested, timeout=HOLD_FIRST + 10, what="the video back")
        assert control.link.resumes == 1 and not voice.congested

        # Paused again, then closed: the hold's timer lets go of the control.
        for _ in range(BAD_REPORTS):
            picture.on_receiver_report(BAD)
        assert picture.congested
        for slot in slots:
            slot.feedback = None  # as the connection does when it closes
        control.close()
        was = gc.isenabled()
        gc.disable()
        try:
            ref = weakref.ref(control)
            del control
            assert ref() is None
        finally:
            if was:
                gc.enable()
    finally:
        await pc.close()
