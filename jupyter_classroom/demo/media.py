"""The demo classmates' voice and picture, encoded once and looped.

There is no recording to play, so the voice is synthesized: a buzz with
harmonics (a voice's pitch and overtones) shaped into syllables and phrases,
with pauses between them. The picture is the classmate's colour, their
initials and a dot going round. Both are encoded once, when the demo starts
(in a thread: a few seconds of libvpx), as the media socket carries them:
Opus 20 ms frames, and VP8 at two sizes (the relay's two layers).
"""

from __future__ import annotations

import fractions
import math
from dataclasses import dataclass

import av
import numpy as np

from ..protocol.frames import FRAME_LAYER_LARGE, FRAME_LAYER_SMALL

AUDIO_RATE = 48000
#: Samples in one Opus frame of 20 ms.
AUDIO_FRAME = 960
VIDEO_FPS = 15
#: A key frame every this many video frames (two seconds).
KEY_EVERY = 30
#: Seconds of picture in the loop (its length is a multiple of KEY_EVERY).
VIDEO_SECONDS = 4
SIZES = {FRAME_LAYER_SMALL: (320, 180), FRAME_LAYER_LARGE: (640, 360)}


@dataclass(frozen=True)
class EncodedMedia:
    """One classmate's encoded loops."""

    #: Opus packets of 20 ms each.
    audio: list[bytes]
    #: Per layer: VP8 frames at VIDEO_FPS, (key, bytes); key frames at every
    #: multiple of KEY_EVERY.
    video: dict[int, list[tuple[bool, bytes]]]


def voice(pitch: float, seconds: float = 6.0, seed: int = 0) -> np.ndarray:
    """Something like speech, as float samples in [-1, 1] at AUDIO_RATE:
    a buzz at ``pitch`` with five harmonics, in syllables of four a second,
    in phrases with a pause after each."""
    n = int(seconds * AUDIO_RATE)
    t = np.arange(n) / AUDIO_RATE
    rng = np.random.default_rng(seed)
    # The pitch wanders a little, as a voice's does.
    wobble = 1.0 + 0.04 * np.sin(2 * np.pi * 0.7 * t + rng.uniform(0, 2 * np.pi))
    phase = 2 * np.pi * np.cumsum(pitch * wobble) / AUDIO_RATE
    buzz = sum(np.sin(k * phase) / k for k in range(1, 6))
    syllables = np.clip(np.sin(2 * np.pi * 4 * t), 0.0, None) ** 0.7
    # Phrases of about two seconds, then a pause of one.
    phrase = ((t % 3.0) < 2.0).astype(float)
    out = 0.25 * buzz * syllables * phrase
    return np.asarray(np.clip(out, -1.0, 1.0), dtype=np.float32)


def encode_voice(samples: np.ndarray) -> list[bytes]:
    """``samples`` (mono, AUDIO_RATE) as Opus packets of 20 ms."""
    codec = av.CodecContext.create("libopus", "w")
    assert isinstance(codec, av.AudioCodecContext)
    codec.sample_rate = AUDIO_RATE
    codec.layout = "mono"
    codec.format = av.AudioFormat("s16")
    codec.bit_rate = 32000
    codec.time_base = fractions.Fraction(1, AUDIO_RATE)
    pcm = (samples * 32767).astype(np.int16)
    whole = len(pcm) // AUDIO_FRAME * AUDIO_FRAME
    packets: list[bytes] = []
    for start in range(0, whole, AUDIO_FRAME):
        frame = av.AudioFrame.from_ndarray(
            pcm[start : start + AUDIO_FRAME].reshape(1, -1), format="s16", layout="mono"
        )
        frame.sample_rate = AUDIO_RATE
        frame.pts = start
        packets += [bytes(p) for p in codec.encode(frame)]
    packets += [bytes(p) for p in codec.encode(None)]
    return packets


# A 5x7 font for the letters of initials: a row is five bits, the high one left.
_FONT: dict[str, tuple[int, ...]] = {
    "A": (0x0E, 0x11, 0x11, 0x1F, 0x11, 0x11, 0x11),
    "B": (0x1E, 0x11, 0x11, 0x1E, 0x11, 0x11, 0x1E),
    "C": (0x0E, 0x11, 0x10, 0x10, 0x10, 0x11, 0x0E),
    "E": (0x1F, 0x10, 0x10, 0x1E, 0x10, 0x10, 0x1F),
    "G": (0x0E, 0x11, 0x10, 0x17, 0x11, 0x11, 0x0F),
    "H": (0x11, 0x11, 0x11, 0x1F, 0x11, 0x11, 0x11),
    "J": (0x07, 0x02, 0x02, 0x02, 0x02, 0x12, 0x0C),
    "K": (0x11, 0x12, 0x14, 0x18, 0x14, 0x12, 0x11),
    "M": (0x11, 0x1B, 0x15, 0x15, 0x11, 0x11, 0x11),
    "N": (0x11, 0x19, 0x15, 0x13, 0x11, 0x11, 0x11),
    "S": (0x0F, 0x10, 0x10, 0x0E, 0x01, 0x01, 0x1E),
    "T": (0x1F, 0x04, 0x04, 0x04, 0x04, 0x04, 0x04),
}


def _colour(hex_colour: str) -> np.ndarray:
    h = hex_colour.lstrip("#")
    return np.array([int(h[i : i + 2], 16) for i in (0, 2, 4)], dtype=np.uint8)


def picture(colour: str, initials: str, n: int, size: tuple[int, int]) -> np.ndarray:
    """Frame ``n`` of the classmate's picture (RGB, ``size``): their colour,
    their initials, bobbing a little, and a white dot going round once per
    loop."""
    w, h = size
    image = np.empty((h, w, 3), dtype=np.uint8)
    image[:] = _colour(colour)
    phase = 2 * math.pi * n / (VIDEO_FPS * VIDEO_SECONDS)
    scale = max(1, h // 24)
    letters = [c for c in initials.upper() if c in _FONT][:2]
    text_w = (6 * len(letters) - 1) * scale
    left = (w - text_w) // 2
    top = (h - 7 * scale) // 2 + int(round(h * 0.04 * math.sin(2 * phase)))
    for i, letter in enumerate(letters):
        for row, bits in enumerate(_FONT[letter]):
            for col in range(5):
                if bits & (0x10 >> col):
                    y = top + row * scale
                    x = left + (6 * i + col) * scale
                    image[y : y + scale, x : x + scale] = 255
    # The dot, on a circle around the initials.
    r = h * 0.38
    cx = int(w / 2 + r * math.cos(phase))
    cy = int(h / 2 + r * math.sin(phase))
    d = max(2, h // 30)
    image[max(0, cy - d) : cy + d, max(0, cx - d) : cx + d] = 255
    return image


def encode_picture(colour: str, initials: str, size: tuple[int, int]) -> list[tuple[bool, bytes]]:
    """The picture's loop as VP8 frames, a key frame every KEY_EVERY."""
    w, h = size
    codec = av.CodecContext.create("libvpx", "w")
    assert isinstance(codec, av.VideoCodecContext)
    codec.width, codec.height = w, h
    codec.pix_fmt = "yuv420p"
    codec.time_base = fractions.Fraction(1, VIDEO_FPS)
    codec.framerate = fractions.Fraction(VIDEO_FPS, 1)
    codec.bit_rate = 150_000 if w <= 320 else 400_000
    codec.gop_size = KEY_EVERY
    # Every frame out at once, each a visible one (no alternate reference
    # frames: a browser's VideoDecoder takes frames one in, one out).
    codec.options = {
        "deadline": "realtime",
        "cpu-used": "8",
        "lag-in-frames": "0",
        "auto-alt-ref": "0",
    }
    frames: list[tuple[bool, bytes]] = []
    total = VIDEO_FPS * VIDEO_SECONDS
    for n in range(total):
        frame = av.VideoFrame.from_ndarray(picture(colour, initials, n, size), format="rgb24")
        frame = frame.reformat(format="yuv420p")
        frame.pts = n
        if n % KEY_EVERY == 0:
            frame.pict_type = av.video.frame.PictureType.I
        frames += [(bool(p.is_keyframe), bytes(p)) for p in codec.encode(frame)]
    frames += [(bool(p.is_keyframe), bytes(p)) for p in codec.encode(None)]
    if len(frames) != total or any(
        key != (i % KEY_EVERY == 0) for i, (key, _) in enumerate(frames)
    ):
        raise RuntimeError("libvpx did not give one frame per picture, keys where asked")
    return frames


def encode_media(colour: str, initials: str, pitch: float, seed: int = 0) -> EncodedMedia:
    """A classmate's voice and picture, encoded (seconds of CPU: call it in a thread)."""
    return EncodedMedia(
        audio=encode_voice(voice(pitch, seed=seed)),
        video={layer: encode_picture(colour, initials, size) for layer, size in SIZES.items()},
    )
