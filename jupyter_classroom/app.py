"""The classroom as a jupyter-server extension: the embedded default host."""

from __future__ import annotations

import getpass
import logging
import os
from pathlib import Path
from typing import Any

from jupyter_core.paths import jupyter_data_dir
from jupyter_server.auth.identity import IdentityProvider, PasswordIdentityProvider
from jupyter_server.auth.utils import moons_of_jupyter
from jupyter_server.extension.application import ExtensionApp
from traitlets import Bool, Float, Int, Unicode, default

from .config import (
    DEFAULT_MAP,
    ClassroomConfig,
    ServiceParts,
    SettingError,
    list_setting,
    load_map,
)
from .demo import MAX_DEMO_PARTICIPANTS, DemoClassmates
from .server import memory
from .server.guests import guest_handlers
from .server.handlers import (
    ClassroomConfigHandler,
    ClassroomMapHandler,
    ClassroomMapImageHandler,
    ClassroomMediaSocketHandler,
    ClassroomWebSocketHandler,
)
from .server.invitations import InvitationDesk, load_secret
from .server.page import ClassroomPageHandler, ClassroomStaticHandler
from .server.service import ClassroomService
from .storage import InvitationStore
from .ticker import timing

# Kept importable from here, where they used to live.
__all__ = [
    "DEFAULT_MAP",
    "ClassroomApp",
    "SettingError",
    "extension_handlers",
    "host_gives_name",
    "list_setting",
    "load_map",
]

#: The names Jupyter's own identity providers make up for a browser that
#: logged in with the server's token or password: "Anonymous Io" and so on.
_PLACEHOLDER_NAMES = frozenset(f"Anonymous {moon}" for moon in moons_of_jupyter)


def host_gives_name(user: Any, provider: object) -> bool:
    """Whether the host really names ``user``.

    Jupyter's own identity providers (a token or password login) know nobody:
    they name each browser "Anonymous <a moon of Jupyter>". Those
    placeholders are not names, and people may choose their own. Any other
    provider (JupyterHub's, one the administrator configured), or a name the
    user set through ``PATCH /api/me`` where the server allows it, is the
    host's word and wins.
    """
    if type(provider) not in (IdentityProvider, PasswordIdentityProvider):
        return True
    shown = getattr(user, "display_name", "") or getattr(user, "name", "")
    return shown not in _PLACEHOLDER_NAMES


def extension_handlers(
    parts: ServiceParts | None, hub_service_url: str, role_of: Any, named_by_host: Any
) -> list[tuple[str, type, dict[str, Any]]]:
    """The extension's handlers: where the page finds its classroom, and, when
    this server runs one (``parts``), its socket and map; and the standalone
    page with its bundle."""

    def title() -> str | None:
        return parts.service.classroom.map.name if parts is not None else None

    handlers: list[tuple[str, type, dict[str, Any]]] = [
        (r"/classroom/config", ClassroomConfigHandler, {"hub_service_url": hub_service_url}),
        (r"/classroom/page", ClassroomPageHandler, {"title": title}),
        (r"/classroom/static/(.*)", ClassroomStaticHandler, {}),
    ]
    if parts is None:
        return handlers
    socket = {"service": parts.service, "role_of": role_of, "named_by_host": named_by_host}
    files = {"files": parts.map_files}
    handlers += [
        (r"/classroom/ws", ClassroomWebSocketHandler, socket),
        (r"/classroom/media", ClassroomMediaSocketHandler, {"service": parts.service}),
        (r"/classroom/map", ClassroomMapHandler, files),
        (r"/classroom/map/files/(.+)", ClassroomMapImageHandler, files),
    ]
    return handlers


class ClassroomApp(ClassroomConfig, ExtensionApp):
    """A virtual classroom beside the notebooks."""

    name = "jupyter_classroom"
    description = "A virtual classroom inside JupyterLab."

    #: None on a hub single-user server that uses the hub's classroom (or
    #: when the map could not be loaded).
    parts: ServiceParts | None = None
    _collector: memory.Ticker | None = None
    #: The demo classmates (None: none were asked for).
    demo: DemoClassmates | None = None

    chat_db_path = Unicode(
        help="The SQLite file that keeps class, room and direct chat history.",
    ).tag(config=True)
    owner_is_instructor = Bool(
        True,
        help=(
            "The server's owner is an instructor: the JupyterHub user who owns the server "
            "(JUPYTERHUB_USER), or else the operating-system user running it, and anyone "
            "logged in with the server's own token or password (which gives them the "
            "owner's whole server)."
        ),
    ).tag(config=True)
    hub_service_url = Unicode(
        help=(
            "On a JupyterHub single-user server: the URL path of the hub's classroom "
            "service (e.g. /services/classroom/). The page then joins the hub's shared "
            "classroom and this server starts no classroom of its own. Default: the "
            "environment variable JUPYTER_CLASSROOM_HUB_SERVICE_URL, else none."
        ),
    ).tag(config=True)

    demo_participants = Int(
        0,
        help=(
            "Simulated classmates the server runs, so that someone alone in the classroom "
            "(trying a Binder link) sees it at work: they walk between the tables and the "
            f"open floor, chat, answer a greeting and speak with a moving picture. At most "
            f"{MAX_DEMO_PARTICIPANTS}; marked 'demo' everywhere and left out of rosters. "
            "They leave for good when a real class starts (see demo_leave_at). 0: none."
        ),
    ).tag(config=True)
    demo_leave_at = Int(
        3,
        help=(
            "The demo classmates leave once this many people (not counting them) are in "
            "the classroom at once, or when an instructor starts breakouts or a broadcast."
        ),
    ).tag(config=True)

    invitation_max_guests = Int(
        40,
        help=(
            "Guests one invitation admits when the instructor sets no cap (each may be "
            "given another, up to 1000)."
        ),
    ).tag(config=True)
    invitation_max_seconds = Float(
        7 * 86400.0,
        help="The longest an invitation may last, in seconds (default: a week).",
    ).tag(config=True)

    @default("chat_db_path")
    def _default_chat_db_path(self) -> str:
        return str(Path(jupyter_data_dir()) / "classroom" / "chat.sqlite")

    @default("hub_service_url")
    def _default_hub_service_url(self) -> str:
        return os.environ.get("JUPYTER_CLASSROOM_HUB_SERVICE_URL", "")

    @property
    def service(self) -> ClassroomService | None:
        """This server's classroom service (None: it runs none)."""
        return self.parts.service if self.parts is not None else None

    # -- who may do what -----------------------------------------------------

    def owner(self) -> str:
        return os.environ.get("JUPYTERHUB_USER") or getpass.getuser()

    def role_of(self, user: Any) -> str:
        """A person's role (``user``: a Jupyter user, or a username): listed in
        ``instructors``, or the server's owner when ``owner_is_instructor``.

        The owner is the JupyterHub user who owns the server
        (``JUPYTERHUB_USER``) or the operating-system user running it; and,
        where people log in with Jupyter's own login (the server's token or
        password), whoever logged in: knowing the token or password gives them
        the owner's whole server (kernels, terminals, files), so they are the
        owner here too. Those logins know nobody's name, so ``instructors``
        cannot name them: classes that need students should meet through the
        JupyterHub service.
        """
        username = user if isinstance(user, str) else user.username
        if username in self.instructors:
            return "instructor"
        if self.owner_is_instructor and (username == self.owner() or self.server_login(user)):
            return "instructor"
        return "student"

    def server_login(self, user: Any) -> bool:
        """Whether ``user`` logged in with Jupyter's own login (the server's
        token or password), which holds the owner's access to the server."""
        if isinstance(user, str):
            return False
        provider = getattr(self.serverapp, "identity_provider", None)
        return type(provider) in (IdentityProvider, PasswordIdentityProvider)

    def named_by_host(self, user: Any) -> bool:
        """Whether the host's name for ``user`` wins over one they choose."""
        if self.chosen_names == "always":
            return False
        if self.chosen_names == "never":
            return True
        return host_gives_name(user, getattr(self.serverapp, "identity_provider", None))

    # -- running -------------------------------------------------------------

    def initialize_settings(self) -> None:
        # The classroom's modules log under "jupyter_classroom": show that in
        # the server's log, as jupyter_server does for tornado's loggers.
        server_log = getattr(self.serverapp, "log", None) or self.log
        package_log = logging.getLogger("jupyter_classroom")
        package_log.parent = server_log
        package_log.setLevel(server_log.level)
        if self.hub_service_url:
            self.parts = None
            self.log.info(
                "classroom: the page joins the hub's classroom at %s", self.hub_service_url
            )
            return
        self.parts = self.build_service(self.chat_db_path)
        self.parts.service.invitations = self.invitation_desk()

    def invitation_desk(self) -> InvitationDesk:
        """The classroom-only invitations, kept beside the chat history and
        signed with a secret of their own in the same folder."""
        memory_only = self.chat_db_path == ":memory:"
        key = None if memory_only else Path(self.chat_db_path).parent / "invitations.key"
        return InvitationDesk(
            InvitationStore(self.chat_db_path),
            load_secret(key),
            getattr(self.serverapp, "base_url", "/"),
            default_guests=self.invitation_max_guests,
            max_seconds=self.invitation_max_seconds,
        )

    def initialize_handlers(self) -> None:
        self.handlers.extend(
            extension_handlers(self.parts, self.hub_service_url, self.role_of, self.named_by_host)
        )
        service = self.service
        if self.parts is not None and service is not None and service.invitations is not None:
            self.handlers.extend(
                guest_handlers(
                    service,
                    self.parts.map_files,
                    service.invitations,
                    service.classroom.map.name or "the classroom",
                )
            )
            # A guest's pass rides in the socket's query: keep it out of the log.
            web_app = getattr(self.serverapp, "web_app", None)
            if web_app is not None:
                scrubbed = list(web_app.settings.get("extra_log_scrub_param_keys", []))
                web_app.settings["extra_log_scrub_param_keys"] = [*scrubbed, "pass"]

    async def _start_jupyter_server_extension(self, serverapp: Any) -> None:
        await super()._start_jupyter_server_extension(serverapp)
        service = self.service
        if service is not None:  # None when loading failed (a bad map), already logged
            service.start()
            if self.tune_garbage_collection:
                self._collector = memory.collect_when_quiet(service.quiet_for, service.clock)
            if timing():
                memory.log_collections()
            self.start_demo()

    def start_demo(self) -> None:
        """Start the demo classmates, if ``demo_participants`` asks for some
        (needs the running event loop)."""
        service = self.service
        if service is None or self.demo is not None or self.demo_participants <= 0:
            return
        self.demo = DemoClassmates(
            service, self.demo_participants, leave_at=max(1, self.demo_leave_at)
        )
        self.demo.start()

    async def stop_extension(self) -> None:
        if self.demo is not None:
            await self.demo.close()
        await memory.stop_collecting(self._collector)
        service = self.service
        if service is not None:
            await service.close()
            if service.invitations is not None:
                service.invitations.close()
