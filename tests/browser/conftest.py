"""Browser tests: a real ``jupyter lab`` with the extension, driven through
Debian's Chromium by Playwright.

Each :func:`person` is a separate browser context, so each gets its own Jupyter
login cookie and therefore its own identity (the server's token gives every
new browser an anonymous user with a name of its own, as on a shared server),
and a JupyterLab workspace of its own (see :func:`tests.harness.pages.lab_url`).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, sync_playwright

from ..harness.pages import CHROMIUM, CHROMIUM_ARGS, People, write_voice
from ..harness.servers import JupyterProcess

# pytest-jupyter's autouse fixtures (its plugin is loaded by the server
# tests, and then applies to every test in the run) are not for these tests:
# Playwright's sync API runs an event loop of its own, which they would take
# for theirs and try to close after each test. Their servers are
# subprocesses (``lab``), cleaned up by their own fixtures.


@pytest.fixture
def jp_asyncio_loop() -> Iterator[None]:
    yield None


@pytest.fixture
def jp_server_cleanup() -> Iterator[None]:
    yield None


@pytest.fixture(scope="module")
def lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[JupyterProcess]:
    # aioice leaves 127.0.0.1 out of the server's own ICE candidates: name it.
    # Table 6 holds one person, to show a full room.
    server = JupyterProcess(
        tmp_path_factory.mktemp("lab"),
        sfu_ice_addresses="127.0.0.1",
        # Chromium's candidates here are on loopback, which a server ignores by default.
        sfu_allowed_candidate_networks="127.0.0.0/8",
        room_capacities="{'table-6': 1}",
    )
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Browser]:
    if not Path(CHROMIUM).exists():
        pytest.skip(f"no Chromium at {CHROMIUM} (scripts/test.sh installs Debian's chromium)")
    voice = write_voice(tmp_path_factory.mktemp("media") / "voice.wav")
    args = [*CHROMIUM_ARGS, f"--use-file-for-fake-audio-capture={voice}"]
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=args, headless=True)
        try:
            yield b
        finally:
            b.close()


@pytest.fixture
def person(
    browser: Browser, lab: JupyterProcess, request: pytest.FixtureRequest
) -> Iterator[People]:
    """Factory: ``person()`` is a new person (browser context) with JupyterLab
    and the classroom open; ``person.context()`` and ``person.open()`` for a
    browser set up otherwise. Everyone leaves when the test ends."""
    people = People(browser, lab, request.node.name)
    try:
        yield people
    finally:
        people.close()
