"""The wire protocol: decoding, encoding, schema and the generated TypeScript."""

from __future__ import annotations

import json
import math
from pathlib import Path

import jsonschema
import pytest

from jupyter_classroom import protocol
from jupyter_classroom.protocol import ErrorCode, ProtocolError
from jupyter_classroom.protocol.schema import build_spec, spec_of_module

TS_FILE = Path(__file__).parent.parent / "labextension" / "src" / "protocol.ts"


def test_typescript_types_are_generated_from_the_python_ones() -> None:
    assert TS_FILE.read_text() == protocol.typescript(), (
        "labextension/src/protocol.ts is stale: run "
        "`python -m jupyter_classroom.protocol -o labextension/src/protocol.ts`"
    )


@pytest.mark.parametrize(
    "text, code, request_id",
    [
        ("{nope", ErrorCode.BAD_JSON, None),
        ('{"type": "move", "x": NaN, "y": 1}', ErrorCode.BAD_JSON, None),
        ("[1, 2]", ErrorCode.BAD_MESSAGE, None),
        ('{"type": "dance", "id": 4}', ErrorCode.UNKNOWN_TYPE, 4),
        ('{"type": "move", "x": 1, "id": 5}', ErrorCode.BAD_MESSAGE, 5),
        ('{"type": "move", "x": "1", "y": 1}', ErrorCode.BAD_MESSAGE, None),
        ('{"type": "move", "x": true, "y": 1}', ErrorCode.BAD_MESSAGE, None),
        ('{"type": "move", "x": 1, "y": 1, "z": 1}', ErrorCode.BAD_MESSAGE, None),
        (
            '{"type": "chat_send", "channel": "all", "text": "x", "id": 6}',
            ErrorCode.BAD_MESSAGE,
            6,
        ),
        ('{"type": "presence", "hand": "yes"}', ErrorCode.BAD_MESSAGE, None),
        ('{"type": "join", "protocol": 1.5}', ErrorCode.BAD_MESSAGE, None),
        (
            '{"type": "join", "protocol": 1, "resume": "' + "x" * 200 + '"}',
            ErrorCode.BAD_MESSAGE,
            None,
        ),
        (
            '{"type": "chat_send", "channel": "class", "text": "' + "x" * 2000 + '"}',
            ErrorCode.TOO_LARGE,
            None,
        ),
    ],
)
def test_bad_messages_have_stable_codes(
    text: str, code: ErrorCode, request_id: int | None
) -> None:
    with pytest.raises(ProtocolError) as e:
        protocol.decode_client(text, max_bytes=1000)
    assert e.value.code == code and e.value.request_id == request_id and e.value.message


def test_good_messages_decode() -> None:
    m = protocol.decode_client(
        '{"type":"chat_send","channel":"direct","text":"hi","to":"ab12","id":9}', 1000
    )
    assert m == protocol.ChatSend(channel="direct", text="hi", to="ab12", id=9)
    assert protocol.decode_client('{"type":"move","x":1,"y":2.5}', 1000) == protocol.Move(
        x=1.0, y=2.5
    )


def test_encoded_messages_match_the_schema() -> None:
    schema = protocol.json_schema()
    validator = jsonschema.Draft202012Validator(schema)
    rect = protocol.Rect(0, 0, 10, 10)
    samples = [
        protocol.Welcome(
            protocol=1,
            you="a",
            resume="r",
            id=1,
            map=protocol.MapInfo(
                "m",
                10,
                10,
                [rect],
                [protocol.RoomInfo("t", "T", "table", [(0, 0), (1, 0), (1, 1)])],
                rect,
            ),
            config=protocol.ClientConfig(16, 240, 150, 187.5, 15, 4000, 16384, 100),
            participants=[],
            ice_servers=[
                protocol.IceServer(
                    urls=["turn:turn.example.org:3478"], username="1:a", credential="x"
                )
            ],
        ),
        protocol.Positions(t=1.0, moves=[protocol.Position("a", 1, 2)]),
        protocol.Chat(protocol.ChatMessage("class", "a", "u", "U", "<b>x</b>", 1.0, id=3)),
        protocol.error(ErrorCode.RATE_LIMITED, "slow down", 7),
        protocol.PeerConnect(peer="b", offerer=True),
        protocol.PeerSignal(sender="b", description=protocol.SessionDescription("offer", "v=0")),
        protocol.PeerSignal(
            sender="b",
            candidate=protocol.IceCandidate("candidate:1 1 udp 1 127.0.0.1 9 typ host", "0", 0),
        ),
    ]
    for sample in samples:
        text = protocol.encode(sample)
        validator.validate(json.loads(text))
        # Compact ASCII JSON, exactly as the standard encoder writes it.
        assert text == json.dumps(protocol.to_dict(sample), separators=(",", ":"), allow_nan=False)
    for text in ['{"type":"move","x":1,"y":2}', '{"type":"join","protocol":1}']:
        validator.validate(json.loads(text))
    with pytest.raises(jsonschema.ValidationError):
        validator.validate({"type": "move", "x": 1})


def test_encoding_refuses_what_is_not_json() -> None:
    with pytest.raises(ValueError):
        protocol.encode(protocol.Positions(t=math.nan, moves=[]))
    with pytest.raises(TypeError):
        protocol.encode(protocol.PeerConnect(peer=object(), offerer=True))  # type: ignore[arg-type]
    assert protocol.encode(protocol.PeerConnect(peer="é\ud800", offerer=True)) == (
        '{"type":"peer_connect","peer":"\\u00e9\\ud800","offerer":true}'
    )


# --------------------------------------------------------------------------
# Hostile frames: refused by the decoder, before anything else sees them.

HOSTILE = [
    # Python's JSON parser recurses once per level: these would raise RecursionError.
    ("[" * 5000 + "]" * 5000, ErrorCode.BAD_MESSAGE),
    ('{"a":' * 2500 + "1" + "}" * 2500, ErrorCode.BAD_MESSAGE),
    ('{"type":"move","x":1,"y":1,"id":' + "[" * 9 + "]" * 9 + "}", ErrorCode.BAD_MESSAGE),
    # Shallow but wide: more objects and arrays than any message has.
    ('{"type":"ping","id":[' + "[]," * 64 + "[]]}", ErrorCode.BAD_MESSAGE),
    ("[" + "{}," * 3000 + "{}]", ErrorCode.BAD_MESSAGE),
    # Numbers a float or a JavaScript number cannot hold.
    ('{"type":"move","x":1e400,"y":1}', ErrorCode.BAD_MESSAGE),
    ('{"type":"move","x":-1e400,"y":1}', ErrorCode.BAD_MESSAGE),
    ('{"type":"move","x":1e300,"y":1}', ErrorCode.BAD_MESSAGE),
    ('{"type":"move","x":' + "9" * 400 + ',"y":1}', ErrorCode.BAD_MESSAGE),
    ('{"type":"move","x":' + "9" * 5000 + ',"y":1}', ErrorCode.BAD_MESSAGE),
    ('{"type":"join","protocol":9007199254740993}', ErrorCode.BAD_MESSAGE),
    ('{"type":"sfu_candidate","connection":-9007199254740993}', ErrorCode.BAD_MESSAGE),
    ('{"type":"move","x":Infinity,"y":1}', ErrorCode.BAD_JSON),
    # Lone surrogates: valid JSON grammar, but not text (SQLite and UTF-8 refuse them).
    ('{"type":"chat_send","channel":"class","text":"\\ud800"}', ErrorCode.BAD_MESSAGE),
    ('{"type":"chat_send","channel":"class","text":"a\\uDC00b"}', ErrorCode.BAD_MESSAGE),
    ('{"type":"chat_send","channel":"class","text":"\\udc00\\ud800"}', ErrorCode.BAD_MESSAGE),
    ('{"type":"ping","\\ud800":1}', ErrorCode.BAD_MESSAGE),
    ('{"type":"\\udfff"}', ErrorCode.BAD_MESSAGE),
    ('{"type":"chat_send","channel":"class","text":"x","to":"\\ud83d"}', ErrorCode.BAD_MESSAGE),
]


@pytest.mark.parametrize("text, code", HOSTILE)
def test_hostile_frames_are_refused_with_a_stable_code(text: str, code: ErrorCode) -> None:
    for frame in (text, text.encode()):
        with pytest.raises(ProtocolError) as e:
            protocol.decode_client(frame, max_bytes=16384)
        assert e.value.code == code and e.value.message.isascii()


@pytest.mark.parametrize(
    "frame",
    [
        b'\xef\xbb\xbf{"type":"ping"}',  # UTF-8 with a byte-order mark
        '{"type":"ping"}'.encode("utf-16"),  # UTF-16 with its BOM
        '{"type":"ping"}'.encode("utf-16-le"),  # and without one
        '{"type":"ping"}'.encode("utf-32"),
        b'{"type":"chat_send","channel":"class","text":"caf\xe9"}',  # Latin-1
        b'{"type":"chat_send","channel":"class","text":"\xed\xa0\x80"}',  # an encoded surrogate
        b'{"type":"chat_send","channel":"class","text":"\xc0\xaf"}',  # an overlong "/"
        '\ufeff{"type":"ping"}',  # a BOM in a text frame
        '{"type":"chat_send","channel":"class","text":"\ud800"}',  # a raw lone surrogate
    ],
)
def test_only_utf8_json_is_accepted(frame: str | bytes) -> None:
    with pytest.raises(ProtocolError) as e:
        protocol.decode_client(frame, max_bytes=16384)
    assert e.value.code == ErrorCode.BAD_JSON


def test_valid_text_and_numbers_at_the_edges_still_decode() -> None:
    # Brackets in a string, a literal backslash-u (escaped backslash), a valid
    # surrogate pair (ensure_ascii escapes the emoji as one).
    text = '[[[[[[[[[[{{{{ " \\ud800 \U0001f600 é ✓'
    frame = json.dumps({"type": "chat_send", "channel": "class", "text": text, "id": 2**53})
    assert "\\\\ud800" in frame and "\\ud83d\\ude00" in frame
    m = protocol.decode_client(frame.encode(), 16384)
    assert m == protocol.ChatSend(channel="class", text=text, id=2**53)
    assert isinstance(m, protocol.ChatSend)
    assert "\\ud800" in m.text and "\U0001f600" in m.text
    code = "x = [[{'a': [1]}] for _ in range(3)]\n" * 100
    m = protocol.decode_client(
        json.dumps({"type": "chat_send", "channel": "class", "text": code}), 16384
    )
    assert isinstance(m, protocol.ChatSend) and m.text == code
    m = protocol.decode_client('{"type":"move","x":-9007199254740992,"y":1.5e-300}', 1000)
    assert m == protocol.Move(x=-(2.0**53), y=1.5e-300)


def test_the_structure_bounds_fit_every_client_message() -> None:
    assert protocol.SPEC.client_depth <= protocol.MAX_DEPTH
    # None would mean a client list without max_items: give it one.
    containers = protocol.SPEC.client_containers
    assert containers is not None and containers <= protocol.MAX_CONTAINERS
    deepest = {
        "type": "signal",
        "to": "b",
        "sources": [{"stream": "s", "source": "camera"}],
        "description": {"type": "offer", "sdp": "v=0"},
    }
    signal = protocol.decode_client(json.dumps(deepest), 16384)
    assert isinstance(signal, protocol.RelaySignal)
    assert signal.sources == [protocol.StreamSource(stream="s", source="camera")]


def test_a_refused_frame_keeps_its_request_id_when_it_can() -> None:
    with pytest.raises(ProtocolError) as e:
        protocol.decode_client('{"type":"move","x":"a","y":1,"id":9007199254740992}', 1000)
    assert e.value.request_id == 2**53
    with pytest.raises(ProtocolError) as e:
        protocol.decode_client('{"type":"move","x":1e999,"y":1,"id":3}', 1000)
    assert e.value.code == ErrorCode.BAD_MESSAGE


def test_list_bounds_are_enforced() -> None:
    source = {"stream": "s", "source": "camera"}
    ok = {"type": "signal", "to": "b", "sources": [source] * protocol.MAX_STREAMS}
    signal = protocol.decode_client(json.dumps(ok), 16384)
    assert isinstance(signal, protocol.RelaySignal) and signal.sources is not None
    assert len(signal.sources) == protocol.MAX_STREAMS
    too_many = dict(ok, sources=[source] * (protocol.MAX_STREAMS + 1))
    with pytest.raises(ProtocolError) as e:
        protocol.decode_client(json.dumps(too_many), 16384)
    assert e.value.code == ErrorCode.BAD_MESSAGE and "items" in e.value.message
    long_stream = dict(ok, sources=[{"stream": "s" * 129, "source": "camera"}])
    with pytest.raises(ProtocolError):
        protocol.decode_client(json.dumps(long_stream), 16384)


# --------------------------------------------------------------------------
# One error type


def test_classroom_error_is_the_protocol_error() -> None:
    from jupyter_classroom.classroom import ClassroomError

    assert ClassroomError is ProtocolError
    core_style = ClassroomError(ErrorCode.MOVE_BLOCKED, "A wall is in the way.")
    assert (core_style.code, core_style.message, core_style.request_id) == (
        ErrorCode.MOVE_BLOCKED,
        "A wall is in the way.",
        None,
    )
    transport_style = ProtocolError(ErrorCode.NOT_PAIRED, "No.", 7)
    assert transport_style.request_id == 7 and str(transport_style) == "No."


# --------------------------------------------------------------------------
# The generators, driven by the same form as the decoder


def test_schema_and_typescript_come_from_the_same_form() -> None:
    from tests import protocol_sample as sample

    spec = spec_of_module(sample)
    ts = protocol.typescript(spec)
    # Each Enum has its own type, and fields use it by name.
    assert "export type Colour =\n  | 'red'\n  | 'green'\n;" in ts
    assert "export type Shape =\n  | 'round'\n  | 'square'\n;" in ts
    assert "  colour: Colour;" in ts and "  shapes?: Shape[] | null;" in ts
    assert "export type Size = 'small' | 'large';" in ts and "  size: Size;" in ts
    assert "  /** At most 3 items. Each item at most 5 characters. */\n  tags: string[];" in ts
    assert "export const CLOSE_SAMPLE = 4999;" in ts

    schema = protocol.json_schema(spec)
    defs = schema["$defs"]
    assert defs["Colour"] == {"enum": ["red", "green"]}
    assert defs["Shape"] == {"enum": ["round", "square"]}
    paint = defs["Paint"]["properties"]
    assert paint["tags"] == {
        "type": "array",
        "items": {"type": "string", "maxLength": 5},
        "maxItems": 3,
    }
    assert paint["colour"] == {"$ref": "#/$defs/Colour"}
    validator = jsonschema.Draft202012Validator(schema)
    validator.validate({"type": "paint", "colour": "red", "size": "small", "tags": ["abcde"]})
    for bad in (["abcdef"], ["a", "b", "c", "d"]):
        with pytest.raises(jsonschema.ValidationError):
            validator.validate({"type": "paint", "colour": "red", "size": "small", "tags": bad})


def test_the_real_schema_carries_the_bounds() -> None:
    defs = protocol.json_schema()["$defs"]
    sources = defs["RelaySignal"]["properties"]["sources"]["anyOf"][0]
    assert sources["maxItems"] == protocol.MAX_STREAMS
    assert defs["StreamSource"]["properties"]["stream"]["maxLength"] == 128
    assert defs["Move"]["properties"]["x"]["maximum"] == 2**53
    assert defs["Error"]["properties"]["code"] == {"$ref": "#/$defs/ErrorCode"}


def test_unsupported_types_are_refused_when_the_form_is_built() -> None:
    from tests import protocol_sample as sample

    with pytest.raises(TypeError, match="only `X | None` unions"):
        build_spec(version=1, records=[sample.Mixed], client=[], server=[])


def test_the_check_command_reports_a_stale_file(tmp_path: Path, capsys) -> None:
    from jupyter_classroom.protocol.codegen import main

    target = tmp_path / "protocol.ts"
    assert main(["--check", str(target)]) == 1
    assert main(["-o", str(target)]) == 0
    assert main(["--check", str(target)]) == 0
    target.write_text(target.read_text() + "// edited by hand\n")
    assert main(["--check", str(target)]) == 1
    assert "stale" in capsys.readouterr().err


def test_a_room_answer_may_be_larger_than_other_messages() -> None:
    # A table of 8 with cameras answers 17 media sections: more than 16 kB.
    sdp = "v=0\r\n" + "a=x\r\n" * 6000
    answer = json.dumps(
        {"type": "sfu_answer", "connection": 1, "description": {"type": "answer", "sdp": sdp}}
    )
    assert len(answer) > 16384
    message = protocol.decode_client(answer, max_bytes=16384)
    assert isinstance(message, protocol.SfuAnswer)
    chat = json.dumps({"type": "chat_send", "channel": "class", "text": "x" * 20000})
    with pytest.raises(ProtocolError) as e:
        protocol.decode_client(chat, max_bytes=16384)
    assert e.value.code == ErrorCode.TOO_LARGE
    too_large = answer.replace("a=x", "a=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx")
    with pytest.raises(ProtocolError) as e:
        protocol.decode_client(too_large, max_bytes=16384)
    assert e.value.code in (ErrorCode.TOO_LARGE, ErrorCode.BAD_MESSAGE)
