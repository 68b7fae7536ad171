"""A viewer on a slow link, in real Chromium: a third of the datagrams to its
room connection are lost (a firewall rule in this test's own network
namespace). The server holds back the video it cannot carry, never the
voice; the viewer's tile keeps its last picture, dimmed, and says why, and
its live region says it once. When the link is good again the picture comes
back and the note goes."""

from __future__ import annotations

import subprocess

import pytest
from playwright.sync_api import Page

from ..harness import wait_until
from ..harness.pages import PANEL, ROOM, joined, my_id, remote_media, walk_to
from .test_no_udp import iptables, private_network

#: The local port of the room connection's selected candidate pair.
LOCAL_PORT = f"""async () => {{
  const stats = await {ROOM}._pc.getStats();
  let port = null;
  stats.forEach(s => {{
    if (s.type === 'transport' && s.selectedCandidatePairId) {{
      const pair = stats.get(s.selectedCandidatePairId);
      port = stats.get(pair.localCandidateId).port;
    }}
  }});
  return port;
}}"""


def stats_of(page: Page, pid: str) -> dict[str, float]:
    return page.evaluate(f"(pid) => {ROOM}.stats(pid)", pid)


def test_a_slow_link_holds_back_the_video_and_the_tile_says_why(person) -> None:
    if not private_network():
        pytest.skip("needs a private network namespace (scripts/test.sh runs pytest in one)")
    alice, bob = person(), person()
    for n, (page, spot) in enumerate(((alice, (720, 730)), (bob, (880, 730))), 1):
        joined(page, n)
        walk_to(page, *spot)  # Table 5: x 650..950, y 680..870
    alice.get_by_role("button", name="Start camera").click()
    ida = my_id(alice)
    tile = bob.locator(f'{PANEL} .jp-Classroom-tile[data-peer="{ida}"]')
    tile.locator("video").wait_for(timeout=30_000)
    wait_until(
        lambda: (
            stats_of(bob, ida)["videoFrames"] > 5 and remote_media(bob).get(ida, {}).get("audio")
        ),
        timeout=20,
        what="Alice's picture and voice at Bob",
    )
    port = wait_until(lambda: bob.evaluate(LOCAL_PORT), what="Bob's room connection's port")

    # A third of what comes to Bob's room connection is lost.
    rule = ["INPUT", "-p", "udp", "--dport", str(port), "-m", "statistic"]
    rule += ["--mode", "random", "--probability", "0.33", "-j", "DROP"]
    subprocess.run([iptables(), "-A", *rule], check=True)
    try:
        wait_until(
            lambda: "jp-mod-held" in (tile.get_attribute("class") or ""),
            timeout=30,
            what="Alice's video held back from Bob",
        )
        assert tile.locator(".jp-Classroom-tileNote").inner_text() == (
            "Paused: your connection is slow"
        )
        live = bob.locator(f'{PANEL} .jp-Classroom-strip [aria-live="polite"]')
        assert live.inner_text() == (
            "Some videos are paused: your connection is slow. Voices go on."
        )
        # The voice goes on while the video is held back.
        audio = stats_of(bob, ida)["audioBytes"]
        wait_until(
            lambda: (
                stats_of(bob, ida)["audioBytes"] > audio + 4_000
                and "jp-mod-held" in (tile.get_attribute("class") or "")
            ),
            timeout=20,
            what="Alice's voice reaching Bob while her video is held back",
        )
    finally:
        subprocess.run([iptables(), "-D", *rule], check=True)

    # The link is good again: after the hold, the picture comes back.
    wait_until(
        lambda: "jp-mod-held" not in (tile.get_attribute("class") or ""),
        timeout=40,
        what="Alice's video sent to Bob again",
    )
    assert tile.locator(".jp-Classroom-tileNote").count() == 0
    assert live.inner_text() == "The paused videos are back."
    frames = stats_of(bob, ida)["videoFrames"]
    wait_until(
        lambda: stats_of(bob, ida)["videoFrames"] > frames + 5,
        timeout=20,
        what="Alice's picture moving again at Bob",
    )
