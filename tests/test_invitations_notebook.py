"""Invitations from the notebook API against a real Jupyter server in a
subprocess, and a link and a guest pass that outlive the server's restart."""

from __future__ import annotations

import asyncio
import json
import re
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import tornado.websocket

from jupyter_classroom import Classroom, ClassroomForbidden, ClassroomRefused, protocol
from jupyter_classroom.client import Invitation

from .harness import until
from .harness.servers import JupyterProcess


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[JupyterProcess]:
    # Token logins are the server's owner (an instructor); ?user=NAME a student.
    server = JupyterProcess(
        tmp_path_factory.mktemp("invitations"),
        identity_provider="tests.harness.clients.OwnerUsers",
        app="jupyter_server",
        owner_is_instructor=True,
    )
    server.start()
    yield server
    server.stop()


class _Stay(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


def open_page(url: str, data: bytes | None = None, cookie: str = "") -> tuple[int, Any, bytes]:
    """The answer to a request without a Jupyter login, redirects not followed."""
    request = urllib.request.Request(url, data=data, headers={"Cookie": cookie} if cookie else {})
    opener = urllib.request.build_opener(_Stay)
    try:
        with opener.open(request, timeout=30) as answer:
            return answer.status, answer.headers, answer.read()
    except urllib.error.HTTPError as e:
        return e.code, e.headers, e.read()


def guest_pass(link: str, name: str) -> str:
    """Open the link and send its form, as a browser does: the guest's pass."""
    status, headers, body = open_page(link)
    assert status == 200, body
    cookie = "; ".join(c.split(";")[0] for c in headers.get_all("Set-Cookie"))
    xsrf = re.search(rb'name="_xsrf" value="([^"]+)"', body)
    assert xsrf is not None
    form = urllib.parse.urlencode({"_xsrf": xsrf.group(1), "name": name, "color": "#9467bd"})
    status, headers, body = open_page(link, form.encode(), cookie)
    assert status == 303, body
    return str(headers["Location"]).split("#pass=", 1)[1]


def rows(table: Any) -> list[dict[str, Any]]:
    return table.to_dict("records") if hasattr(table, "to_dict") else list(table)


async def guest_joins(
    server: JupyterProcess, pass_: str, seen: Callable[[], bool] | None = None
) -> dict[str, Any]:
    """A guest's socket joins with ``pass_`` and, once ``seen()`` holds (if
    given), leaves; the welcome."""
    query = urllib.parse.urlencode({"pass": pass_})
    ws = await tornado.websocket.websocket_connect(
        f"ws://127.0.0.1:{server.port}/classroom/guest/ws?{query}"
    )
    try:
        await ws.write_message(json.dumps({"type": "join", "protocol": protocol.PROTOCOL_VERSION}))
        while True:
            text = await asyncio.wait_for(ws.read_message(), 10)
            assert text is not None, (ws.close_code, ws.close_reason)
            message = json.loads(text)
            if message["type"] == "welcome":
                if seen is not None:
                    await until(seen, what="the guest seen by the notebook")
                return message
    finally:
        ws.close()


def test_the_notebook_invites_lists_and_revokes(server: JupyterProcess) -> None:
    with Classroom(url=server.url, token=server.token) as c:
        made = c.invite(role="student", expires="2h", max_guests=3, label="Tuesday lab")
        assert isinstance(made, Invitation)
        assert str(made).startswith(f"{server.url}classroom/join/")
        assert made.link in repr(made) and "until" in repr(made) and "0/3 guests" in repr(made)
        assert f'href="{made.link}"' in made._repr_html_()
        co = c.invite(role="instructor", expires="1d")
        assert co.role == "instructor" and co.max_guests == 40

        # While the guest is in, an exported roster lists them as a guest.
        def guest_listed() -> bool:
            return any(r["guest"] and r["name"] == "Zoé" for r in rows(c.roster))

        asyncio.run(guest_joins(server, guest_pass(made.link, "Zoé"), guest_listed))
        listed = {r["id"]: r for r in rows(c.invitations())}
        assert set(listed) == {made.id, co.id} and listed[made.id]["guests"] == 1

        assert c.revoke(made.link).revoked
        assert c.revoke(co).revoked
        assert rows(c.invitations()) == []
        with pytest.raises(ClassroomRefused) as e:
            c.revoke(made.id)
        assert e.value.code == "unknown_invitation"
        with pytest.raises(ValueError):
            c.invite(expires="soon")
    with Classroom(url=f"{server.url}?user=ben", token=server.token) as student:
        with pytest.raises(ClassroomForbidden):
            student.invite()
        with pytest.raises(ClassroomForbidden):
            student.invitations()


def test_a_link_and_a_pass_work_after_the_server_restarts(server: JupyterProcess) -> None:
    with Classroom(url=server.url, token=server.token) as c:
        made = c.invite(expires="1h", label="kept")
    pass_ = guest_pass(made.link, "Ada")
    server.restart()
    status, _, body = open_page(made.link)
    assert status == 200 and b"You are invited to" in body
    welcome = asyncio.run(guest_joins(server, pass_))
    me = next(p for p in welcome["participants"] if p["id"] == welcome["you"])
    assert me["name"] == "Ada" and me["guest"] and me["user"] == f"guest:{made.id}:1"
    with Classroom(url=server.url, token=server.token) as c:
        [listed] = rows(c.invitations())
        assert listed["id"] == made.id and listed["label"] == "kept" and listed["guests"] == 1
