"""Who is speaking in a room, from the audio levels publishers put in their
packets (RFC 6464: 0 is the loudest, 127 silence, in -dBov). Nothing is
decoded. Pure: the caller passes the time."""

from __future__ import annotations

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
