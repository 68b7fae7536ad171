"""Who is speaking in a room, from the audio levels publishers put in their
packets (RFC 6464: 0 is the loudest, 127 silence, in -dBov). Nothing is
decoded. Pure: the caller passes the time.

:class:`SpeakerDetector` says who speaks (for the tiles' marks);
:class:`LoudestVoices` which few voices a room forwards."""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Hashable
from dataclasses import dataclass, field


@dataclass
class SpeakerSettings:
    #: A packet at this level or louder counts as speech (-dBov).
    threshold: int = 45
    #: Seconds of packets looked at.
    window: float = 0.6
    #: The share of a window's packets that must be speech.
    min_active: float = 0.3
    #: Seconds another speaker must stay the loudest to take the active
    #: speaker's place while the active speaker is still talking.
    hold: float = 1.0


@dataclass
class _Voice:
    levels: deque[tuple[float, int]] = field(default_factory=deque)


class SpeakerDetector:
    """Active speakers among the voices of one room."""

    def __init__(self, settings: SpeakerSettings | None = None) -> None:
        self.settings = settings or SpeakerSettings()
        self._voices: dict[Hashable, _Voice] = {}
        self._active: Hashable | None = None
        self._challenger: Hashable | None = None
        self._challenged_at = 0.0

    def observe(self, key: Hashable, level: int, now: float) -> None:
        """One packet's audio level from ``key``."""
        voice = self._voices.get(key)
        if voice is None:
            voice = self._voices[key] = _Voice()
        voice.levels.append((now, level))

    def forget(self, key: Hashable) -> None:
        self._voices.pop(key, None)

    def speakers(self, now: float) -> list[Hashable]:
        """Those speaking now, the active speaker first, then loudest first."""
        s = self.settings
        loudness: dict[Hashable, float] = {}
        for key, voice in self._voices.items():
            levels = voice.levels
            while levels and levels[0][0] < now - s.window:
                levels.popleft()
            speech = [127 - level for _, level in levels if level <= s.threshold]
            if levels and len(speech) >= s.min_active * len(levels):
                loudness[key] = sum(speech) / len(speech)
        ranking = sorted(loudness, key=lambda k: (-loudness[k], str(k)))
        if not ranking:
            self._active = self._challenger = None
            return []
        top = ranking[0]
        if self._active not in loudness or top == self._active:
            self._active = top
            self._challenger = None
        elif top != self._challenger:
            self._challenger = top
            self._challenged_at = now
        elif now - self._challenged_at >= s.hold:
            self._active = top
            self._challenger = None
        return [self._active] + [k for k in ranking if k != self._active]


@dataclass
class LoudestSettings:
    #: Voices forwarded at once in a room (0: every voice, none left out).
    count: int = 3
    #: A packet at this level or louder counts as speech (-dBov); a quieter
    #: one counts as silence.
    threshold: int = 45
    #: Seconds over which a voice's loudness is averaged.
    smoothing: float = 0.3
    #: The share of speech (packets at ``threshold`` or louder, averaged)
    #: above which a voice is speaking.
    speaking: float = 0.3
    #: How much louder (dB) than the quietest forwarded voice another must
    #: be, for ``enter`` seconds, to take its place.
    margin: float = 6.0
    enter: float = 0.3
    #: Seconds a forwarded voice stays forwarded once it falls silent: the
    #: pauses between words and sentences do not cost it its place.
    hold: float = 1.5


#: Seconds of sound in an audio packet (Opus's usual frame).
PACKET = 0.02


class _Loudness:
    """A voice's loudness: an exponential average of its packets' speech
    (dB above silence, 0 for a packet quieter than the threshold), decayed
    between packets so that a voice that stops sending fades too."""

    __slots__ = ("value", "at")

    def __init__(self, now: float) -> None:
        self.value = 0.0
        self.at = now

    def now(self, now: float, tau: float) -> float:
        return self.value * math.exp(-max(0.0, now - self.at) / tau)


class LoudestVoices:
    """The few voices of one room that are forwarded: the loudest
    ``count``, with hysteresis (see :class:`LoudestSettings`). A silent
    voice never enters. O(1) a packet; :meth:`select` is O(voices)."""

    def __init__(self, settings: LoudestSettings | None = None) -> None:
        self.settings = settings or LoudestSettings()
        self._voices: dict[Hashable, _Loudness] = {}
        self.selected: set[Hashable] = set()
        self._quiet_since: dict[Hashable, float] = {}
        self._challenged_at: dict[Hashable, float] = {}

    def observe(self, key: Hashable, level: int, now: float) -> None:
        """One packet's audio level from ``key``."""
        s = self.settings
        voice = self._voices.get(key)
        if voice is None:
            voice = self._voices[key] = _Loudness(now)
        speech = 127 - level if level <= s.threshold else 0
        # A packet stands for the time since the one before (20 ms at least).
        weight = 1.0 - math.exp(-max(PACKET, now - voice.at) / s.smoothing)
        voice.value = voice.now(now, s.smoothing) + weight * speech
        voice.at = now

    def forget(self, key: Hashable) -> None:
        self._voices.pop(key, None)
        self.selected.discard(key)
        self._quiet_since.pop(key, None)
        self._challenged_at.pop(key, None)

    def loudness(self, key: Hashable, now: float) -> float:
        voice = self._voices.get(key)
        return voice.now(now, self.settings.smoothing) if voice is not None else 0.0

    def select(self, now: float) -> set[Hashable]:
        """The voices to forward now (the set is the one kept: do not change it)."""
        s = self.settings
        floor = s.speaking * (127 - s.threshold)
        loud = {key: voice.now(now, s.smoothing) for key, voice in self._voices.items()}
        for key in list(self.selected):
            if loud.get(key, 0.0) >= floor:
                self._quiet_since.pop(key, None)
            elif now - self._quiet_since.setdefault(key, now) >= s.hold:
                self.selected.discard(key)
                del self._quiet_since[key]
        candidates = sorted(
            (k for k, v in loud.items() if v >= floor and k not in self.selected),
            key=lambda k: (-loud[k], str(k)),
        )
        for key in list(self._challenged_at):
            if key not in candidates:
                del self._challenged_at[key]
        for key in candidates:
            if len(self.selected) < s.count:
                # A free place: taken at once, the first words matter.
                self.selected.add(key)
                self._challenged_at.pop(key, None)
                continue
            if not self.selected:
                break
            quietest = min(self.selected, key=lambda k: (loud.get(k, 0.0), str(k)))
            if loud[key] <= loud.get(quietest, 0.0) + s.margin:
                self._challenged_at.pop(key, None)
            elif now - self._challenged_at.setdefault(key, now) >= s.enter:
                self.selected.discard(quietest)
                self._quiet_since.pop(quietest, None)
                self.selected.add(key)
                del self._challenged_at[key]
        return self.selected
