"""What the relay sends a viewer over the media socket follows what its page
shows (``shown``): a hidden tile gets no frames, a tile shown again starts at
a key frame, a small tile gets the small layer, and videos the report does
not concern go on: an open-floor neighbour's, and any the page has no tile
for yet (its page makes one when the first frame comes)."""

from __future__ import annotations

from jupyter_classroom import protocol
from jupyter_classroom.classroom import TrackKey
from jupyter_classroom.protocol import TrackSource
from jupyter_classroom.protocol.frames import FrameHeader
from jupyter_classroom.sfu.relay import MediaRelay

from ..harness import FakeClock

CAMERA, AUDIO = protocol.FRAME_KIND_CAMERA, protocol.FRAME_KIND_AUDIO
SMALL, LARGE = protocol.FRAME_LAYER_SMALL, protocol.FRAME_LAYER_LARGE


class Sink:
    """A viewer's socket that takes everything: what reached it, by sender's number."""

    def __init__(self) -> None:
        self.frames: list[FrameHeader] = []

    def send_frame(self, frame: bytes) -> None:
        self.frames.append(protocol.parse_header(frame))

    def backlog(self) -> int:
        return 0

    def end(self, code: int, reason: str) -> None:
        pass

    def of(self, number: int, kind: int) -> list[FrameHeader]:
        return [h for h in self.frames if h.source == number and h.kind == kind]


NUMBERS = {"a": 1, "b": 2, "c": 3, "v": 9}
#: Where everyone is: a, b and the viewer at a table, c on the open floor.
ROOMS: dict[str, str | None] = {"a": "t5", "b": "t5", "c": None, "v": "t5"}


class Table:
    """Senders a and b at the viewer's table (its room), c elsewhere (an
    open-floor neighbour, say), each with a microphone and a two-layer camera."""

    def __init__(self) -> None:
        self.clock = FakeClock()
        self.asked: list[tuple[str, int, int]] = []
        self.relay = MediaRelay(
            lambda sender, kind, layer: self.asked.append((sender, kind, layer)), clock=self.clock
        )
        self.sink = Sink()
        self.relay.attach("v", self.sink)
        sources: tuple[TrackSource, ...] = ("microphone", "camera")
        tracks = {(s, source) for s in "abc" for source in sources}
        self.relay.update({"v": frozenset(tracks)}, NUMBERS, ROOMS)
        self.room = frozenset(t for t in tracks if t[0] in "ab")
        self.sequence = 0

    def show(self, **sizes: tuple[int, int]) -> None:
        self.relay.set_shown("v", self.room, {(s, "camera"): size for s, size in sizes.items()})

    def send(self, sender: str, kind: int, layer: int = 0, key: bool = False) -> None:
        self.clock.advance(0.02)
        self.sequence += 1
        ts = int(self.clock() * 1e6)
        header = FrameHeader(kind, layer, key, 0, ts, self.sequence)
        self.relay.receive(sender, header.pack() + b"x")

    def camera(self, sender: str, key: bool = False) -> None:
        """One frame of both layers, as a page sends them."""
        for layer in (SMALL, LARGE):
            self.send(sender, CAMERA, layer, key)

    def tiles(self) -> None:
        """Every camera's first frames reach the viewer: its page has tiles for them."""
        for sender in "abc":
            self.camera(sender, key=True)
        self.sink.frames.clear()


def test_a_hidden_tile_gets_no_frames_and_its_voice_goes_on() -> None:
    t = Table()
    t.tiles()
    t.show(a=(640, 368))
    for sender in "abc":
        t.camera(sender, key=True)
        t.send(sender, AUDIO)
    # a's camera (shown) and c's (not in the report: not the room's) come,
    # the large layer; b's does not.
    assert [h.layer for h in t.sink.of(1, CAMERA)] == [LARGE]
    assert t.sink.of(2, CAMERA) == []
    assert [h.layer for h in t.sink.of(3, CAMERA)] == [LARGE]
    assert all(len(t.sink.of(n, AUDIO)) == 1 for n in (1, 2, 3))
    assert t.relay.counters.video_unshown == 2  # both of b's layers


def test_a_video_the_page_has_no_tile_for_yet_is_sent() -> None:
    t = Table()
    t.show()  # before any frame: the page has no tiles, and shows none
    t.camera("b", key=True)
    assert t.sink.of(2, CAMERA)[-1].layer == LARGE
    t.show()  # now it has b's tile, and hides it
    t.camera("b", key=True)
    assert len(t.sink.of(2, CAMERA)) == 2
    # b walks away and comes back: its page dropped the tile, and makes a new one.
    plan = t.relay.plan["v"]
    t.relay.update({"v": frozenset(k for k in plan if k[0] != "b")}, NUMBERS, ROOMS | {"b": None})
    t.relay.update({"v": plan}, NUMBERS, ROOMS)
    t.camera("b", key=True)
    assert len(t.sink.of(2, CAMERA)) == 3


def test_a_camera_turned_off_and_on_in_the_room_stays_hidden() -> None:
    """The page keeps its tile of someone in its room while their camera is
    off: the report that hides it still stands when it comes back."""
    t = Table()
    t.tiles()
    t.show()  # b's tile hidden
    plan = t.relay.plan["v"]
    t.relay.update({"v": plan - {("b", "camera")}}, NUMBERS, ROOMS)
    t.relay.update({"v": plan}, NUMBERS, ROOMS)
    t.camera("b", key=True)
    assert t.sink.of(2, CAMERA) == []
    assert t.relay.watched_layers(("b", "camera")) == set()


def test_a_tile_shown_again_starts_at_a_key_frame() -> None:
    t = Table()
    t.tiles()
    sent = 0
    t.show()  # nothing shown
    t.camera("b")
    t.show(b=(640, 368))
    # A delta frame after the pause is not sent: the relay asks b for a key frame.
    t.camera("b")
    assert len(t.sink.of(2, CAMERA)) == sent
    assert ("b", CAMERA, LARGE) in t.asked
    t.camera("b", key=True)
    headers = t.sink.of(2, CAMERA)
    assert len(headers) == sent + 1 and headers[-1].key and headers[-1].layer == LARGE


def test_a_small_tile_gets_the_small_layer_and_a_large_one_the_large() -> None:
    t = Table()
    t.tiles()
    t.show(a=(160, 96), b=(640, 368))
    for _ in range(3):
        t.camera("a", key=True)
        t.camera("b", key=True)
    assert {h.layer for h in t.sink.of(1, CAMERA)} == {SMALL}
    assert {h.layer for h in t.sink.of(2, CAMERA)} == {LARGE}
    # The tile grows (a layout change): the large layer from its next key frame.
    t.show(a=(640, 368), b=(640, 368))
    t.camera("a")
    t.camera("a", key=True)
    assert t.sink.of(1, CAMERA)[-1].layer == LARGE


def test_a_screen_in_a_small_tile_keeps_its_only_layer() -> None:
    t = Table()
    screen: TrackKey = ("a", "screen_share")
    t.relay.update({"v": t.relay.plan["v"] | {screen}}, NUMBERS, ROOMS)
    t.send("a", protocol.FRAME_KIND_SCREEN, LARGE, key=True)
    t.relay.set_shown("v", t.room | {screen}, {screen: (0, 0)})
    t.send("a", protocol.FRAME_KIND_SCREEN, LARGE)
    t.send("a", protocol.FRAME_KIND_SCREEN, LARGE)
    assert len(t.sink.of(1, protocol.FRAME_KIND_SCREEN)) == 3


def test_a_new_socket_is_sent_everything_until_its_page_says_what_it_shows() -> None:
    t = Table()
    t.tiles()
    t.show()
    t.relay.detach("v", t.sink)
    again = Sink()
    t.relay.attach("v", again)
    t.camera("b", key=True)
    assert again.of(2, CAMERA)[-1].layer == LARGE


def test_the_layers_watched_follow_the_tiles_and_the_sockets() -> None:
    t = Table()
    t.tiles()
    assert t.relay.watched_layers(("a", "camera")) == {SMALL, LARGE}
    t.show(a=(160, 96))
    assert t.relay.watched_layers(("a", "camera")) == {SMALL}
    t.show()
    assert t.relay.watched_layers(("a", "camera")) == set()
    # c's camera is not the room's: the report says nothing of it.
    assert t.relay.watched_layers(("c", "camera")) == {SMALL, LARGE}
    t.relay.detach("v", t.sink)
    assert t.relay.watched_layers(("c", "camera")) == set()
