"""Who is who, against a real Jupyter server with Jupyter's own identity
provider: token logins are "Anonymous <moon>", a user may change their
record with ``PATCH /api/me``, and the classroom checks whatever arrives."""

from __future__ import annotations

import json
from typing import Any

import pytest

from jupyter_classroom import protocol
from jupyter_classroom.classroom import colour_of

from .harness.clients import Client

pytest_plugins = ["pytest_jupyter.jupyter_server"]


@pytest.fixture
def jp_server_config(tmp_path):
    return {
        "ServerApp": {"jpserver_extensions": {"jupyter_classroom": True}},
        # What a server may allow: people change their own name and colour.
        "IdentityProvider": {
            "updatable_fields": ["name", "display_name", "color", "initials"],
            # The test's HTTP and WebSocket clients name the host differently.
            "cookie_name": "classroom-test-login",
        },
        "ClassroomApp": {"chat_db_path": str(tmp_path / "chat.sqlite"), "reconnect_grace": 30.0},
    }


def cookie_of(response) -> str:
    return "; ".join(c.split(";")[0] for c in response.headers.get_list("Set-Cookie"))


@pytest.fixture
def browser(jp_fetch, jp_ws_fetch):
    """A browser of its own: a login cookie (a new anonymous user), maybe a
    changed Jupyter record, then the classroom socket."""

    async def make(
        patch: dict[str, Any] | None = None, **join: Any
    ) -> tuple[Client, dict[str, Any]]:
        response = await jp_fetch("api", "me")
        cookie = cookie_of(response)
        assert json.loads(response.body)["identity"]["name"].startswith("Anonymous ")
        if patch is not None:
            response = await jp_fetch(
                "api", "me", method="PATCH", body=json.dumps(patch), headers={"Cookie": cookie}
            )
            cookie = cookie_of(response) or cookie
        ws = await jp_ws_fetch("classroom", "ws", headers={"Cookie": cookie})
        client = Client(ws)
        welcome = await client.join(**join)
        return client, welcome

    return make


def me(welcome: dict[str, Any]) -> dict[str, Any]:
    return next(p for p in welcome["participants"] if p["id"] == welcome["you"])


async def test_an_impostor_and_a_hostile_colour_from_patch_api_me(browser) -> None:
    grace, welcome = await browser({"name": "Grace Hopper", "display_name": "Grace Hopper"})
    assert me(welcome)["name"] == "Grace Hopper"
    assert welcome["naming"] is False  # a name set in Jupyter is the host's
    mallory, welcome_m = await browser(
        {
            "display_name": "Grace\u200b Hopper\u202e",
            "color": "url(http://evil.example/track.png)",
            "initials": "<b>GH</b>\n",
        }
    )
    m = me(welcome_m)
    assert m["name"] == "Grace Hopper (2)"
    assert m["color"] == colour_of(m["user"])
    assert m["initials"] == "<b>"  # cleaned and cut to three; the page writes it as text
    joined = await grace.expect("participant_joined")
    assert joined["participant"]["name"] == "Grace Hopper (2)"
    assert joined["participant"]["color"].startswith("#")
    # In the chat too.
    await mallory.send(type="chat_send", channel="class", text="I am Grace")
    chat = await grace.expect("chat")
    assert chat["message"]["sender_name"] == "Grace Hopper (2)"
    # The host names them: a name of their own choosing is refused.
    request = await mallory.send(type="profile", name="Grace Hopper")
    error = await mallory.expect("error", id=request)
    assert error["code"] == "name_from_host"
    for client in (grace, mallory):
        await client.close()


async def test_anonymous_people_choose_their_name_and_colour(browser) -> None:
    ada, welcome = await browser(name="  Ada\n", color="#00AA11")
    assert welcome["naming"] is True
    assert (me(welcome)["name"], me(welcome)["color"], me(welcome)["initials"]) == (
        "Ada",
        "#00aa11",
        "AD",
    )
    bob, welcome_b = await browser(name="ada")
    assert me(welcome_b)["name"] == "ada (2)"
    assert (await ada.expect("participant_joined"))["participant"]["name"] == "ada (2)"

    # Bad values are refused with their code; the socket and the name live on.
    for fields, code in (
        ({"name": "\u202e\u200b"}, "bad_name"),
        ({"name": "x" * 41}, "bad_name"),
        ({"color": "url(http://evil.example/)"}, "bad_color"),
        ({"color": "red"}, "bad_color"),
    ):
        request = await bob.send(type="profile", **fields)
        error = await bob.expect("error", id=request)
        assert error["code"] == code and error["message"]
    # Longer than the wire allows: a malformed message, still answered.
    request = await bob.send(type="profile", name="y" * 300)
    assert (await bob.expect("error", id=request))["code"] == "bad_message"

    # A good change reaches everyone at once.
    request = await bob.send(type="profile", name="Bob Builder", color="#123abc")
    await bob.expect("ack", id=request)
    updated = await ada.expect("participant_updated")
    assert updated["participant"]["name"] == "Bob Builder"
    assert updated["participant"]["color"] == "#123abc"
    assert updated["participant"]["initials"] == "BB"
    await bob.send(type="ping", id=900)
    assert (await bob.expect("pong", id=900))["id"] == 900
    for client in (ada, bob):
        await client.close()


async def test_a_bad_name_on_joining_is_refused_and_the_join_goes_on(browser) -> None:
    client, welcome = await browser(name="\x00\x1b", color="javascript:alert(1)")
    assert me(welcome)["name"].startswith("Anonymous ")
    codes = {(await client.expect("error"))["code"] for _ in range(2)}
    assert codes == {"bad_name", "bad_color"}
    await client.close()


async def test_a_restated_place_after_a_restart_is_checked(browser) -> None:
    # After a restart the old resume token means nothing: the place is checked.
    stale = "a-token-from-before-the-restart"
    ada, welcome = await browser(
        resume=stale, restore={"x": 800, "y": 450, "hand": True, "mic": True, "status": "busy"}
    )
    a = me(welcome)
    assert (a["x"], a["y"], a["room"], a["hand"], a["mic"], a["status"]) == (
        800,
        450,
        "table-2",
        True,
        True,
        "busy",
    )
    assert welcome["resume"] != stale
    # Inside the lectern (a wall): refused with its code, spawned at the door,
    # the rest restored.
    bob, welcome_b = await browser(resume=stale, restore={"x": 790, "y": 260, "hand": True})
    error = await bob.expect("error")
    assert error["code"] == protocol.ErrorCode.PLACE_REFUSED.value
    assert "wall" in error["message"]
    b = me(welcome_b)
    assert b.get("room") is None and b["y"] > 800 and b["hand"] is True
    for client in (ada, bob):
        await client.close()
