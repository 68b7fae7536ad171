"""The loudest few voices of a room, and only they, are forwarded: the
choice from RFC 6464 levels with hysteresis, the numbering a listener sees
across the gaps, and real aiortc peers at a table."""

from __future__ import annotations

import random
from collections import Counter

import pytest

from jupyter_classroom.sfu import rtp
from jupyter_classroom.sfu.speakers import LoudestSettings, LoudestVoices

from ..harness.clients import Tone
from .conftest import Room


def talk(v: LoudestVoices, levels: dict[str, int], start: float, seconds: float) -> float:
    """Packets every 20 ms from each voice at the given levels, choosing as
    the SFU does (every 50 ms)."""
    t = start
    n = 0
    while t < start + seconds:
        for key, level in levels.items():
            v.observe(key, level, t)
        n += 1
        if n % 3 == 0:
            v.select(t)
        t += 0.02
    v.select(t)
    return t


def test_the_three_loudest_are_chosen_and_silence_never_is() -> None:
    v = LoudestVoices(LoudestSettings(count=3))
    t = talk(v, {"a": 10, "b": 20, "c": 30, "d": 40, "e": 127}, 0, 1)
    # At first every speaking voice took a free place as it came: the first three.
    assert v.selected == {"a", "b", "c"}
    t = talk(v, {"a": 127, "b": 127, "c": 127, "d": 127, "e": 127}, t, 3)
    assert v.selected == set()


def test_a_louder_voice_takes_the_quietest_place_only_after_a_while() -> None:
    s = LoudestSettings(count=3, margin=6, enter=0.3, hold=1.5)
    v = LoudestVoices(s)
    levels = {"a": 10, "b": 15, "c": 30, "d": 34}
    t = talk(v, levels, 0, 1)
    assert v.selected == {"a", "b", "c"}
    # d is louder than c, but by less than the margin: nothing changes.
    t = talk(v, {**levels, "d": 26}, t, 2)
    assert v.selected == {"a", "b", "c"}
    # d is now much louder than c: it waits the entering time ...
    t = talk(v, {**levels, "d": 5}, t, 0.2)
    assert v.selected == {"a", "b", "c"}
    t = talk(v, {**levels, "d": 5}, t, 0.4)
    # ... and takes c's place, not a's nor b's.
    assert v.selected == {"a", "b", "d"}


def test_a_voice_keeps_its_place_through_pauses_and_leaves_after_the_hold() -> None:
    v = LoudestVoices(LoudestSettings(count=2, hold=1.5))
    t = talk(v, {"a": 20, "b": 20}, 0, 1)
    for _ in range(5):  # 300 ms of speech, 300 ms of silence
        t = talk(v, {"a": 20, "b": 20}, t, 0.3)
        t = talk(v, {"a": 127, "b": 20}, t, 0.3)
        assert v.selected == {"a", "b"}
    # a falls silent: it keeps its place for the hold time, then leaves.
    t = talk(v, {"a": 127, "b": 20}, t, 1.0)
    assert v.selected == {"a", "b"}
    t = talk(v, {"a": 127, "b": 20}, t, 1.0)
    assert v.selected == {"b"}
    # A silent voice's place goes to one that speaks, after the entering time.
    t = talk(v, {"a": 20, "b": 127, "c": 127}, t, 0.8)
    assert v.selected == {"a", "b"}
    t = talk(v, {"a": 20, "b": 127, "c": 25}, t, 0.2)
    assert v.selected == {"a", "b"}
    t = talk(v, {"a": 20, "b": 127, "c": 25}, t, 0.3)
    assert v.selected == {"a", "c"}
    v.forget("a")
    assert v.selected == {"c"}


@pytest.mark.parametrize("seed", range(4))
def test_numbers_stay_continuous_across_gaps_and_the_wrap(seed: int) -> None:
    """What :meth:`Consumer.set_paused` does to a slot's numbering: the
    packets of a voice that leaves and re-enters the loudest few, over a
    long stream crossing 2**16 several times, reach the listener with no
    gap in the sequence numbers and timestamps that never step back."""
    rng = random.Random(seed)
    unwrap = rtp.SeqUnwrapper()
    numbering = rtp.Numbering(48000)
    seq, ts, now = 65536 - 500 - seed, 2**32 - 48000 * 3, 0.0
    paused = False
    sent: list[tuple[int, int]] = []
    for _ in range(200_000):
        if rng.random() < 0.002:
            paused = not paused
            if not paused:
                numbering.switch()
        if not paused:
            assert numbering.map(unwrap.unwrap(seq), ts, now)
            sent.append((numbering.seq, numbering.ts))
        seq = (seq + 1) & 0xFFFF
        ts = (ts + 960) & 0xFFFFFFFF
        now += 0.02
    assert len(sent) > 50_000
    wraps = 0
    for (s0, t0), (s1, t1) in zip(sent, sent[1:], strict=False):
        assert s1 == (s0 + 1) & 0xFFFF
        assert 0 < (t1 - t0) & 0xFFFFFFFF < 2**31
        wraps += s1 < s0
    assert wraps >= 2


# -- real peers at a table -------------------------------------------------------


def listen(room: Room, pid: str) -> Counter[str]:
    """A listener at the table, counting the audio frames it gets from each talker."""
    heard: Counter[str] = Counter()
    room.add(pid).hear(lambda who, source, when: heard.update([who]))
    return heard


async def each_heard(room: Room, heard: Counter[str], talkers: set[str], frames: int) -> None:
    """Wait until each of ``talkers`` was heard ``frames`` more times."""
    start = Counter(heard)
    await room.until(
        lambda: all(heard[t] - start[t] >= frames for t in talkers),
        what=f"{frames} frames from each of {sorted(talkers)}",
    )


async def heard_only(room: Room, heard: Counter[str], talkers: set[str], others: set[str]) -> None:
    """The listener hears ``talkers`` and nothing of ``others`` (packets sent
    before the server's choice are let through first)."""
    await each_heard(room, heard, talkers, 25)
    before = Counter(heard)
    await each_heard(room, heard, talkers, 50)
    assert {t: heard[t] - before[t] for t in others} == dict.fromkeys(others, 0)


@pytest.mark.asyncio
async def test_a_listener_hears_the_three_loudest_of_five(room: Room) -> None:
    amplitudes = {"t0": 0.6, "t1": 0.35, "t2": 0.2, "t3": 0.05, "t4": 0.02}
    tones = {pid: Tone(amplitude=a) for pid, a in amplitudes.items()}
    for pid, tone in tones.items():
        room.add(pid, microphone=tone)
    heard = listen(room, "listener")
    loudest = (await room.until(lambda: room.sfu.routers.get("table-1"))).loudest
    await room.until(lambda: loudest.selected == {"t0", "t1", "t2"}, 20, "the three loudest")
    await heard_only(room, heard, {"t0", "t1", "t2"}, {"t3", "t4"})
    # The quietest becomes the loudest: after the hysteresis it takes the
    # place of the quietest of the three.
    tones["t4"].amplitude = 0.9
    await room.until(lambda: loudest.selected == {"t0", "t1", "t4"}, 20, "t4 among them")
    await heard_only(room, heard, {"t0", "t1", "t4"}, {"t2", "t3"})


@pytest.mark.asyncio
async def test_whoever_has_the_floor_is_always_heard(room: Room) -> None:
    amplitudes = {"t0": 0.6, "t1": 0.35, "t2": 0.2, "t3": 0.05, "quiet": 0.02}
    room.floor.add("quiet")
    for pid, a in amplitudes.items():
        room.add(pid, microphone=Tone(amplitude=a))
    heard = listen(room, "listener")
    loudest = (await room.until(lambda: room.sfu.routers.get("table-1"))).loudest
    await room.until(lambda: loudest.selected == {"t0", "t1", "t2"}, 20, "the three loudest")
    # The quietest of all, with the floor, is heard beside the three.
    await heard_only(room, heard, {"t0", "t1", "t2", "quiet"}, {"t3"})
