"""The notebook widget's comm: the view sends ``{"message": <client message>}``,
which ``ClassroomWidget`` validates with the protocol's codec and sends on the
notebook's connection to a real server's classroom."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

pytest.importorskip("ipywidgets")

from jupyter_classroom import protocol  # noqa: E402
from jupyter_classroom.client import Classroom  # noqa: E402
from jupyter_classroom.widget import ClassroomWidget  # noqa: E402

from .harness.servers import JupyterProcess  # noqa: E402
from .harness.waiting import wait_until  # noqa: E402


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[JupyterProcess]:
    root = tmp_path_factory.mktemp("classroom")
    # Token logins are the server's owner (an instructor); ?user=NAME names a student.
    server = JupyterProcess(
        root,
        identity_provider="tests.harness.clients.OwnerUsers",
        app="jupyter_server",
        owner_is_instructor=True,
    )
    server.start()
    yield server
    server.stop()


def click(widget: ClassroomWidget, content: Any) -> None:
    """What the view's button sends, as ipywidgets hands a custom comm message on."""
    widget._handle_custom_msg(content, [])


def test_the_widget_sends_the_views_protocol_messages(server: JupyterProcess) -> None:
    teacher = Classroom(url=server.url, token=server.token)
    ann = Classroom(url=f"{server.url}?user=ann", token=server.token, observer=False)
    widget = ClassroomWidget(teacher)
    try:
        assert widget.role == "instructor"
        wait_until(
            lambda: any(p["user"] == "ann" for p in widget.people),
            timeout=20,
            what="Ann in the widget",
        )
        ida = next(p["id"] for p in widget.people if p["user"] == "ann")

        click(widget, {"message": {"type": "set_locks", "chat": True}})
        assert widget.error == ""
        wait_until(lambda: ann.locks.get("chat") is True, timeout=20, what="the chat lock at Ann")
        wait_until(
            lambda: widget.state["locks"].get("chat") is True,
            timeout=20,
            what="the lock in the widget",
        )

        ann.send(protocol.SetPresence(hand=True))
        wait_until(
            lambda: widget.state["hands"] == [ida], timeout=20, what="Ann's hand in the widget"
        )
        click(widget, {"message": {"type": "lower_hand", "participant": ida}})
        assert widget.error == ""
        wait_until(lambda: widget.state["hands"] == [], timeout=20, what="Ann's hand lowered")

        click(widget, {"message": {"type": "announce", "text": "Quiz at 3"}})
        wait_until(
            lambda: ann.announcement == "Quiz at 3", timeout=20, what="the announcement at Ann"
        )

        click(
            widget,
            {
                "message": {
                    "type": "start_breakouts",
                    "mode": "groups",
                    "groups": [{"users": ["ann"]}],
                }
            },
        )
        assert widget.error == ""
        wait_until(lambda: ann.breakout is not None, timeout=20, what="the breakouts at Ann")
        click(widget, {"message": {"type": "end_breakouts"}})
        wait_until(lambda: ann.breakout is None, timeout=20, what="the breakouts ended")

        # The classroom's refusal is shown, and the next command that goes through clears it.
        click(widget, {"message": {"type": "start_breakouts", "mode": "random", "tables": 99}})
        assert "table" in widget.error.lower()
        click(widget, {"message": {"type": "set_locks", "chat": False}})
        assert widget.error == ""
        wait_until(lambda: not ann.locks.get("chat"), timeout=20, what="the chat unlocked at Ann")
    finally:
        widget.close()
        ann.close()
        teacher.close()


@pytest.mark.parametrize(
    ("content", "said"),
    [
        # A server message is not a command.
        (
            {"message": {"type": "class_updated", "state": {}}},
            "Not a classroom command: Unknown message type",
        ),
        # A client message that does not fit its type.
        ({"message": {"type": "lock_room", "room": "table-1"}}, "Not a classroom command:"),
        ({"message": "mute"}, "Not a classroom command: Message must be a JSON object."),
        # The old contract, {action: ...}, is gone.
        ({"action": "mute_all"}, "expects {'message': <a client message>}"),
    ],
)
def test_the_widget_refuses_what_is_not_a_client_message(
    server: JupyterProcess, content: Any, said: str
) -> None:
    teacher = Classroom(url=server.url, token=server.token)
    widget = ClassroomWidget(teacher)
    try:
        click(widget, content)
        assert said in widget.error
    finally:
        widget.close()
        teacher.close()


def test_a_students_widget_is_refused_by_the_server(server: JupyterProcess) -> None:
    dan = Classroom(url=f"{server.url}?user=dan", token=server.token)
    widget = ClassroomWidget(dan)
    try:
        assert widget.role == "student"
        click(widget, {"message": {"type": "mute"}})
        assert widget.error
        assert "instructor" in widget.error.lower() or "forbidden" in widget.error.lower()
    finally:
        widget.close()
        dan.close()
