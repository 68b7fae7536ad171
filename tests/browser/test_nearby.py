"""Who is near and who cannot be heard, as each page works it out from the
positions it has (the server sends neither), shown in the participant list."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from ..harness import wait_until
from ..harness.pages import entry_of, joined, my_id, walk_to
from ..harness.servers import JupyterProcess
from .test_proximity_media import calls

CAPPED = "nearby, but not heard"


@pytest.fixture(scope="module")
def lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[JupyterProcess]:
    # One open-floor call each: of three people close together one is left out.
    server = JupyterProcess(
        tmp_path_factory.mktemp("lab"),
        sfu_ice_addresses="127.0.0.1",
        sfu_allowed_candidate_networks="127.0.0.0/8",
        max_mesh_degree=1,
    )
    server.start()
    try:
        yield server
    finally:
        server.stop()


def text(page, pid: str) -> str:
    return entry_of(page, pid).inner_text()


@pytest.mark.timeout(300)
def test_a_full_mesh_leaves_someone_near_but_not_heard(person) -> None:
    a = person()
    joined(a, 1)
    walk_to(a, 330, 615)
    b = person()
    joined(b, 2)
    walk_to(b, 390, 615)
    ida, idb = my_id(a), my_id(b)
    wait_until(lambda: idb in calls(a), timeout=20, what="Alice and Bob to be paired")

    # Carol stands near both (140 and 80 px away), but each has their one call.
    c = person()
    joined(c, 3)
    walk_to(c, 470, 615)
    idc = my_id(c)
    wait_until(
        lambda: CAPPED in text(a, idc), timeout=20, what="Alice to see that she cannot hear Carol"
    )
    assert "talking with you" in text(a, idb)
    wait_until(
        lambda: CAPPED in text(c, ida) and CAPPED in text(c, idb),
        timeout=20,
        what="Carol to see that she hears neither",
    )

    # Bob leaves: he is nobody's neighbour, and Alice and Carol are paired.
    b.context.close()
    wait_until(
        lambda: "talking with you" in text(a, idc) and "talking with you" in text(c, ida),
        timeout=30,
        what="Alice and Carol to be paired once Bob has gone",
    )
    assert CAPPED not in text(a, idc) and CAPPED not in text(c, ida)
    wait_until(
        lambda: entry_of(a, idb).count() == 0 or "nearby" not in text(a, idb),
        timeout=30,
        what="Bob not to be near Alice any more",
    )
