"""Who may enter which classroom of a hub, and with which role (no network)."""

from __future__ import annotations

import pytest

from jupyter_classroom.hub.members import (
    DEFAULT_CLASSROOM,
    TEACH_SCOPE,
    ClassroomsError,
    HubUser,
    parse_classrooms,
    role_of,
)


def user(name: str, groups: tuple[str, ...] = (), scopes: tuple[str, ...] = ()) -> HubUser:
    return HubUser.from_model({"name": name, "groups": list(groups), "scopes": list(scopes)})


def test_no_classrooms_configured_is_one_classroom_for_everyone() -> None:
    (spec,) = parse_classrooms({}).values()
    assert spec.name == DEFAULT_CLASSROOM
    assert spec.admits(user("anyone"))


def test_members_come_from_groups_and_names() -> None:
    specs = parse_classrooms(
        {
            "physics": {"title": "Physics 101", "groups": ["physics"]},
            "chem": {"groups": ["chem"], "users": ["guest"]},
        }
    )
    assert specs["physics"].title == "Physics 101" and specs["chem"].title == "chem"
    assert specs["physics"].admits(user("a", ("physics",)))
    assert not specs["physics"].admits(user("b", ("chem",)))
    assert specs["chem"].admits(user("guest"))
    assert not specs["chem"].admits(user("nobody"))


@pytest.mark.parametrize(
    ("config", "problem"),
    [
        ({"Physics!": {}}, "classroom name 'Physics!'"),
        ({"p": {"group": ["x"]}}, "unknown key(s) group"),
        ({"p": {"groups": "physics"}}, "'groups' must be a list of names"),
        ({"p": {"title": ""}}, "'title' must be a non-empty string"),
        ({"p": ["physics"]}, "expected a dict"),
    ],
)
def test_a_bad_classrooms_setting_says_what_is_wrong(config: dict, problem: str) -> None:
    with pytest.raises(ClassroomsError) as e:
        parse_classrooms(config)
    assert problem in str(e.value)


def test_the_teach_scope_or_the_instructors_list_makes_an_instructor() -> None:
    assert (
        role_of(user("t", scopes=(TEACH_SCOPE, "access:services!service=classroom")), TEACH_SCOPE)
        == "instructor"
    )
    assert (
        role_of(user("s", scopes=("access:services!service=classroom",)), TEACH_SCOPE) == "student"
    )
    assert role_of(user("s"), TEACH_SCOPE, ["s"]) == "instructor"
    # Holding the access scope is not teaching; a filtered scope is not the teach scope.
    assert role_of(user("s", scopes=("access:services",)), TEACH_SCOPE) == "student"
