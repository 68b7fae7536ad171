"""The hub service's HTTP side: thin tornado handlers that ask the hub who
the caller is and hand the socket to a classroom session.

Every request carries the person's hub token, the one their single-user
server gave their page: ``Authorization: token …`` on REST, ``?token=`` on
the WebSocket (a browser cannot set headers there). Cookies are never used:
a cookie-authenticated socket could be opened by script on any other user's
server under the same domain.
"""

from __future__ import annotations

import logging
import re
from typing import TYPE_CHECKING, Any

from tornado import web
from tornado.websocket import WebSocketHandler

from .. import protocol
from ..classroom import Identity
from ..protocol import ErrorCode
from ..server.media_socket import MediaSocketMixin
from ..server.socket import ClassroomSocketMixin, MapServing
from .members import HubUser

if TYPE_CHECKING:
    from .app import ClassroomHub

    _HandlerBase = web.RequestHandler  # what the mixin is mixed into
else:
    _HandlerBase = object

log = logging.getLogger(__name__)

_AUTH_HEADER = re.compile(r"^(?:token|bearer)\s+(\S+)\s*$", re.IGNORECASE)


class Refused(web.HTTPError):
    """A refusal with the protocol's stable error code, sent as an ``error`` message."""

    def __init__(self, status: int, code: ErrorCode, message: str) -> None:
        super().__init__(status, reason=None, log_message=message)
        self.code = code
        self.message = message


class HubAuthenticated(_HandlerBase):
    """Identify the caller with the hub from their token (mixed into a handler)."""

    hub: ClassroomHub
    #: Whether ``?token=`` is accepted (the WebSocket) or only the header (REST).
    token_in_url = False

    def initialize(self, hub: ClassroomHub) -> None:
        self.hub = hub

    def hub_token(self) -> str:
        request = self.request
        header = request.headers.get("Authorization", "")
        match = _AUTH_HEADER.match(header)
        if match:
            return match.group(1)
        if self.token_in_url:
            return self.get_query_argument("token", "")
        return ""

    async def member_of(self, name: str) -> HubUser | None:
        """The caller, if a member of classroom ``name``; else the refusal is
        written (and logged) and None returned: for a WebSocket's upgrade."""
        try:
            user = await self.hub_user()
            spec = self.hub.specs.get(name)
            if spec is None or not spec.admits(user):
                raise Refused(
                    404,
                    ErrorCode.UNKNOWN_CLASSROOM,
                    f"{user.name} is not a member of a classroom named {name!r}.",
                )
        except Refused as e:
            log.warning(
                "%d %s %s: %s", e.status_code, self.request.method, self.request.path, e.message
            )
            self.set_status(e.status_code)
            self.write_error(e.status_code, exc_info=(type(e), e, None))
            return None
        return user

    async def hub_user(self) -> HubUser:
        """The caller, who may use the service; else :class:`Refused` (401/403)."""
        token = self.hub_token()
        if not token:
            where = "?token=" if self.token_in_url else "an 'Authorization: token …' header"
            raise Refused(
                401, ErrorCode.NOT_AUTHENTICATED, f"No JupyterHub token: send one in {where}."
            )
        # Not cached: a change of group or role on the hub counts at the next request.
        model = await self.hub.hub_auth.user_for_token(token, use_cache=False, sync=False)
        if not model or model.get("kind", "user") != "user":
            raise Refused(
                401,
                ErrorCode.NOT_AUTHENTICATED,
                "JupyterHub does not know this token (expired or revoked): reload the page.",
            )
        user = HubUser.from_model(model)
        if not user.holds(self.hub.hub_auth.access_scopes):
            raise Refused(
                403,
                ErrorCode.FORBIDDEN,
                f"{user.name} may not use the classroom: the token lacks "
                f"{' or '.join(sorted(self.hub.hub_auth.access_scopes))}. Ask the hub's "
                "administrator to grant it (and to list it in c.Spawner.oauth_client_allowed_scopes).",
            )
        return user

    def log_exception(self, typ: Any, value: Any, tb: Any) -> None:
        if isinstance(value, Refused):
            # Tornado's own line names the URL, query (and so a token) included.
            request = self.request
            log.warning(
                "%d %s %s: %s", value.status_code, request.method, request.path, value.message
            )
            return
        super().log_exception(typ, value, tb)

    def write_error(self, status_code: int, **kwargs: Any) -> None:
        error = kwargs.get("exc_info", (None, None))[1]
        if isinstance(error, Refused):
            body = protocol.error(error.code, error.message)
        else:
            body = protocol.error(ErrorCode.INTERNAL, self._reason)
        self.set_header("Content-Type", "application/json")
        self.finish(protocol.encode(body))


class ClassroomsHandler(HubAuthenticated, web.RequestHandler):
    """``{prefix}api/classrooms``: the classrooms the caller may enter."""

    def check_xsrf_cookie(self) -> None:
        """Token-authenticated, never by cookie: nothing to forge."""

    def set_default_headers(self) -> None:
        self.set_header("Cache-Control", "no-store")

    async def get(self) -> None:
        user = await self.hub_user()
        role = self.hub.role_of(user)
        listing = protocol.HubClassrooms(
            user=user.name,
            classrooms=[
                protocol.HubClassroom(
                    name=spec.name,
                    title=spec.title,
                    role=role,
                    ws_path=f"classrooms/{spec.name}/ws",
                    online=self.hub.services[spec.name].online,
                )
                for spec in self.hub.classrooms_of(user)
            ],
        )
        self.set_header("Content-Type", "application/json")
        self.finish(protocol.encode(listing))


class HubMapHandler(MapServing, HubAuthenticated, web.RequestHandler):
    """``{prefix}classrooms/<name>/map`` and ``…/map/files/<image>``: the
    classroom's map and the images it names, for its members (the same
    files and checks as a single server's ``classroom/map``)."""

    def check_xsrf_cookie(self) -> None:
        """Token-authenticated, never by cookie: nothing to forge."""

    async def prepare(self) -> None:
        user = await self.hub_user()
        name = self.path_args[0] if self.path_args else ""
        spec = self.hub.specs.get(name)
        if spec is None or not spec.admits(user):
            raise Refused(
                404,
                ErrorCode.UNKNOWN_CLASSROOM,
                f"{user.name} is not a member of a classroom named {name!r}.",
            )
        parts = self.hub.parts.get(name)
        self.files = parts.map_files if parts is not None else None

    def get(self, name: str, image: str | None = None) -> None:
        try:
            if image is None:
                self.serve_map()
            else:
                self.serve_image(image)
        except web.HTTPError as e:
            if e.status_code != 404:
                raise
            raise Refused(404, ErrorCode.NOT_FOUND, e.log_message or "Not found.") from None


class HubClassroomSocket(ClassroomSocketMixin, HubAuthenticated, WebSocketHandler):
    """``{prefix}classrooms/<name>/ws``: one participant per connection."""

    token_in_url = True
    identity: Identity | None = None

    async def get(self, name: str) -> None:
        user = await self.member_of(name)
        if user is None:
            return
        self.service = self.hub.services[name]
        # The hub names everyone: people choose their own name only if the
        # service allows it to all (chosen_names = "always").
        self.identity = Identity.from_host(
            username=user.name,
            name=user.name,
            role=self.hub.role_of(user),
            named_by_host=self.hub.chosen_names != "always",
        )
        await super().get(name)

    def open(self, *args: Any, **kwargs: Any) -> None:
        assert self.identity is not None
        self.start_session(self.service, self.identity)


class HubMediaSocket(MediaSocketMixin, HubAuthenticated, WebSocketHandler):
    """``{prefix}classrooms/<name>/media?ticket=…``: a participant's media
    frames, where UDP does not pass (see :mod:`..server.media_socket`)."""

    token_in_url = True
    username: str | None = None

    async def get(self, name: str) -> None:
        user = await self.member_of(name)
        if user is None:
            return
        self.service = self.hub.services[name]
        self.username = user.name
        await super().get(name)

    def open(self, *args: Any, **kwargs: Any) -> None:
        assert self.username is not None
        self.start_media(self.service, self.username)


class ServiceHomeHandler(web.RequestHandler):
    """``{prefix}``: what a person who opens the service's link reads."""

    def get(self) -> None:
        self.set_header("Content-Type", "text/html; charset=utf-8")
        self.finish(
            "<!doctype html><html lang=en><meta charset=utf-8><title>Classroom</title>"
            "<main><h1>Classroom</h1><p>This is the hub's classroom service. Start your "
            "server from the hub's home page, open JupyterLab and choose "
            "<strong>Classroom</strong> in the left sidebar.</p></main></html>"
        )


def log_request(handler: web.RequestHandler) -> None:
    """Tornado's access log without the query string, which may carry a token."""
    status = handler.get_status()
    level = logging.INFO if status < 400 else logging.WARNING if status < 500 else logging.ERROR
    request = handler.request
    log.log(
        level,
        "%d %s %s (%s) %.1f ms",
        status,
        request.method,
        request.path,
        request.remote_ip,
        1000.0 * request.request_time(),
    )
