"""One check per private tornado internal the classroom's socket relies on
(jupyter_classroom/server/tornado_hooks.py): a tornado upgrade that changes
any of them fails here, loudly. Then the hooks at work on a real socket,
and what happens without them."""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import Callable
from typing import Any

import pytest
import tornado
from tornado import httpserver, web, websocket
from tornado.iostream import BaseIOStream, IOStream, _StreamBuffer
from tornado.testing import bind_unused_port
from tornado.websocket import WebSocketHandler, WebSocketProtocol13

from jupyter_classroom.server import tornado_hooks


def source(obj: Any) -> str:
    return inspect.getsource(obj)


def test_tornado_is_in_the_pinned_range() -> None:
    tornado_hooks.check_tornado_version()
    low, high = tornado_hooks.TORNADO_VERSIONS
    assert low <= tuple(tornado.version_info[:2]) < high
    with pytest.raises(RuntimeError, match="private internals"):
        tornado_hooks.check_tornado_version(high)
    with pytest.raises(RuntimeError, match="private internals"):
        tornado_hooks.check_tornado_version((low[0], low[1] - 1))


def test_every_internal_is_there_and_the_hooks_are_in_use() -> None:
    assert tornado_hooks.missing_internals() == []
    assert tornado_hooks.HOOKED


def test_the_stream_keeps_what_the_kernel_did_not_take_in_its_write_buffer() -> None:
    # write_backlog reads len() of the buffer the stream makes once, at its start.
    assert "self._write_buffer = _StreamBuffer()" in source(BaseIOStream.__init__)
    assert "self._write_buffer.append(data)" in source(BaseIOStream.write)
    assert "return bool(self._write_buffer)" in source(BaseIOStream.writing)
    assert callable(_StreamBuffer.__len__)
    assert issubclass(IOStream, BaseIOStream)


def test_a_handler_makes_tornados_protocol_13_the_hooks_can_adopt() -> None:
    # adopt() swaps the class of exactly this object.
    assert "return WebSocketProtocol13(self, False, params)" in source(
        WebSocketHandler.get_websocket_protocol
    )


def test_frames_are_written_as_tornado_writes_them() -> None:
    # write_texts does what write_message and _write_frame do for a text
    # frame: compress with the per-message compressor and set RSV1, count
    # the wire bytes, write to the stream.
    write = source(WebSocketProtocol13.write_message)
    assert "if self._compressor:" in write
    assert "message = self._compressor.compress(message)" in write
    assert "flags |= self.RSV1" in write
    frame = source(WebSocketProtocol13._write_frame)
    assert "self._wire_bytes_out += len(frame)" in frame
    assert "return self.stream.write(frame)" in frame
    assert WebSocketProtocol13.RSV1 == 0x40
    assert "self._wire_bytes_out = 0" in source(WebSocketProtocol13.__init__)


def test_tornado_drops_a_text_frame_that_is_not_utf8_without_a_close_frame() -> None:
    # Why _handle_message is overridden, and what it relies on.
    handle = source(WebSocketProtocol13._handle_message)
    assert list(inspect.signature(WebSocketProtocol13._handle_message).parameters) == [
        "self",
        "opcode",
        "data",
    ]
    assert "if self._frame_compressed:" in handle
    assert 'decoded = data.decode("utf-8")' in handle
    assert handle.index('decoded = data.decode("utf-8")') < handle.index(
        "self._abort()", handle.index("UnicodeDecodeError")
    )
    assert "self._frame_compressed = bool(reserved_bits & self.RSV1)" in source(
        WebSocketProtocol13._receive_frame
    )
    assert "handled_future = self._handle_message(opcode, data)" in source(
        WebSocketProtocol13._receive_frame
    )


class _Socket(WebSocketHandler):
    """A socket written through the hooks, as the classroom's is."""

    compress = False
    opened: asyncio.Queue[_Socket]

    def initialize(self, opened: asyncio.Queue[_Socket]) -> None:
        self.opened = opened
        self.backlog: Callable[[], int] | None = None

    def get_compression_options(self) -> dict[str, Any] | None:
        return {} if self.compress else None

    def get_websocket_protocol(self) -> Any:
        return tornado_hooks.adopt(super().get_websocket_protocol())

    def open(self, *args: Any, **kwargs: Any) -> None:
        self.backlog = tornado_hooks.write_backlog(self.ws_connection)
        self.opened.put_nowait(self)


class _CompressedSocket(_Socket):
    compress = True


async def _serve(
    handler: type[_Socket],
) -> tuple[httpserver.HTTPServer, str, asyncio.Queue[_Socket]]:
    opened: asyncio.Queue[_Socket] = asyncio.Queue()
    app = web.Application([(r"/ws", handler, {"opened": opened})])
    sock, port = bind_unused_port()
    server = httpserver.HTTPServer(app)
    server.add_sockets([sock])
    return server, f"ws://127.0.0.1:{port}/ws", opened


@pytest.mark.network
@pytest.mark.asyncio
@pytest.mark.parametrize("handler", [_Socket, _CompressedSocket])
async def test_texts_go_out_in_order_in_one_write(handler: type[_Socket]) -> None:
    server, url, opened = await _serve(handler)
    try:
        client = await websocket.websocket_connect(
            url, compression_options={} if handler.compress else None
        )
        socket = await asyncio.wait_for(opened.get(), 30)
        protocol = socket.ws_connection
        assert isinstance(protocol, tornado_hooks.ClassroomProtocol)
        assert socket.backlog is not None and socket.backlog() == 0
        big = "x" * (1 << 22)  # more than the kernel takes at once: the rest is queued
        written = protocol.write_texts(["one", "two", big, "three"])
        if written is not None:
            assert socket.backlog() > 0
        received = [await asyncio.wait_for(client.read_message(), 30) for _ in range(4)]
        assert received == ["one", "two", big, "three"]
        if written is not None:
            await asyncio.wait_for(written, 30)
        assert socket.backlog() == 0
        client.close()
    finally:
        server.stop()


@pytest.mark.network
@pytest.mark.asyncio
async def test_a_text_frame_that_is_not_utf8_is_closed_with_1007() -> None:
    server, url, opened = await _serve(_Socket)
    try:
        client = await websocket.websocket_connect(url)
        await asyncio.wait_for(opened.get(), 30)
        assert client.protocol is not None
        # A client that breaks the rule (tornado's own client would not).
        client.protocol._write_frame(True, 0x1, b"\xff\xfe")  # type: ignore[attr-defined]
        assert await asyncio.wait_for(client.read_message(), 30) is None
        assert client.close_code == 1007
    finally:
        server.stop()


@pytest.mark.network
@pytest.mark.asyncio
async def test_without_the_hooks_the_socket_is_tornados_own(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(tornado_hooks, "HOOKED", False)
    server, url, opened = await _serve(_Socket)
    try:
        client = await websocket.websocket_connect(url)
        socket = await asyncio.wait_for(opened.get(), 30)
        assert type(socket.ws_connection) is WebSocketProtocol13
        assert socket.backlog is None
        await socket.write_message("still works")
        assert await asyncio.wait_for(client.read_message(), 30) == "still works"
        client.close()
    finally:
        server.stop()
