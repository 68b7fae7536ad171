"""The routes an invitation opens, without a Jupyter login: the link's page
(``classroom/join/<token>``) and, with the guest pass it gives, the
classroom's guest socket, media socket and map (``classroom/guest/…``).

Thin handlers over :class:`~.invitations.InvitationDesk`, which checks
tokens and passes; the sockets are this server's classroom sockets
(:class:`~.handlers.ClassroomSocket`, :class:`~.handlers.MediaSocket`) with
the guest's identity instead of a Jupyter user. Nothing here reads
Jupyter's login: a Jupyter cookie or token opens none of these routes as a
guest, and a pass opens nothing else.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from jupyter_server.auth.decorator import allow_unauthenticated
from jupyter_server.base.handlers import JupyterHandler
from jupyter_server.extension.handler import ExtensionHandlerMixin
from tornado import web

from .. import protocol
from ..classroom import Identity
from ..classroom.identity import check_colour, check_name
from ..protocol import ErrorCode, ProtocolError
from ..storage import StoredGuest, StoredInvitation
from .handlers import ClassroomSocket, JupyterSocket, MediaSocket
from .invitations import InvitationDesk, Refusal
from .join_page import CONTENT_SECURITY_POLICY, join_page, refusal_page
from .mapfiles import MapFiles
from .service import ClassroomService
from .socket import MapServing

#: The close reason for an invitation that ended, by the refusal's code.
_ENDED = {
    ErrorCode.INVITATION_REVOKED: "invitation revoked",
    ErrorCode.INVITATION_EXPIRED: "invitation expired",
}


class JoinHandler(ExtensionHandlerMixin, JupyterHandler):
    """``{base_url}classroom/join/<token>``: the invitation's page (GET), and
    its form (POST), which admits a guest and sends them to the classroom's
    page with their pass in the fragment (never sent to a server, nor logged)."""

    def initialize(self, name: str, desk: InvitationDesk, title: str, **kwargs: Any) -> None:
        super().initialize(name, **kwargs)
        self.desk = desk
        self.title = title

    def set_default_headers(self) -> None:
        super().set_default_headers()
        self.set_header("Content-Security-Policy", CONTENT_SECURITY_POLICY)
        self.set_header("Cache-Control", "no-store")
        # Not "no-referrer": Chromium then posts the form with "Origin: null",
        # which Jupyter's check of the form's origin refuses.
        self.set_header("Referrer-Policy", "same-origin")

    def _refused(self, refusal: Refusal) -> None:
        self.set_status(refusal.status)
        self.set_header("Content-Type", "text/html; charset=utf-8")
        self.finish(refusal_page(refusal.code, refusal.message))

    def _form(self, invitation: StoredInvitation, **shown: Any) -> None:
        self.set_header("Content-Type", "text/html; charset=utf-8")
        self.finish(
            join_page(
                self.title,
                invitation.role,
                invitation.expires,
                invitation.label,
                self.xsrf_form_html(),
                **shown,
            )
        )

    @allow_unauthenticated
    def get(self, token: str) -> None:
        try:
            invitation = self.desk.invitation_for(token, self.request.remote_ip or "")
        except Refusal as refusal:
            self._refused(refusal)
            return
        self._form(invitation)

    @allow_unauthenticated
    def post(self, token: str) -> None:
        try:
            invitation = self.desk.invitation_for(token, self.request.remote_ip or "")
        except Refusal as refusal:
            self._refused(refusal)
            return
        name = self.get_body_argument("name", "")
        color = self.get_body_argument("color", "")
        try:
            chosen = check_name(name)
            colour = check_colour(color)
        except ProtocolError as e:
            self.set_status(400)
            self._form(invitation, name=name, color=color, error=(e.code.value, e.message))
            return
        try:
            guest_pass = self.desk.admit(invitation, chosen, colour)
        except Refusal as refusal:
            self._refused(refusal)
            return
        self.redirect(f"{self.base_url}classroom/page#pass={guest_pass}", status=303)

    def write_error(self, status_code: int, **kwargs: Any) -> None:
        # The form came without its cookie (XSRF), from elsewhere, or too big.
        self.set_header("Content-Type", "text/html; charset=utf-8")
        self.finish(
            refusal_page(
                ErrorCode.FORBIDDEN if status_code == 403 else ErrorCode.BAD_MESSAGE,
                "The form could not be read: open the invitation link again.",
            )
        )


if TYPE_CHECKING:  # what the mixin is mixed into
    _HandlerBase = web.RequestHandler
else:
    _HandlerBase = object


class _GuestPass(_HandlerBase):
    """What the guest routes share: the pass in ``?pass=`` names the guest."""

    desk: InvitationDesk
    invitation: StoredInvitation
    guest: StoredGuest
    #: Why the pass's invitation admits nobody any more (None: it does).
    ending: Refusal | None = None

    def check_pass(self) -> None:
        """Read the pass; a bad one is an HTTP refusal (a socket's upgrade fails)."""
        try:
            self.invitation, self.guest = self.desk.guest_for(
                self.get_query_argument("pass", ""), self.request.remote_ip or ""
            )
        except Refusal as refusal:
            raise web.HTTPError(
                refusal.status, refusal.message, reason=refusal.code.value
            ) from None
        self.ending = self.desk.ended(self.invitation)

    @property
    def guest_identity(self) -> Identity:
        return self.desk.identity_of(self.invitation, self.guest)

    @property
    def ended_reason(self) -> str:
        assert self.ending is not None
        return _ENDED.get(self.ending.code, self.ending.message)


class _GuestSocket(_GuestPass, JupyterSocket):
    """A socket a guest pass opens; one whose invitation ended is closed at
    once with 4009 and why."""

    service: ClassroomService

    def initialize(
        self, name: str, service: ClassroomService, desk: InvitationDesk, **kwargs: Any
    ) -> None:
        super().initialize(name, **kwargs)
        self.service = service
        self.desk = desk

    @allow_unauthenticated
    async def get(self, *args: Any, **kwargs: Any) -> None:
        self.check_pass()
        await super().get(*args, **kwargs)

    def open(self, *args: Any, **kwargs: Any) -> None:
        if self.ending is not None:
            self.close(protocol.CLOSE_INVITATION_ENDED, self.ended_reason)
            return
        super().open(*args, **kwargs)


class GuestSocketHandler(_GuestSocket, ClassroomSocket):
    """``{base_url}classroom/guest/ws?pass=…``: the classroom's socket for a
    guest (the same protocol as ``classroom/ws``)."""

    def identity(self) -> Identity:
        return self.guest_identity

    def open(self, *args: Any, **kwargs: Any) -> None:
        super().open(*args, **kwargs)
        if self.ending is None:
            self.desk.hold(self.invitation, self)

    def end(self, code: int, reason: str) -> None:
        """The invitation ended: the media socket, then this one, close with
        ``code``, and the guest leaves the classroom at once."""
        session = self.session
        if session is None:
            self.close(code, reason)
            return
        sink = self.service.relay.sinks.get(session.pid or "")
        if sink is not None:
            sink.end(code, reason)
        session.end(code, reason)

    def on_close(self) -> None:
        super().on_close()
        if self.ending is None and hasattr(self, "invitation"):
            self.desk.let_go(self.invitation.id, self)


class GuestMediaSocketHandler(_GuestSocket, MediaSocket):
    """``{base_url}classroom/guest/media?pass=…&ticket=…``: a guest's media
    socket (see :mod:`.media_socket`); it ends with the guest's session."""

    def username(self) -> str:
        return self.guest_identity.username


class _GuestMapHandler(_GuestPass, MapServing, ExtensionHandlerMixin, JupyterHandler):
    """The map for guests: the same files and answers as ``classroom/map``."""

    def initialize(
        self, name: str, files: MapFiles | None, desk: InvitationDesk, **kwargs: Any
    ) -> None:
        super().initialize(name, **kwargs)
        self.files = files
        self.desk = desk

    async def prepare(self) -> None:  # type: ignore[override]
        await super().prepare()
        self.check_pass()
        if self.ending is not None:
            raise web.HTTPError(
                self.ending.status, self.ending.message, reason=self.ending.code.value
            )

    def write_error(self, status_code: int, **kwargs: Any) -> None:
        error = kwargs.get("exc_info", (None, None))[1]
        code = getattr(error, "reason", None) or ErrorCode.NOT_FOUND.value
        message = getattr(error, "log_message", None) or self._reason
        self.set_header("Content-Type", "application/json")
        self.finish(json.dumps({"type": "error", "code": code, "message": message}))


class GuestMapHandler(_GuestMapHandler):
    """``{base_url}classroom/guest/map?pass=…``."""

    @allow_unauthenticated
    def get(self) -> None:
        self.serve_map()


class GuestMapImageHandler(_GuestMapHandler):
    """``{base_url}classroom/guest/map/files/<name>?pass=…``."""

    @allow_unauthenticated
    def get(self, name: str) -> None:
        self.serve_image(name)


def guest_handlers(
    service: ClassroomService, files: MapFiles | None, desk: InvitationDesk, title: str
) -> list[tuple[str, type, dict[str, Any]]]:
    """The routes of the invitations and their guests."""
    sockets = {"service": service, "desk": desk}
    maps = {"files": files, "desk": desk}
    return [
        (r"/classroom/join/([^/]+)", JoinHandler, {"desk": desk, "title": title}),
        (r"/classroom/guest/ws", GuestSocketHandler, sockets),
        (r"/classroom/guest/media", GuestMediaSocketHandler, sockets),
        (r"/classroom/guest/map", GuestMapHandler, maps),
        (r"/classroom/guest/map/files/(.+)", GuestMapImageHandler, maps),
    ]
