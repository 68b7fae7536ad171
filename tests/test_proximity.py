"""The proximity graph: who is near whom, by slots."""

from __future__ import annotations

import pytest

from jupyter_classroom.classroom import Proximity


def test_near_within_the_radius_and_until_the_drop_radius() -> None:
    prox = Proximity(100.0, 125.0)
    prox.add("a", 0, 0)
    prox.add("b", 110, 0)
    prox.measure(["a", "b"])
    assert prox.neighbours("a") == set()  # 110 > 100: not near yet
    prox.place("b", 100, 0)
    prox.measure(["b"])
    assert prox.neighbours("a") == {"b"} and prox.neighbours("b") == {"a"}
    prox.place("b", 120, 0)  # in the band: still near
    prox.measure(["b"])
    assert prox.neighbours("a") == {"b"}
    prox.place("b", 126, 0)  # past the drop radius
    prox.measure(["b"])
    assert prox.neighbours("a") == set() and prox.neighbours("b") == set()
    prox.place("b", 120, 0)  # back in the band: not near again until the radius
    prox.measure(["b"])
    assert prox.neighbours("a") == set()


def test_someone_inactive_is_near_nobody_until_measured_again() -> None:
    prox = Proximity(100.0)
    for pid, x in (("a", 0), ("b", 50), ("c", 90)):
        prox.add(pid, x, 0)
    prox.measure("abc")
    assert prox.neighbours("b") == {"a", "c"}
    prox.set_active("b", False)
    assert prox.neighbours("b") == set() and prox.neighbours("a") == {"c"}
    prox.measure(["a", "b"])  # others moving do not find them
    assert prox.neighbours("a") == {"c"}
    prox.set_active("b", True)
    assert prox.neighbours("b") == set()
    prox.measure(["b"])
    assert prox.neighbours("b") == {"a", "c"} and "b" in prox.neighbours("a")


def test_slots_are_reused_and_the_graph_of_the_others_kept() -> None:
    prox = Proximity(100.0)
    for i in range(40):
        prox.add(f"p{i}", 10.0 * i, 0)
    prox.measure([f"p{i}" for i in range(40)])
    before = {f"p{i}": prox.neighbours(f"p{i}") for i in range(40)}
    capacity = prox.capacity
    gone = prox.slot("p7")
    prox.remove("p7")
    assert "p7" not in prox and "p7" not in prox.neighbours("p8")
    prox.add("new", 1000, 1000)
    assert prox.slot("new") == gone and prox.neighbours("new") == set()
    prox.measure(["new"])
    assert prox.neighbours("new") == set()
    for pid, near in before.items():
        if pid != "p7":
            assert prox.neighbours(pid) == near - {"p7"}
    # The ones at the end leave: the part in use gets shorter.
    for i in range(20, 40):
        prox.remove(f"p{i}")
    assert prox.used == 20 and prox.capacity == capacity
    with pytest.raises(ValueError):
        prox.add("p1", 0, 0)


def test_a_graph_given_as_is() -> None:
    prox = Proximity(10.0)
    for pid in "abc":
        prox.add(pid, 0, 0)
    prox.set_neighbours("a", {"b"})
    assert prox.neighbours("a") == {"b"} and prox.neighbours("b") == {"a"}
    assert prox.neighbours("c") == set()
