"""The classroom as a JupyterHub service, against a real JupyterHub (with
configurable-http-proxy) configured as docs/hub.md says: authentication with
hub tokens, the access scope, the instructor scope, classrooms by group."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

import pytest
from websockets.exceptions import InvalidStatus
from websockets.sync.client import ClientConnection, connect
from websockets.typing import Origin

from jupyter_classroom import protocol

from .harness.hub import ACCESS_SCOPE, TEACH_SCOPE, HubProcess

pytestmark = pytest.mark.network

CLASSES = {
    "physics": {"title": "Physics 101", "groups": ["physics"]},
    "chemistry": {"title": "Chemistry 201", "groups": ["chemistry"], "users": ["guest"]},
}
GROUPS = {
    "instructors": ["teacher"],
    "physics": ["teacher", "alice", "bob", "carol"],
    "chemistry": ["dan"],
}


@pytest.fixture(scope="module")
def hub(tmp_path_factory: pytest.TempPathFactory) -> Iterator[HubProcess]:
    process = HubProcess(tmp_path_factory.mktemp("hub"), groups=GROUPS, classrooms=CLASSES)
    process.start()
    try:
        yield process
    finally:
        process.stop()


def rest(
    hub: HubProcess, path: str, token: str | None = None, header: str = "token"
) -> tuple[int, dict]:
    headers = {"Authorization": f"{header} {token}"} if token else {}
    request = urllib.request.Request(hub.service_url + path, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read())


@contextmanager
def join(
    hub: HubProcess, token: str, classroom: str = "physics", **options: object
) -> Iterator[tuple[ClientConnection, dict]]:
    """Open the classroom's socket as a browser does and join (with the
    ``join`` message's ``options``); gives the welcome too."""
    with connect(
        f"{hub.ws_base}classrooms/{classroom}/ws?token={token}",
        origin=Origin(hub.url.rstrip("/")),
        open_timeout=30,
    ) as ws:
        message = {"type": "join", "protocol": protocol.PROTOCOL_VERSION, "id": 1, **options}
        ws.send(json.dumps(message))
        yield ws, receive(ws, "welcome")


def receive(ws: ClientConnection, kind: str, timeout: float = 20, **match: object) -> dict:
    while True:
        message = json.loads(ws.recv(timeout=timeout))
        if message["type"] == kind and all(message.get(k) == v for k, v in match.items()):
            return message


def me(welcome: dict) -> dict:
    return next(p for p in welcome["participants"] if p["id"] == welcome["you"])


def refused_upgrade(url: str, origin: str) -> tuple[int, dict]:
    with pytest.raises(InvalidStatus) as e, connect(url, origin=Origin(origin), open_timeout=30):
        pass
    response = e.value.response
    return response.status_code, json.loads(response.body or b"{}")


def test_rest_needs_a_hub_token_with_the_access_scope(hub: HubProcess) -> None:
    status, body = rest(hub, "api/classrooms")
    assert (status, body["code"]) == (401, "not_authenticated")
    assert "Authorization" in body["message"]
    status, body = rest(hub, "api/classrooms", "not-a-token")
    assert (status, body["code"]) == (401, "not_authenticated")
    # A real token of a real user, without the classroom's access scope.
    no_access = hub.token_for("alice", scopes=["read:users:name!user=alice"])
    status, body = rest(hub, "api/classrooms", no_access)
    assert (status, body["code"]) == (403, "forbidden")
    assert ACCESS_SCOPE in body["message"]
    # A token in the URL does not count on REST (only on the socket).
    status, body = rest(hub, f"api/classrooms?token={hub.token_for('alice', [ACCESS_SCOPE])}")
    assert (status, body["code"]) == (401, "not_authenticated")


def test_a_student_and_the_instructor_see_their_classroom_with_their_roles(
    hub: HubProcess,
) -> None:
    status, listing = rest(hub, "api/classrooms", hub.token_for("alice", [ACCESS_SCOPE]), "Bearer")
    assert status == 200
    assert listing == {
        "user": "alice",
        "classrooms": [
            {
                "name": "physics",
                "title": "Physics 101",
                "role": "student",
                "ws_path": "classrooms/physics/ws",
                "online": 0,
            }
        ],
    }
    status, listing = rest(
        hub, "api/classrooms", hub.token_for("teacher", [ACCESS_SCOPE, TEACH_SCOPE])
    )
    assert status == 200
    assert [(c["name"], c["role"]) for c in listing["classrooms"]] == [("physics", "instructor")]
    # The guest is listed by name in chemistry; dan is there by group.
    _, listing = rest(hub, "api/classrooms", hub.token_for("guest", [ACCESS_SCOPE]))
    assert [c["name"] for c in listing["classrooms"]] == ["chemistry"]


def test_people_meet_in_one_classroom_under_their_hub_names(hub: HubProcess) -> None:
    teacher_token = hub.token_for("teacher", [ACCESS_SCOPE, TEACH_SCOPE])
    with (
        join(hub, teacher_token) as (teacher, welcome_t),
        join(hub, hub.token_for("alice", [ACCESS_SCOPE])) as (alice, welcome_a),
    ):
        assert (me(welcome_t)["name"], me(welcome_t)["role"]) == ("teacher", "instructor")
        assert (me(welcome_a)["name"], me(welcome_a)["role"]) == ("alice", "student")
        assert {(p["user"], p["role"]) for p in welcome_a["participants"]} == {
            ("teacher", "instructor"),
            ("alice", "student"),
        }
        joined = receive(teacher, "participant_joined")
        assert joined["participant"]["user"] == "alice"
        alice.send(
            json.dumps({"type": "chat_send", "channel": "class", "text": "hello physics", "id": 2})
        )
        chat = receive(teacher, "chat")
        assert (chat["message"]["sender_user"], chat["message"]["text"]) == (
            "alice",
            "hello physics",
        )
        # The listing counts who is in.
        _, listing = rest(hub, "api/classrooms", hub.token_for("bob", [ACCESS_SCOPE]))
        assert listing["classrooms"][0]["online"] == 2
        # Their sockets are pinged with settings tornado takes as they are
        # (it would have said why it changed them when they opened).
        assert "websocket_ping_timeout" not in hub.log_path.read_text(errors="replace")


def test_the_socket_refuses_without_a_token_or_the_scope_or_membership(hub: HubProcess) -> None:
    origin = hub.url.rstrip("/")
    status, body = refused_upgrade(f"{hub.ws_base}classrooms/physics/ws", origin)
    assert (status, body["code"]) == (401, "not_authenticated")
    no_access = hub.token_for("bob", scopes=["read:users:name!user=bob"])
    status, body = refused_upgrade(f"{hub.ws_base}classrooms/physics/ws?token={no_access}", origin)
    assert (status, body["code"]) == (403, "forbidden")
    # Alice is not in chemistry, and nobody is in a classroom that does not exist.
    alice = hub.token_for("alice", [ACCESS_SCOPE])
    for name in ("chemistry", "biology"):
        status, body = refused_upgrade(f"{hub.ws_base}classrooms/{name}/ws?token={alice}", origin)
        assert (status, body["code"]) == (404, "unknown_classroom")
    # Another site's page cannot use someone's token through their browser.
    with (
        pytest.raises(InvalidStatus) as e,
        connect(
            f"{hub.ws_base}classrooms/physics/ws?token={alice}",
            origin=Origin("http://evil.example"),
            open_timeout=30,
        ),
    ):
        pass
    assert e.value.response.status_code == 403


def test_a_change_of_group_changes_the_role_at_the_next_join(hub: HubProcess) -> None:
    # An API token that takes whatever its owner holds at each request.
    token = hub.token_for("carol")

    def role() -> str:
        with join(hub, token) as (_, welcome):
            return me(welcome)["role"]

    assert role() == "student"
    hub.set_group("instructors", add=["carol"])
    try:
        assert role() == "instructor"
    finally:
        hub.set_group("instructors", remove=["carol"])
    assert role() == "student"
    # A token that was given the teach scope loses it with the group.
    hub.set_group("instructors", add=["carol"])
    teach_token = hub.token_for("carol", [ACCESS_SCOPE, TEACH_SCOPE])
    hub.set_group("instructors", remove=["carol"])
    with join(hub, teach_token) as (_, welcome):
        assert me(welcome)["role"] == "student"


def test_classes_are_separate_and_keep_their_own_chat(hub: HubProcess) -> None:
    with (
        join(hub, hub.token_for("bob", [ACCESS_SCOPE])) as (bob, _),
        join(hub, hub.token_for("dan", [ACCESS_SCOPE]), "chemistry") as (dan, welcome_d),
    ):
        assert [p["user"] for p in welcome_d["participants"]] == ["dan"]
        bob.send(
            json.dumps({"type": "chat_send", "channel": "class", "text": "physics only", "id": 2})
        )
        receive(bob, "ack", id=2)
        dan.send(
            json.dumps(
                {"type": "chat_send", "channel": "class", "text": "chemistry only", "id": 2}
            )
        )
        receive(dan, "ack", id=2)
    # Whoever joins physics next gets physics' history, not chemistry's.
    with join(hub, hub.token_for("alice", [ACCESS_SCOPE])) as (alice, _):
        history = receive(alice, "chat_history", channel="class")
    texts = [m["text"] for m in history["messages"]]
    assert "physics only" in texts and "chemistry only" not in texts
    with join(hub, hub.token_for("guest", [ACCESS_SCOPE]), "chemistry") as (guest, _):
        history = receive(guest, "chat_history", channel="class")
    assert [m["text"] for m in history["messages"]] == ["chemistry only"]
    # Each classroom's history is a file of its own.
    data = Path(hub.root) / "classroom-data"
    assert {p.name for p in data.glob("*.sqlite")} == {"physics.sqlite", "chemistry.sqlite"}


def test_media_frames_go_through_the_hubs_proxy_to_the_table(hub: HubProcess) -> None:
    """Where UDP does not pass, media goes over the service's media socket,
    beside the classroom's socket, through the hub's proxy like everything else."""
    from websockets.exceptions import ConnectionClosed

    from jupyter_classroom.protocol.frames import FrameHeader, parse_header

    tokens = {name: hub.token_for(name, [ACCESS_SCOPE]) for name in ("alice", "carol")}
    sockets = {}
    with (
        # At Table 5, taking part in rooms' media.
        join(hub, tokens["alice"], media=True, restore={"x": 720, "y": 730}) as (alice, welcome_a),
        join(hub, tokens["carol"], media=True, restore={"x": 880, "y": 730}) as (carol, welcome_c),
        ExitStack() as stack,
    ):
        assert me(welcome_a)["room"] == me(welcome_c)["room"] == "table-5"
        for name, ws, welcome in (("alice", alice, welcome_a), ("carol", carol, welcome_c)):
            ws.send(
                json.dumps({"type": "presence", "mic": True, "transport": "websocket", "id": 4})
            )
            receive(ws, "ack", id=4)
            sockets[name] = stack.enter_context(
                connect(
                    f"{hub.ws_base}classrooms/physics/media?token={tokens[name]}"
                    f"&ticket={welcome['media_ticket']}",
                    origin=Origin(hub.url.rstrip("/")),
                    open_timeout=30,
                )
            )
        frame = FrameHeader(protocol.FRAME_KIND_AUDIO, 0, True, 0, 5, 1).pack() + b"opus"
        sockets["alice"].send(frame)
        got = sockets["carol"].recv(timeout=20)
        assert isinstance(got, bytes)
        assert parse_header(got).source == me(welcome_a)["number"] and got.endswith(b"opus")
        # Someone else's ticket opens nothing.
        with connect(
            f"{hub.ws_base}classrooms/physics/media?token={tokens['carol']}"
            f"&ticket={welcome_a['media_ticket']}",
            origin=Origin(hub.url.rstrip("/")),
            open_timeout=30,
        ) as stolen:
            with pytest.raises(ConnectionClosed):
                stolen.recv(timeout=20)
            assert stolen.close_code == protocol.CLOSE_BAD_TICKET


def test_bad_messages_get_an_error_and_the_connection_lives_on(hub: HubProcess) -> None:
    with join(hub, hub.token_for("bob", [ACCESS_SCOPE])) as (ws, _):
        ws.send("{not json")
        assert receive(ws, "error")["code"] == "bad_json"
        ws.send(json.dumps({"type": "ping", "id": 9}))
        assert receive(ws, "pong")["id"] == 9


def test_the_notebook_api_reaches_the_hubs_classroom(hub: HubProcess) -> None:
    # An instructor's notebook, with a hub token that may use the classroom
    # (made on the hub's token page with these scopes), and the socket's URL.
    from jupyter_classroom.client import Classroom, ClassroomForbidden

    url = f"{hub.ws_base}classrooms/physics/ws"
    with Classroom(url=url, token=hub.token_for("teacher", [ACCESS_SCOPE, TEACH_SCOPE])) as c:
        assert (c.me["user"], c.me["role"]) == ("teacher", "instructor")
        c.announce("Lab 3 starts now")
        assert c.announcement == "Lab 3 starts now"
        c.clear_announcement()
    with Classroom(url=url, token=hub.token_for("bob", [ACCESS_SCOPE])) as c:
        assert c.me["role"] == "student"
        with pytest.raises(ClassroomForbidden):
            c.announce("not mine to say")


NOTEBOOK = """
import json
from jupyter_classroom import Classroom, ClassroomForbidden, ClassroomUnreachable

def notebook(named=None):
    try:
        c = Classroom(classroom=named)
    except ClassroomUnreachable as e:
        return {"unreachable": str(e)}
    with c:
        result = {"user": c.me["user"], "role": c.me["role"], "url": c._url.split("?")[0]}
        try:
            c.announce("from the notebook")
            c.clear_announcement()
            result["announced"] = True
        except ClassroomForbidden:
            result["announced"] = False
    return result
"""


@contextmanager
def kernel_of(hub: HubProcess, name: str) -> Iterator[Callable[..., dict]]:
    """A real kernel with exactly the environment of ``name``'s spawned
    single-user server (its /proc environ, which the server's kernels
    inherit), in the user's home; gives ``run(classroom=None)``, which runs
    ``Classroom(classroom=...)`` there."""
    from jupyter_client import KernelManager

    from .test_client import Kernel

    env = hub.server_environ(name)
    km = KernelManager()
    km.start_kernel(cwd=env.get("HOME") or None, env=env)
    client = km.client()
    client.start_channels()
    try:
        client.wait_for_ready(timeout=60)
        kernel = Kernel(client)
        kernel.run(NOTEBOOK)

        def run(classroom: str | None = None) -> dict:
            printed = kernel.run(f"print(json.dumps(notebook({classroom!r})))")
            return json.loads(printed.strip().splitlines()[-1])

        yield run
    finally:
        client.stop_channels()
        km.shutdown_kernel(now=True)


def test_the_notebook_api_finds_the_hubs_classroom_from_a_spawned_servers_kernel(
    hub: HubProcess,
) -> None:
    # Real single-user servers spawned by the hub with docs/hub.md's
    # configuration; Classroom() runs with the environment each gives its
    # kernels (its /proc environ) in a real kernel: no URL, no token given.
    names = ("teacher", "alice", "dan")
    try:
        for name in names:
            hub.start_server(name)
        for name in names:
            env = hub.server_environ(name)
            assert (
                "JUPYTER_CLASSROOM_HUB_SERVICE_URL" in env and "JUPYTER_CLASSROOM_URL" not in env
            )
        with kernel_of(hub, "teacher") as run:
            assert run() == {
                "user": "teacher",
                "role": "instructor",
                "url": hub.service_direct_url.replace("http", "ws", 1) + "classrooms/physics/ws",
                "announced": True,
            }
        with kernel_of(hub, "dan") as run:
            dan = run()
            assert (dan["user"], dan["role"], dan["announced"]) == ("dan", "student", False)
            assert dan["url"].endswith("/services/classroom/classrooms/chemistry/ws")
        with kernel_of(hub, "alice") as run:
            alice = run()
            assert (alice["user"], alice["role"], alice["announced"]) == (
                "alice",
                "student",
                False,
            )
            assert alice["url"].endswith("/services/classroom/classrooms/physics/ws")
            # In two classrooms: Classroom() asks which; a name picks it.
            hub.set_group("chemistry", add=["alice"])
            try:
                several = run()["unreachable"]
                assert "several classrooms" in several
                assert "'chemistry'" in several and "'physics'" in several
                named = run("chemistry")
                assert (named["user"], named["role"]) == ("alice", "student")
                assert named["url"].endswith("/classrooms/chemistry/ws")
                assert "not in a classroom 'biology'" in run("biology")["unreachable"]
            finally:
                hub.set_group("chemistry", remove=["alice"])
    finally:
        for name in names:
            hub.stop_server(name)


def fetch(hub: HubProcess, path: str, token: str | None) -> tuple[int, str, bytes]:
    headers = {"Authorization": f"token {token}"} if token else {}
    request = urllib.request.Request(hub.service_url + path, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, response.headers.get("Content-Type", ""), response.read()
    except urllib.error.HTTPError as e:
        return e.code, e.headers.get("Content-Type", ""), e.read()


def test_members_get_the_classrooms_map_and_its_images(hub: HubProcess) -> None:
    alice = hub.token_for("alice", [ACCESS_SCOPE])
    status, kind, body = fetch(hub, "classrooms/physics/map", alice)
    assert (status, kind.split(";")[0]) == (200, "application/json")
    document = json.loads(body)
    images = {ts["image"] for ts in document["tilesets"] if ts.get("image")}
    assert images, "the default map is drawn with the project's tileset"
    status, kind, png = fetch(hub, f"classrooms/physics/map/files/{sorted(images)[0]}", alice)
    assert (status, kind) == (200, "image/png") and png.startswith(b"\x89PNG")
    # Only what the map names, only for members, only with a token.
    for path, token, expected in (
        ("classrooms/physics/map/files/..%2F..%2Fclassroom.json", alice, (404, "not_found")),
        ("classrooms/physics/map/files/classroom.json", alice, (404, "not_found")),
        ("classrooms/chemistry/map", alice, (404, "unknown_classroom")),
        ("classrooms/physics/map", None, (401, "not_authenticated")),
    ):
        status, _kind, body = fetch(hub, path, token)
        assert (status, json.loads(body)["code"]) == expected, path
