"""The classroom's handlers on a Jupyter server: the socket, the map and
where the page finds its classroom, behind jupyter_server's login and
authorization."""

from __future__ import annotations

import json
from typing import Any

from jupyter_core.utils import ensure_async
from jupyter_server.auth.decorator import ws_authenticated
from jupyter_server.base.handlers import APIHandler, JupyterHandler
from jupyter_server.base.websocket import WebSocketMixin
from jupyter_server.extension.handler import ExtensionHandlerMixin
from tornado import web
from tornado.ioloop import IOLoop
from tornado.websocket import WebSocketClosedError, WebSocketHandler

from ..classroom import Identity
from .mapfiles import MapFiles
from .media_socket import MediaSocketMixin
from .service import ClassroomService
from .socket import ClassroomSocketMixin, MapServing

AUTH_RESOURCE = "classroom"

__all__ = [
    "AUTH_RESOURCE",
    "ClassroomConfigHandler",
    "ClassroomMapHandler",
    "ClassroomMapImageHandler",
    "ClassroomMediaSocketHandler",
    "ClassroomSocket",
    "ClassroomSocketMixin",
    "ClassroomWebSocketHandler",
    "JupyterSocket",
    "MapServing",
    "MediaSocket",
]


class JupyterSocket(WebSocketMixin, WebSocketHandler, ExtensionHandlerMixin, JupyterHandler):
    """A classroom socket on this server, with Jupyter's origin check and
    keep-alive; who may open it is each subclass's ``get``."""

    def set_default_headers(self) -> None:
        """JupyterHandler's headers make no sense on a WebSocket upgrade."""

    def heard(self) -> None:
        """A client that sends is alive, whatever became of its last pong:
        the ping may wait behind what is queued for it. Jupyter's keep-alive
        only reads last_pong. (Called by each socket's ``on_message``: the
        transport mixins come first and take the message.)"""
        self.last_pong = IOLoop.current().time()


class _AuthorizedSocket(JupyterSocket):
    """A classroom socket on this server: logged in, allowed to use the classroom."""

    auth_resource = AUTH_RESOURCE

    @ws_authenticated
    async def get(self, *args: Any, **kwargs: Any) -> None:
        authorized = await ensure_async(
            self.authorizer.is_authorized(self, self.current_user, "execute", AUTH_RESOURCE)
        )
        if not authorized:
            raise web.HTTPError(403)
        await super().get(*args, **kwargs)


class ClassroomSocket(ClassroomSocketMixin, JupyterSocket):
    """The classroom's socket on this server, one participant per
    connection, whoever it is: :meth:`identity` says."""

    service: ClassroomService

    def identity(self) -> Identity:
        raise NotImplementedError

    def open(self, *args: Any, **kwargs: Any) -> None:
        super().open(*args, **kwargs)
        self.start_session(self.service, self.identity())

    def on_message(self, message: str | bytes) -> None:
        self.heard()
        super().on_message(message)

    def send_ping(self) -> None:
        # Jupyter's keep-alive closes a connection whose pongs stopped coming.
        ws = self.ws_connection
        open_before = ws is not None and not ws.server_terminated and not ws.client_terminated
        try:
            super().send_ping()
        except WebSocketClosedError:
            pass  # closing (say, too slow): Jupyter pings it anyway, and tornado refuses
        ws = self.ws_connection
        if open_before and (ws is None or ws.server_terminated):
            self._silent = True


class ClassroomWebSocketHandler(ClassroomSocket, _AuthorizedSocket):
    """``{base_url}classroom/ws``: one participant per connection."""

    def initialize(
        self,
        name: str,
        service: ClassroomService,
        role_of: Any,
        named_by_host: Any = lambda user: True,
        **kwargs: Any,
    ) -> None:
        super().initialize(name, **kwargs)
        self.service = service
        self.role_of = role_of
        self.named_by_host = named_by_host

    def identity(self) -> Identity:
        # Everything but the username can be set by the user (PATCH /api/me):
        # Identity.from_host cleans it before anyone sees it.
        user = self.current_user
        return Identity.from_host(
            username=user.username,
            name=user.display_name or user.name or user.username,
            initials=user.initials,
            color=user.color,
            avatar_url=user.avatar_url,
            role=self.role_of(user),
            named_by_host=self.named_by_host(user),
        )


class MediaSocket(MediaSocketMixin, JupyterSocket):
    """The media socket on this server (see :mod:`.media_socket`), for the
    user :meth:`username` says."""

    service: ClassroomService

    def username(self) -> str:
        raise NotImplementedError

    def open(self, *args: Any, **kwargs: Any) -> None:
        super().open(*args, **kwargs)
        self.start_media(self.service, self.username())

    def on_message(self, message: str | bytes) -> None:
        self.heard()
        super().on_message(message)


class ClassroomMediaSocketHandler(MediaSocket, _AuthorizedSocket):
    """``{base_url}classroom/media?ticket=…``: a participant's media frames,
    where UDP does not pass (see :mod:`.media_socket`)."""

    def initialize(self, name: str, service: ClassroomService, **kwargs: Any) -> None:
        super().initialize(name, **kwargs)
        self.service = service

    def username(self) -> str:
        return str(self.current_user.username)


class ClassroomConfigHandler(ExtensionHandlerMixin, APIHandler):
    """``{base_url}classroom/config``: where the page finds its classroom.

    ``{"hub_service_url": null}``: this server's own (``classroom/ws``);
    otherwise the URL path of the JupyterHub classroom service to join.
    """

    auth_resource = AUTH_RESOURCE

    def initialize(self, name: str, hub_service_url: str, **kwargs: Any) -> None:
        super().initialize(name, **kwargs)
        self.hub_service_url = hub_service_url

    @web.authenticated
    async def get(self) -> None:
        self.finish(json.dumps({"hub_service_url": self.hub_service_url or None}))


class _MapHandler(MapServing, ExtensionHandlerMixin, JupyterHandler):
    """Shared by the map's handlers: authenticated, authorized to read the classroom."""

    auth_resource = AUTH_RESOURCE

    def initialize(self, name: str, files: MapFiles | None, **kwargs: Any) -> None:
        super().initialize(name, **kwargs)
        self.files = files

    async def prepare(self) -> None:  # type: ignore[override]
        await super().prepare()
        if self.current_user is None:
            raise web.HTTPError(403)
        authorized = await ensure_async(
            self.authorizer.is_authorized(self, self.current_user, "read", AUTH_RESOURCE)
        )
        if not authorized:
            raise web.HTTPError(403)
        if self.files is None:
            raise web.HTTPError(404, "the classroom map could not be read")


class ClassroomMapHandler(_MapHandler):
    """``{base_url}classroom/map``: the map as browsers draw it."""

    def get(self) -> None:
        self.serve_map()


class ClassroomMapImageHandler(_MapHandler):
    """``{base_url}classroom/map/files/<name>``: one image the map names."""

    def get(self, name: str) -> None:
        self.serve_image(name)
