"""Demo classmates in real Chromium: someone alone sees them in the list,
named as demo classmates, and gets an answer to a hello in the class chat."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from ..harness.pages import PANEL, joined
from ..harness.servers import JupyterProcess


@pytest.fixture(scope="module")
def lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[JupyterProcess]:
    server = JupyterProcess(tmp_path_factory.mktemp("lab"), demo_participants=2)
    server.start()
    try:
        yield server
    finally:
        server.stop()


def test_a_lone_visitor_sees_demo_classmates_and_is_answered(person) -> None:
    page = person()
    joined(page, 3)
    names = page.locator(f"{PANEL} li.jp-Classroom-person .jp-Classroom-personName")
    page.wait_for_function(
        f"[...document.querySelectorAll('{PANEL} .jp-Classroom-personName')]"
        ".filter(n => n.textContent.endsWith(' (demo)')).length === 2"
    )
    shown = sorted(names.all_inner_texts())
    assert [n for n in shown if n.endswith("(you)")] and len(shown) == 3
    assert {"Ada Byron (demo)", "Alan Turing (demo)"} <= set(shown)
    page.fill(f"{PANEL} .jp-Classroom-compose textarea", "Hello everyone!")
    page.keyboard.press("Enter")
    log = page.locator(f"{PANEL} .jp-Classroom-log")
    log.get_by_text("Welcome to the classroom", exact=False).wait_for(timeout=15_000)
