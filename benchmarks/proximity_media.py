"""Open-floor media in real browsers: join time and what a cluster costs.

Starts JupyterLab with the classroom on 127.0.0.1 and drives Debian's
Chromium (fake camera and microphone) with Playwright. Prints:

1. the time from walking into someone's proximity radius to the first audio
   packet received from them (N approaches, min/median/p90/max): the
   server's batch interval, pairing, signaling, ICE, DTLS and the first RTP
   packet; approaches that never got audio within 40 s, and calls the
   watchdog rebuilt (a call not connected 8 s after it began);
2. what each browser uploads in a cluster of K people all within range of
   each other (everyone talks with everyone: K - 1 peer connections), with
   microphones only, then with cameras on too.

Run it by hand, inside a network namespace with only loopback if you like:

    python benchmarks/proximity_media.py --runs 30 --cluster 5

All browsers share this machine's cores with the server, so the camera
figures are bounded by how fast this machine can encode.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from playwright.sync_api import sync_playwright  # noqa: E402

from tests.browser.test_proximity_media import PEERS, calls  # noqa: E402
from tests.harness import wait_until  # noqa: E402
from tests.harness.pages import CHROMIUM, CHROMIUM_ARGS, People, joined, my_id, walk_to  # noqa: E402
from tests.harness.servers import JupyterProcess  # noqa: E402

MEASURE = """
([peer, ax, ay, r]) => new Promise(resolve => {
  const peers = document.getElementById('jp-classroom-panel').classroomPeers;
  const model = peers.model;
  let entered = null;
  const started = performance.now();
  const tick = async () => {
    if (performance.now() - started > 40000) { resolve(null); return; }
    const pos = model.positionOf(model.myId, performance.now());
    if (entered === null && pos && Math.hypot(pos[0] - ax, pos[1] - ay) <= r) {
      entered = performance.now();
    }
    const call = peers.calls.get(peer);
    if (entered !== null && call) {
      const stats = await call.pc.getStats();
      let packets = 0;
      stats.forEach(s => {
        if (s.type === 'inbound-rtp' && s.kind === 'audio') packets += s.packetsReceived || 0;
      });
      if (packets > 0) { resolve(performance.now() - entered); return; }
    }
    setTimeout(tick, 5);
  };
  tick();
})
"""

UPLOAD = """
async () => {
  const peers = document.getElementById('jp-classroom-panel').classroomPeers;
  let bytes = 0;
  for (const call of peers.calls.values()) {
    (await call.pc.getStats()).forEach(s => { if (s.type === 'outbound-rtp') bytes += s.bytesSent || 0; });
  }
  return [bytes, peers.calls.size];
}
"""


def person(browser, lab):
    """A browser with JupyterLab (in a workspace of its own) and the classroom open."""
    return People(browser, lab, "proximity-benchmark")()


def join_time(browser, lab, runs: int) -> tuple[list[float], int, int]:
    """Times to first audio (ms), approaches without audio, calls rebuilt."""
    a = person(browser, lab)
    joined(a, 1)
    walk_to(a, 330, 615)
    b = person(browser, lab)
    joined(b, 2)
    walk_to(b, 560, 615)  # 230 px away: beyond the drop distance
    ida = my_id(a)
    radius = 150
    times = []
    missed = 0
    for _ in range(runs):
        b.evaluate(
            f"args => {{ window.__joinTime = ({MEASURE})(args); }}", [ida, 330, 615, radius]
        )
        walk_to(b, 440, 615)
        ms = b.evaluate("() => window.__joinTime")
        if ms is None:
            missed += 1
        else:
            times.append(ms)
        walk_to(b, 560, 615)
        wait_until(lambda: ida not in calls(b), what="the call to end")
    rebuilt = sum(p.evaluate(f"{PEERS}.rebuilt") for p in (a, b))
    a.context.close()
    b.context.close()
    return times, missed, rebuilt


def upload(pages, seconds: float) -> list[tuple[float, int]]:
    first = [p.evaluate(UPLOAD) for p in pages]
    time.sleep(seconds)
    last = [p.evaluate(UPLOAD) for p in pages]
    return [((e[0] - f[0]) * 8 / seconds / 1000, e[1]) for f, e in zip(first, last, strict=True)]


def cluster_cost(browser, lab, size: int, seconds: float) -> None:
    pages = []
    for _ in range(size):
        page = person(browser, lab)
        pages.append(page)
    for page in pages:
        joined(page, size)
    # Everyone stands in the spawn area, well within range of each other.
    wait_until(
        lambda: all(
            len(calls(p)) == size - 1 and set(calls(p).values()) == {"connected"} for p in pages
        ),
        timeout=30,
        what="everyone's calls to connect",
    )
    time.sleep(2)
    audio = upload(pages, seconds)
    for page in pages:
        page.get_by_role("button", name="Start camera").click()
    time.sleep(5)
    video = upload(pages, seconds)
    print(f"cluster of {size}: peer connections per browser {[n for _, n in audio]}")
    print(
        f"  upload per browser, microphones only   mean {statistics.fmean(k for k, _ in audio):7.1f} kbit/s"
        f"  ({statistics.fmean(k for k, _ in audio) / (size - 1):.1f} per peer)"
    )
    print(
        f"  upload per browser, cameras on too     mean {statistics.fmean(k for k, _ in video):7.1f} kbit/s"
        f"  ({statistics.fmean(k for k, _ in video) / (size - 1):.1f} per peer)"
    )
    for page in pages:
        page.context.close()


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--cluster", type=int, default=5)
    parser.add_argument("--seconds", type=float, default=10.0)
    args = parser.parse_args()
    root = Path(tempfile.mkdtemp(prefix="classroom-media-bench-"))
    lab = JupyterProcess(root)
    lab.start()
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            times, missed, rebuilt = join_time(browser, lab, args.runs)
            if len(times) >= 2:
                p90 = statistics.quantiles(times, n=10, method="inclusive")[8]
                print(
                    f"in range -> first audio packet (n={len(times)}): min {min(times):.0f} ms, "
                    f"median {statistics.median(times):.0f}, p90 {p90:.0f}, max {max(times):.0f}"
                )
            print(
                f"approaches without audio within 40 s: {missed} of {args.runs}; calls rebuilt: {rebuilt}"
            )
            if args.cluster > 1:
                cluster_cost(browser, lab, args.cluster, args.seconds)
            browser.close()
    finally:
        lab.stop()


if __name__ == "__main__":
    main()
