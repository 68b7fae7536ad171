"""The panel reconnects by itself when the server goes away and comes back."""

from __future__ import annotations

from ..harness import wait_until
from ..harness.pages import PANEL, joined


def test_panel_reconnects_after_a_server_restart(person, lab) -> None:
    alice, bob = person(), person()
    joined(alice, 2)
    status = alice.locator(f"{PANEL} .jp-Classroom-status")
    assert status.inner_text() == "Connected"

    lab.stop()
    wait_until(lambda: "Reconnecting" in status.inner_text(), what="the reconnecting notice")
    assert alice.get_by_role("button", name="Reconnect now").is_visible()
    lab.start()

    wait_until(lambda: status.inner_text() == "Connected", timeout=30, what="reconnection")
    assert not alice.get_by_role("button", name="Reconnect now").is_visible()
    # Both are back, and see each other again.
    joined(alice, 2)
    joined(bob, 2)
