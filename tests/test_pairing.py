"""The peer-to-peer mesh: who calls whom on the open floor."""

from __future__ import annotations

import math

import pytest

from jupyter_classroom.classroom.pairing import PeerMesh


class Floor:
    """A few people at fixed points; everyone within ``radius`` is a neighbour."""

    def __init__(self, radius: float = 150.0) -> None:
        self.radius = radius
        self.at: dict[str, tuple[float, float]] = {}
        self.in_room: set[str] = set()

    def distance(self, a: str, b: str) -> float:
        (ax, ay), (bx, by) = self.at[a], self.at[b]
        return math.hypot(ax - bx, ay - by)

    def neighbours(self) -> dict[str, set[str]]:
        return {
            a: {b for b in self.at if b != a and self.distance(a, b) <= self.radius}
            for a in self.at
        }

    def update(self, mesh: PeerMesh):
        return mesh.update(
            self.neighbours(),
            on_floor=lambda p: p not in self.in_room,
            distance=self.distance,
            offerer=lambda a, b: min(a, b),
        )


def test_line_of_three_pairs_only_the_neighbours() -> None:
    # The seed's picture: A - B - C, A and C out of range of each other.
    floor = Floor()
    floor.at = {"a": (0, 0), "b": (100, 0), "c": (200, 0)}
    mesh = PeerMesh(max_degree=4)
    change = floor.update(mesh)
    assert set(change.connected) == {("a", "b"), ("b", "c")}
    assert mesh.peers("b") == {"a", "c"}
    assert not mesh.paired("a", "c")


def test_each_pair_is_announced_once_and_closed_once() -> None:
    floor = Floor()
    floor.at = {"a": (0, 0), "b": (100, 0)}
    mesh = PeerMesh(max_degree=4)
    assert floor.update(mesh).connected == (("a", "b"),)
    assert floor.update(mesh).connected == ()  # nothing new while they stay
    floor.at["b"] = (1000, 0)
    change = floor.update(mesh)
    assert change.disconnected == (frozenset({"a", "b"}),)
    assert floor.update(mesh).disconnected == ()


def test_people_in_rooms_are_not_paired() -> None:
    floor = Floor()
    floor.at = {"a": (0, 0), "b": (100, 0)}
    floor.in_room = {"b"}
    mesh = PeerMesh(max_degree=4)
    assert floor.update(mesh).connected == ()
    floor.in_room = set()
    assert floor.update(mesh).connected == (("a", "b"),)
    floor.in_room = {"a"}
    assert floor.update(mesh).disconnected == (frozenset({"a", "b"}),)


def test_cap_keeps_the_nearest_and_reports_the_rest() -> None:
    # Six people around "me", spread out so that only "me" is near all of them.
    floor = Floor(radius=200)
    floor.at = {"me": (0, 0)}
    for i in range(6):
        angle = i * math.pi / 3
        r = 60 + 20 * i
        floor.at[f"p{i}"] = (r * math.cos(angle), r * math.sin(angle))
    star = {"me": {f"p{i}" for i in range(6)}} | {f"p{i}": {"me"} for i in range(6)}
    mesh = PeerMesh(max_degree=4)
    change = mesh.update(star, lambda p: True, floor.distance, offerer=min)
    assert mesh.peers("me") == {"p0", "p1", "p2", "p3"}
    assert mesh.capped("me") == {"p4", "p5"}
    assert mesh.capped("p5") == {"me"}
    assert change.capped_changed == {"me", "p4", "p5"}
    # p0 walks away: p4, the nearest capped one, takes its place.
    del star["p0"]
    star["me"].discard("p0")
    change = mesh.update(star, lambda p: True, floor.distance, offerer=min)
    assert change.connected == (("me", "p4"),)
    assert change.disconnected == (frozenset({"me", "p0"}),)
    assert mesh.capped("me") == {"p5"}


def test_cap_does_not_flap_between_near_equal_distances() -> None:
    floor = Floor(radius=500)
    floor.at = {"me": (0, 0), "x": (100, 0), "y": (101, 0)}
    mesh = PeerMesh(max_degree=1)
    floor.update(mesh)
    first = mesh.peers("me")
    # The other one steps a little nearer: the existing pair is kept.
    other = ({"x", "y"} - first).pop()
    floor.at[other] = (floor.at[other][0] - 5, 0)
    change = floor.update(mesh)
    assert change.connected == () and change.disconnected == ()
    assert mesh.peers("me") == first


def test_offerer_is_the_one_chosen() -> None:
    floor = Floor()
    floor.at = {"b": (0, 0), "a": (50, 0)}
    mesh = PeerMesh(max_degree=4)
    change = mesh.update(
        floor.neighbours(), lambda p: True, floor.distance, offerer=lambda a, b: max(a, b)
    )
    assert change.connected == (("b", "a"),)


def test_removing_a_participant_breaks_their_pairs() -> None:
    floor = Floor()
    floor.at = {"a": (0, 0), "b": (100, 0), "c": (50, 50)}
    mesh = PeerMesh(max_degree=4)
    floor.update(mesh)
    change = mesh.remove("b")
    assert set(change.disconnected) == {frozenset({"a", "b"}), frozenset({"b", "c"})}
    assert mesh.peers("a") == {"c"}


def test_negative_cap_is_refused() -> None:
    with pytest.raises(ValueError):
        PeerMesh(max_degree=-1)
