"""Active speakers from RFC 6464 audio levels."""

from __future__ import annotations

from jupyter_classroom.sfu.speakers import SpeakerDetector, SpeakerSettings


def talk(d: SpeakerDetector, levels: dict[str, int], start: float, seconds: float) -> float:
    """Packets every 20 ms from each voice at the given levels."""
    t = start
    while t < start + seconds:
        for key, level in levels.items():
            d.observe(key, level, t)
        t += 0.02
    return t


def test_silence_and_noise_are_not_speech() -> None:
    d = SpeakerDetector()
    t = talk(d, {"a": 127, "b": 70}, 0, 1)
    assert d.speakers(t) == []


def test_the_loudest_leads_and_a_newcomer_must_hold_the_lead() -> None:
    d = SpeakerDetector(SpeakerSettings(hold=1.0))
    t = talk(d, {"a": 20, "b": 127}, 0, 1)
    assert d.speakers(t) == ["a"]
    # b starts louder than a: a stays the active speaker for a while ...
    t = talk(d, {"a": 30, "b": 10}, t, 0.5)
    assert d.speakers(t) == ["a", "b"]
    t = talk(d, {"a": 30, "b": 10}, t, 0.5)
    assert d.speakers(t) == ["a", "b"]
    # ... until b has led for the hold time.
    t = talk(d, {"a": 30, "b": 10}, t, 0.6)
    assert d.speakers(t) == ["b", "a"]
    # When the active speaker stops, the next takes over at once.
    t = talk(d, {"a": 30, "b": 127}, t, 0.7)
    assert d.speakers(t) == ["a"]


def test_pauses_between_words_keep_a_speaker() -> None:
    d = SpeakerDetector()
    t = 0.0
    for _ in range(10):  # 200 ms of speech, 200 ms of silence
        t = talk(d, {"a": 25}, t, 0.2)
        t = talk(d, {"a": 127}, t, 0.2)
        assert d.speakers(t) == ["a"]
    t = talk(d, {"a": 127}, t, 1)
    assert d.speakers(t) == []
    d.forget("a")
    assert d.speakers(t) == []
