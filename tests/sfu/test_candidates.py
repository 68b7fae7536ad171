"""The ICE candidates a participant may give the server: a bounded number, and
none that would make the server send connectivity checks to itself or to its
neighbours (loopback, link-local, multicast, mDNS names) unless allowed."""

from __future__ import annotations

from ipaddress import ip_network

import pytest

from jupyter_classroom import protocol
from jupyter_classroom.sfu import SfuSettings
from jupyter_classroom.sfu.connection import candidate_refusal, filter_candidates

from ..harness.clients import Tone
from .conftest import Room

LOOPBACK = (ip_network("127.0.0.0/8"),)


@pytest.mark.parametrize(
    "host, refused",
    [
        ("127.0.0.1", "loopback"),
        ("::1", "loopback"),
        ("::ffff:127.0.0.1", "loopback"),
        ("169.254.10.1", "link-local"),
        ("fe80::1", "link-local"),
        ("224.0.0.251", "multicast"),
        ("ff02::fb", "multicast"),
        ("0.0.0.0", "unspecified"),
        ("::", "unspecified"),
        ("240.0.0.1", "reserved"),
        ("5f1c2a90-1234-4bcd-9e7e-0123456789ab.local", "mDNS"),
        ("10.1.2.3", None),
        ("192.168.1.20", None),
        ("203.0.113.7", None),
        ("2001:db8::7", None),
    ],
)
def test_special_addresses_are_refused(host: str, refused: str | None) -> None:
    reason = candidate_refusal(host)
    assert (reason is None) == (refused is None)
    if refused is not None:
        assert reason is not None and refused in reason


def test_allowed_networks_are_accepted_whatever_they_are() -> None:
    assert candidate_refusal("127.0.0.1", LOOPBACK) is None
    assert candidate_refusal("::ffff:127.0.0.5", LOOPBACK) is None
    assert candidate_refusal("169.254.10.1", LOOPBACK) is not None
    assert candidate_refusal("x.local", LOOPBACK) is not None


def test_refused_candidates_are_taken_out_of_an_answer() -> None:
    sdp = "\r\n".join(
        [
            "v=0",
            "m=audio 9 UDP/TLS/RTP/SAVPF 111",
            "a=candidate:1 1 udp 2130706431 127.0.0.1 50000 typ host",
            "a=candidate:2 1 udp 2130706431 abc.local 50001 typ host",
            "a=candidate:3 1 udp 2130706431 192.0.2.8 50002 typ host",
            "a=end-of-candidates",
        ]
    )
    kept, count = filter_candidates(sdp)
    assert count == 3
    assert [line for line in kept.splitlines() if line.startswith("a=candidate")] == [
        "a=candidate:3 1 udp 2130706431 192.0.2.8 50002 typ host"
    ]
    kept, _ = filter_candidates(sdp, LOOPBACK)
    assert "127.0.0.1 50000" in kept and "abc.local" not in kept


def candidate(host: str, port: int) -> protocol.IceCandidate:
    line = f"candidate:{port} 1 udp 2122260223 {host} {port} typ host"
    return protocol.IceCandidate(line, sdpMid="0", sdpMLineIndex=0, usernameFragment=None)


def ice_of(room: Room, pid: str):
    """The aioice connection under a participant's room connection."""
    transceiver = room.sfu.connections[pid].pc.getTransceivers()[0]
    return transceiver.receiver.transport.transport._connection


@pytest.mark.network
@pytest.mark.asyncio
async def test_candidates_beyond_the_bound_are_refused() -> None:
    room = Room(SfuSettings(max_candidates=6, allowed_candidate_networks=LOOPBACK))
    room.sfu.start()
    try:
        room.add("a")
        await room.until(lambda: room.sfu.connections["a"].established, what="the answer")
        connection = room.sfu.connections["a"]
        # The answer's own candidates count.
        assert connection._candidates_received >= 1
        left = 6 - connection._candidates_received
        for i in range(left):
            room.sfu.candidate("a", connection.number, candidate("169.254.0.1", 50000 + i), i)
        with pytest.raises(protocol.ProtocolError) as e:
            room.sfu.candidate("a", connection.number, candidate("127.0.0.2", 51000), 99)
        assert (e.value.code, e.value.request_id) == (protocol.ErrorCode.TOO_MANY_CANDIDATES, 99)
        # End-of-candidates is not a candidate: it still gets through.
        room.sfu.candidate("a", connection.number, None, None)
    finally:
        await room.close()


@pytest.mark.network
@pytest.mark.asyncio
async def test_loopback_candidates_are_not_used_unless_allowed() -> None:
    room = Room(SfuSettings())
    room.sfu.start()
    try:
        room.add("a")
        await room.until(lambda: "a" in room.sfu.connections, what="the connection")
        connection = room.sfu.connections["a"]
        # The peer offered only 127.0.0.1: the server took none of it, so
        # the connection fails instead of checking the server's own loopback.
        await room.until(lambda: connection.closed, what="the connection to fail")
        (closed,) = [m for m in room.sent["a"] if m["type"] == "sfu_closed"]
        assert "failed" in closed["reason"]
        assert connection._candidates_received >= 1
    finally:
        await room.close()
    allowed = Room(SfuSettings(allowed_candidate_networks=LOOPBACK))
    allowed.sfu.start()
    try:
        allowed.add("a")
        await allowed.until(lambda: allowed.sfu.connections["a"].established, what="the answer")
        hosts = {c.host for c in ice_of(allowed, "a").remote_candidates}
        assert hosts == {"127.0.0.1"}
    finally:
        await allowed.close()


@pytest.mark.network
@pytest.mark.asyncio
async def test_renegotiations_do_not_use_up_the_candidate_bound() -> None:
    # Each answer of a renegotiation lists the shared transport's candidates
    # again: a table that fills up one by one renegotiates many times.
    room = Room(SfuSettings(max_candidates=4, allowed_candidate_networks=LOOPBACK))
    room.sfu.start()
    try:
        room.add("a")
        await room.until(lambda: room.sfu.connections["a"].established, what="the answer")
        connection = room.sfu.connections["a"]
        for n, pid in enumerate("bcdefg", start=2):
            room.add(pid, microphone=Tone())
            await room.until(
                lambda pid=pid: room.peers["a"].track_of(pid, "microphone") is not None,
                what=f"{pid}'s voice at a",
            )
            assert room.peers["a"].offers == n
        assert room.sfu.connections["a"] is connection
        assert connection._candidates_received <= 4
    finally:
        await room.close()
