"""Breakouts: who goes to which table, and the state of breakouts running.

:func:`assign` is the pure part of ``start_breakouts`` (checks and the
assignment); :class:`~jupyter_classroom.classroom.teaching.Teaching` puts
people where it says and runs the timer.
"""

from __future__ import annotations

import random
from collections.abc import Iterable
from dataclasses import dataclass

from .. import protocol
from ..protocol import ErrorCode
from ..protocol import ProtocolError as ClassroomError
from .map import Room
from .observers import Actor
from .participant import Participant

#: Seconds before the end of breakouts when everyone is warned.
BREAKOUT_WARNING = 60.0
#: The longest breakout timer, in minutes.
MAX_BREAKOUT_MINUTES = 24 * 60.0


@dataclass
class Breakouts:
    """Breakouts running."""

    mode: protocol.BreakoutMode
    tables: list[str]
    #: On the service's clock; None: no timer.
    ends_at: float | None
    warned: bool


def assign(
    mode: protocol.BreakoutMode,
    all_tables: list[Room],
    students: list[Participant],
    everyone: Iterable[Participant],
    me: Actor,
    rng: random.Random,
    tables: int | None = None,
    groups: list[list[str]] | None = None,
    minutes: float | None = None,
) -> list[tuple[Room, list[Participant]]]:
    """The tables in use and who goes to each (see
    :class:`protocol.StartBreakouts`), or the refusal of a request that
    cannot be met. ``me``: the instructor starting them (never sent)."""
    if minutes is not None and not (0 < minutes <= MAX_BREAKOUT_MINUTES):
        raise ClassroomError(
            ErrorCode.BAD_MESSAGE,
            f"Breakouts last between 0 and {MAX_BREAKOUT_MINUTES:g} minutes.",
        )
    if not all_tables:
        raise ClassroomError(ErrorCode.NO_TABLES, "This map has no tables for breakouts.")
    if mode == "random":
        n = len(all_tables) if tables is None else tables
        if not 1 <= n <= len(all_tables):
            raise ClassroomError(
                ErrorCode.NO_TABLES,
                f"Choose between 1 and {len(all_tables)} tables: the map has {len(all_tables)}.",
            )
        rng.shuffle(students)
        return [(all_tables[i], students[i::n]) for i in range(n)]
    if mode == "groups":
        if not groups:
            raise ClassroomError(
                ErrorCode.BAD_MESSAGE, "Breakouts by groups need at least one group."
            )
        if len(groups) > len(all_tables):
            raise ClassroomError(
                ErrorCode.NO_TABLES,
                f"{len(groups)} groups, but the map has {len(all_tables)} tables.",
            )
        by_user: dict[str, list[Participant]] = {}
        for p in everyone:
            by_user.setdefault(p.identity.username, []).append(p)
        # Someone absent is no reason to refuse: the rest of the group goes.
        return [
            (
                table,
                [p for user in dict.fromkeys(group) for p in by_user.get(user, []) if p is not me],
            )
            for table, group in zip(all_tables, groups, strict=False)
        ]
    return [(t, []) for t in all_tables]
