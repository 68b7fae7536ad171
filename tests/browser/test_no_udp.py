"""A network that lets nothing through but JupyterLab's own TCP connection
(Binder, Kubernetes, HTTPS-only networks): no UDP at all, no TCP but to the
Jupyter server. Nobody configures anything: the pages find that WebRTC does
not connect, send their media over the classroom's own WebSocket instead,
and a class still hears and sees each other at a table and on the open floor.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterator

import pytest
from playwright.sync_api import Page

from ..harness import wait_until
from ..harness.pages import (
    PANEL,
    PANEL_NODE,
    ROOM,
    SOCKET,
    entry_of,
    joined,
    my_id,
    remote_media,
    walk_to,
)
from ..harness.servers import JupyterProcess
from .test_mixed_room import hears_and_sees

PEERS = f"{PANEL_NODE}.classroomPeers"

#: Table 5: x 650..950, y 680..870.
TABLE = [(720, 730), (800, 800), (880, 730)]
FAR = (330, 615)


def iptables() -> str:
    found = shutil.which("iptables") or "/usr/sbin/iptables"
    if not os.path.exists(found):
        pytest.fail("iptables is needed for the tests without UDP (scripts/test.sh installs it)")
    return found


def private_network() -> bool:
    """Whether this process has a network namespace of its own (only
    loopback): the only place these tests may change the firewall."""
    with open("/proc/net/dev") as f:  # this namespace's interfaces
        names = [line.split(":")[0].strip() for line in f.readlines()[2:]]
    return names == ["lo"]


class Firewall:
    """The rules that let nothing through but TCP to and from the Jupyter
    server's port (no UDP at all), in this test's own network namespace.
    :meth:`close` puts them up, :meth:`open` takes them down again; each
    knows which rules are up, so either may come first or twice."""

    def __init__(self, port: int) -> None:
        self.command = iptables()
        self.rules = [
            ["INPUT", "-p", "udp", "-j", "DROP"],
            ["OUTPUT", "-p", "udp", "-j", "DROP"],
            ["INPUT", "-p", "tcp", "--dport", str(port), "-j", "ACCEPT"],
            ["INPUT", "-p", "tcp", "--sport", str(port), "-j", "ACCEPT"],
            ["INPUT", "-p", "tcp", "-j", "DROP"],
        ]
        self.added: list[list[str]] = []

    def close(self) -> None:
        for rule in self.rules:
            if rule not in self.added:
                subprocess.run([self.command, "-A", *rule], check=True)
                self.added.append(rule)

    def open(self) -> None:
        while self.added:
            subprocess.run([self.command, "-D", *self.added[-1]], check=True)
            self.added.pop()


def start_lab(tmp_path_factory: pytest.TempPathFactory) -> JupyterProcess:
    if not private_network():
        pytest.skip("needs a private network namespace (scripts/test.sh runs pytest in one)")
    server = JupyterProcess(
        tmp_path_factory.mktemp("lab"),
        sfu_ice_addresses="127.0.0.1",
        sfu_allowed_candidate_networks="127.0.0.0/8",
    )
    server.start()
    return server


@pytest.fixture(scope="module")
def lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[JupyterProcess]:
    server = start_lab(tmp_path_factory)
    firewall: Firewall | None = None
    try:
        firewall = Firewall(server.port)
        firewall.close()
        yield server
    finally:
        if firewall is not None:
            firewall.open()
        server.stop()


def transport(page: Page) -> str:
    return page.locator(f"{PANEL} .jp-Classroom-transport").get_attribute("data-transport") or ""


def through_the_server(page: Page) -> None:
    wait_until(
        lambda: transport(page) == "websocket" and page.evaluate(f"{SOCKET}.open"),
        timeout=30,
        what="the page to send its media through the server",
    )
    status = page.locator(f"{PANEL} .jp-Classroom-transport")
    assert "UDP is blocked on this network" in status.inner_text()
    assert status.get_attribute("role") == "status"


def received(page: Page, pid: str) -> dict[str, float]:
    return page.evaluate(f"(pid) => {SOCKET}.stats(pid)", pid)


def sends(page: Page, of: str, pid: str) -> bool:
    """Whether ``pid``'s voice and camera reach us through ``of``."""
    got = remote_media(page, of).get(pid, {})
    return bool(got.get("audio") and got.get("camera"))


@pytest.mark.timeout(400)
def test_a_table_hears_and_sees_each_other_and_someone_far_away_gets_nothing(person) -> None:
    far = person()
    joined(far, 1)
    walk_to(far, *FAR)
    pages = [person() for _ in TABLE]
    for page, spot in zip(pages, TABLE, strict=True):
        joined(page, 1)
        walk_to(page, *spot)
        page.get_by_role("button", name="Start camera").click()
    ids = {page: my_id(page) for page in pages}
    for page in pages:
        through_the_server(page)
    for page, me in ids.items():
        for other in set(ids.values()) - {me}:
            wait_until(
                lambda p=page, o=other: sends(p, ROOM, o),
                timeout=20,
                what=f"{other}'s voice and camera at {me}",
            )
            hears_and_sees(page, other)
        assert page.evaluate(f"{ROOM}.state") == "connected"
    # A shared screen reaches the table the same way, and opens in its tab.
    sharer, *watchers = pages
    sharer.get_by_role("button", name="Share screen").click()
    for page in watchers:
        wait_until(
            lambda p=page: p.evaluate(
                f"(pid) => {{ const m = {SOCKET}.remote.get(pid); return !!(m && m.screen); }}",
                ids[sharer],
            ),
            timeout=20,
            what="the shared screen",
        )
        page.locator(
            f'{PANEL} .jp-Classroom-tile[data-peer="{ids[sharer]}"][data-kind="screen"] video'
        ).wait_for(timeout=20_000)
        wait_until(
            lambda p=page: (
                p.evaluate(
                    f"(pid) => {SOCKET}.decoderStats(pid).screen?.framesDecoded ?? 0", ids[sharer]
                )
                > 10
            ),
            timeout=20,
            what="the screen's pictures to be decoded",
        )
    # Far away on the open floor: nothing of the table reaches them.
    assert all(received(far, pid)["audioBytes"] == 0 for pid in ids.values())
    assert remote_media(far, SOCKET) == {}

    # One walks from the table to the open floor: the table's streams stop
    # for them at once, and theirs for the table.
    leaver, *stayers = pages
    walk_to(leaver, 560, 615)
    wait_until(
        lambda: remote_media(leaver, ROOM) == {} and remote_media(leaver, SOCKET) == {},
        timeout=3,
        what="the table's streams to stop for the one who left",
    )
    for page in stayers:
        wait_until(
            lambda p=page: ids[leaver] not in remote_media(p, ROOM),
            timeout=3,
            what="the one who left to be gone from the table",
        )


@pytest.mark.timeout(300)
def test_two_side_by_side_on_the_open_floor_hear_each_other(person) -> None:
    a = person()
    joined(a, 1)
    walk_to(a, 330, 615)
    b = person()
    joined(b, 2)
    walk_to(b, 430, 615)
    ida, idb = my_id(a), my_id(b)
    # The first to find that the call does not connect sends through the
    # server; the other sees it, and their call goes that way too.
    wait_until(
        lambda: "websocket" in (transport(a), transport(b)),
        timeout=30,
        what="one of the two to send through the server",
    )
    # The participant list says so, for a screen reader too.
    viewer, sender = (b, ida) if transport(a) == "websocket" else (a, idb)
    wait_until(
        lambda: "media through the server" in entry_of(viewer, sender).inner_text(),
        what="the list to say whose media goes through the server",
    )
    for page, other in ((a, idb), (b, ida)):
        wait_until(
            lambda p=page, o=other: (
                p.evaluate(
                    f"(o) => {{ const c = {PEERS}.calls.get(o); return !!c && c.relayed && c.state; }}",
                    o,
                )
                == "connected"
            ),
            timeout=20,
            what="the call to go through the server",
        )
        first = received(page, other)["audioBytes"]
        wait_until(
            lambda p=page, o=other, f=first: received(p, o)["audioBytes"] > f + 2000,
            timeout=20,
            what="the neighbour's voice",
        )
        # Spatial audio kept: the voice is placed by distance like a direct call's.
        gain = page.evaluate(f"(o) => {PEERS}.gain(o)", other)
        assert gain is not None and 0 < gain <= 1
