"""The relay's choice for a viewer that cannot take everything: the small
layer, then no video until a key frame, at thresholds that follow the
viewer's own pace once its connection was seen full. A model of a socket
that drains at a fixed rate stands for the network (the real socket's
backlog is tested in tests/test_media_socket.py)."""

from __future__ import annotations

from jupyter_classroom import protocol
from jupyter_classroom.protocol.frames import FrameHeader
from jupyter_classroom.sfu.relay import MediaRelay

from ..harness import FakeClock

STEP = 0.02  # the audio frames' pace


class Link:
    """A viewer's socket that takes ``rate`` bytes a second, no more."""

    def __init__(self, clock: FakeClock, rate: float) -> None:
        self.clock = clock
        self.rate = rate
        self.queued = 0.0
        self.at = clock()
        self.audio = 0
        self.video: list[int] = []

    def _drain(self) -> None:
        now = self.clock()
        self.queued = max(0.0, self.queued - (now - self.at) * self.rate)
        self.at = now

    def send_frame(self, frame: bytes) -> None:
        self._drain()
        self.queued += len(frame)
        header = protocol.parse_header(frame)
        if header.kind == protocol.FRAME_KIND_AUDIO:
            self.audio += 1
        else:
            self.video.append(header.layer)

    def backlog(self) -> int:
        self._drain()
        return int(self.queued)

    def end(self, code: int, reason: str) -> None:
        pass


def run(relay: MediaRelay, clock: FakeClock, link: Link, seconds: float) -> list[int]:
    """One sender's audio (50 a second), and a camera at two layers (25 a
    second, a key frame every 2 s); the backlog seen at each audio frame."""
    seen = []
    sequence = {0: 0, 1: 0}
    frames = int(seconds / STEP)
    for i in range(frames):
        clock.advance(STEP)
        ts = int(clock() * 1e6)
        relay.receive(
            "s", FrameHeader(protocol.FRAME_KIND_AUDIO, 0, True, 0, ts, i).pack() + bytes(100)
        )
        if i % 2 == 0:
            key = i % 100 == 0
            for layer, size in ((0, 900), (1, 2700)):
                body = bytes(size * (8 if key else 1))
                header = FrameHeader(
                    protocol.FRAME_KIND_CAMERA, layer, key, 0, ts, sequence[layer]
                )
                sequence[layer] += 1
                relay.receive("s", header.pack() + body)
        seen.append(link.backlog())
    return seen


def relay_to(rate: float) -> tuple[MediaRelay, FakeClock, Link]:
    clock = FakeClock()
    relay = MediaRelay(lambda sender, kind, layer: None, clock=clock)
    link = Link(clock, rate)
    relay.attach("v", link)
    relay.update({"v": frozenset({("s", "microphone"), ("s", "camera")})}, {"s": 7, "v": 8}, {})
    return relay, clock, link


def test_a_slow_viewer_keeps_all_its_sound_and_little_waits_before_it() -> None:
    # 300 kbit/s: the large layer (~1 Mbit/s with its key frames) cannot pass.
    relay, clock, link = relay_to(37_500)
    seen = run(relay, clock, link, 30)
    assert link.audio == 1500  # every audio frame went out
    pace = relay._paces["v"].rate
    assert pace is not None and 30_000 < pace < 45_000
    small, drop = relay.thresholds("v")
    assert small < relay.settings.small_above and drop < relay.settings.drop_video_above
    # After the first seconds, what waits before the next sound stays under
    # a second at the viewer's pace (it was 2-4 s with the byte thresholds).
    assert max(seen[500:]) / 37_500 < 1.0, max(seen[500:])
    assert link.video[-50:].count(0) > 40  # the small layer


def test_a_fast_viewer_gets_the_large_layer_and_is_never_measured() -> None:
    relay, clock, link = relay_to(10_000_000)
    run(relay, clock, link, 10)
    assert link.audio == 500
    assert relay._paces["v"].rate is None
    assert relay.thresholds("v") == (relay.settings.small_above, relay.settings.drop_video_above)
    assert set(link.video[10:]) == {1}


def test_a_viewer_is_told_which_videos_wait_for_its_socket_and_when_they_flow_again() -> None:
    # 80 kbit/s: the voice passes, the camera does not even at its small layer.
    relay, clock, link = relay_to(10_000)
    told: list[tuple[str, frozenset[tuple[str, str]]]] = []
    relay.on_held = lambda viewer, held: told.append((viewer, held))
    run(relay, clock, link, 10)
    assert link.audio == 500
    assert told[0] == ("v", frozenset({("s", "camera")}))
    assert relay.held("v") == frozenset({("s", "camera")})
    # Told once, not at every key frame that squeezes through.
    assert len(told) == 1, told
    # The link is fast again: the camera flows from its next key frame, and
    # once it has for held_release the viewer is told it is back.
    link.rate = 10_000_000
    run(relay, clock, link, 2 + relay.settings.held_release + 0.5)
    assert told[1:] == [("v", frozenset())]
    assert relay.held("v") == frozenset()
