"""Shared fixtures: the packaged map and small classrooms."""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest

# The harness's asserts report their values as the tests' do (and a module
# that names tests.harness.rooms in pytest_plugins may import it first).
pytest.register_assert_rewrite("tests.harness")

from jupyter_classroom.classroom import (  # noqa: E402
    Classroom,
    ClassroomMap,
    ClassroomSettings,
    Identity,
)

MAP_FILE = Path(__file__).parent.parent / "jupyter_classroom" / "maps" / "classroom.json"
BROWSER_TESTS = Path(__file__).parent / "browser"


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark the browser tests and run them last: Playwright's synchronous API
    keeps an event loop of its own running, which must not overlap the
    pytest-jupyter tests' loop."""
    for item in items:
        if BROWSER_TESTS in Path(str(item.fspath)).parents:
            item.add_marker(pytest.mark.browser)
    items.sort(key=lambda item: BROWSER_TESTS in Path(str(item.fspath)).parents)


@pytest.fixture
def default_map() -> ClassroomMap:
    return ClassroomMap.from_tiled(json.loads(MAP_FILE.read_text()))


def person(name: str, role: str = "student") -> Identity:
    return Identity(username=name.lower(), name=name, role=role)  # type: ignore[arg-type]


@pytest.fixture
def classroom(default_map: ClassroomMap) -> Classroom:
    return Classroom(default_map, ClassroomSettings(), random.Random(7))
