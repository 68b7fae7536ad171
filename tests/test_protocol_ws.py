"""Mutated frames over a real Jupyter server's classroom WebSocket.

The same generators as ``test_protocol_fuzz.py`` draw a few hundred broken
frames of every client type; they are sent as text or binary frames to a
joined participant's socket on a real server. The socket stays open, every
reply is an expected code and the server logs no ERROR.
"""

from __future__ import annotations

import logging
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from .harness.clients import Client, NamedUsers
from .test_protocol_fuzz import EXPECTED_CODES, PEERS, SPEC, frame, mutate, valid

pytest_plugins = ["pytest_jupyter.jupyter_server"]

pytestmark = pytest.mark.network


@pytest.fixture
def jp_server_config(tmp_path):
    return {
        "ServerApp": {
            "jpserver_extensions": {"jupyter_classroom": True},
            "identity_provider_class": NamedUsers,
        },
        "ClassroomApp": {
            "chat_db_path": str(tmp_path / "chat.sqlite"),
            # Every frame must reach the decoder; the rate limit has its own tests.
            "max_messages_per_second": 10000.0,
            "max_message_bytes": 16384,
        },
    }


def draw_frames(per_type: int) -> list[str | bytes]:
    """Broken frames of every client type (placeholders for ids kept)."""
    frames: list[str | bytes] = []

    def collector(spec: Any) -> Any:
        @settings(
            max_examples=per_type,
            deadline=None,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        @given(data=st.data())
        def collect(data: st.DataObject) -> None:
            message = mutate(data, data.draw(valid(spec, PEERS)), PEERS)
            frames.append(frame(data, message))

        return collect

    for spec in SPEC.client:
        collector(spec)()
    return frames


async def test_mutated_frames_over_the_websocket(jp_ws_fetch, caplog) -> None:
    caplog.set_level(logging.WARNING)
    ws = await jp_ws_fetch("classroom", "ws", params={"user": "mallory"})
    client = Client(ws)
    welcome = await client.join()
    frames = draw_frames(per_type=40)
    for f in frames:
        if isinstance(f, str):
            # A text frame must be UTF-8 on the wire: the client cannot send a
            # lone surrogate as text, so those go as binary frames.
            f = f.replace(PEERS[0], welcome["you"])
            try:
                f.encode("utf-8")
            except UnicodeEncodeError:
                await ws.write_message(f.encode("utf-8", "surrogatepass"), binary=True)
                continue
            await ws.write_message(f)
        else:
            await ws.write_message(f, binary=True)
    await client.send(type="ping", id=123456)
    pong = await client.expect("pong", timeout=30, id=123456)
    assert pong["id"] == 123456
    codes = [m["code"] for m in client.seen if m["type"] == "error"]
    assert len(codes) > len(frames) // 3, "most broken frames should be refused"
    assert set(codes) <= EXPECTED_CODES, set(codes) - EXPECTED_CODES
    assert ws.close_code is None
    errors = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert not errors, [r.getMessage() for r in errors]
    await client.send(type="ping", id=123457)
    assert (await client.expect("pong", id=123457))["id"] == 123457
    client.ws.close(1000)
