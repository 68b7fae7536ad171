"""Shared fixtures: the packaged map and small classrooms."""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest

from jupyter_classroom.classroom import Classroom, ClassroomMap, ClassroomSettings, Identity

MAP_FILE = Path(__file__).parent.parent / "jupyter_classroom" / "maps" / "classroom.json"


@pytest.fixture
def default_map() -> ClassroomMap:
    return ClassroomMap.from_tiled(json.loads(MAP_FILE.read_text()))


def person(name: str, role: str = "student") -> Identity:
    return Identity(username=name.lower(), name=name, role=role)  # type: ignore[arg-type]


@pytest.fixture
def classroom(default_map: ClassroomMap) -> Classroom:
    return Classroom(default_map, ClassroomSettings(), random.Random(7))
