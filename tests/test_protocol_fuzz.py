"""Mutated client messages through a real session and service.

Hypothesis builds a valid message of every client type from the protocol's
own form (the one the decoder uses), then breaks it: wrong types, huge and
deeply nested values, lone surrogates, over-long strings, missing and extra
fields, other encodings. Each frame goes through a real
:class:`ClassroomSession` over a real :class:`ClassroomService`,
:class:`Classroom` and SQLite store. Whatever arrives, the server answers with
a stable error code, never ``internal``, logs nothing at ERROR, and the
connection still answers a ``ping``.
"""

from __future__ import annotations

import json
import logging
import math
import random
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from jupyter_classroom import protocol
from jupyter_classroom.classroom import Classroom, ClassroomMap, ClassroomSettings
from jupyter_classroom.protocol.schema import (
    Choice,
    EnumType,
    ListOf,
    Node,
    Nullable,
    RecordRef,
    RecordSpec,
    Scalar,
    TupleOf,
)
from jupyter_classroom.server.service import ClassroomService, Limits
from jupyter_classroom.server.session import ClassroomSession
from jupyter_classroom.storage import ChatStore

from .conftest import person
from .harness import FakeClock as Clock

SPEC = protocol.SPEC
MAX_BYTES = 16384
#: Codes a client can provoke by sending a message; ``internal`` is not one.
EXPECTED_CODES = {c.value for c in protocol.ErrorCode} - {protocol.ErrorCode.INTERNAL.value}
#: Stand-ins for the three connections' participant ids, and an unknown one.
PEERS = ["@peer0", "@peer1", "@peer2", "@nobody"]


# --------------------------------------------------------------------------
# Valid values, from the protocol's form


def valid(node: Node | RecordSpec, ids: list[str]) -> st.SearchStrategy[Any]:
    if isinstance(node, RecordSpec):
        required = {f.name: valid(f.node, ids) for f in node.fields if f.required}
        optional = {f.name: valid(f.node, ids) for f in node.fields if not f.required}
        base = st.fixed_dictionaries(required, optional=optional)
        tag = node.tag
        if tag is None:
            return base
        return base.map(lambda d: {"type": tag, **d})
    if isinstance(node, RecordRef):
        return st.deferred(lambda: valid(SPEC.records[node.name], ids))
    if isinstance(node, Nullable):
        return st.none() | valid(node.inner, ids)
    if isinstance(node, Scalar):
        if node.kind == "boolean":
            return st.booleans()
        if node.kind == "integer":
            return st.integers(0, 5) | st.integers(-(2**53), 2**53)
        if node.kind == "number":
            return st.floats(0, 1500) | st.floats(-(2.0**53), 2.0**53)
        size = min(node.max_length or 60, 60)
        return st.sampled_from(ids) | st.text(max_size=size)
    if isinstance(node, (Choice, EnumType)):
        return st.sampled_from(node.values)
    if isinstance(node, ListOf):
        return st.lists(valid(node.item, ids), max_size=min(node.max_items or 4, 4))
    if isinstance(node, TupleOf):
        return st.tuples(*(valid(n, ids) for n in node.items)).map(list)
    raise TypeError(node)


# --------------------------------------------------------------------------
# Breaking them

lone_surrogates = st.characters(min_codepoint=0xD800, max_codepoint=0xDFFF)
bad_text = st.one_of(
    st.text(lone_surrogates, min_size=1, max_size=3),
    st.builds(
        lambda a, s, b: a + s + b, st.text(max_size=5), lone_surrogates, st.text(max_size=5)
    ),
    st.text(max_size=5).map(lambda t: t * 200),  # longer than any bound
    st.just("\x00\ufeff\ufffe\uffff"),
)
huge_numbers = st.one_of(
    st.integers(2**53 + 1, 10**40) | st.integers(-(10**40), -(2**53) - 1),
    st.integers(309, 4000).map(lambda digits: 10**digits),  # beyond any float
    st.sampled_from([2**53 + 1, 1e308, -1e308, 2.0**53 + 2]),
    st.sampled_from([float("inf"), float("-inf"), float("nan")]),
)


class Deep:
    """Arrays nested ``depth`` deep: written into the frame's text directly,
    since ``json.dumps`` itself cannot nest that deep."""

    def __init__(self, depth: int) -> None:
        self.depth = depth

    def __repr__(self) -> str:
        return f"Deep({self.depth})"


def nested(depth: int) -> Any:
    value: Any = 1
    for i in range(depth):
        value = [value] if i % 2 else {"a": value}
    return value


wrong_types = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(),
    st.text(max_size=20),
    st.dictionaries(st.text(max_size=5), st.integers(), max_size=3),
    st.lists(st.text(max_size=3), max_size=20),
)
deep = st.one_of(
    st.integers(1, 40).map(nested),
    st.sampled_from([9, 100, 1000, 3000, 8000]).map(Deep),
    st.integers(1, 3000).map(lambda n: [0] * n),
)
hostile = st.one_of(wrong_types, huge_numbers, bad_text, deep)


def hostile_for(original: Any) -> st.SearchStrategy[Any]:
    """Mostly values near the original's kind, where a validator is likeliest
    to let something through."""
    if isinstance(original, str):
        return bad_text | hostile
    if isinstance(original, (int, float)) and not isinstance(original, bool):
        return huge_numbers | hostile
    return hostile


def paths(value: Any, prefix: tuple = ()) -> list[tuple]:
    """Every place inside ``value`` a mutation can hit."""
    out = [prefix]
    if isinstance(value, dict):
        for k, v in value.items():
            out += paths(v, prefix + (k,))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            out += paths(v, prefix + (i,))
    return out


def get(value: Any, path: tuple) -> Any:
    for key in path:
        value = value[key]
    return value


def mutate(data: st.DataObject, message: dict[str, Any], ids: list[str]) -> Any:
    how = data.draw(
        st.sampled_from(
            [
                "none",
                "replace",
                "replace",
                "replace",
                "taint",
                "taint",
                "delete",
                "extra",
                "rename",
                "whole",
            ]
        )
    )
    if how == "taint":
        # A lone surrogate inside one of the message's own strings, so the
        # rest of the message stays valid and it reaches as far as it can.
        strings = [p for p in paths(message) if p and isinstance(get(message, p), str)]
        if strings:
            path = data.draw(st.sampled_from(strings))
            holder = get(message, path[:-1])
            text = holder[path[-1]]
            at = data.draw(st.integers(0, len(text)))
            holder[path[-1]] = text[:at] + data.draw(lone_surrogates) + text[at:]
        return message
    if how == "none":
        return message
    if how == "whole":
        return data.draw(hostile)
    path = data.draw(st.sampled_from(paths(message)[1:] or [()]))
    if not path:
        return data.draw(hostile)
    parent: Any = message
    for key in path[:-1]:
        parent = parent[key]
    last = path[-1]
    if how == "replace":
        parent[last] = data.draw(hostile_for(parent[last]))
    elif how == "delete":
        del parent[last]
    elif how == "extra":
        target = parent if isinstance(parent, dict) else message
        target[data.draw(st.text(max_size=8) | bad_text)] = data.draw(hostile)
    elif how == "rename" and isinstance(parent, dict):
        parent[data.draw(bad_text | st.sampled_from(ids))] = parent.pop(last)
    return message


def frame(data: st.DataObject, value: Any) -> str | bytes:
    """``value`` as a frame: usually JSON text, sometimes other encodings."""
    deep: list[Deep] = []

    def placeholder(o: Any) -> str:
        if isinstance(o, Deep):
            deep.append(o)
            return f"@deep{len(deep) - 1}@"
        raise TypeError(o)

    # Escaped (\\uXXXX) most of the time: that is how a lone surrogate gets
    # past a strict UTF-8 decoder into the parsed text.
    ascii_only = data.draw(st.sampled_from([True, True, True, False]))
    text = json.dumps(value, ensure_ascii=ascii_only, allow_nan=True, default=placeholder)
    for i, d in enumerate(deep):
        text = text.replace(f'"@deep{i}@"', "[" * d.depth + "]" * d.depth)
    how = data.draw(st.sampled_from(["text"] * 4 + ["utf-8"] * 2 + ["bom", "utf-16", "truncated"]))
    if how == "text":
        return text
    raw = text.encode("utf-8", "surrogatepass")
    if how == "utf-8":
        return raw
    if how == "bom":
        return b"\xef\xbb\xbf" + raw
    if how == "utf-16":
        return text.encode("utf-16", "surrogatepass")
    return raw[: data.draw(st.integers(0, max(0, len(raw) - 1)))]


# --------------------------------------------------------------------------
# The server side


class Client:
    def __init__(self, service: ClassroomService, name: str, clock: Clock) -> None:
        self.inbox: list[dict[str, Any]] = []
        self.closed = False
        self.session = ClassroomSession(service, person(name), self.inbox_json, self._close, clock)

    def inbox_json(self, text: str) -> None:
        self.inbox.append(json.loads(text))

    def _close(self, code: int, reason: str) -> None:
        self.closed = True
        self.session.connection_lost(code)

    def send(self, value: dict[str, Any]) -> None:
        self.session.receive(json.dumps(value))


class FuzzedClassroom:
    """A service with two joined participants and one
    connection that has not joined; closed connections are replaced."""

    def __init__(self, tmp_path: Path, cmap: ClassroomMap) -> None:
        self.clock = Clock()
        self.store = ChatStore(tmp_path / "chat.sqlite")
        classroom = Classroom(cmap, ClassroomSettings(max_participants=10_000), random.Random(5))
        # The rate limit is tested elsewhere: here every frame must be read.
        limits = Limits(max_message_bytes=MAX_BYTES, messages_per_second=1e6)
        self.service = ClassroomService(classroom, self.store, limits, clock=self.clock)
        self.count = 0
        self.clients = [self.fresh(join=True), self.fresh(join=True), self.fresh(join=False)]

    def fresh(self, join: bool) -> Client:
        self.count += 1
        client = Client(self.service, f"P{self.count}", self.clock)
        if join:
            client.send({"type": "join", "protocol": protocol.PROTOCOL_VERSION, "id": 1})
            assert any(m["type"] == "welcome" for m in client.inbox)
        return client

    def resolve(self, value: Any) -> Any:
        """``value`` with the placeholders of :data:`PEERS` replaced by the
        participants' current ids (drawing them directly would make the
        generated data depend on the server's state)."""
        if isinstance(value, str) and value in PEERS[: len(self.clients)]:
            pid = self.clients[PEERS.index(value)].session.pid
            return pid if pid is not None else value
        if isinstance(value, dict):
            return {self.resolve(k): self.resolve(v) for k, v in value.items()}
        if isinstance(value, list):
            return [self.resolve(v) for v in value]
        return value

    def replace_closed(self) -> None:
        for i, client in enumerate(self.clients):
            if client.closed:
                self.clients[i] = self.fresh(join=i < 2)


@pytest.fixture
def room(tmp_path: Path, default_map: ClassroomMap):
    r = FuzzedClassroom(tmp_path, default_map)
    yield r
    r.store.close()


def unexpected(clients: list[Client]) -> list[dict[str, Any]]:
    return [
        m
        for c in clients
        for m in c.inbox
        if m["type"] == "error" and m["code"] not in EXPECTED_CODES
    ]


@pytest.mark.parametrize("message_type", [m.tag for m in SPEC.client])
def test_mutated_messages_get_stable_errors_and_the_session_lives_on(
    room: FuzzedClassroom, message_type: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING)
    spec = SPEC.client_by_tag[message_type]
    sent = {"frames": 0, "refused": 0}

    @settings(
        max_examples=200,
        deadline=None,
        database=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )
    @given(data=st.data())
    def run(data: st.DataObject) -> None:
        message = data.draw(valid(spec, PEERS))
        value = room.resolve(mutate(data, message, PEERS))
        client = room.clients[data.draw(st.integers(0, 2))]
        client.inbox.clear()
        room.clock.now += 0.05
        client.session.receive(frame(data, value))
        room.service.tick()
        sent["frames"] += 1
        sent["refused"] += any(m["type"] == "error" for m in client.inbox)
        assert not unexpected(room.clients), (value, client.inbox)
        assert not [r for r in caplog.records if r.levelno >= logging.ERROR], caplog.text
        room.replace_closed()

    run()

    assert sent["refused"] > 0, "no mutation was refused: the fuzzer is not reaching the decoder"
    for client in room.clients:
        client.inbox.clear()
        client.send({"type": "ping", "id": 77})
        assert [m for m in client.inbox if m["type"] == "pong"] == [
            {"type": "pong", "t": client.inbox[0]["t"], "id": 77}
        ]
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR], caplog.text


# --------------------------------------------------------------------------
# What the first fuzzing run found, each pinned down


FOUND = [
    ("[" * 5000 + "]" * 5000, "bad_message"),  # RecursionError in the parser
    ('{"type":"move","x":1' + "0" * 400 + ',"y":1}', "bad_message"),  # OverflowError
    (
        '{"type":"chat_send","channel":"class","text":"hi \\ud800"}',
        "bad_message",
    ),  # UnicodeEncodeError in SQLite
    (
        b'\xef\xbb\xbf{"type":"chat_send","channel":"class","text":"hi"}',
        "bad_json",
    ),  # a BOM was accepted
    (
        '{"type":"chat_send","channel":"class","text":"hi"}'.encode("utf-16"),
        "bad_json",
    ),  # so was UTF-16
]


@pytest.mark.parametrize("frame_, code", FOUND)
def test_what_fuzzing_found_is_refused_and_never_stored(
    room: FuzzedClassroom, frame_: str | bytes, code: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING)
    client = room.clients[0]
    client.inbox.clear()
    client.session.receive(frame_)
    assert [(m["type"], m["code"]) for m in client.inbox] == [("error", code)]
    assert room.store.recent_class(10) == []
    client.send({"type": "ping", "id": 5})
    assert client.inbox[-1]["type"] == "pong"
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR], caplog.text


# --------------------------------------------------------------------------
# The decoder and the JSON Schema agree (both come from one description)


@pytest.mark.parametrize("message_type", [m.tag for m in SPEC.client])
def test_the_decoder_accepts_exactly_what_the_schema_accepts(message_type: str) -> None:
    import jsonschema

    spec = SPEC.client_by_tag[message_type]
    schema = protocol.json_schema()
    validator = jsonschema.Draft202012Validator(
        {"$defs": schema["$defs"], "$ref": f"#/$defs/{spec.name}"}
    )

    @settings(
        max_examples=60,
        deadline=None,
        database=None,
        derandomize=True,
        suppress_health_check=list(HealthCheck),
    )
    @given(data=st.data())
    def run(data: st.DataObject) -> None:
        message = data.draw(valid(spec, PEERS))
        if data.draw(st.booleans()):
            message = mutate(data, message, PEERS)
        try:
            text = json.dumps(message, allow_nan=True)
        except TypeError:  # a Deep: beyond any schema anyway
            return
        try:
            decoded = protocol.decode_client(text, MAX_BYTES)
        except protocol.ProtocolError:
            decoded = None
        try:
            as_json = json.loads(text)
            schema_ok = validator.is_valid(as_json)
        except (ValueError, RecursionError):
            schema_ok = False
        if decoded is not None:
            assert schema_ok, text
            # What the server read encodes back to the same message.
            assert protocol.to_dict(decoded) == without_nulls(as_json)
        elif schema_ok:
            # The schema does not know the decoder's text rules, its size
            # bound, or that 1.0 is not an integer on this wire (JSON Schema
            # says it is; a browser never sends one).
            assert (
                "\\ud" in text.lower()
                or any(isinstance(n, float) and n.is_integer() for n in numbers(as_json))
                # JSON has no NaN nor infinity (Python's reader takes them;
                # the decoder refuses them, the schema cannot say so).
                or any(isinstance(n, float) and not math.isfinite(n) for n in numbers(as_json))
                or len(text.encode("utf-8", "surrogatepass")) > MAX_BYTES
            ), text

    run()


def without_nulls(value: Any) -> Any:
    """``value`` as the encoder writes it: null fields left out."""
    if isinstance(value, dict):
        return {k: without_nulls(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [without_nulls(v) for v in value]
    return value


def numbers(value: Any) -> list[float]:
    if isinstance(value, bool):
        return []
    if isinstance(value, (int, float)):
        return [value]
    if isinstance(value, dict):
        return [n for v in value.values() for n in numbers(v)]
    if isinstance(value, list):
        return [n for v in value for n in numbers(v)]
    return []
