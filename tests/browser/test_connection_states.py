"""When the classroom's server is gone for good, the panel says so: after a
bounded number of tries it stops saying "Reconnecting…", offers Retry, marks
the list as stale and takes the room call's badge off green; Retry brings it
back once the server is there again."""

from __future__ import annotations

from ..harness import wait_until
from ..harness.pages import PANEL, joined, walk_to

NOT_ANSWERING = "The classroom's server is not answering."


def test_a_server_gone_for_good_is_said_with_retry(person, lab) -> None:
    alice = person()
    joined(alice, 1)
    status = alice.locator(f"{PANEL} .jp-Classroom-status")
    badge = alice.locator(f"{PANEL} .jp-Classroom-callStatus")
    stale = alice.locator(f"{PANEL} .jp-Classroom-stale")
    walk_to(alice, 720, 730)  # Table 5
    wait_until(lambda: badge.get_attribute("data-state") == "connected", what="the room's call")
    assert not stale.is_visible()

    lab.stop()
    # At once: the badge follows the classroom's connection, and the list is marked.
    wait_until(lambda: badge.get_attribute("data-state") == "offline", what="the badge off green")
    assert "not connected to the classroom" in badge.inner_text()
    assert stale.is_visible()
    # The server said it was shutting down, so tries come each second for
    # 45 s at most (model/reconnect.ts): then the panel stops pretending.
    wait_until(
        lambda: status.inner_text() == NOT_ANSWERING, timeout=60, what="the tries to run out"
    )
    retry = alice.get_by_role("button", name="Retry")
    assert retry.is_visible()
    assert alice.locator(PANEL).get_attribute("data-connection") == "unreachable"
    assert stale.is_visible()

    lab.start()
    # Nothing tries on its own any more: the person decides. JupyterLab's own
    # "Server Connection Error" dialog is JupyterLab's: the person closes it.
    jupyter_dialog = alice.locator(".jp-Dialog", has_text="Server Connection Error")
    if jupyter_dialog.count():
        jupyter_dialog.get_by_role("button", name="Close").click()
    assert status.inner_text() == NOT_ANSWERING
    retry.click()
    wait_until(lambda: status.inner_text() == "Connected", timeout=30, what="Retry to reconnect")
    assert not retry.is_visible()
    assert not stale.is_visible()
    joined(alice, 1)
    wait_until(
        lambda: badge.get_attribute("data-state") != "offline", what="the badge following again"
    )
