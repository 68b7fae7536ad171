"""Mouth to ear at a table, in real Chromium: over WebRTC (the server's SFU)
and over the classroom's WebSocket (WebCodecs frames through the relay).

Starts ``jupyter lab`` with the classroom on 127.0.0.1 and one Chromium whose
fake microphone plays a marker: a 1 kHz beep of 40 ms every half second.
Two people stand at Table 5, each page set to the transport measured. In the
speaker's page the onset of each beep is timed where the microphone's track
enters the page (Web Audio, 256-sample blocks); in the listener's page, where
the speaker's decoded voice comes out (the stream the classroom plays, with
its jitter buffer, before the sound card). Both pages share one clock, so
each onset heard minus the onset spoken before it is the delay: capture,
encoding, the server, decoding and buffering; the sound card's own output
latency is not in it. It prints p50/p95/max and how many beeps arrived.

Run it by hand inside a loopback-only namespace, as the tests are:

    unshare --net sh -c 'ip link set lo up; exec .venv/bin/python benchmarks/mouth_to_ear.py'
    .venv/bin/python benchmarks/mouth_to_ear.py --transport websocket --duration 600

``--no-udp`` drops UDP and all TCP but the Jupyter server's in this
namespace (as ``tests/browser/test_no_udp.py`` does), so ``auto`` has to find
the WebSocket by itself; only inside a private namespace.
"""

from __future__ import annotations

import argparse
import math
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

#: The marker: a beep this long, this often (seconds).
BEEP, PERIOD = 0.040, 0.5

DETECT = """
([stream, into]) => {
  const ctx = new AudioContext();
  const source = ctx.createMediaStreamSource(stream);
  const block = ctx.createScriptProcessor(256, 1, 1);
  let quiet = 1e9;
  window[into] = [];
  block.onaudioprocess = event => {
    const data = event.inputBuffer.getChannelData(0);
    let sum = 0;
    for (const v of data) sum += v * v;
    if (Math.sqrt(sum / data.length) > 0.05) {
      if (quiet > 0.2) window[into].push(performance.timeOrigin + performance.now());
      quiet = 0;
    } else {
      quiet += data.length / ctx.sampleRate;
    }
  };
  source.connect(block);
  block.connect(ctx.destination);
  window[into + 'Context'] = ctx;
  return ctx.state;
}
"""


def write_markers(path: Path) -> Path:
    from tests.harness.pages import write_wav

    def marker(t: float) -> float:
        return 16000 * math.sin(2 * math.pi * 1000 * t) if (t % PERIOD) < BEEP else 0.0

    return write_wav(path, marker)


def drop_all_but(port: int) -> list[list[str]]:
    with open("/proc/net/dev") as f:
        if [line.split(":")[0].strip() for line in f.readlines()[2:]] != ["lo"]:
            sys.exit("--no-udp changes the firewall: run it inside `unshare --net`")
    rules = [
        ["INPUT", "-p", "udp", "-j", "DROP"],
        ["OUTPUT", "-p", "udp", "-j", "DROP"],
        ["INPUT", "-p", "tcp", "--dport", str(port), "-j", "ACCEPT"],
        ["INPUT", "-p", "tcp", "--sport", str(port), "-j", "ACCEPT"],
        ["INPUT", "-p", "tcp", "-j", "DROP"],
    ]
    for rule in rules:
        subprocess.run(["iptables", "-A", *rule], check=True)
    return rules


def delays(spoken: list[float], heard: list[float]) -> list[float]:
    """Each onset heard, less the last onset spoken before it (within most
    of a period), in the onsets' unit (ms)."""
    out = []
    i = 0
    for h in heard:
        while i + 1 < len(spoken) and spoken[i + 1] <= h:
            i += 1
        if spoken and spoken[i] <= h and h - spoken[i] < PERIOD * 900:
            out.append(h - spoken[i])
    return out


def measure(people, transport: str, duration: float) -> dict[str, object]:
    from tests.harness import wait_until
    from tests.harness.pages import PANEL, joined, my_id, walk_to

    node = f"document.getElementById('{PANEL[1:]}')"
    speaker, listener = people(), people()
    for page, spot in ((speaker, (720, 730)), (listener, (880, 730))):
        joined(page, 1)
        if transport != "auto":
            page.evaluate(f"{node}.classroomSocket.prefer('{transport}')")
        walk_to(page, *spot)  # Table 5
    ids = my_id(speaker)
    # Where the listener's classroom plays the speaker's voice from.
    voice = (
        f"(({node}.classroomSocket.transport === 'websocket' ? {node}.classroomSocket"
        f" : {node}.classroomRoom).remote.get('{ids}') || {{}}).audio"
    )
    # In auto the room's call connects (and the transport settles) first.
    for page in (speaker, listener):
        wait_until(
            lambda p=page: p.evaluate(f"{node}.classroomRoom.state") == "connected",
            timeout=60,
            what="the room's call to connect",
        )
    wait_until(lambda: listener.evaluate(f"!!{voice}"), timeout=60, what="the speaker's voice")
    way = listener.evaluate(f"{node}.classroomSocket.transport")
    speaker.evaluate(
        f"() => ({DETECT})([new MediaStream([{node}.classroomPeers.media.micTrack]), 'spoken'])"
    )
    listener.evaluate(f"() => ({DETECT})([{voice}, 'heard'])")
    time.sleep(duration)
    spoken = speaker.evaluate("window.spoken")
    heard = listener.evaluate("window.heard")
    found = sorted(delays(spoken, heard))
    if not found:
        return {"transport": way, "spoken": len(spoken), "heard": len(heard)}

    def pct(q: float) -> float:
        return found[min(len(found) - 1, int(q * len(found)))]

    return {
        "transport": way,
        "spoken": len(spoken),
        "heard": len(found),
        "p50": pct(0.50),
        "p95": pct(0.95),
        "max": found[-1],
        "mean": statistics.fmean(found),
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--transport", nargs="+", default=["websocket", "webrtc"], help="websocket, webrtc, auto"
    )
    parser.add_argument("--duration", type=float, default=60.0, help="seconds measured")
    parser.add_argument(
        "--no-udp", action="store_true", help="drop UDP (use with --transport auto)"
    )
    args = parser.parse_args(argv)

    from playwright.sync_api import sync_playwright

    from tests.harness.pages import CHROMIUM, CHROMIUM_ARGS, People
    from tests.harness.servers import JupyterProcess

    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        lab = JupyterProcess(
            root, sfu_ice_addresses="127.0.0.1", sfu_allowed_candidate_networks="127.0.0.0/8"
        )
        lab.start()
        rules = drop_all_but(lab.port) if args.no_udp else []
        markers = write_markers(root / "markers.wav")
        chromium = [
            *CHROMIUM_ARGS,
            f"--use-file-for-fake-audio-capture={markers}",
            "--autoplay-policy=no-user-gesture-required",
        ]
        print(
            f"{'transport':<12} {'spoken':>7} {'heard':>6} {'p50 ms':>7} {'p95 ms':>7} {'max ms':>7}"
        )
        try:
            with sync_playwright() as p:
                browser = p.chromium.launch(executable_path=CHROMIUM, args=chromium, headless=True)
                for transport in args.transport:
                    people = People(browser, lab, f"mouth-{transport}")
                    try:
                        r = measure(people, transport, args.duration)
                    finally:
                        people.close()
                    if "p50" in r:
                        print(
                            f"{r['transport']:<12} {r['spoken']:>7} {r['heard']:>6} "
                            f"{r['p50']:>7.0f} {r['p95']:>7.0f} {r['max']:>7.0f}",
                            flush=True,
                        )
                    else:
                        print(
                            f"{r['transport']:<12} {r['spoken']:>7} {r['heard']:>6}  (no beep heard)"
                        )
                browser.close()
        finally:
            for rule in reversed(rules):
                subprocess.run(["iptables", "-D", *rule], check=True)
            lab.stop()


if __name__ == "__main__":
    main()
