"""The JSON Schema and the front end's TypeScript types, from the protocol's form.

``python -m jupyter_classroom.protocol -o labextension/src/protocol.ts``
rewrites the TypeScript module after a change to ``messages.py``;
``--check`` only says whether the committed file is current, and
``--schema`` prints the JSON Schema.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from .codec import SPEC
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
)

#: Where the generated TypeScript lives, relative to the repository root.
TS_PATH = Path("labextension") / "src" / "protocol.ts"
COMMAND = "python -m jupyter_classroom.protocol -o labextension/src/protocol.ts"


# --------------------------------------------------------------------------
# JSON Schema


def _schema_of(node: Node) -> dict[str, Any]:
    if isinstance(node, Nullable):
        return {"anyOf": [_schema_of(node.inner), {"type": "null"}]}
    if isinstance(node, Scalar):
        out: dict[str, Any] = {"type": node.kind}
        if node.kind in ("integer", "number"):
            out["minimum"] = -MAX_SAFE_NUMBER
            out["maximum"] = MAX_SAFE_NUMBER
        if node.max_length is not None:
            out["maxLength"] = node.max_length
        return out
    if isinstance(node, Choice):
        if node.name is not None:
            return {"$ref": f"#/$defs/{node.name}"}
        return {"enum": list(node.values)}
    if isinstance(node, EnumType):
        return {"$ref": f"#/$defs/{node.name}"}
    if isinstance(node, ListOf):
        out = {"type": "array", "items": _schema_of(node.item)}
        if node.max_items is not None:
            out["maxItems"] = node.max_items
        return out
    if isinstance(node, TupleOf):
        return {
            "type": "array",
            "prefixItems": [_schema_of(n) for n in node.items],
            "minItems": len(node.items),
            "maxItems": len(node.items),
        }
    if isinstance(node, RecordRef):
        return {"$ref": f"#/$defs/{node.name}"}
    raise TypeError(node)


def _object_schema(record: RecordSpec) -> dict[str, Any]:
    props: dict[str, Any] = {}
    required = []
    if record.tag is not None:
        props["type"] = {"const": record.tag}
        required.append("type")
    for f in record.fields:
        props[f.name] = _schema_of(f.node)
        if f.required:
            required.append(f.name)
    out: dict[str, Any] = {}
    if record.doc:
        out["description"] = " ".join(record.doc.split())
    out.update(type="object", properties=props, required=required, additionalProperties=False)
    return out


def json_schema(spec: ProtocolSpec = SPEC) -> dict[str, Any]:
    """JSON Schema (2020-12) of every message and record."""
    defs: dict[str, Any] = {}
    for enum in spec.enums.values():
        defs[enum.name] = {"enum": list(enum.values)}
    for name, choice in spec.choices.items():
        defs[name] = {"enum": list(choice.values)}
    for record in spec.records.values():
        defs[record.name] = _object_schema(record)
    messages = spec.client + spec.server
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": f"jupyterlab-classroom protocol v{spec.version}",
        "$defs": defs,
        "oneOf": [{"$ref": f"#/$defs/{m.name}"} for m in messages],
    }


# --------------------------------------------------------------------------
# TypeScript


def _ts_literals(values: tuple[str, ...]) -> str:
    return " | ".join(_ts_string(v) for v in values)


def _ts_string(value: str) -> str:
    return "'" + json.dumps(value)[1:-1].replace("'", "\\'") + "'"


def _ts_type(node: Node) -> str:
    if isinstance(node, Nullable):
        return f"{_ts_type(node.inner)} | null"
    if isinstance(node, Scalar):
        return {"boolean": "boolean", "integer": "number", "number": "number", "string": "string"}[
            node.kind
        ]
    if isinstance(node, Choice):
        return node.name if node.name is not None else _ts_literals(node.values)
    if isinstance(node, EnumType):
        return node.name
    if isinstance(node, ListOf):
        inner = _ts_type(node.item)
        return f"({inner})[]" if "|" in inner else f"{inner}[]"
    if isinstance(node, TupleOf):
        return "[" + ", ".join(_ts_type(n) for n in node.items) + "]"
    if isinstance(node, RecordRef):
        return f"I{node.name}"
    raise TypeError(node)


def _bounds(node: Node) -> list[str]:
    """Sentences for a field's bounds, for its doc comment."""
    if isinstance(node, Nullable):
        return _bounds(node.inner)
    if isinstance(node, Scalar) and node.max_length is not None:
        return [f"At most {node.max_length} characters."]
    if isinstance(node, ListOf):
        out = [f"At most {node.max_items} items."] if node.max_items is not None else []
        inner = _bounds(node.item)
        return out + [s.replace("At most", "Each item at most", 1) for s in inner]
    return []


def _ts_interface(record: RecordSpec) -> str:
    lines = []
    if record.doc:
        lines.append("/** " + " ".join(record.doc.split()) + " */")
    lines.append(f"export interface I{record.name} {{")
    if record.tag is not None:
        lines.append(f"  type: {_ts_string(record.tag)};")
    for f in record.fields:
        bounds = _bounds(f.node)
        if bounds:
            lines.append(f"  /** {' '.join(bounds)} */")
        optional = "" if f.required else "?"
        lines.append(f"  {f.name}{optional}: {_ts_type(f.node)};")
    lines.append("}")
    return "\n".join(lines)


def typescript(spec: ProtocolSpec = SPEC) -> str:
    """The TypeScript module ``labextension/src/protocol.ts``."""
    out = [
        f"// Generated by `{COMMAND}`",
        "// from jupyter_classroom/protocol/messages.py. Do not edit by hand.",
        "",
        f"export const PROTOCOL_VERSION = {spec.version};",
        "",
    ]
    for enum in spec.enums.values():
        doc = " ".join((enum.enum.__doc__ or "").split())
        if doc:
            out.append(f"/** {doc} */")
        out.append(f"export type {enum.name} =")
        out.extend(f"  | {_ts_string(v)}" for v in enum.values)
        out.append(";")
        out.append("")
    for name, value in spec.constants.items():
        out.append(f"export const {name} = {value};")
    if spec.constants:
        out.append("")
    for name, choice in spec.choices.items():
        out.append(f"export type {name} = {_ts_literals(choice.values)};")
    if spec.choices:
        out.append("")
    for record in spec.records.values():
        out.append(_ts_interface(record))
        out.append("")
    out.append("export type ClientMessage =")
    out.extend(f"  | I{m.name}" for m in spec.client)
    out.append(";")
    out.append("")
    out.append("export type ServerMessage =")
    out.extend(f"  | I{m.name}" for m in spec.server)
    out.append(";")
    out.append("")
    return "\n".join(out)


def main(argv: list[str] | None = None) -> int:
    """Write or check protocol.ts, or print the JSON Schema."""
    parser = argparse.ArgumentParser(
        prog="python -m jupyter_classroom.protocol",
        description="Generate the classroom protocol's TypeScript types or JSON Schema.",
    )
    parser.add_argument("-o", "--output", type=Path, help="write to this file instead of stdout")
    parser.add_argument(
        "--check",
        type=Path,
        nargs="?",
        const=TS_PATH,
        metavar="FILE",
        help=f"exit 1 if FILE (default {TS_PATH}) is not what would be generated",
    )
    parser.add_argument(
        "--schema", action="store_true", help="the JSON Schema instead of TypeScript"
    )
    args = parser.parse_args(argv)
    text = json.dumps(json_schema(), indent=2) + "\n" if args.schema else typescript()
    if args.check is not None:
        current = args.check.read_text() if args.check.exists() else None
        if current != text:
            print(f"{args.check} is stale: run `{COMMAND}`", file=sys.stderr)
            return 1
        return 0
    if args.output is not None:
        args.output.write_text(text)
    else:
        sys.stdout.write(text)
    return 0
