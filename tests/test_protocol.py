"""The wire protocol: decoding, encoding, schema and the generated TypeScript."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest

from jupyter_classroom import protocol
from jupyter_classroom.protocol import ErrorCode, ProtocolError

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
        ('{"type": "chat_send", "channel": "all", "text": "x", "id": 6}', ErrorCode.BAD_MESSAGE, 6),
        ('{"type": "presence", "hand": "yes"}', ErrorCode.BAD_MESSAGE, None),
        ('{"type": "join", "protocol": 1.5}', ErrorCode.BAD_MESSAGE, None),
        ('{"type": "join", "protocol": 1, "resume": "' + "x" * 200 + '"}', ErrorCode.BAD_MESSAGE, None),
        ('{"type": "chat_send", "channel": "class", "text": "' + "x" * 2000 + '"}', ErrorCode.TOO_LARGE, None),
    ],
)
def test_bad_messages_have_stable_codes(text: str, code: ErrorCode, request_id: int | None) -> None:
    with pytest.raises(ProtocolError) as e:
        protocol.decode_client(text, max_bytes=1000)
    assert e.value.code == code and e.value.request_id == request_id and e.value.message


def test_good_messages_decode() -> None:
    m = protocol.decode_client('{"type":"chat_send","channel":"direct","text":"hi","to":"ab12","id":9}', 1000)
    assert m == protocol.ChatSend(channel="direct", text="hi", to="ab12", id=9)
    assert protocol.decode_client('{"type":"move","x":1,"y":2.5}', 1000) == protocol.Move(x=1.0, y=2.5)


def test_encoded_messages_match_the_schema() -> None:
    schema = protocol.json_schema()
    validator = jsonschema.Draft202012Validator(schema)
    rect = protocol.Rect(0, 0, 10, 10)
    samples = [
        protocol.Welcome(
            protocol=1, you="a", resume="r", id=1,
            map=protocol.MapInfo("m", 10, 10, [rect], [protocol.RoomInfo("t", "T", "table", [(0, 0), (1, 0), (1, 1)])], rect),
            config=protocol.ClientConfig(16, 240, 150, 187.5, 15, 4000, 16384, 100),
            participants=[], neighbours=["b"],
            ice_servers=[protocol.IceServer(urls=["turn:turn.example.org:3478"], username="1:a", credential="x")],
        ),
        protocol.Positions(t=1.0, moves=[protocol.Position("a", 1, 2)]),
        protocol.Chat(protocol.ChatMessage("class", "a", "u", "U", "<b>x</b>", 1.0, id=3)),
        protocol.error(ErrorCode.RATE_LIMITED, "slow down", 7),
        protocol.PeerConnect(peer="b", offerer=True),
        protocol.PeerSignal(sender="b", description=protocol.SessionDescription("offer", "v=0")),
        protocol.PeerSignal(sender="b", candidate=protocol.IceCandidate("candidate:1 1 udp 1 127.0.0.1 9 typ host", "0", 0)),
    ]
    for sample in samples:
        validator.validate(json.loads(protocol.encode(sample)))
    for text in ['{"type":"move","x":1,"y":2}', '{"type":"join","protocol":1}']:
        validator.validate(json.loads(text))
    with pytest.raises(jsonschema.ValidationError):
        validator.validate({"type": "move", "x": 1})
