"""UDP passes again (a laptop moving from a strict network to an open one):
two people on the open floor whose call went through the server because UDP
did not pass find, by a UDP probe, that it passes now, and their call goes
direct again, with nobody in a room to show it."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Page

from ..harness import wait_until
from ..harness.pages import PANEL_NODE, SOCKET, joined, my_id, walk_to
from ..harness.servers import JupyterProcess
from .test_no_udp import Firewall, start_lab, transport

PEERS = f"{PANEL_NODE}.classroomPeers"
CHOOSER = f"{PANEL_NODE}.classroomChooser"
#: Between a page's UDP probes here (ms), instead of a minute: the server
#: still grants one a minute, and refuses the others quietly.
PROBE_INTERVAL_MS = 3000


@pytest.fixture
def firewall(lab: JupyterProcess) -> Iterator[Firewall]:
    """No UDP until the test takes the rules down (``firewall.open()``)."""
    rules = Firewall(lab.port)
    try:
        rules.close()
        yield rules
    finally:
        rules.open()


@pytest.fixture(scope="module")
def lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[JupyterProcess]:
    server = start_lab(tmp_path_factory)
    try:
        yield server
    finally:
        server.stop()


def call(page: Page, other: str) -> dict[str, object] | None:
    return page.evaluate(
        f"(o) => {{ const c = {PEERS}.calls.get(o); return c ? {{ relayed: c.relayed, state: c.state }} : null; }}",
        other,
    )


@pytest.mark.timeout(360)
def test_an_open_floor_call_goes_direct_again_once_udp_passes(person, firewall) -> None:
    a = person()
    joined(a, 1)
    walk_to(a, 330, 615)
    b = person()
    joined(b, 2)
    walk_to(b, 430, 615)
    for page in (a, b):
        page.evaluate(f"{CHOOSER}.probeInterval = {PROBE_INTERVAL_MS}")
    ida, idb = my_id(a), my_id(b)
    wait_until(
        lambda: "websocket" in (transport(a), transport(b)),
        timeout=30,
        what="one of the two to send through the server",
    )
    fell_back = [p for p in (a, b) if p.evaluate(f"{SOCKET}.reason") == "udp_blocked"]
    assert fell_back
    for page, other in ((a, idb), (b, ida)):
        wait_until(
            lambda p=page, o=other: call(p, o) == {"relayed": True, "state": "connected"},
            timeout=20,
            what="the call to go through the server",
        )
    # A probe while UDP is still blocked ends without connecting (the
    # server gives it 15 s), and the page stays where it is.
    prober = fell_back[0]
    wait_until(
        lambda: (
            prober.evaluate(f"{CHOOSER}.probes.asked") > 0
            and not prober.evaluate(f"{CHOOSER}.probing")
        ),
        timeout=40,
        what="a first UDP probe to end",
    )
    assert prober.evaluate(f"{CHOOSER}.probes.connected") == 0
    assert all(transport(p) == "websocket" for p in fell_back)

    firewall.open()
    for page in (a, b):
        wait_until(
            lambda p=page: p.evaluate(f"{SOCKET}.transport") == "webrtc",
            timeout=100,
            what="the page to go back to WebRTC",
        )
    try:
        for page, other in ((a, idb), (b, ida)):
            wait_until(
                lambda p=page, o=other: call(p, o) == {"relayed": False, "state": "connected"},
                timeout=30,
                what="the call to go direct again",
            )
    except AssertionError as e:
        seen = [
            (transport(p), p.evaluate(f"{SOCKET}.reason"), call(p, o))
            for p, o in ((a, idb), (b, ida))
        ]
        raise AssertionError(f"{e}; (transport, reason, call) of each: {seen}") from None
    # The server granted the next probe a minute after the first (asking
    # every 3 s meanwhile was refused quietly), and that one connected.
    probes = prober.evaluate(f"{CHOOSER}.probes")
    assert probes["asked"] >= 2 and probes["connected"] == 1, probes
    # Nobody's panel showed the refused probes as errors.
    for page in (a, b):
        assert "UDP probe" not in page.locator("#jp-classroom-panel").inner_text()
