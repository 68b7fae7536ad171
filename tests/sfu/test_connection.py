"""The room connection's SDP handling (its negotiation runs with real peers in
test_forwarding.py and test_room_media.py)."""

from __future__ import annotations

from jupyter_classroom.sfu.connection import announce_public_address


def test_a_public_address_is_offered_beside_the_host_candidates() -> None:
    sdp = "\r\n".join(
        [
            "v=0",
            "m=audio 9 UDP/TLS/RTP/SAVPF 96",
            "a=candidate:abc 1 udp 2130706431 10.0.0.5 50000 typ host",
            "a=candidate:def 1 udp 1694498815 198.51.100.7 50000 typ srflx raddr 10.0.0.5 rport 50000",
            "a=end-of-candidates",
            "",
        ]
    )
    out = announce_public_address(sdp, "203.0.113.9").split("\r\n")
    assert out[2] == "a=candidate:abcn 1 udp 2130706432 203.0.113.9 50000 typ host"
    assert out[3] == "a=candidate:abc 1 udp 2130706431 10.0.0.5 50000 typ host"
    assert out[4].endswith("typ srflx raddr 10.0.0.5 rport 50000")  # not a host candidate
    assert len(out) == len(sdp.split("\r\n")) + 1
