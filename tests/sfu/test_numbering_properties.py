"""Property-based tests of the numbering one subscriber sees: calls of any
length, starting near the 16-bit sequence and 32-bit timestamp wraps, with
loss, reordering, duplicates, late packets and source switches.

Each example is a whole call: hypothesis draws its shape (where numbers
start, how lossy and disordered the network is, which sources the slot
carries in turn and for how long) and a seed for the per-packet dice. A
model that knows every packet's true index checks what the SFU's code
(:class:`rtp.SeqUnwrapper` per producer, :class:`forwarding.PacketHistory`,
:class:`rtp.Numbering` per slot) does with the 16-bit numbers it sees.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from jupyter_classroom.sfu import rtp
from jupyter_classroom.sfu.forwarding import VIDEO_HISTORY, Forwarded, PacketHistory

CLOCK = 90000
#: Three packets a frame, 30 frames a second.
FRAME_TICKS = 3000
PACKETS_PER_SECOND = 90.0


def seq_of(source: Source, i: int) -> int:
    return (source.seq0 + i) & 0xFFFF


def ts_of(source: Source, i: int) -> int:
    return (source.ts0 + FRAME_TICKS * (i // 3)) & 0xFFFFFFFF


@dataclass
class Source:
    """One publisher's track as the server's producer sees it."""

    seq0: int
    ts0: int
    #: The index of the next packet the publisher sends.
    next: int = 0
    unwrapper: rtp.SeqUnwrapper = field(default_factory=rtp.SeqUnwrapper)
    history: PacketHistory = field(default_factory=lambda: PacketHistory(VIDEO_HISTORY))
    #: Extended number minus true index (constant if unwrapping is right).
    delta: int | None = None
    #: Indices that reached the server, and the highest.
    arrived: set[int] = field(default_factory=set)
    highest: int = -1

    def receive(self, i: int) -> int:
        """The producer's side of one arriving packet: its extended number."""
        ext = self.unwrapper.unwrap(seq_of(self, i))
        if self.delta is None:
            self.delta = ext - i
        assert ext - i == self.delta, "unwrapping lost track of the stream"
        self.history.put(Forwarded(ext, ts_of(self, i), 0, b"x", 0, False, None))
        self.arrived.add(i)
        self.highest = max(self.highest, i)
        return ext

    def skip(self, count: int) -> None:
        """Packets sent while the slot carried another source: the producer
        saw them (a few suffice for its unwrapper; the history is refilled
        before anything is asked of it)."""
        end = self.next + count
        i = self.next
        while i < end:
            self.receive(i)
            i += 5000
        self.next = end
        if count:
            self.receive(end - 1)


def arrivals(
    rng: random.Random, first: int, count: int, loss: float, window: int, dups: float
) -> list[int]:
    """The indices first..first+count-1 as they reach the server: some lost,
    some late by up to ``window`` places, some twice."""
    keyed = []
    for i in range(first, first + count):
        if rng.random() < loss:
            continue
        keyed.append((i + rng.random() * window, i))
        if rng.random() < dups:
            keyed.append((i + rng.random() * (window + 3), i))
    keyed.sort()
    return [i for _, i in keyed]


@dataclass
class Call:
    """What the model expects, and what it checked."""

    numbering: rtp.Numbering = field(default_factory=lambda: rtp.Numbering(CLOCK))
    #: The highest outgoing number sent (as a plain integer), and its timestamp.
    highest_out: int | None = None
    highest_ts: int = 0
    last_sent_at: float = 0.0
    now: float = 0.0
    packets: int = 0
    nacks: int = 0
    seq_wraps: int = 0
    ts_wraps: int = 0


def play_segment(
    call: Call,
    source: Source,
    rng: random.Random,
    count: int,
    loss: float,
    window: int,
    dups: float,
    late: int,
    pause: float,
) -> None:
    n = call.numbering
    n.switch()
    call.now += pause
    # Nothing of the new source is known yet: no NACK lookups, no sender reports.
    if call.highest_out is not None:
        assert n.source_seq(call.highest_out & 0xFFFF) is None
    assert n.sender_timestamp(12345) is None
    start = source.next
    order = arrivals(rng, start, count, loss, window, dups)
    if not order:
        source.next += count
        return
    # Late packets of this source's earlier turn arrive just after its first
    # packet of this one.
    earlier = [i for i in range(max(0, start - 40), start)]
    late_ones = rng.sample(earlier, min(late, len(earlier)))
    order[1:1] = late_ones
    first = order[0]
    previous_out = call.highest_out
    base_out = first + source.seq0 if previous_out is None else previous_out + 1
    first_ts = None
    last_out_seq = None
    in_order = loss == 0 and window <= 1 and dups == 0 and late == 0
    for k, i in enumerate(order):
        call.now += 1 / PACKETS_PER_SECOND
        ext = source.receive(i)
        ok = n.map(ext, ts_of(source, i), call.now)
        should_pass = i >= first
        assert ok == should_pass, (i, first, start)
        if not ok:
            continue
        call.packets += 1
        out = base_out + (i - first)
        assert n.seq == out & 0xFFFF
        if first_ts is None:
            first_ts = n.ts
            if previous_out is None:
                assert n.seq == seq_of(source, i) and n.ts == ts_of(source, i)
            else:
                # Follows on: one more than the last number, the time since
                # the last packet later than its timestamp (modulo the wrap).
                assert n.seq == (previous_out + 1) & 0xFFFF
                elapsed = max(1, int((call.now - call.last_sent_at) * CLOCK))
                assert rtp.ts_diff(n.ts, call.highest_ts) == elapsed > 0
        else:
            since_first = rtp.ts_diff(ts_of(source, i), ts_of(source, first))
            assert rtp.ts_diff(n.ts, first_ts) == since_first
        if in_order and last_out_seq is not None:
            assert n.seq == (last_out_seq + 1) & 0xFFFF
        last_out_seq = n.seq
        if call.highest_out is None or out > call.highest_out:
            if call.highest_out is not None:
                call.seq_wraps += (out >> 16) - (call.highest_out >> 16)
                call.ts_wraps += n.ts < call.highest_ts and rtp.ts_diff(n.ts, call.highest_ts) > 0
            call.highest_out = out
            call.highest_ts = n.ts
            call.last_sent_at = call.now
        if k % 37 == 0:
            check_nacks(call, source, rng, base_out, first, previous_out)
    source.next = max(source.next, start + count)
    # The publisher's sender report maps with the same offset as its packets.
    sr = rng.getrandbits(32)
    mapped = n.sender_timestamp(sr)
    assert mapped is not None and first_ts is not None
    assert rtp.ts_diff(mapped, first_ts) == rtp.ts_diff(sr, ts_of(source, first))


def check_nacks(
    call: Call,
    source: Source,
    rng: random.Random,
    base_out: int,
    first: int,
    previous_out: int | None,
) -> None:
    """A subscriber's NACKs name outgoing 16-bit numbers: each one of this
    source's turn leads back to its own packet in the history; anything
    else leads nowhere."""
    n = call.numbering
    assert call.highest_out is not None
    call.nacks += 1
    newest = call.highest_out - base_out + first
    j = rng.randint(max(first, newest - 900), newest)
    out = base_out + (j - first)
    ext = n.source_seq(out & 0xFFFF)
    assert source.delta is not None and ext == j + source.delta
    packet = source.history.get(ext)
    if j in source.arrived:
        assert packet is not None and packet.ts == ts_of(source, j)
    else:
        assert packet is None
    # Before this source's turn, and not sent yet: nothing.
    if previous_out is not None and call.highest_out - previous_out < 30_000:
        assert n.source_seq(previous_out & 0xFFFF) is None
        assert n.source_seq((previous_out - rng.randint(0, 500)) & 0xFFFF) is None
    assert n.source_seq((call.highest_out + 1 + rng.randint(0, 500)) & 0xFFFF) is None


near_seq_wrap = st.integers(0x10000 - 3000, 0xFFFF)
# At least a hundred frames before the timestamp wrap, so every call crosses it.
near_ts_wrap = st.integers(0x100000000 - 3000 * 3000, 0x100000000 - 3000 * 100)

segment = st.tuples(
    st.integers(0, 2),  # which source
    st.integers(1, 6000),  # packets in its turn
    st.sampled_from([0.0, 0.0, 0.01, 0.05, 0.2]),  # loss
    st.sampled_from([0, 1, 3, 10, 40]),  # reordering window
    st.sampled_from([0.0, 0.01, 0.05]),  # duplicates
    st.integers(0, 5),  # late packets of its last turn
    st.floats(0.0, 3.0),  # pause before it
    st.integers(0, 70_000),  # packets it sent while elsewhere
)


def play(sources: list[Source], segments, seed: int) -> Call:
    rng = random.Random(seed)
    call = Call()
    for which, count, loss, window, dups, late, pause, gap in segments:
        source = sources[which]
        source.skip(gap)
        play_segment(call, source, rng, count, loss, window, dups, late, pause)
    return call


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(st.tuples(near_seq_wrap, near_ts_wrap), min_size=3, max_size=3),
    st.lists(segment, min_size=1, max_size=12),
    st.integers(0, 2**32),
)
def test_calls_with_switches_loss_and_reordering(starts, segments, seed) -> None:
    sources = [Source(seq0, ts0) for seq0, ts0 in starts]
    play(sources, segments, seed)


@settings(max_examples=4, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    near_seq_wrap,
    near_ts_wrap,
    st.sampled_from([0.0, 0.01, 0.05]),
    st.sampled_from([1, 5, 20]),
    st.integers(0, 2**32),
)
def test_one_long_call(seq0, ts0, loss, window, seed) -> None:
    """One source for 80,000 packets (about fifteen minutes of video at
    1 Mbit/s), then another and back: past the sequence wrap more than once."""
    sources = [Source(seq0, ts0), Source(0xFFF0, 0xFFFFFF00)]
    segments = [
        (0, 80_000, loss, window, 0.01, 0, 0.0, 0),
        (1, 5_000, loss, window, 0.0, 0, 0.5, 0),
        (0, 5_000, loss, window, 0.0, 3, 0.5, 1000),
    ]
    call = play(sources, segments, seed)
    # Four examples: over 300,000 packets, each call past both wraps.
    assert call.packets >= 0.9 * 90_000
    assert call.seq_wraps >= 1 and call.ts_wraps >= 1
    assert call.nacks > 1000
