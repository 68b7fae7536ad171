"""Who may enter which classroom of a hub, and with which role.

Pure rules over the hub's user model (the JSON of ``GET /hub/api/user`` for
the person's token: ``name``, ``groups``, ``scopes``); no I/O.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from jupyterhub.services.auth import check_scopes

from ..protocol import Role

#: The scope that makes a hub user an instructor (a JupyterHub custom scope).
TEACH_SCOPE = "custom:classroom:teach"
#: The classroom a hub has when none are configured.
DEFAULT_CLASSROOM = "classroom"

_NAME = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")
_KEYS = {"title", "groups", "users"}


class ClassroomsError(ValueError):
    """The ``classrooms`` setting cannot be used."""


@dataclass(frozen=True)
class HubUser:
    """A person as the hub identified them from their token."""

    name: str
    groups: frozenset[str]
    scopes: frozenset[str]

    @classmethod
    def from_model(cls, model: Mapping[str, Any]) -> HubUser:
        return cls(
            name=str(model["name"]),
            groups=frozenset(str(g) for g in model.get("groups") or ()),
            scopes=frozenset(str(s) for s in model.get("scopes") or ()),
        )

    def holds(self, scopes: Iterable[str]) -> bool:
        """Whether the token carries any of ``scopes`` (filters resolved as the hub does)."""
        return bool(check_scopes(set(scopes), self.scopes))


@dataclass(frozen=True)
class ClassroomSpec:
    """One classroom of the hub: who belongs to it. No groups and no users: everyone."""

    name: str
    title: str
    groups: frozenset[str] = field(default_factory=frozenset)
    users: frozenset[str] = field(default_factory=frozenset)

    @property
    def open_to_all(self) -> bool:
        return not self.groups and not self.users

    def admits(self, user: HubUser) -> bool:
        return self.open_to_all or user.name in self.users or bool(self.groups & user.groups)


def parse_classrooms(config: Mapping[str, Any]) -> dict[str, ClassroomSpec]:
    """The ``classrooms`` setting as specs; :class:`ClassroomsError` names what is wrong.

    ``{}`` is one classroom, ``classroom``, for everyone who may use the service.
    """
    if not config:
        return {DEFAULT_CLASSROOM: ClassroomSpec(DEFAULT_CLASSROOM, "Classroom")}
    specs: dict[str, ClassroomSpec] = {}
    for name, entry in config.items():
        if not isinstance(name, str) or not _NAME.match(name):
            raise ClassroomsError(
                f"classroom name {name!r}: use 1-64 lower-case letters, digits, '-' or '_', "
                "starting with a letter or digit"
            )
        if entry is None:
            entry = {}
        if not isinstance(entry, Mapping):
            raise ClassroomsError(
                f"classroom {name!r}: expected a dict like {{'groups': ['physics-101']}}"
            )
        unknown = set(entry) - _KEYS
        if unknown:
            raise ClassroomsError(
                f"classroom {name!r}: unknown key(s) {', '.join(sorted(map(str, unknown)))} "
                f"(known: {', '.join(sorted(_KEYS))})"
            )
        title = entry.get("title", name)
        if not isinstance(title, str) or not title.strip():
            raise ClassroomsError(f"classroom {name!r}: 'title' must be a non-empty string")
        sets = {}
        for key in ("groups", "users"):
            values = entry.get(key, [])
            if isinstance(values, str) or not all(isinstance(v, str) for v in values):
                raise ClassroomsError(f"classroom {name!r}: '{key}' must be a list of names")
            sets[key] = frozenset(values)
        specs[name] = ClassroomSpec(name, title.strip(), sets["groups"], sets["users"])
    return specs


def role_of(user: HubUser, teach_scope: str, instructors: Iterable[str] = ()) -> Role:
    """Instructor: the token carries the teach scope, or the name is listed."""
    if user.holds([teach_scope]) or user.name in set(instructors):
        return "instructor"
    return "student"
