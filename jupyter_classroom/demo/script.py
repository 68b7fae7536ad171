"""What the demo classmates do, as pure functions: who they are, where they
walk next, what they say and how they answer.

Nothing here reads a clock or a socket: the caller gives the map, a
``random.Random`` and the time, so a test decides all three.
"""

from __future__ import annotations

import math
import random
import re
from dataclasses import dataclass

from ..classroom import ClassroomMap

#: At most this many demo classmates, whatever is configured: each one costs
#: the server a walk, a chat script and two media streams.
MAX_DEMO_PARTICIPANTS = 8


@dataclass(frozen=True)
class Persona:
    name: str
    initials: str
    color: str
    #: The pitch of their voice (Hz): each sounds a little different.
    pitch: float


PERSONAS: tuple[Persona, ...] = (
    Persona("Ada Byron", "AB", "#d9480f", 165.0),
    Persona("Alan Turing", "AT", "#1971c2", 118.0),
    Persona("Grace Hopper", "GH", "#2b8a3e", 190.0),
    Persona("Emmy Noether", "EN", "#ae3ec9", 175.0),
    Persona("Carl Gauss", "CG", "#e67700", 110.0),
    Persona("Katherine Johnson", "KJ", "#0c8599", 200.0),
    Persona("John Neumann", "JN", "#c2255c", 125.0),
    Persona("Mary Somerville", "MS", "#5f3dc4", 185.0),
)
assert len(PERSONAS) >= MAX_DEMO_PARTICIPANTS

#: Their lines in the class chat, said now and then, in turn.
LINES: tuple[str, ...] = (
    "Hi everyone! Is this the Python lab?",
    "Has anyone got the plotting cell working? Mine shows an empty figure.",
    "Walk up to someone and you can hear them; step onto a table to join its conversation.",
    "Found it: I had forgotten plt.show(). Thanks!",
    "I'm going to table 2 to look at the exercise with the others.",
    "Who wants a coffee break in five minutes?",
)

_GREETING = re.compile(
    r"\b(hi|hello|hey|hiya|howdy|hallo|bonjour|salut|hola|ciao|good (morning|afternoon|evening))\b",
    re.IGNORECASE,
)
_QUESTION = re.compile(r"\b(demo|real|bot|who are you|are you)\b", re.IGNORECASE)


def first_name(name: str) -> str:
    return name.split()[0] if name.split() else name


def reply_to(text: str, sender: str, names: list[str], turn: int) -> tuple[int, str] | None:
    """The answer to a class chat message ``text`` from ``sender``: which of
    ``names`` (the demo classmates present) answers, and what; None when the
    message asks nothing of them. Someone named answers; otherwise the one
    whose ``turn`` it is."""
    if not names:
        return None
    lowered = text.lower()
    named = [i for i, n in enumerate(names) if first_name(n).lower() in lowered]
    who = named[0] if named else turn % len(names)
    # Jupyter's token login names everyone "Anonymous <a moon>": the moon is the name.
    hello = sender if sender.startswith("Anonymous ") else first_name(sender) or "there"
    if _QUESTION.search(text) and (named or "demo" in lowered):
        return who, (
            f"I'm a demo classmate, {hello}: the server runs a few of us so an empty "
            "classroom shows how it works. We leave when a real class starts."
        )
    if _GREETING.search(text):
        return who, f"Hi {hello}! Welcome to the classroom. Come and say hello at a table."
    if named:
        return who, f"Sorry {hello}, I'm only a demo classmate: I know just a few lines."
    return None


# -- walking --------------------------------------------------------------------------


@dataclass(frozen=True)
class Stop:
    """Where to walk next, and how long to stay there."""

    x: float
    y: float
    #: The table it is at (None: the open floor).
    room: str | None
    stay: float


def next_stop(
    cmap: ClassroomMap,
    rng: random.Random,
    here: tuple[float, float],
    radius: float,
    tries: int = 40,
) -> Stop | None:
    """A place to walk to from ``here`` in a straight line without touching a
    wall: a spot at one of the tables (half the time) or on the open floor;
    None when no such place was found in ``tries`` draws (the caller tries
    again later)."""
    tables = [r for r in cmap.rooms if r.kind == "table"]
    margin = radius * 3
    for _ in range(tries):
        if tables and rng.random() < 0.5:
            room = rng.choice(tables)
            x, y = _inside(room.polygon, margin, rng)
            stay = rng.uniform(8.0, 16.0)
        else:
            x = rng.uniform(margin, cmap.width - margin)
            y = rng.uniform(margin, cmap.height - margin)
            stay = rng.uniform(6.0, 12.0)
        spot = cmap.room_at(x, y)
        if spot is not None and spot.kind != "table":
            continue  # not onto the stage: that is the instructor's
        if math.hypot(x - here[0], y - here[1]) < radius * 4:
            continue
        if cmap.blocked(x, y, radius) or not cmap.path_clear(here[0], here[1], x, y, radius):
            continue
        return Stop(round(x, 1), round(y, 1), spot.id if spot is not None else None, stay)
    return None


def _inside(
    polygon: tuple[tuple[float, float], ...], margin: float, rng: random.Random
) -> tuple[float, float]:
    """A point in the box of ``polygon``, ``margin`` from its edges where it is big enough."""
    xs = [p[0] for p in polygon]
    ys = [p[1] for p in polygon]

    def between(lo: float, hi: float) -> float:
        if hi - lo > 2 * margin:
            return rng.uniform(lo + margin, hi - margin)
        return (lo + hi) / 2

    return between(min(xs), max(xs)), between(min(ys), max(ys))


def step_towards(
    here: tuple[float, float], to: tuple[float, float], distance: float
) -> tuple[float, float]:
    """``distance`` along the straight line from ``here`` to ``to`` (``to`` itself when nearer)."""
    dx, dy = to[0] - here[0], to[1] - here[1]
    length = math.hypot(dx, dy)
    if length <= distance:
        return to
    k = distance / length
    return (round(here[0] + dx * k, 1), round(here[1] + dy * k, 1))
