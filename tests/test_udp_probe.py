"""UDP probes through the real Jupyter server: an aiortc page on 127.0.0.1
asks whether UDP passes, answers the server's offer, and the probe connects
and is closed; too many probes and bad answers are refused with codes and
the connection lives on (nothing is mocked)."""

from __future__ import annotations

import asyncio
import gc
import weakref
from typing import Any

import pytest
from aiortc import RTCConfiguration, RTCPeerConnection, RTCSessionDescription

from .harness import until
from .harness.rooms import room_server_config
from .harness.servers import classroom_service

pytest_plugins = ["pytest_jupyter.jupyter_server", "tests.harness.rooms"]
pytestmark = pytest.mark.network


@pytest.fixture
def jp_server_config(tmp_path):
    return room_server_config(tmp_path)


async def answer(client: Any, offer: dict[str, Any]) -> RTCPeerConnection:
    """A page's end of the probe: it answers with all its candidates in the SDP."""
    pc = RTCPeerConnection(RTCConfiguration(iceServers=[]))
    await pc.setRemoteDescription(RTCSessionDescription(**offer["description"]))
    await pc.setLocalDescription(await pc.createAnswer())
    await client.send(
        type="udp_probe_answer",
        probe=offer["probe"],
        description={"type": "answer", "sdp": pc.localDescription.sdp},
    )
    return pc


async def test_a_probe_connects_and_is_closed_then_the_next_waits_a_minute(
    join, jp_serverapp
) -> None:
    service = classroom_service(jp_serverapp)
    ana = await join("ana", media=False)
    asked = await ana.send(type="udp_probe")
    offer = await ana.expect("udp_probe_offer", id=asked)
    assert "a=candidate:" in offer["description"]["sdp"]
    server_probe = service.probes.probes[ana.id]
    server_pc = weakref.ref(server_probe.pc)
    pc = await answer(ana, offer)
    await ana.expect("ack")
    await until(lambda: pc.connectionState == "connected", timeout=10, what="the probe to connect")
    closed = await ana.expect("udp_probe_closed", timeout=10)
    assert closed == {"type": "udp_probe_closed", "probe": offer["probe"], "connected": True}
    assert ana.id not in service.probes.probes
    assert server_probe.closed and server_probe.pc.connectionState == "closed"
    del server_probe
    await pc.close()
    # Freed by reference counting, not left for the collector.
    gc.disable()
    try:
        await until(lambda: server_pc() is None, what="the server's probe to be freed")
    finally:
        gc.enable()
    # Another within the minute is refused, and the connection lives on.
    asked = await ana.send(type="udp_probe")
    error = await ana.expect("error", id=asked)
    assert error["code"] == "rate_limited" and "60 seconds" in error["message"]
    await ana.send(type="ping")
    await ana.expect("pong")


async def test_a_bad_answer_is_refused_and_the_probe_waits_for_a_good_one(
    join, jp_serverapp
) -> None:
    service = classroom_service(jp_serverapp)
    ben = await join("ben", media=False)
    asked = await ben.send(type="udp_probe")
    offer = await ben.expect("udp_probe_offer", id=asked)
    # One at a time: a second request while it runs is refused.
    again = await ben.send(type="udp_probe")
    assert (await ben.expect("error", id=again))["code"] == "rate_limited"
    for description, code in [
        ({"type": "answer", "sdp": "v=0"}, "bad_description"),
        ({"type": "offer", "sdp": offer["description"]["sdp"]}, "bad_description"),
        ({"type": "answer"}, "bad_description"),
    ]:
        sent = await ben.send(
            type="udp_probe_answer", probe=offer["probe"], description=description
        )
        assert (await ben.expect("error", id=sent))["code"] == code
    sent = await ben.send(
        type="udp_probe_answer",
        probe=offer["probe"] + 99,
        description={"type": "answer", "sdp": "x"},
    )
    assert (await ben.expect("error", id=sent))["code"] == "no_connection"
    sent = await ben.send(type="udp_probe_answer", probe="one", description={})
    assert (await ben.expect("error", id=sent))["code"] == "bad_message"
    await ben.send(type="ping")
    await ben.expect("pong")
    # Each candidate costs connectivity checks: a few dozen at most.
    pc = RTCPeerConnection(RTCConfiguration(iceServers=[]))
    await pc.setRemoteDescription(RTCSessionDescription(**offer["description"]))
    await pc.setLocalDescription(await pc.createAnswer())
    many = "".join(f"a=candidate:{n} 1 UDP 1 10.0.0.{n} 9 typ host\r\n" for n in range(1, 41))
    sdp = pc.localDescription.sdp.replace("a=end-of-candidates\r\n", many, 1)
    assert sdp.count("a=candidate:") > 40
    sent = await ben.send(
        type="udp_probe_answer", probe=offer["probe"], description={"type": "answer", "sdp": sdp}
    )
    assert (await ben.expect("error", id=sent))["code"] == "too_many_candidates"
    await pc.close()
    # The probe is still there for a good answer.
    pc = await answer(ben, offer)
    closed = await ben.expect("udp_probe_closed", timeout=10)
    assert closed["connected"] is True
    assert ben.id not in service.probes.probes
    await pc.close()


async def test_a_probe_closes_when_its_participant_leaves(join, jp_serverapp) -> None:
    service = classroom_service(jp_serverapp)
    cy = await join("cy", media=False)
    asked = await cy.send(type="udp_probe")
    await cy.expect("udp_probe_offer", id=asked)
    probe = service.probes.probes[cy.id]
    pid = cy.id
    await cy.close()
    await until(lambda: probe.closed, what="the probe to close")
    await until(lambda: pid not in service.probes.probes)
    assert probe.pc.connectionState == "closed"


async def test_an_unanswered_probe_is_closed_after_its_time(join, jp_serverapp) -> None:
    service = classroom_service(jp_serverapp)
    service.probes.timeout = 0.5
    dee = await join("dee", media=False)
    asked = await dee.send(type="udp_probe")
    offer = await dee.expect("udp_probe_offer", id=asked)
    closed = await dee.expect("udp_probe_closed", timeout=5)
    assert closed == {"type": "udp_probe_closed", "probe": offer["probe"], "connected": False}
    await asyncio.sleep(0)
    assert dee.id not in service.probes.probes
