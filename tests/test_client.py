"""The notebook API (``jupyter_classroom.Classroom``) in a real kernel,
started by a real Jupyter server and driven through jupyter_client, against
that server's classroom; students are other connections to it."""

from __future__ import annotations

import json
import os
import textwrap
import time
import urllib.request
from pathlib import Path
from typing import Any

import pytest
from jupyter_client import BlockingKernelClient, KernelManager

from jupyter_classroom import Classroom, ClassroomRefused, ClassroomUnreachable, protocol
from jupyter_classroom.client import ClassroomForbidden

from .harness.servers import JupyterProcess, free_port


class Kernel:
    """A kernel's client: runs code, returns what it printed, raises on an error."""

    def __init__(self, client: BlockingKernelClient) -> None:
        self.client = client

    def run(self, code: str, timeout: float = 60) -> str:
        out: list[str] = []
        errors: list[dict[str, Any]] = []

        def hook(msg: dict[str, Any]) -> None:
            kind, content = msg["header"]["msg_type"], msg["content"]
            if kind == "stream":
                out.append(content["text"])
            elif kind == "error":
                errors.append(content)

        self.client.execute_interactive(textwrap.dedent(code), output_hook=hook, timeout=timeout)
        if errors:
            e = errors[0]
            raise AssertionError(f"{e['ename']}: {e['evalue']}\n" + "\n".join(e["traceback"]))
        return "".join(out)

    def value(self, expression: str) -> Any:
        return json.loads(self.run(f"import json as _j; print(_j.dumps({expression}))"))


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory):
    root = tmp_path_factory.mktemp("classroom")
    # Token logins are the server's owner (an instructor by default), as on
    # JupyterHub; ?user=NAME names a student.
    server = JupyterProcess(
        root,
        identity_provider="tests.harness.clients.OwnerUsers",
        app="jupyter_server",
        position_rate_hz=20,
        owner_is_instructor=True,
    )
    server.start()
    yield server
    server.stop()


def start_kernel(server: JupyterProcess) -> BlockingKernelClient:
    """A kernel the server starts (as the notebook does), and a client for it."""
    request = urllib.request.Request(
        f"{server.url}api/kernels?token={server.token}", data=b"{}", method="POST"
    )
    with urllib.request.urlopen(request, timeout=60) as response:
        kernel_id = json.loads(response.read())["id"]
    # Until the server has heard from its kernel: on a busy machine the
    # kernel's heartbeat may not answer yet, which jupyter_client reads as a
    # dead kernel.
    deadline = time.monotonic() + 60
    state = "starting"
    while state == "starting" and time.monotonic() < deadline:
        time.sleep(0.2)
        url = f"{server.url}api/kernels/{kernel_id}?token={server.token}"
        with urllib.request.urlopen(url, timeout=30) as response:
            state = json.loads(response.read())["execution_state"]
    connection = server.root / "runtime" / f"kernel-{kernel_id}.json"
    client = BlockingKernelClient()
    client.load_connection_file(str(connection))
    client.start_channels()
    client.wait_for_ready(timeout=60)
    return client


@pytest.fixture(scope="module")
def kernel(server: JupyterProcess):
    client = start_kernel(server)
    yield Kernel(client)
    client.stop_channels()


def student(server: JupyterProcess, name: str) -> Classroom:
    """A classmate on the map (a participant, not an observer), driven from Python."""
    return Classroom(url=f"{server.url}?user={name}", token=server.token, observer=False)


def rooms_of(kernel: Kernel) -> dict[str, str | None]:
    return dict(kernel.value("[(p['user'], p['room']) for p in c.roster]"))


def wait_for(check, what: str, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.05)


def test_the_instructor_teaches_from_a_notebook(server: JupyterProcess, kernel: Kernel) -> None:
    ann, ben = student(server, "ann"), student(server, "ben")
    try:
        kernel.run("from jupyter_classroom import Classroom\nc = Classroom()")
        assert kernel.value("c.me['role']") == "instructor"
        # The roster: records (no pandas here), the students in it, not the notebook.
        roster = kernel.value("c.roster")
        assert sorted(p["user"] for p in roster) == ["ann", "ben"]
        assert {p["role"] for p in roster} == {"student"}

        ben.send(protocol.SetPresence(hand=True))
        ann.send(protocol.SetPresence(hand=True, mic=True))
        kernel.run(
            """
            import time
            deadline = time.monotonic() + 20
            while len(c.hands) < 2 and time.monotonic() < deadline:
                time.sleep(0.05)
            """
        )
        assert [h["user"] for h in kernel.value("c.hands")] == ["ben", "ann"]

        kernel.run("c.announce('Quiz at 3pm')")
        wait_for(lambda: ann.announcement == "Quiz at 3pm", "the announcement")
        # A late joiner gets it in the welcome.
        cat = student(server, "cat")
        try:
            assert cat.announcement == "Quiz at 3pm"
        finally:
            cat.close()

        kernel.run("c.mute_all(); c.lower_hand('ben')")
        wait_for(lambda: not any(p["mic"] for p in ben.roster if p["user"] == "ann"), "the mute")
        assert [h["user"] for h in kernel.value("c.hands")] == ["ann"]

        kernel.run("c.lock(mic=True, chat=True)")
        wait_for(lambda: ann.locks.get("mic") is True, "the lock")
        with pytest.raises(ClassroomRefused) as e:
            ann.send(protocol.SetPresence(mic=True))
        assert e.value.code == "locked"
        kernel.run("c.unlock(mic=True, chat=True)")

        kernel.run("c.summon(to='stage')")
        wait_for(lambda: rooms_of(kernel) == {"ann": "stage", "ben": "stage"}, "the summons")

        kernel.run("c.breakouts([['ann'], ['ben']], minutes=5)")
        rooms = {r["id"]: r for r in kernel.value("c.rooms")}
        wait_for(
            lambda: (
                kernel.value("[r['people'] for r in c.rooms if r['id'] in ('table-1', 'table-2')]")
                == [["Ann"], ["Ben"]]
            ),
            "the breakouts",
        )
        assert kernel.value("c.breakout")["tables"] == ["table-1", "table-2"]
        kernel.run("c.end_breakouts()")
        wait_for(lambda: kernel.value("c.breakout") is None, "the end of the breakouts")
        wait_for(
            lambda: rooms_of(kernel) == {"ann": "stage", "ben": "stage"},
            "everyone back on the stage",
        )

        kernel.run("c.lock_room('table-3')")
        assert [r["locked"] for r in kernel.value("c.rooms") if r["id"] == "table-3"] == [True]
        assert rooms["stage"]["kind"] == "stage"

        # Refusals are clear exceptions with the protocol's code, and the connection lives on.
        assert (
            kernel.run(
                """
            from jupyter_classroom import ClassroomRefused
            try:
                c.lock_room('no-such-room')
            except ClassroomRefused as e:
                print(e.code)
            """
            ).strip()
            == "unknown_room"
        )
        # The notebook's user has no classroom tab with media here: said clearly.
        assert (
            kernel.run(
                """
            try:
                c.broadcast(True)
            except ClassroomRefused as e:
                print(e.code)
            """
            ).strip()
            == "no_connection"
        )
        assert kernel.run("print(len(c.roster))").strip() == "2"
    finally:
        ann.close()
        ben.close()


def test_a_student_in_a_notebook_gets_classroom_forbidden(
    server: JupyterProcess, kernel: Kernel
) -> None:
    printed = kernel.run(
        f"""
        from jupyter_classroom import Classroom, ClassroomForbidden
        s = Classroom(url={server.url + "?user=dan"!r}, token={server.token!r})
        print(s.me['role'])
        commands = (lambda: s.announce('hi'), s.mute_all, lambda: s.breakouts(2),
                    s.end_breakouts, lambda: s.summon(), lambda: s.lock(chat=True),
                    lambda: s.broadcast(True))
        for command in commands:
            try:
                command()
            except ClassroomForbidden as e:
                print(e.code)
        s.close()
        """
    )
    assert printed.split() == ["student"] + ["forbidden"] * 7


def test_send_takes_the_protocols_messages(server: JupyterProcess) -> None:
    """The one door every command goes through (the notebook widget's too):
    a protocol message in, its ack out, a refusal as an exception with the
    error's code."""
    teacher = Classroom(url=server.url, token=server.token)  # the owner: an instructor
    eve = student(server, "eve")
    try:
        assert teacher.me["role"] == "instructor"
        ack = teacher.send(protocol.Announce(text="Send works"))
        assert isinstance(ack, protocol.Ack)
        wait_for(lambda: eve.announcement == "Send works", "the announcement")
        assert isinstance(eve.send(protocol.Ping()), protocol.Pong)
        with pytest.raises(ClassroomForbidden) as forbidden:
            eve.send(protocol.Announce(text="not mine to say"))
        assert forbidden.value.code == "forbidden"
        with pytest.raises(ClassroomRefused) as unknown:
            teacher.send(protocol.LockRoom(room="no-such-room", locked=True))
        assert unknown.value.code == "unknown_room"
        # Checked by the codec before it leaves: the server's rules, its code.
        with pytest.raises(ClassroomRefused) as bad:
            teacher.send(protocol.StartBreakouts(mode="random", tables="two", groups=None))  # type: ignore[arg-type]  # a wrong type on purpose
        assert bad.value.code == "bad_message"
        with pytest.raises(TypeError):
            teacher.send(protocol.Join(protocol=protocol.PROTOCOL_VERSION))
        # The connection lives on after every refusal.
        teacher.send(protocol.Announce(text=None))
        wait_for(lambda: eve.announcement is None, "the announcement cleared")
    finally:
        eve.close()
        teacher.close()


def test_the_notebook_is_an_observer_of_its_user(server: JupyterProcess, kernel: Kernel) -> None:
    """The notebook acts for its user without being a second person: one
    person of that user in everyone's roster (their classroom tab), and
    what the notebook does signed with that person's name, without "(2)"."""
    tab = Classroom(url=server.url, token=server.token, observer=False)  # the owner's tab
    ann = student(server, "ann")
    try:
        kernel.run("from jupyter_classroom import Classroom\nc = Classroom()")
        me = kernel.value("c.me")
        owner = tab.me
        assert (me["user"], me["role"], me["name"]) == (owner["user"], "instructor", owner["name"])
        assert me["id"] != owner["id"]
        kernel.run("c.announce('From the notebook')")
        wait_for(lambda: ann.announcement == "From the notebook", "the announcement")
        with ann._live().lock:
            signed = dict(ann._live().state["announcement"])
        assert (signed["sender"], signed["sender_name"]) == (owner["id"], owner["name"])
        assert "(2)" not in owner["name"]
        # One person of that user in every roster: the notebook is in none.
        mine = [p for p in ann.roster if p["user"] == owner["user"]]
        assert [p["id"] for p in mine] == [owner["id"]]
        assert sorted(p["user"] for p in kernel.value("c.roster")) == sorted(
            ["ann", owner["user"]]
        )
        assert all(p["id"] != me["id"] for p in tab.roster)
        # It moves nobody: it has no avatar.
        assert (
            kernel.run(
                """
                from jupyter_classroom import ClassroomRefused, protocol
                try:
                    c.send(protocol.SetPresence(hand=True))
                except ClassroomRefused as e:
                    print(e.code)
                """
            ).strip()
            == "observer"
        )
        kernel.run("c.announce(None)")
    finally:
        ann.close()
        tab.close()


def test_no_classroom_is_a_clear_exception(tmp_path: Path) -> None:
    # A kernel not started by a Jupyter server, with no server running.
    km = KernelManager()
    runtime = tmp_path / "runtime"
    runtime.mkdir()
    env = dict(
        os.environ,
        JUPYTER_RUNTIME_DIR=str(runtime),
        PYTHONPATH=str(Path(__file__).resolve().parent.parent),
    )
    for name in (
        "JUPYTER_CLASSROOM_URL",
        "JUPYTER_CLASSROOM_TOKEN",
        "JUPYTER_CLASSROOM_HUB_SERVICE_URL",
    ):
        env.pop(name, None)
    km.start_kernel(cwd=str(tmp_path), env=env)
    client = km.client()
    client.start_channels()
    try:
        client.wait_for_ready(timeout=60)
        printed = Kernel(client).run(
            """
            from jupyter_classroom import Classroom, ClassroomUnreachable
            try:
                Classroom()
            except ClassroomUnreachable as e:
                print(type(e).__name__, '|', e)
            """
        )
        assert printed.startswith("ClassroomUnreachable | No Jupyter server with a classroom")
    finally:
        client.stop_channels()
        km.shutdown_kernel(now=True)
    # A server that does not answer.
    with pytest.raises(ClassroomUnreachable):
        Classroom(url=f"http://127.0.0.1:{free_port()}/", token="x", timeout=5)


# -- on a hub single-user server: finding the hub's classroom (the hub's answers
# stand in here; tests/test_hub_service.py runs it against a real hub) ----------


HUB_ENV = {
    "JUPYTER_CLASSROOM_HUB_SERVICE_URL": "/jhub/services/classroom/",
    "JUPYTERHUB_API_URL": "http://10.0.0.1:8081/jhub/hub/api",
    "JUPYTERHUB_API_TOKEN": "server-token",
}


def hub_answers(
    monkeypatch: pytest.MonkeyPatch, classrooms: list[str], env: dict[str, str] = HUB_ENV
) -> list[tuple[str, str]]:
    from jupyter_classroom.client import discovery

    for name in (
        "JUPYTER_CLASSROOM_URL",
        "JUPYTER_CLASSROOM_TOKEN",
        "JUPYTERHUB_PUBLIC_HUB_URL",
        "JUPYTERHUB_PUBLIC_URL",
    ):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    asked: list[tuple[str, str]] = []

    def get_json(url: str, token: str, timeout: float) -> Any:
        asked.append((url, token))
        if url.endswith("/hub/api/services/classroom"):
            return {
                "name": "classroom",
                "url": "http://hub:10101",
                "prefix": "/jhub/services/classroom/",
            }
        if url.endswith("/services/classroom/api/classrooms"):
            return {
                "user": "alice",
                "classrooms": [
                    {
                        "name": n,
                        "title": n.title(),
                        "role": "student",
                        "ws_path": f"classrooms/{n}/ws",
                    }
                    for n in classrooms
                ],
            }
        raise ClassroomUnreachable(f"{url} answered 404: Not Found")

    monkeypatch.setattr(discovery, "_get_json", get_json)
    return asked


def test_on_a_hub_the_only_classroom_is_found_through_the_hubs_api(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from jupyter_classroom.client import find_server

    asked = hub_answers(monkeypatch, ["physics"])
    assert find_server() == (
        "ws://hub:10101/jhub/services/classroom/classrooms/physics/ws",
        "server-token",
    )
    assert asked == [
        ("http://10.0.0.1:8081/jhub/hub/api/services/classroom", "server-token"),
        ("http://hub:10101/jhub/services/classroom/api/classrooms", "server-token"),
    ]


def test_on_a_hub_with_a_public_url_the_proxy_is_used(monkeypatch: pytest.MonkeyPatch) -> None:
    from jupyter_classroom.client import find_server

    asked = hub_answers(
        monkeypatch,
        ["physics"],
        {**HUB_ENV, "JUPYTERHUB_PUBLIC_HUB_URL": "https://hub.example.org/jhub/hub/"},
    )
    url, _ = find_server()
    assert url == "wss://hub.example.org/jhub/services/classroom/classrooms/physics/ws"
    assert [u for u, _ in asked] == [
        "https://hub.example.org/jhub/services/classroom/api/classrooms"
    ]


def test_on_a_hub_several_classrooms_need_a_name(monkeypatch: pytest.MonkeyPatch) -> None:
    from jupyter_classroom.client import find_server

    hub_answers(monkeypatch, ["physics", "chemistry"])
    with pytest.raises(
        ClassroomUnreachable,
        match=r"several classrooms .*'physics', 'chemistry'.*classroom='physics'",
    ):
        find_server()
    assert find_server("chemistry")[0].endswith("/classrooms/chemistry/ws")
    with pytest.raises(ClassroomUnreachable, match="not in a classroom 'biology'"):
        find_server("biology")
    hub_answers(monkeypatch, [])
    with pytest.raises(ClassroomUnreachable, match="in no classroom"):
        find_server()


def test_on_a_hub_a_server_token_without_the_scopes_says_how_to_fix_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from jupyter_classroom.client import discovery

    hub_answers(monkeypatch, ["physics"])

    def refused(url: str, token: str, timeout: float) -> Any:
        raise ClassroomUnreachable(f"{url} answered 403: forbidden")

    monkeypatch.setattr(discovery, "_get_json", refused)
    with pytest.raises(ClassroomUnreachable, match="server_token_scopes"):
        discovery.find_server()


def test_an_explicit_url_wins_over_the_hub(monkeypatch: pytest.MonkeyPatch) -> None:
    from jupyter_classroom.client import find_server

    hub_answers(monkeypatch, ["physics"])
    monkeypatch.setenv("JUPYTER_CLASSROOM_URL", "http://127.0.0.1:8888/")
    assert find_server() == ("http://127.0.0.1:8888/", "server-token")
