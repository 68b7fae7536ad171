"""Open-floor calls that always connect, and voices played where Chrome's
echo canceller hears them."""

from __future__ import annotations

import json

import pytest
from playwright.sync_api import Page

from ..harness import wait_until
from ..harness.pages import PANEL, SCREEN_STUB, joined, my_id, page_pause, walk_to
from .test_proximity_media import PEERS, calls, stats

MIXER = f"{PEERS}.mixer"

APPROACHES = 30


@pytest.mark.timeout(400)
def test_every_approach_connects_with_audio(person) -> None:
    a = person()
    joined(a, 1)
    walk_to(a, 330, 615)
    b = person()
    joined(b, 2)
    walk_to(b, 560, 615)  # 230 px: beyond the drop distance
    ida, idb = my_id(a), my_id(b)
    wait_until(lambda: idb not in calls(a) and ida not in calls(b), what="no call to begin with")

    for approach in range(APPROACHES):
        # Take turns walking in, so both sides of the offerer/answerer roles
        # (given by the server per pairing) arrive first.
        walker = b if approach % 2 == 0 else a
        if walker is b:
            walk_to(b, 440, 615)
        else:
            walk_to(a, 450, 615)
        wait_until(
            lambda: calls(a).get(idb) == "connected" and calls(b).get(ida) == "connected",
            timeout=30,
            what=f"approach {approach + 1}: the call to connect",
        )
        first_a, first_b = stats(a, idb)["audioBytes"], stats(b, ida)["audioBytes"]
        wait_until(
            lambda fa=first_a, fb=first_b: (
                stats(a, idb)["audioBytes"] > fa and stats(b, ida)["audioBytes"] > fb
            ),
            timeout=20,
            what=f"approach {approach + 1}: audio both ways",
        )
        if walker is b:
            walk_to(b, 560, 615)
        else:
            walk_to(a, 330, 615)
        wait_until(
            lambda: idb not in calls(a) and ida not in calls(b),
            timeout=20,
            what=f"approach {approach + 1}: the call to end",
        )


# Counts every connection into the speakers, to show the mixer makes none.
WATCH_DESTINATION = """
window.__toSpeakers = 0;
const connect = AudioNode.prototype.connect;
AudioNode.prototype.connect = function (target, ...rest) {
  if (target instanceof AudioDestinationNode) { window.__toSpeakers += 1; }
  return connect.call(this, target, ...rest);
};
"""

#: The loopback's audio packets in 1.5 s (20 ms each): the span over which
#: the played sound's energy is compared, counted in packets, not in time.
PACKETS = 75


def loopback_receives(page: Page, packets: int) -> None:
    """Wait until the page's loopback has received that many more audio packets."""
    start = page.evaluate(LOOPBACK)["packets"]
    wait_until(
        lambda: page.evaluate(LOOPBACK)["packets"] >= start + packets,
        timeout=30,
        what=f"{packets} more packets on the loopback",
    )


LOOPBACK = f"""
async () => {{
  const loopback = {MIXER}.loopback;
  if (!loopback) return null;
  const played = loopback.element.srcObject;
  const received = loopback.receiver.getReceivers().map(r => r.track);
  let energy = 0, bytes = 0, packets = 0, fmtp = '';
  const report = await loopback.receiver.getStats();
  report.forEach(s => {{
    if (s.type === 'inbound-rtp' && s.kind === 'audio') {{
      energy += s.totalAudioEnergy || 0;
      bytes += s.bytesReceived || 0;
      packets += s.packetsReceived || 0;
      const codec = report.get(s.codecId);
      fmtp = codec ? codec.sdpFmtpLine || '' : '';
    }}
  }});
  return {{
    playsReceivedTrack: !!played && played.getAudioTracks().length === 1
      && received.includes(played.getAudioTracks()[0]),
    paused: loopback.element.paused,
    toSpeakers: window.__toSpeakers,
    energy, bytes, packets, fmtp,
  }};
}}
"""


def test_voices_play_through_the_echo_cancelled_loopback(person) -> None:
    context = person.context(permissions=["microphone", "camera"])
    context.add_init_script(SCREEN_STUB + WATCH_DESTINATION)
    listener = person.open(context)
    joined(listener, 1)
    talker = person()
    joined(talker, 2)
    joined(listener, 2)
    idt = my_id(talker)
    wait_until(lambda: calls(listener).get(idt) == "connected", timeout=30, what="a call")
    listener.locator(
        f"{PANEL} h3[id^=jp-Classroom-people]"
    ).click()  # a user gesture lets audio play
    wait_until(
        lambda: listener.evaluate(f"{MIXER}.has('peer', '{idt}')"), what="the voice in the mixer"
    )
    state = wait_until(
        lambda: (s := listener.evaluate(LOOPBACK)) and s["playsReceivedTrack"] and s,
        what="the loopback to play",
    )
    # The element plays the loopback's received track, and nothing goes
    # to the AudioContext's own output.
    assert state["toSpeakers"] == 0
    assert not state["paused"]
    # Stereo Opus on the loopback, so the pan survives.
    assert "stereo=1" in state["fmtp"]
    # The talker's voice (the fake microphone's buzz) comes out of the loopback.
    first = state["energy"]
    wait_until(
        lambda: listener.evaluate(LOOPBACK)["energy"] > first + 0.01,
        timeout=15,
        what="voice energy played from the loopback",
    )
    # The per-person volume still applies: at zero the loopback goes quiet.
    listener.evaluate(f"{MIXER}.setVolume('{idt}', 0)")
    listener.evaluate(f"{PEERS}.updateVoices()")
    wait_until(
        lambda: listener.evaluate(f"{MIXER}.gain('peer', '{idt}')") < 0.001, what="volume 0"
    )
    loopback_receives(listener, PACKETS)  # what was already in flight plays out
    before = listener.evaluate(LOOPBACK)["energy"]
    loopback_receives(listener, PACKETS)
    quiet = listener.evaluate(LOOPBACK)["energy"] - before
    listener.evaluate(f"{MIXER}.setVolume('{idt}', 1)")
    listener.evaluate(f"{PEERS}.updateVoices()")
    loopback_receives(listener, PACKETS)
    before = listener.evaluate(LOOPBACK)["energy"]
    loopback_receives(listener, PACKETS)
    loud = listener.evaluate(LOOPBACK)["energy"] - before
    assert loud > 3 * max(quiet, 1e-6)


def test_a_call_whose_offer_is_lost_is_rebuilt_and_connects(person) -> None:
    """The network loses the first offer of the call: nothing on either side
    would ever connect it again without the watchdog."""
    context = person.context(permissions=["microphone", "camera"])
    dropped: list[dict] = []

    def route(ws) -> None:
        server = ws.connect_to_server()
        ws.on_message(lambda m: server.send(m))

        def deliver(message) -> None:
            if not dropped and isinstance(message, str):
                data = json.loads(message)
                description = data.get("description") or {}
                if data.get("type") == "signal" and description.get("type") == "offer":
                    dropped.append(data)
                    return
            ws.send(message)

        server.on_message(deliver)

    context.route_web_socket("**/classroom/ws**", route)
    context.add_init_script(SCREEN_STUB)
    lossy = person.open(context)
    joined(lossy, 1)
    other = person()
    joined(other, 2)
    joined(lossy, 2)
    idl, ido = my_id(lossy), my_id(other)
    # The later arrival offers (the server's rule), so the lossy side
    # answers and never sees the first offer. The routed socket carries
    # messages only while Playwright runs: every wait here pauses through it.
    pause = page_pause(lossy)
    wait_until(lambda: dropped, timeout=30, what="the first offer to be lost", pause=pause)
    assert dropped[0]["sender"] == ido
    wait_until(
        lambda: calls(lossy).get(ido) == "connected" and calls(other).get(idl) == "connected",
        timeout=40,
        what="the rebuilt call to connect",
        pause=pause,
    )
    assert other.evaluate(f"{PEERS}.rebuilt") >= 1
    for page, peer in ((lossy, ido), (other, idl)):
        first = stats(page, peer)["audioBytes"]
        wait_until(
            lambda p=page, q=peer, f=first: stats(p, q)["audioBytes"] > f,
            timeout=15,
            what="audio",
            pause=pause,
        )
