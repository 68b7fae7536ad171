"""One description of every message type, built once from the dataclasses.

The decoder, the JSON Schema and the TypeScript generator all read this form
instead of each walking Python type hints on its own, so they cannot disagree
about what a field accepts: a bound written once in ``messages.py`` is
enforced by the decoder and shown in both generated files.
"""

from __future__ import annotations

import dataclasses
import sys
import types
import typing
from collections.abc import Iterable
from dataclasses import dataclass
from enum import Enum
from typing import Any, Literal, Union

#: The largest magnitude of a number on the wire: beyond it a JavaScript
#: number loses integer precision, and no field of the protocol needs more.
MAX_SAFE_NUMBER = 2**53


# --------------------------------------------------------------------------
# The nodes of the form


@dataclass(frozen=True)
class Scalar:
    """``boolean``, ``integer``, ``number`` or ``string``."""

    kind: Literal["boolean", "integer", "number", "string"]
    max_length: int | None = None


@dataclass(frozen=True)
class Choice:
    """One of a few strings (a ``Literal``); ``name`` if messages.py names it."""

    values: tuple[str, ...]
    name: str | None = None


@dataclass(frozen=True)
class EnumType:
    """A string ``Enum``; it keeps its own name on the TypeScript side."""

    enum: type[Enum]

    @property
    def name(self) -> str:
        return self.enum.__name__

    @property
    def values(self) -> tuple[str, ...]:
        return tuple(e.value for e in self.enum)


@dataclass(frozen=True)
class ListOf:
    item: Node
    max_items: int | None = None


@dataclass(frozen=True)
class TupleOf:
    items: tuple[Node, ...]


@dataclass(frozen=True)
class Nullable:
    """The value or ``null`` (``X | None`` in Python)."""

    inner: Node


@dataclass(frozen=True)
class RecordRef:
    """Another record, by name (records may refer to each other)."""

    name: str


Node = Scalar | Choice | EnumType | ListOf | TupleOf | Nullable | RecordRef


@dataclass(frozen=True)
class FieldSpec:
    name: str
    node: Node
    #: A required field has no default: the decoder refuses a message without it.
    required: bool


@dataclass(frozen=True)
class RecordSpec:
    """A dataclass: a message (``tag`` is its ``type``) or a record inside one."""

    name: str
    cls: type
    tag: str | None
    fields: tuple[FieldSpec, ...]
    doc: str


@dataclass(frozen=True)
class ProtocolSpec:
    """Every type of one protocol version, in a stable order."""

    version: int
    #: Every dataclass by name: the listed records first, then the messages,
    #: then records only found inside them.
    records: dict[str, RecordSpec]
    client: tuple[RecordSpec, ...]
    server: tuple[RecordSpec, ...]
    #: Named ``Literal`` types and ``Enum`` types, by name.
    choices: dict[str, Choice]
    enums: dict[str, EnumType]
    #: Module-level integer constants shared with the front end (close codes).
    constants: dict[str, int]

    @property
    def client_by_tag(self) -> dict[str, RecordSpec]:
        return {r.tag: r for r in self.client if r.tag is not None}

    def depth(self, node: Node | RecordSpec) -> int:
        """How many JSON objects and arrays deep a value of ``node`` nests."""
        if isinstance(node, RecordSpec):
            return 1 + max((self.depth(f.node) for f in node.fields), default=0)
        if isinstance(node, RecordRef):
            return self.depth(self.records[node.name])
        if isinstance(node, Nullable):
            return self.depth(node.inner)
        if isinstance(node, ListOf):
            return 1 + self.depth(node.item)
        if isinstance(node, TupleOf):
            return 1 + max((self.depth(n) for n in node.items), default=0)
        return 0

    def containers(self, node: Node | RecordSpec) -> int | None:
        """How many JSON objects and arrays a value of ``node`` holds at most
        (``None``: a list without ``max_items`` makes it unbounded)."""
        if isinstance(node, RecordSpec):
            counts = [self.containers(f.node) for f in node.fields]
            return None if None in counts else 1 + sum(typing.cast(list[int], counts))
        if isinstance(node, RecordRef):
            return self.containers(self.records[node.name])
        if isinstance(node, Nullable):
            return self.containers(node.inner)
        if isinstance(node, ListOf):
            item = self.containers(node.item)
            if item == 0:
                return 1
            if item is None or node.max_items is None:
                return None
            return 1 + node.max_items * item
        if isinstance(node, TupleOf):
            counts = [self.containers(n) for n in node.items]
            return None if None in counts else 1 + sum(typing.cast(list[int], counts))
        return 0

    @property
    def client_containers(self) -> int | None:
        """The most objects and arrays a valid client message holds."""
        counts = [self.containers(r) for r in self.client]
        return None if None in counts else max(typing.cast(list[int], counts))

    @property
    def client_depth(self) -> int:
        """The deepest nesting any valid client message has."""
        return max(self.depth(r) for r in self.client)


# --------------------------------------------------------------------------
# Building the form


class _Builder:
    def __init__(self, choices: dict[str, Any], enums: Iterable[type[Enum]]) -> None:
        self.choices: dict[str, Choice] = {}
        for name, tp in choices.items():
            self.choices[name] = Choice(self._literal_values(tp, name), name)
        self.enums: dict[str, EnumType] = {e.__name__: EnumType(e) for e in enums}
        self.records: dict[str, RecordSpec] = {}
        self._pending: list[type] = []

    @staticmethod
    def _literal_values(tp: Any, where: str) -> tuple[str, ...]:
        values = typing.get_args(tp)
        if not values or not all(isinstance(v, str) for v in values):
            raise TypeError(f"{where}: only Literals of strings are supported")
        return values

    def record(self, cls: type) -> RecordSpec:
        existing = self.records.get(cls.__name__)
        if existing is not None:
            if existing.cls is not cls:
                raise TypeError(f"two records are named {cls.__name__}")
            return existing
        if not dataclasses.is_dataclass(cls):
            raise TypeError(f"{cls!r} is not a dataclass")
        module = sys.modules[cls.__module__]
        hints = typing.get_type_hints(cls, vars(module))
        fields = []
        for f in dataclasses.fields(cls):
            bounds = dict(f.metadata)
            unknown = set(bounds) - {"max_length", "max_items"}
            if unknown:
                raise TypeError(f"{cls.__name__}.{f.name}: unknown bound(s) {sorted(unknown)}")
            node = self.node(hints[f.name], f"{cls.__name__}.{f.name}", bounds)
            required = (
                f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING
            )
            fields.append(FieldSpec(f.name, node, required))
        # A message's ``type`` is a ClassVar; a record may have a field named so.
        tag = None if "type" in {f.name for f in fields} else getattr(cls, "type", None)
        doc = (cls.__doc__ or "").strip()
        if doc.startswith(cls.__name__ + "("):
            doc = ""  # the signature dataclasses writes when there is no docstring
        spec = RecordSpec(
            cls.__name__, cls, tag if isinstance(tag, str) else None, tuple(fields), doc
        )
        self.records[cls.__name__] = spec
        return spec

    def node(self, tp: Any, where: str, bounds: dict[str, int]) -> Node:
        origin = typing.get_origin(tp)
        args = typing.get_args(tp)
        if origin in (Union, types.UnionType):
            inner = [a for a in args if a is not type(None)]
            if len(inner) != 1 or len(args) != 2:
                raise TypeError(f"{where}: only `X | None` unions are supported")
            return Nullable(self.node(inner[0], where, bounds))
        if origin is Literal:
            values = self._literal_values(tp, where)
            for choice in self.choices.values():
                if set(choice.values) == set(values):
                    return choice
            return Choice(values)
        if origin is list:
            item = self.node(
                args[0], f"{where}[]", {k: v for k, v in bounds.items() if k != "max_items"}
            )
            return ListOf(item, bounds.get("max_items"))
        if origin is tuple:
            return TupleOf(tuple(self.node(a, f"{where}[]", bounds) for a in args))
        if tp is bool:
            return Scalar("boolean")
        if tp is int:
            return Scalar("integer")
        if tp is float:
            return Scalar("number")
        if tp is str:
            return Scalar("string", bounds.get("max_length"))
        if isinstance(tp, type) and issubclass(tp, Enum):
            if not all(isinstance(e.value, str) for e in tp):
                raise TypeError(f"{where}: only Enums of strings are supported")
            return self.enums.setdefault(tp.__name__, EnumType(tp))
        if isinstance(tp, type) and dataclasses.is_dataclass(tp):
            if tp.__name__ not in self.records:
                self._pending.append(tp)
            return RecordRef(tp.__name__)
        raise TypeError(f"{where}: unsupported type {tp!r}")

    def drain(self) -> None:
        while self._pending:
            self.record(self._pending.pop(0))


def build_spec(
    *,
    version: int,
    records: Iterable[type],
    client: Iterable[type],
    server: Iterable[type],
    choices: dict[str, Any] | None = None,
    enums: Iterable[type[Enum]] = (),
    constants: dict[str, int] | None = None,
) -> ProtocolSpec:
    """Walk the dataclasses once and describe every type they use."""
    builder = _Builder(choices or {}, enums)
    for cls in records:
        builder.record(cls)
    client_specs = tuple(builder.record(c) for c in client)
    server_specs = tuple(builder.record(c) for c in server)
    builder.drain()
    for side, specs in (("client", client_specs), ("server", server_specs)):
        tags = [s.tag for s in specs]
        if None in tags:
            raise TypeError(f"every {side} message needs a `type: ClassVar[str]`")
        if len(set(tags)) != len(tags):
            raise TypeError(f"two {side} messages share a type: {sorted(map(str, tags))}")
    return ProtocolSpec(
        version=version,
        records=dict(builder.records),
        client=client_specs,
        server=server_specs,
        choices=dict(builder.choices),
        enums=dict(builder.enums),
        constants=dict(constants or {}),
    )


def spec_of_module(*modules: types.ModuleType) -> ProtocolSpec:
    """The form of a protocol written in ``modules`` (read as one namespace):
    its ``RECORDS``, ``CLIENT_MESSAGES`` and ``SERVER_MESSAGES``, its named
    Literals and Enums, its ``CLOSE_*`` codes and ``FRAME_*`` numbers."""
    names: dict[str, Any] = {}
    for module in modules:
        names.update(vars(module))
    homes = {module.__name__ for module in modules}
    choices = {
        name: value
        for name, value in names.items()
        if not name.startswith("_") and typing.get_origin(value) is Literal
    }
    enums = [
        value
        for value in names.values()
        if isinstance(value, type)
        and issubclass(value, Enum)
        and value is not Enum
        and value.__module__ in homes
    ]
    constants = {
        name: value
        for name, value in names.items()
        if name.startswith(("CLOSE_", "FRAME_")) and isinstance(value, int)
    }
    return build_spec(
        version=names["PROTOCOL_VERSION"],
        records=names["RECORDS"],
        client=names["CLIENT_MESSAGES"],
        server=names["SERVER_MESSAGES"],
        choices=choices,
        enums=enums,
        constants=constants,
    )
