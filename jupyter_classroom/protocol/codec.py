"""Decoding inbound frames and encoding outbound messages.

A client frame is refused before any other code sees it when it is too large,
not UTF-8 (a byte-order mark, UTF-16), nested deeper than any client message
can be, holds a number beyond ±2**53 or a lone surrogate, or does not match
its message type. Each refusal is a :class:`ProtocolError` with a stable code,
which the session turns into an ``error`` reply on a connection that lives on.
"""

from __future__ import annotations

import dataclasses
import json
import math
import operator
import re
import typing
from collections.abc import Callable
from enum import Enum
from typing import Any

from . import errors, frames, messages, records
from .errors import ErrorCode, ProtocolError
from .schema import (
    MAX_SAFE_NUMBER,
    Choice,
    EnumType,
    ListOf,
    Node,
    Nullable,
    ProtocolSpec,
    RecordRef,
    RecordSpec,
    Scalar,
    TupleOf,
    spec_of_module,
)

#: The form of the protocol in errors.py, records.py and messages.py, built
#: once at import.
SPEC: ProtocolSpec = spec_of_module(errors, records, messages, frames)

#: How deeply a client frame may nest objects and arrays, and how many it may
#: hold. Every client message fits (a test checks it); a frame beyond either
#: is refused before parsing, since Python's JSON parser recurses once per
#: level and everything after it walks what the parser built.
MAX_DEPTH = 8
MAX_CONTAINERS = 64

_UTF8_BOM = b"\xef\xbb\xbf"
_JSON_STRING = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"')
_BRACKET = re.compile(r"[\[\]{}]")


class _Invalid(ValueError):
    """The frame's content does not fit the protocol (``bad_message``)."""


def _show(value: Any, limit: int = 40) -> str:
    """A short, ASCII-safe rendering of client data for an error sentence."""
    text = ascii(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


# --------------------------------------------------------------------------
# Before parsing


def check_structure(text: str) -> None:
    """Refuse ``text`` if it nests objects and arrays deeper than
    :data:`MAX_DEPTH` or holds more than :data:`MAX_CONTAINERS` of them.

    Most frames have fewer brackets in all than the depth bound and are
    answered by two ``str.count`` calls. Otherwise the strings are cut out
    (brackets in chat text do not nest) and at most ``2 * MAX_CONTAINERS``
    brackets are walked, so no frame costs more than two regular-expression
    scans.
    """
    if text.count("[") + text.count("{") <= MAX_DEPTH:
        return
    structure = _JSON_STRING.sub("", text)
    if sum(structure.count(b) for b in "[]{}") > 2 * MAX_CONTAINERS:
        raise ProtocolError(
            ErrorCode.BAD_MESSAGE, f"Message holds more than {MAX_CONTAINERS} objects and arrays."
        )
    depth = 0
    for bracket in _BRACKET.findall(structure):
        if bracket in "[{":
            depth += 1
            if depth > MAX_DEPTH:
                raise ProtocolError(
                    ErrorCode.BAD_MESSAGE, f"Message nests deeper than {MAX_DEPTH} levels."
                )
        else:
            depth -= 1


def _parse_int(text: str) -> int:
    # Digits beyond 17 cannot be within the bound; checking the length first
    # keeps a 10,000-digit number from costing a conversion.
    if len(text) > 17 or abs(value := int(text)) > MAX_SAFE_NUMBER:
        raise _Invalid(f"Numbers must be between -2^53 and 2^53, not {_show(text, 24)}.")
    return value


def _parse_float(text: str) -> float:
    value = float(text)
    if not abs(value) <= MAX_SAFE_NUMBER:  # also false for inf and nan
        raise _Invalid(f"Numbers must be between -2^53 and 2^53, not {_show(text, 24)}.")
    return value


def _reject_constant(name: str) -> float:
    raise ValueError(f"{name} is not a number")


# Built once: json.loads with hooks builds a new decoder and scanner per call.
_DECODER = json.JSONDecoder(
    parse_int=_parse_int, parse_float=_parse_float, parse_constant=_reject_constant
)


def _has_lone_surrogate(value: Any) -> bool:
    if isinstance(value, str):
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            return True
        return False
    if isinstance(value, dict):
        return any(_has_lone_surrogate(k) or _has_lone_surrogate(v) for k, v in value.items())
    if isinstance(value, list):
        return any(_has_lone_surrogate(v) for v in value)
    return False


def parse(data: str | bytes, max_bytes: int) -> Any:
    """The JSON value of one frame, checked for size, encoding, nesting,
    numbers and text; raises :class:`ProtocolError`."""
    if len(data) > max_bytes:  # a str has at most as many characters as bytes
        raise ProtocolError(ErrorCode.TOO_LARGE, f"Message is larger than {max_bytes} bytes.")
    if isinstance(data, str):
        try:
            raw_bytes = data.encode("utf-8")
        except UnicodeEncodeError:
            raise ProtocolError(ErrorCode.BAD_JSON, "Message is not valid UTF-8 text.") from None
    else:
        raw_bytes = bytes(data)
    if len(raw_bytes) > max_bytes:
        raise ProtocolError(ErrorCode.TOO_LARGE, f"Message is larger than {max_bytes} bytes.")
    if raw_bytes.startswith(_UTF8_BOM):
        raise ProtocolError(
            ErrorCode.BAD_JSON, "Message must be UTF-8 JSON without a byte-order mark."
        )
    try:
        text = raw_bytes.decode("utf-8")
    except UnicodeDecodeError:
        raise ProtocolError(ErrorCode.BAD_JSON, "Message is not valid UTF-8 text.") from None
    check_structure(text)
    try:
        value = _DECODER.decode(text)
    except _Invalid as e:
        raise ProtocolError(ErrorCode.BAD_MESSAGE, str(e)) from None
    except ValueError as e:
        raise ProtocolError(ErrorCode.BAD_JSON, f"Message is not valid JSON: {e}") from None
    # The only way a surrogate reaches a str decoded strictly from UTF-8 is a
    # \uD800-\uDFFF escape: frames without "\ud" skip the walk.
    if ("\\ud" in text or "\\uD" in text) and _has_lone_surrogate(value):
        raise ProtocolError(
            ErrorCode.BAD_MESSAGE, "Message holds a lone surrogate (invalid text)."
        )
    return value


# --------------------------------------------------------------------------
# Validation, driven by the protocol's form

Check = Callable[[Any, str], Any]


class _Compiler:
    """Turns the form into one checking function per type, once."""

    def __init__(self, spec: ProtocolSpec) -> None:
        self.spec = spec
        self.records: dict[str, Check] = {}

    def record(self, spec: RecordSpec) -> Check:
        done = self.records.get(spec.name)
        if done is not None:
            return done
        # Records may refer to each other: register before compiling fields.
        fields: list[tuple[str, bool, Check]] = []

        def check(value: Any, where: str) -> Any:
            if not isinstance(value, dict):
                raise _Invalid(f"{where} must be an object.")
            kwargs = {}
            seen = 0
            for name, required, check_field in fields:
                if name in value:
                    seen += 1
                    kwargs[name] = check_field(value[name], f"{where}.{name}")
                elif required:
                    raise _Invalid(f"{where}: missing field {name!r}.")
            extra = len(value) - seen - (1 if tagged and "type" in value else 0)
            if extra:
                names = sorted(
                    _show(k) for k in value if k not in known and not (tagged and k == "type")
                )
                raise _Invalid(f"{where}: unexpected field(s) {', '.join(names[:5])}.")
            return spec.cls(**kwargs)

        known = {f.name for f in spec.fields}
        tagged = spec.tag is not None
        self.records[spec.name] = check
        fields.extend((f.name, f.required, self.node(f.node)) for f in spec.fields)
        return check

    def node(self, node: Node) -> Check:
        if isinstance(node, Nullable):
            inner = self.node(node.inner)
            return lambda v, where: None if v is None else inner(v, where)
        if isinstance(node, Scalar):
            return _SCALARS[node.kind](node.max_length)
        if isinstance(node, Choice):
            return _choice(node.values)
        if isinstance(node, EnumType):
            return _enum(node.enum)
        if isinstance(node, ListOf):
            return _list(self.node(node.item), node.max_items)
        if isinstance(node, TupleOf):
            return _tuple(tuple(self.node(n) for n in node.items))
        if isinstance(node, RecordRef):
            target = self.spec.records[node.name]
            if target.name in self.records:
                return self.records[target.name]
            # Resolved on first use, so a record may contain itself.
            return lambda v, where: self.record(target)(v, where)
        raise TypeError(f"unsupported node {node!r}")


def _boolean(_: int | None) -> Check:
    def check(v: Any, where: str) -> bool:
        if not isinstance(v, bool):
            raise _Invalid(f"{where} must be true or false.")
        return v

    return check


def _integer(_: int | None) -> Check:
    def check(v: Any, where: str) -> int:
        if not isinstance(v, int) or isinstance(v, bool):
            raise _Invalid(f"{where} must be an integer.")
        if not -MAX_SAFE_NUMBER <= v <= MAX_SAFE_NUMBER:
            raise _Invalid(f"{where} must be between -2^53 and 2^53.")
        return v

    return check


def _number(_: int | None) -> Check:
    def check(v: Any, where: str) -> float:
        if not isinstance(v, (int, float)) or isinstance(v, bool):
            raise _Invalid(f"{where} must be a number.")
        if isinstance(v, int) and not -MAX_SAFE_NUMBER <= v <= MAX_SAFE_NUMBER:
            raise _Invalid(f"{where} must be between -2^53 and 2^53.")
        if not (math.isfinite(v) and abs(v) <= MAX_SAFE_NUMBER):
            raise _Invalid(f"{where} must be a finite number between -2^53 and 2^53.")
        return float(v)

    return check


def _string(max_length: int | None) -> Check:
    def check(v: Any, where: str) -> str:
        if not isinstance(v, str):
            raise _Invalid(f"{where} must be a string.")
        if max_length is not None and len(v) > max_length:
            raise _Invalid(f"{where} is longer than {max_length} characters.")
        return v

    return check


_SCALARS: dict[str, Callable[[int | None], Check]] = {
    "boolean": _boolean,
    "integer": _integer,
    "number": _number,
    "string": _string,
}


def _choice(values: tuple[str, ...]) -> Check:
    allowed = frozenset(values)
    sentence = ", ".join(values)

    def check(v: Any, where: str) -> str:
        if not isinstance(v, str) or v not in allowed:
            raise _Invalid(f"{where} must be one of {sentence}.")
        return v

    return check


def _enum(enum: type[Enum]) -> Check:
    by_value = {e.value: e for e in enum}

    def check(v: Any, where: str) -> Enum:
        member = by_value.get(v) if isinstance(v, str) else None
        if member is None:
            raise _Invalid(f"{where} has an unknown value.")
        return member

    return check


def _list(item: Check, max_items: int | None) -> Check:
    def check(v: Any, where: str) -> list[Any]:
        if not isinstance(v, list):
            raise _Invalid(f"{where} must be a list.")
        if max_items is not None and len(v) > max_items:
            raise _Invalid(f"{where} has more than {max_items} items.")
        return [item(x, f"{where}[{i}]") for i, x in enumerate(v)]

    return check


def _tuple(items: tuple[Check, ...]) -> Check:
    def check(v: Any, where: str) -> tuple[Any, ...]:
        if not isinstance(v, list) or len(v) != len(items):
            raise _Invalid(f"{where} must be a list of {len(items)} items.")
        return tuple(c(x, f"{where}[{i}]") for i, (c, x) in enumerate(zip(items, v, strict=True)))

    return check


_COMPILER = _Compiler(SPEC)
_CLIENT_CHECKS: dict[str, Check] = {
    tag: _COMPILER.record(spec) for tag, spec in SPEC.client_by_tag.items()
}


def validate(raw: Any) -> messages.ClientMessage:
    """The client message ``raw`` (parsed JSON) describes, or :class:`ProtocolError`."""
    if not isinstance(raw, dict):
        raise ProtocolError(ErrorCode.BAD_MESSAGE, "Message must be a JSON object.")
    request_id = raw.get("id")
    if (
        not isinstance(request_id, int)
        or isinstance(request_id, bool)
        or not -MAX_SAFE_NUMBER <= request_id <= MAX_SAFE_NUMBER
    ):
        request_id = None
    kind = raw.get("type")
    check = _CLIENT_CHECKS.get(kind) if isinstance(kind, str) else None
    if check is None or not isinstance(kind, str):
        raise ProtocolError(
            ErrorCode.UNKNOWN_TYPE, f"Unknown message type {_show(kind)}.", request_id
        )
    try:
        return typing.cast(messages.ClientMessage, check(raw, kind))
    except _Invalid as e:
        raise ProtocolError(ErrorCode.BAD_MESSAGE, str(e), request_id) from None


#: The most a message carrying a session description may weigh, whatever the
#: limit of other messages: an answer grows with everyone in the room (a
#: table of 8 with cameras answers 17 media sections, more than 16 kB).
MAX_DESCRIPTION_MESSAGE_BYTES = 300_000

# The client messages that carry an SDP description.
_DESCRIBING = frozenset(
    spec.tag
    for spec in SPEC.client
    if spec.tag is not None and any(f.name == "description" for f in spec.fields)
)


def decode_client(data: str | bytes, max_bytes: int) -> messages.ClientMessage:
    """Parse and validate one client frame, or raise :class:`ProtocolError`.

    A frame is at most ``max_bytes``, or :data:`MAX_DESCRIPTION_MESSAGE_BYTES`
    when it carries a session description."""
    if len(data) <= max_bytes:
        return validate(parse(data, max_bytes))
    raw = parse(data, max(max_bytes, MAX_DESCRIPTION_MESSAGE_BYTES))
    if not isinstance(raw, dict) or raw.get("type") not in _DESCRIBING:
        raise ProtocolError(ErrorCode.TOO_LARGE, f"Message is larger than {max_bytes} bytes.")
    return validate(raw)


# --------------------------------------------------------------------------
# Encoding


# Values JSON takes as they are. Checked first, by exact type: most of what a
# crowd is sent is lists of ids and numbers, and a dataclass test per item
# cost more than the JSON encoding itself.
_AS_IS = frozenset({str, int, float, bool, type(None)})


# Each record class of the protocol: its tag and a getter of all its fields'
# values at once, with their names (most of a welcome is records).
_RECORDS: dict[type, tuple[str | None, tuple[str, ...], Callable[[Any], tuple[Any, ...]]]] = {}
for _spec in SPEC.records.values():
    _names = tuple(f.name for f in _spec.fields)
    if len(_names) > 1:
        _RECORDS[_spec.cls] = (_spec.tag, _names, operator.attrgetter(*_names))


def _plain(value: Any) -> Any:
    kind = type(value)
    if kind in _AS_IS:
        return value
    if kind is list or kind is tuple:
        return [v if type(v) in _AS_IS else _plain(v) for v in value]
    record = _RECORDS.get(kind)
    if record is not None:
        tag, names, values = record
        out: dict[str, Any] = {} if tag is None else {"type": tag}
        for name, v in zip(names, values(value), strict=True):
            if v is not None:
                out[name] = v if type(v) in _AS_IS else _plain(v)
        return out
    spec = SPEC.records.get(kind.__name__)
    if spec is not None and spec.cls is not kind:
        spec = None
    if spec is not None or (dataclasses.is_dataclass(value) and not isinstance(value, type)):
        out = {}
        if spec is not None and spec.tag is not None:
            out["type"] = spec.tag
        keys = (
            (f.name for f in spec.fields)
            if spec is not None
            else (f.name for f in dataclasses.fields(value))
        )
        for name in keys:
            v = getattr(value, name)
            if v is not None:
                out[name] = v if type(v) in _AS_IS else _plain(v)
        return out
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value


def to_dict(message: Any) -> dict[str, Any]:
    """A message or record as plain JSON data (``None`` fields left out)."""
    return typing.cast(dict[str, Any], _plain(message))


def _not_json(value: Any) -> Any:
    raise TypeError(f"{type(value).__name__} is not JSON")


# ``json.dumps`` with separators builds an encoder for every call, which was
# half the cost of encoding a small message (a tick at 500 people encodes a
# few hundred); this one is built once. No circular check: what is encoded
# comes from records, never a cycle.
_make_encoder = getattr(json.encoder, "c_make_encoder", None)
_encoder = (
    _make_encoder(
        None, _not_json, json.encoder.encode_basestring_ascii, None, ":", ",", False, False, False
    )
    if _make_encoder is not None
    else None
)


def encode(message: Any) -> str:
    """A server message as JSON text (ASCII: lone surrogates cannot break it)."""
    if _encoder is None:
        return json.dumps(_plain(message), separators=(",", ":"), allow_nan=False)
    return "".join(_encoder(_plain(message), 0))


def error(code: ErrorCode, message: str, request_id: int | None = None) -> messages.Error:
    """An ``error`` reply."""
    return messages.Error(code=code, message=message, id=request_id)
