"""The classroom as a JupyterHub service: one classroom (or several, by hub
group) for everyone on a hub.

It runs the same core, service, storage and SFU as the jupyter-server
extension; only the host differs: a tornado server of its own behind the
hub's proxy at ``/services/<name>/``, where each request is authenticated
with the hub (:class:`jupyterhub.services.auth.HubAuth`).
"""

from __future__ import annotations

import asyncio
import logging
import math
import os
import signal
from pathlib import Path
from urllib.parse import urlparse

from jupyter_core.paths import jupyter_data_dir
from jupyterhub.services.auth import HubAuth
from tornado import web
from tornado.httpserver import HTTPServer
from traitlets import Dict, Float, Instance, Unicode, default
from traitlets.config import Application, catch_config_error

from .. import __version__
from ..classroom import MapError
from ..config import ClassroomConfig, ServiceParts
from ..protocol import Role
from ..server import memory
from ..server.service import ClassroomService
from .handlers import (
    ClassroomsHandler,
    HubClassroomSocket,
    HubMapHandler,
    HubMediaSocket,
    ServiceHomeHandler,
    log_request,
)
from .members import (
    TEACH_SCOPE,
    ClassroomsError,
    ClassroomSpec,
    HubUser,
    parse_classrooms,
    role_of,
)


class ClassroomHub(ClassroomConfig, Application):
    """The hub's classroom service (``jupyter-classroom-hub``)."""

    name = "jupyter-classroom-hub"
    version = __version__
    description = (
        "The JupyterHub classroom service: one classroom for a whole hub, behind the hub's "
        "proxy at /services/<name>/. Run it as a hub-managed service (see docs/hub.md)."
    )
    classes = [HubAuth]
    aliases = {
        "config": "ClassroomHub.config_file",
        "url": "ClassroomHub.url",
        "data-dir": "ClassroomHub.data_dir",
        "log-level": "Application.log_level",
    }

    config_file = Unicode(
        "", help="A Python configuration file: c.ClassroomHub.<setting> = …"
    ).tag(config=True)
    url = Unicode(
        help=(
            "Where the service listens, e.g. http://0.0.0.0:10101 (only scheme, host and port "
            "are used). Default: $JUPYTERHUB_SERVICE_URL, which the hub sets for a managed "
            "service with a 'url'."
        ),
    ).tag(config=True)
    base_url = Unicode(
        help="The service's URL prefix. Default: $JUPYTERHUB_SERVICE_PREFIX, else /services/classroom/.",
    ).tag(config=True)
    data_dir = Unicode(
        help="Where chat history is kept: one SQLite file per classroom, <name>.sqlite.",
    ).tag(config=True)
    teach_scope = Unicode(
        TEACH_SCOPE,
        help=(
            "The hub scope whose holders are instructors (a JupyterHub custom scope, granted "
            "through a role to a group such as 'instructors'). Read from each person's token "
            "when they join, so c.Spawner.oauth_client_allowed_scopes must list it."
        ),
    ).tag(config=True)
    classrooms = Dict(
        help=(
            "The hub's classrooms by name, each with its members: "
            "{'physics-101': {'title': 'Physics 101', 'groups': ['physics-101'], "
            "'users': ['guest-lecturer']}}. A person sees and enters only the classrooms of "
            "their hub groups (or that list them); one with neither groups nor users is open "
            "to everyone who may use the service. Empty: one classroom, 'classroom', for "
            "everyone."
        ),
    ).tag(config=True)
    websocket_ping_interval = Float(
        20.0,
        help=(
            "Seconds between WebSocket pings, which keep idle sockets open through load "
            "balancers and ingresses (they often drop a socket silent for 60 s). A client "
            "that does not answer a ping within as long again is taken for gone."
        ),
    ).tag(config=True)

    hub_auth = Instance(HubAuth)
    #: Each classroom's service and map files, by classroom name.
    parts: dict[str, ServiceParts]
    services: dict[str, ClassroomService]
    specs: dict[str, ClassroomSpec]

    @default("url")
    def _default_url(self) -> str:
        return os.environ.get("JUPYTERHUB_SERVICE_URL") or "http://127.0.0.1:10101"

    @default("base_url")
    def _default_base_url(self) -> str:
        return os.environ.get("JUPYTERHUB_SERVICE_PREFIX") or "/services/classroom/"

    @default("data_dir")
    def _default_data_dir(self) -> str:
        return str(Path(jupyter_data_dir()) / "classroom-hub")

    @default("hub_auth")
    def _default_hub_auth(self) -> HubAuth:
        return HubAuth(parent=self)

    @default("log_format")
    def _default_log_format(self) -> str:
        # As the hub's own lines, which a managed service's are mixed with.
        return "[%(levelname)1.1s %(asctime)s.%(msecs).03d %(name)s] %(message)s"

    @default("log_datefmt")
    def _default_log_datefmt(self) -> str:
        return "%Y-%m-%d %H:%M:%S"

    @default("log_level")
    def _default_log_level(self) -> int:
        return logging.INFO

    @catch_config_error
    def initialize(self, argv: list[str] | None = None) -> None:
        super().initialize(argv)
        # The classroom's modules (and tornado's) log through the service's log.
        for name in ("jupyter_classroom", "tornado"):
            logger = logging.getLogger(name)
            logger.parent = self.log
            logger.setLevel(self.log.level)
        if self.config_file:
            self.load_config_file(self.config_file)
            # The command line wins over the file.
            self.update_config(self.cli_config)
        try:
            self.specs = parse_classrooms(self.classrooms)
        except ClassroomsError as e:
            self.log.critical("classroom: ClassroomHub.classrooms: %s", e)
            self.exit(1)
        if not self.hub_auth.api_token:
            self.log.critical(
                "classroom: no JupyterHub API token ($JUPYTERHUB_API_TOKEN): run this as a "
                "service of the hub (c.JupyterHub.services), see docs/hub.md"
            )
            self.exit(1)
        if not self.hub_auth.access_scopes:
            # Not started by the hub under a name: ask for the usual one.
            self.hub_auth.access_scopes = {"access:services!service=classroom"}
        self.parts = {}
        self.services = {}

    # -- who may do what -----------------------------------------------------

    def classrooms_of(self, user: HubUser) -> list[ClassroomSpec]:
        return [spec for spec in self.specs.values() if spec.admits(user)]

    def role_of(self, user: HubUser) -> Role:
        """Roles come from the hub (the teach scope, or ``instructors``), never
        from the machine the service runs on."""
        return role_of(user, self.teach_scope, self.instructors)

    # -- running -------------------------------------------------------------

    def make_app(self) -> web.Application:
        prefix = "/" + self.base_url.strip("/") + "/"
        return web.Application(
            [
                (prefix, ServiceHomeHandler),
                (prefix + "api/classrooms", ClassroomsHandler, {"hub": self}),
                (
                    prefix + r"classrooms/([a-z0-9][a-z0-9_-]{0,63})/ws",
                    HubClassroomSocket,
                    {"hub": self},
                ),
                (
                    prefix + r"classrooms/([a-z0-9][a-z0-9_-]{0,63})/media",
                    HubMediaSocket,
                    {"hub": self},
                ),
                (
                    prefix + r"classrooms/([a-z0-9][a-z0-9_-]{0,63})/map",
                    HubMapHandler,
                    {"hub": self},
                ),
                (
                    prefix + r"classrooms/([a-z0-9][a-z0-9_-]{0,63})/map/files/(.+)",
                    HubMapHandler,
                    {"hub": self},
                ),
            ],
            websocket_ping_interval=self.websocket_ping_interval,
            # A client gone silent (a laptop closed) is noticed within two
            # ping intervals: the ping after its last sign of life goes
            # unanswered for one more interval. Tornado (6.5 and later)
            # refuses a timeout longer than the interval.
            websocket_ping_timeout=self.websocket_ping_interval,
            log_function=log_request,
        )

    def start_services(self) -> None:
        """One classroom service per classroom, each with its chat history (needs a loop)."""
        data = Path(self.data_dir)
        data.mkdir(parents=True, exist_ok=True)
        for name in self.specs:
            parts = self.build_service(str(data / f"{name}.sqlite"))
            self.parts[name] = parts
            self.services[name] = parts.service
            parts.service.start()
        if self.tune_garbage_collection:
            # Quiet when every classroom is.
            self._collector = memory.collect_when_quiet(
                lambda: min((s.quiet_for() for s in self.services.values()), default=math.inf)
            )

    async def serve(self, started: asyncio.Event | None = None) -> None:
        """Run until SIGTERM or SIGINT (or until cancelled), then close everything."""
        target = urlparse(self.url)
        host, port = target.hostname or "127.0.0.1", target.port or 10101
        try:
            self.start_services()
        except MapError:
            self.exit(1)
        server = HTTPServer(self.make_app(), xheaders=True)
        server.listen(port, host)
        self.log.info(
            "classroom: the hub's classroom service listens on %s:%d%s, classrooms: %s",
            host,
            port,
            self.base_url,
            ", ".join(self.specs),
        )
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            try:
                loop.add_signal_handler(sig, stop.set)
            except (NotImplementedError, RuntimeError):
                pass
        if started is not None:
            started.set()
        try:
            await stop.wait()
        finally:
            server.stop()
            await memory.stop_collecting(getattr(self, "_collector", None))
            for service in self.services.values():
                await service.close()
            await server.close_all_connections()

    def start(self) -> None:
        asyncio.run(self.serve())


def main(argv: list[str] | None = None) -> None:
    """``jupyter-classroom-hub`` / ``python -m jupyter_classroom.hub``."""
    app = ClassroomHub.instance()
    app.initialize(argv)
    app.start()
