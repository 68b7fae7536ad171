"""Initials and colours told apart among the people present."""

from __future__ import annotations

import random

from hypothesis import given
from hypothesis import strategies as st

from jupyter_classroom.classroom import Classroom, ClassroomMap, ClassroomSettings, Identity
from jupyter_classroom.classroom.identity import (
    MAX_INITIALS,
    PALETTE,
    colour_of,
    distinct_colour,
    distinct_word,
    initials_choices,
)

from .test_classroom import joined
from .test_identity import anonymous


def test_a_placeholder_name_is_known_by_its_distinct_word() -> None:
    assert distinct_word("Anonymous Kore") == "Kore"
    assert distinct_word("Anonymous  Kalyke") == "Kalyke"
    assert distinct_word("Ada Lovelace") == "Ada Lovelace"
    assert distinct_word("Anonymous") == "Anonymous"


def test_initials_choices_go_from_the_usual_to_other_letters() -> None:
    choices = initials_choices("Anonymous Kore")
    assert [next(choices) for _ in range(4)] == ["KO", "KR", "KE", "KO2"]
    choices = initials_choices("Ada Lovelace", given="AL")
    assert [next(choices) for _ in range(4)] == ["AL", "AL", "ALO", "ALV"]


def test_two_anonymous_moons_get_different_initials(default_map: ClassroomMap) -> None:
    c = Classroom(default_map, ClassroomSettings(), random.Random(1))
    kore = joined(c, anonymous("u1", "Anonymous Kore"), 0.0)
    kalyke = joined(c, anonymous("u2", "Anonymous Kalyke"), 0.0)
    kale = joined(c, anonymous("u3", "Anonymous Kale"), 0.0)
    assert [p.info().initials for p in (kore, kalyke, kale)] == ["KO", "KA", "KL"]
    # Kalyke leaves: her letters are free for the next one, the others keep theirs.
    c.leave(kalyke.id)
    again = joined(c, anonymous("u4", "Anonymous Kari"), 0.0)
    assert again.info().initials == "KA"
    assert [p.info().initials for p in (kore, kale)] == ["KO", "KL"]


def test_host_initials_come_first_and_twins_get_other_letters(default_map: ClassroomMap) -> None:
    c = Classroom(default_map, ClassroomSettings(), random.Random(1))
    ada = joined(c, Identity.from_host("ada", "Ada Lovelace"), 0.0)
    alan = joined(c, Identity.from_host("alan", "Alan Lee"), 0.0)
    assert (ada.info().initials, alan.info().initials) == ("AL", "ALE")


def test_derived_colours_are_distinct_while_the_palette_lasts(default_map: ClassroomMap) -> None:
    c = Classroom(default_map, ClassroomSettings(max_participants=100), random.Random(1))
    people = [joined(c, anonymous(f"u{i}", f"Anonymous M{i}"), 0.0) for i in range(len(PALETTE))]
    assert len({p.info().color for p in people}) == len(PALETTE)
    # Someone who chose a colour keeps it, even one already shown.
    taken = people[0].info().color
    chooser = joined(c, anonymous("chooser"), 0.0, name="Bea", color=taken)
    assert chooser.info().color == taken
    # Beyond the palette, the least shown colour.
    extra = joined(c, anonymous("extra", "Anonymous X"), 0.0)
    shown = [p.info().color for p in c.participants.values() if p is not extra]
    assert shown.count(extra.info().color) == min(shown.count(col) for col in PALETTE)


def test_a_colour_nobody_shows_is_kept() -> None:
    assert distinct_colour(colour_of("ada"), True, {}) == colour_of("ada")
    used = {colour_of("ada"): 1}
    assert distinct_colour(colour_of("ada"), True, used) != colour_of("ada")
    assert distinct_colour(colour_of("ada"), False, used) == colour_of("ada")


@given(st.lists(st.text(min_size=1, max_size=12), min_size=1, max_size=30))
def test_initials_are_unique_and_short_for_any_names(names: list[str]) -> None:
    held: set[str] = set()
    for name in names:
        initials = next(i for i in initials_choices(name) if i not in held)
        assert 0 < len(initials) <= MAX_INITIALS
        held.add(initials)
    assert len(held) == len(names)
