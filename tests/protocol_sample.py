"""A small protocol for testing the generators on shapes the real one lacks."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum
from typing import ClassVar, Literal

from jupyter_classroom.protocol.messages import limit

PROTOCOL_VERSION = 1
CLOSE_SAMPLE = 4999

Size = Literal["small", "large"]


class Colour(str, Enum):
    RED = "red"
    GREEN = "green"


class Shape(str, Enum):
    ROUND = "round"
    SQUARE = "square"


@dataclass
class Paint:
    type: ClassVar[str] = "paint"
    colour: Colour
    size: Size
    tags: list[str] = field(metadata=limit(max_length=5, max_items=3))
    shapes: list[Shape] | None = None


@dataclass
class Mixed:
    value: int | str


RECORDS: tuple[type, ...] = ()
CLIENT_MESSAGES: tuple[type, ...] = (Paint,)
SERVER_MESSAGES: tuple[type, ...] = ()
