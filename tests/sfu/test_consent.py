"""Consent freshness (RFC 7675) on the server's ICE connections, with two
real aioice connections on 127.0.0.1: a check whose first datagram is lost
is answered when sent again, and consent expires only when nothing is
answered for the whole timeout (aioice alone ends a connection after six
single-shot checks in a row went unanswered for 0.5 s each)."""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import Callable
from typing import Any

import aioice.ice
import pytest
from aioice import stun

from jupyter_classroom.sfu import aiortc_hooks

from ..harness import until


def test_aioice_checks_consent_as_the_hook_expects() -> None:
    # The replaced loop uses these of aioice's: its interval, how it builds a
    # check, the pairs it sends on, and the task close() cancels.
    assert isinstance(aioice.ice.CONSENT_INTERVAL, (int, float))
    assert aioice.ice.Connection.query_consent is aiortc_hooks._query_consent
    connect = inspect.getsource(aioice.ice.Connection.connect)
    assert "self._query_consent_task = asyncio.create_task(self.query_consent())" in connect
    close = inspect.getsource(aioice.ice.Connection.close)
    assert "self._query_consent_task.cancel()" in close
    assert "def build_request(self, pair: CandidatePair, nominate: bool)" in inspect.getsource(
        aioice.ice.Connection
    )


class Answering:
    """What the answering side does with the consent checks it gets: each
    is answered or not by ``answer(transaction id, times seen before)``."""

    def __init__(self, connection: aioice.ice.Connection) -> None:
        self.seen: dict[bytes, int] = {}
        self.answered = 0
        self.answer: Callable[[bytes, int], bool] = lambda tid, before: True
        handle = connection.request_received

        def request_received(message: stun.Message, addr: Any, protocol: Any) -> None:
            if message.attributes.get("USE-CANDIDATE") is None and connection._nominated:
                tid = message.transaction_id
                before = self.seen.get(tid, 0)
                self.seen[tid] = before + 1
                if not self.answer(tid, before):
                    return
                self.answered += 1
            handle(message, addr, protocol)

        connection.request_received = request_received  # type: ignore[method-assign]


async def connected() -> tuple[aioice.ice.Connection, aioice.ice.Connection]:
    checking = aioice.ice.Connection(ice_controlling=True)
    answering = aioice.ice.Connection(ice_controlling=False)
    for c in (checking, answering):
        await c.gather_candidates()
    for local, remote in ((checking, answering), (answering, checking)):
        for candidate in remote.local_candidates:
            await local.add_remote_candidate(candidate)
        await local.add_remote_candidate(None)
        local.remote_username = remote.local_username
        local.remote_password = remote.local_password
    await asyncio.gather(checking.connect(), answering.connect())
    return checking, answering


@pytest.fixture
def quick_consent(monkeypatch):
    """Checks every 0.2 s, consent for 3 s: the same rules, sooner."""
    aiortc_hooks.announce_host_addresses(["127.0.0.1"])
    monkeypatch.setattr(aioice.ice, "CONSENT_INTERVAL", 0.2)
    monkeypatch.setattr(aiortc_hooks, "CONSENT_TIMEOUT", 3.0)
    yield
    aiortc_hooks.announce_host_addresses(None)


@pytest.mark.asyncio
async def test_a_check_whose_first_datagram_is_lost_is_answered_when_sent_again(
    quick_consent,
) -> None:
    checking, answering = await connected()
    peer = Answering(answering)
    # Every check's first datagram is lost: aioice alone would have ended
    # the connection after the sixth.
    peer.answer = lambda tid, before: before > 0
    try:
        await until(lambda: peer.answered >= 8, 30, "eight checks answered on their second try")
        assert checking._query_consent_task is not None
        assert not checking._query_consent_task.done()
        assert checking._nominated
    finally:
        await checking.close()
        await answering.close()


@pytest.mark.asyncio
async def test_consent_expires_when_nothing_is_answered_for_the_timeout(quick_consent) -> None:
    checking, answering = await connected()
    peer = Answering(answering)
    peer.answer = lambda tid, before: False
    loop = asyncio.get_running_loop()
    started = loop.time()
    try:
        await until(lambda: not checking._nominated, 30, "consent to expire")
        # Not before the timeout (the last check before it was unanswered too).
        assert loop.time() - started >= aiortc_hooks.CONSENT_TIMEOUT
        assert checking._query_consent_task is None
    finally:
        await checking.close()
        await answering.close()
