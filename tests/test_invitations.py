"""Classroom-only invitations against a real Jupyter server (pytest-jupyter):
made, listed and revoked over the protocol; the link's page and form; the
guest pass opening the guest routes and nothing else; revocation and
expiry ending live sockets; the guess budget; the guest cap."""

from __future__ import annotations

import json
import re
import urllib.parse
from typing import Any

import pytest
import tornado.httpclient
import tornado.websocket

from jupyter_classroom import protocol

from .harness.clients import Client
from .harness.servers import server_config

pytest_plugins = ["pytest_jupyter.jupyter_server"]


@pytest.fixture
def jp_server_config(tmp_path):
    config = server_config(tmp_path, instructors=["ann"], reconnect_grace=30.0)
    # JupyterLab too, so that /lab is there to be refused.
    config["ServerApp"]["jpserver_extensions"] = {"jupyter_classroom": True, "jupyterlab": True}
    return config


class Site:
    """The server as someone with no Jupyter login reaches it."""

    def __init__(self, port: int, base_url: str, jupyter_token: str) -> None:
        self.http = f"http://localhost:{port}"
        self.ws = f"ws://localhost:{port}"
        self.base = base_url
        self.jupyter_token = jupyter_token
        self.client = tornado.httpclient.AsyncHTTPClient()

    async def fetch(self, path: str, **kwargs: Any) -> tornado.httpclient.HTTPResponse:
        """``path`` (from the base URL, or from the host when it starts with
        ``/``) without following redirects or raising on an error status."""
        url = f"{self.http}{path}" if path.startswith("/") else f"{self.http}{self.base}{path}"
        return await self.client.fetch(url, follow_redirects=False, raise_error=False, **kwargs)

    async def join(
        self, link: str, name: str = "Zoé", color: str = "#2ca02c", origin: str = ""
    ) -> tornado.httpclient.HTTPResponse:
        """Open the link's page, then submit its form as a browser does (from
        the page's origin, or ``origin``: another site's page posting it)."""
        page = await self.fetch(link)
        assert page.code == 200, page.body
        cookies = "; ".join(c.split(";")[0] for c in page.headers.get_list("Set-Cookie"))
        xsrf = re.search(rb'name="_xsrf" value="([^"]+)"', page.body)
        assert xsrf is not None and cookies
        body = urllib.parse.urlencode({"_xsrf": xsrf.group(1), "name": name, "color": color})
        # A browser names the page's origin on a form it posts.
        headers = {"Cookie": cookies, "Origin": origin or self.http}
        return await self.fetch(link, method="POST", body=body, headers=headers)

    async def guest(self, link: str, name: str = "Zoé") -> str:
        """Join and return the guest pass."""
        answer = await self.join(link, name)
        assert answer.code == 303, answer.body
        location = answer.headers["Location"]
        assert location.startswith(f"{self.base}classroom/page#pass=")
        return location.split("#pass=", 1)[1]

    async def socket(
        self, path: str, **params: str
    ) -> tornado.websocket.WebSocketClientConnection:
        query = urllib.parse.urlencode(params)
        request = tornado.httpclient.HTTPRequest(f"{self.ws}{self.base}{path}?{query}")
        return await tornado.websocket.websocket_connect(request)


@pytest.fixture
def site(jp_serverapp, http_server_client, jp_http_port, jp_base_url) -> Site:
    return Site(jp_http_port, jp_base_url, jp_serverapp.identity_provider.token)


@pytest.fixture
def connect(jp_ws_fetch):
    async def make(user: str) -> Client:
        client = Client(await jp_ws_fetch("classroom", "ws", params={"user": user}))
        await client.join()
        return client

    return make


async def invite(client: Client, **fields: Any) -> dict[str, Any]:
    rid = await client.send(type="create_invitation", **fields)
    return (await client.expect("invitation", id=rid))["invitation"]


async def guest_in(site: Site, made: dict[str, Any]) -> tuple[str, Client, dict[str, Any]]:
    """A guest of invitation ``made`` in the classroom: the pass, the socket, the welcome."""
    guest_pass = await site.guest(made["path"])
    guest = Client(await site.socket("classroom/guest/ws", **{"pass": guest_pass}))
    return guest_pass, guest, await guest.join()


def code_in(body: bytes) -> str | None:
    match = re.search(rb'data-code="([a-z_]+)"', body)
    return match.group(1).decode() if match else None


async def closed(ws: tornado.websocket.WebSocketClientConnection) -> tuple[int | None, str | None]:
    """Read until the server closes the socket; its close code and reason."""
    while await ws.read_message() is not None:
        pass
    return ws.close_code, ws.close_reason


async def test_an_instructor_makes_lists_and_revokes_invitations_a_student_may_not(
    connect,
) -> None:
    ann, ben = await connect("ann"), await connect("ben")
    made = await invite(ann, role="student", expires_in=3600, max_guests=5, label="Tuesday lab")
    assert made["role"] == "student" and made["max_guests"] == 5 and made["guests"] == 0
    assert made["label"] == "Tuesday lab" and made["created_by"] == "ann"
    assert made["path"].endswith("classroom/join/" + made["path"].rsplit("/", 1)[1])
    co = await invite(ann, role="instructor", expires_in=60)
    assert co["max_guests"] == 40  # the server's default

    rid = await ann.send(type="list_invitations")
    listed = (await ann.expect("invitations", id=rid))["invitations"]
    assert [i["id"] for i in listed] == [co["id"], made["id"]]  # newest first

    rid = await ann.send(type="revoke_invitation", invitation=made["id"])
    ended = (await ann.expect("invitation", id=rid))["invitation"]
    assert ended["id"] == made["id"] and ended["revoked"]
    rid = await ann.send(type="list_invitations")
    assert [i["id"] for i in (await ann.expect("invitations", id=rid))["invitations"]] == [
        co["id"]
    ]
    rid = await ann.send(type="revoke_invitation", invitation=made["id"])
    assert (await ann.expect("error", id=rid))["code"] == "unknown_invitation"
    for bad in ({"expires_in": 0}, {"expires_in": 30 * 86400}, {"max_guests": 0}):
        rid = await ann.send(type="create_invitation", **bad)
        assert (await ann.expect("error", id=rid))["code"] == "bad_invitation", bad

    # A student gets a stable code for each, and the connection lives on.
    for message in (
        {"type": "create_invitation"},
        {"type": "list_invitations"},
        {"type": "revoke_invitation", "invitation": co["id"]},
    ):
        rid = await ben.send(**message)
        assert (await ben.expect("error", id=rid))["code"] == "forbidden", message
    rid = await ben.send(type="ping")
    await ben.expect("pong", id=rid)


async def test_a_guest_joins_by_the_link_and_is_in_the_roster_as_a_guest(
    connect, site: Site
) -> None:
    ann = await connect("ann")
    made = await invite(ann, expires_in=3600)
    page = await site.fetch(made["path"])
    assert page.code == 200
    text = page.body.decode()
    assert "You are invited to" in text and 'for="join-name"' in text and "<script" not in text
    assert "http://" not in text and "https://" not in text  # nothing fetched from anywhere
    assert "default-src 'none'" in page.headers["Content-Security-Policy"]
    guest_pass = await site.guest(made["path"], name="  Zoé\u202e  ")
    guest = Client(await site.socket("classroom/guest/ws", **{"pass": guest_pass}))
    welcome = await guest.join()
    me = next(p for p in welcome["participants"] if p["id"] == welcome["you"])
    assert me["name"] == "Zoé" and me["color"] == "#2ca02c" and me["role"] == "student"
    assert me["guest"] and me.get("avatar_url") is None
    assert me["user"] == f"guest:{made['id']}:1"
    seen = await ann.expect("participant_joined")
    assert seen["participant"]["guest"] and seen["participant"]["user"] == me["user"]
    # The guest cannot rename themselves: the name they typed is the one they chose.
    assert not welcome["naming"]
    rid = await ann.send(type="list_invitations")
    [listed] = (await ann.expect("invitations", id=rid))["invitations"]
    assert listed["guests"] == 1 and listed["online"] == 1
    # The guest map, with the pass.
    assert (await site.fetch(f"classroom/guest/map?pass={guest_pass}")).code == 200
    # A co-instructor's invitation makes an instructor.
    co = await invite(ann, role="instructor", expires_in=3600)
    co_pass = await site.guest(co["path"], name="Bea")
    bea = Client(await site.socket("classroom/guest/ws", **{"pass": co_pass}))
    welcome = await bea.join()
    me = next(p for p in welcome["participants"] if p["id"] == welcome["you"])
    assert me["role"] == "instructor" and me["guest"]
    made_by_bea = await invite(bea, expires_in=60)
    assert made_by_bea["created_by"] == f"guest:{co['id']}:1"


async def test_a_guests_name_and_colour_are_checked(connect, site: Site) -> None:
    ann = await connect("ann")
    made = await invite(ann, expires_in=3600)
    for name, color, code in (
        ("   ", "#1f77b4", "bad_name"),
        ("\u200b\u202e", "#1f77b4", "bad_name"),
        ("x" * 41, "#1f77b4", "bad_name"),
        ("Zoé", "red", "bad_color"),
        ("Zoé", "url(http://evil.example/a.png)", "bad_color"),
    ):
        answer = await site.join(made["path"], name=name, color=color)
        assert answer.code == 400 and code_in(answer.body) == code, (name, color)
        assert b'role="alert"' in answer.body and b"<form" in answer.body
    # Without the form's cookie (another site posting it): refused.
    body = urllib.parse.urlencode({"name": "Zoé", "color": "#1f77b4"})
    answer = await site.fetch(made["path"], method="POST", body=body)
    assert answer.code == 403
    # From another site's page, even with the cookie and its token: refused.
    answer = await site.join(made["path"], origin="http://evil.example")
    assert answer.code in (403, 404) and b"<form" not in answer.body
    rid = await ann.send(type="list_invitations")
    [listed] = (await ann.expect("invitations", id=rid))["invitations"]
    assert listed["guests"] == 0


async def test_the_link_and_the_pass_open_nothing_else(connect, site: Site) -> None:
    ann = await connect("ann")
    made = await invite(ann, expires_in=3600)
    token = made["path"].rsplit("/", 1)[1]
    guest_pass = await site.guest(made["path"])
    port = site.http.rsplit(":", 1)[1]
    for secret in (token, guest_pass):
        ways: list[dict[str, Any]] = [
            {"query": f"?token={secret}", "headers": {}},
            {"query": "", "headers": {"Authorization": f"token {secret}"}},
            {
                "query": "",
                "headers": {
                    "Cookie": f"username-localhost-{port}={secret}; "
                    f"username-127.0.0.1-{port}={secret}; pass={secret}; token={secret}"
                },
            },
            {"query": f"?pass={secret}", "headers": {}},
        ]
        for path in (
            "api/contents",
            "api/kernels",
            "api/sessions",
            "api/terminals",
            "lab",
            "api/me",
            "classroom/config",
        ):
            for way in ways:
                answer = await site.fetch(path + way["query"], headers=way["headers"])
                assert answer.code in (302, 403), (path, way, answer.code)
                if answer.code == 302:  # to the login page
                    assert "/login" in answer.headers["Location"], (path, way)
            for way in ways:
                query = way["query"].lstrip("?")
                url = f"{site.ws}{site.base}classroom/ws?{query}"
                with pytest.raises(tornado.httpclient.HTTPClientError) as e:
                    await tornado.websocket.websocket_connect(
                        tornado.httpclient.HTTPRequest(url, headers=way["headers"])
                    )
                assert e.value.code == 403
    # The token is not a pass, nor the pass a token.
    assert (await site.fetch(f"classroom/guest/map?pass={token}")).code == 403
    assert code_in((await site.fetch(f"classroom/join/{guest_pass}")).body) == (
        "invitation_invalid"
    )
    with pytest.raises(tornado.httpclient.HTTPClientError) as e:
        await site.socket("classroom/guest/ws", **{"pass": token})
    assert e.value.code == 403
    # A Jupyter login opens no guest route either.
    answer = await site.fetch(f"classroom/guest/map?token={site.jupyter_token}")
    assert answer.code == 403
    # The pass opens the guest routes.
    assert (await site.fetch(f"classroom/guest/map?pass={guest_pass}")).code == 200
    guest = Client(await site.socket("classroom/guest/ws", **{"pass": guest_pass}))
    await guest.join()


async def test_revoking_disconnects_a_guest_and_their_media_socket(connect, site: Site) -> None:
    ann = await connect("ann")
    made = await invite(ann, expires_in=3600)
    guest_pass, guest, welcome = await guest_in(site, made)
    media = await site.socket(
        "classroom/guest/media", **{"pass": guest_pass, "ticket": welcome["media_ticket"]}
    )
    joined = await ann.expect("participant_joined")
    rid = await ann.send(type="revoke_invitation", invitation=made["id"])
    # They leave at once (no reconnect grace), before the instructor hears it is done.
    left = await ann.expect("participant_left")
    assert left["participant_id"] == joined["participant"]["id"]
    await ann.expect("invitation", id=rid)
    assert await closed(guest.ws) == (protocol.CLOSE_INVITATION_ENDED, "invitation revoked")
    assert await closed(media) == (protocol.CLOSE_INVITATION_ENDED, "invitation revoked")
    # The pass at its next use: the socket is closed with why, the map refused.
    again = await site.socket("classroom/guest/ws", **{"pass": guest_pass})
    assert await closed(again) == (protocol.CLOSE_INVITATION_ENDED, "invitation revoked")
    answer = await site.fetch(f"classroom/guest/map?pass={guest_pass}")
    assert answer.code == 403 and json.loads(answer.body)["code"] == "invitation_revoked"
    page = await site.fetch(made["path"])
    assert page.code == 403 and code_in(page.body) == "invitation_revoked"


async def test_an_invitation_expires_for_its_link_its_passes_and_live_sockets(
    connect, site: Site
) -> None:
    ann = await connect("ann")
    made = await invite(ann, expires_in=4)
    guest_pass, guest, _ = await guest_in(site, made)
    # The live socket ends at the expiry, by itself.
    assert await closed(guest.ws) == (protocol.CLOSE_INVITATION_ENDED, "invitation expired")
    page = await site.fetch(made["path"])
    assert page.code == 410 and code_in(page.body) == "invitation_expired"
    again = await site.socket("classroom/guest/ws", **{"pass": guest_pass})
    assert await closed(again) == (protocol.CLOSE_INVITATION_ENDED, "invitation expired")
    rid = await ann.send(type="list_invitations")
    assert (await ann.expect("invitations", id=rid))["invitations"] == []


async def test_an_invitation_admits_no_more_guests_than_its_cap(connect, site: Site) -> None:
    ann = await connect("ann")
    made = await invite(ann, expires_in=3600, max_guests=2)
    await site.guest(made["path"], name="One")
    await site.guest(made["path"], name="Two")
    answer = await site.join(made["path"], name="Three")
    assert answer.code == 409 and code_in(answer.body) == "invitation_full"


async def test_guesses_are_answered_too_many_attempts_beyond_a_small_budget(
    connect, site: Site
) -> None:
    ann = await connect("ann")
    made = await invite(ann, expires_in=3600)
    good = made["path"].rsplit("/", 1)[1]
    forged = good[:-2] + ("AA" if not good.endswith("AA") else "BB")
    answers = [await site.fetch(f"classroom/join/{forged}") for _ in range(10)]
    assert {(a.code, code_in(a.body)) for a in answers} == {(403, "invitation_invalid")}
    answer = await site.fetch(f"classroom/join/{forged}")
    assert answer.code == 429 and code_in(answer.body) == "too_many_attempts"
    # For a while, even a good link from this address, and passes too.
    answer = await site.fetch(made["path"])
    assert answer.code == 429 and code_in(answer.body) == "too_many_attempts"
    answer = await site.fetch("classroom/guest/map?pass=x")
    assert answer.code == 429 and json.loads(answer.body)["code"] == "too_many_attempts"
    # The classroom itself goes on for those logged in.
    rid = await ann.send(type="list_invitations")
    await ann.expect("invitations", id=rid)


async def test_a_guest_pass_holds_a_place_until_the_guest_leaves(connect, site: Site) -> None:
    """A guest who closes the tab has the reconnect grace like anyone, and
    the same pass brings them back as the same guest."""
    ann = await connect("ann")
    made = await invite(ann, expires_in=3600)
    guest_pass, guest, welcome = await guest_in(site, made)
    guest.ws.close()
    back = Client(await site.socket("classroom/guest/ws", **{"pass": guest_pass}))
    again = await back.join(resume=welcome["resume"])
    assert again["you"] == welcome["you"]
    await ann.nothing("participant_left")


async def test_the_guest_socket_checks_its_origin_and_wants_a_pass(connect, site: Site) -> None:
    ann = await connect("ann")
    made = await invite(ann, expires_in=3600)
    guest_pass = await site.guest(made["path"])
    query = urllib.parse.urlencode({"pass": guest_pass})
    for headers in ({"Origin": "http://evil.example"}, {}):
        request = tornado.httpclient.HTTPRequest(
            f"{site.ws}{site.base}classroom/guest/ws?{query}", headers=headers
        )
        if headers:  # another site's page may not use a guest's pass
            with pytest.raises(tornado.httpclient.HTTPClientError) as e:
                await tornado.websocket.websocket_connect(request)
            assert e.value.code == 403
        else:
            (await tornado.websocket.websocket_connect(request)).close()
    # The server's own token is no pass.
    with pytest.raises(tornado.httpclient.HTTPClientError) as e:
        await site.socket("classroom/guest/ws", token=site.jupyter_token)
    assert e.value.code == 403
