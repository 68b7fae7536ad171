"""The classroom as a jupyter-server extension: the embedded default host."""

from __future__ import annotations

import ast
import getpass
import ipaddress
import json
import logging
import os
import random
import socket
import time
from pathlib import Path

from jupyter_core.paths import jupyter_data_dir
from jupyter_server.extension.application import ExtensionApp
from jupyter_server.auth.identity import IdentityProvider, PasswordIdentityProvider
from jupyter_server.auth.utils import moons_of_jupyter
from traitlets import Bool, Dict, Enum, Float, Int, List, Unicode, default
from traitlets.config import LoggingConfigurable

from . import protocol
from .classroom import Classroom, ClassroomMap, ClassroomSettings, MapError
from .server import memory
from .server.handlers import (
    ClassroomConfigHandler,
    ClassroomMapHandler,
    ClassroomMapImageHandler,
    ClassroomWebSocketHandler,
)
from .server.mapfiles import MapFiles
from .server.service import ClassroomService, Limits
from .sfu import RetransmitLimits, SfuSettings, announce_host_addresses, check_aiortc_version
from .storage import ChatStore
from .ticker import timing
from .turn import turn_credentials

DEFAULT_MAP = Path(__file__).parent / "maps" / "classroom.json"


class SettingError(ValueError):
    """A setting's value cannot be used."""


#: The names Jupyter's own identity providers make up for a browser that
#: logged in with the server's token or password: "Anonymous Io" and so on.
_PLACEHOLDER_NAMES = frozenset(f"Anonymous {moon}" for moon in moons_of_jupyter)


def host_gives_name(user, provider: object) -> bool:
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


def list_setting(name: str, values: list[str] | str) -> list[str]:
    """A list setting as a list of strings, whichever way it was written.

    On the command line traitlets hands an extension's list settings over as
    they were typed: ``['a', 'b']``, ``a,b`` and ``a`` all arrive as one
    string (in a list or not). Raises :class:`SettingError` for what cannot be
    read as a list of strings.
    """
    items = [values] if isinstance(values, str) else list(values)
    out: list[str] = []
    for item in items:
        if not isinstance(item, str):
            raise SettingError(f"ClassroomApp.{name}: {item!r} is not a string")
        text = item.strip()
        if text.startswith(("[", "(")):
            try:
                parsed = ast.literal_eval(text)
            except (ValueError, SyntaxError):
                raise SettingError(
                    f"ClassroomApp.{name}: {item!r} is not a list of strings, e.g. ['a', 'b']"
                ) from None
            if not isinstance(parsed, (list, tuple)) or not all(isinstance(v, str) for v in parsed):
                raise SettingError(
                    f"ClassroomApp.{name}: {item!r} is not a list of strings, e.g. ['a', 'b']"
                )
            out.extend(v.strip() for v in parsed if v.strip())
        else:
            out.extend(part.strip().strip("'\"") for part in text.split(",") if part.strip().strip("'\""))
    return out


def is_local_address(address: str) -> bool:
    """Whether this machine has ``address`` (it can receive UDP on it)."""
    family = socket.AF_INET6 if ":" in address else socket.AF_INET
    try:
        with socket.socket(family, socket.SOCK_DGRAM) as s:
            s.bind((address, 0))
    except OSError:
        return False
    return True


def load_map(path: str | os.PathLike[str]) -> ClassroomMap:
    """Read a Tiled JSON map file; any problem is a :class:`MapError` naming the file."""
    try:
        with open(path, encoding="utf-8") as f:
            data = json.load(f)
    except OSError as e:
        raise MapError(f"cannot read the classroom map {path}: {e.strerror}") from None
    except ValueError as e:
        raise MapError(f"the classroom map {path} is not valid JSON: {e}") from None
    try:
        return ClassroomMap.from_tiled(data)
    except MapError as e:
        raise MapError(f"the classroom map {path} cannot be used: {e}") from None


class ClassroomConfig(LoggingConfigurable):
    """The classroom's settings, and the service a host builds from them.

    Shared by the hosts: the jupyter-server extension (:class:`ClassroomApp`)
    and the JupyterHub service (:class:`jupyter_classroom.hub.ClassroomHub`).
    """

    map_path = Unicode(
        str(DEFAULT_MAP),
        help="A Tiled JSON map with object layers 'walls', 'rooms' and 'spawn'.",
    ).tag(config=True)
    chat_db_path = Unicode(
        help="The SQLite file that keeps class, room and direct chat history.",
    ).tag(config=True)
    history_size = Int(100, help="Messages of each channel sent to a participant on joining.").tag(config=True)
    tune_garbage_collection = Bool(
        True,
        help=(
            "Once started, leave the objects alive then out of Python's garbage collection "
            "(gc.freeze), and run its full collections at quiet moments of the class (no one "
            "walking for a second, or after ten minutes at most) rather than whenever Python "
            "would: each stalls every notebook and position, for 35-50 ms in a class of 500."
        ),
    ).tag(config=True)
    proximity_radius = Float(150.0, help="Map pixels within which people are 'nearby'.").tag(config=True)
    proximity_drop_factor = Float(
        1.25, help="Nearby ends beyond proximity_radius times this, so the edge does not flap."
    ).tag(config=True)
    position_rate_hz = Float(15.0, help="Position batches sent to everyone per second, at most.").tag(config=True)
    speed = Float(240.0, help="Walking speed in map pixels per second.").tag(config=True)
    walk_burst = Float(
        1.0,
        help=(
            "Seconds of walking a participant may save up: moves that arrive bunched after "
            "a pause (a slow network, a busy server) are accepted up to this much distance "
            "at once; farther jumps are refused."
        ),
    ).tag(config=True)
    max_participants = Int(200, help="Participants per classroom.").tag(config=True)
    max_chat_length = Int(4000, help="Characters per chat message.").tag(config=True)
    max_message_bytes = Int(16384, help="Size of one protocol message in bytes.").tag(config=True)
    max_messages_per_second = Float(
        30.0, help="Messages per second per connection, with bursts of twice that."
    ).tag(config=True)
    reconnect_grace = Float(
        30.0,
        help=(
            "Seconds a participant whose connection dropped is kept for reconnecting, "
            "counted from the last sign of life of their client (time the server's "
            "event loop was stalled does not count)."
        ),
    ).tag(config=True)
    instructors = List(Unicode(), help="Usernames that have the instructor role.").tag(config=True)
    owner_is_instructor = Bool(
        True,
        help=(
            "The server's owner is an instructor: the JupyterHub user who owns the server "
            "(JUPYTERHUB_USER), or else the operating-system user running it, and anyone "
            "logged in with the server's own token or password (which gives them the "
            "owner's whole server)."
        ),
    ).tag(config=True)

    chosen_names = Enum(
        ["anonymous", "always", "never"],
        default_value="anonymous",
        help=(
            "Who may choose their own name and colour in the classroom: 'anonymous' (those "
            "the host gives no real name, such as Jupyter's 'Anonymous Io' after a token "
            "login; the host's names win), 'always' (everyone: a workshop on shared "
            "accounts) or 'never'."
        ),
    ).tag(config=True)

    max_mesh_degree = Int(
        4,
        help="Peers each person talks to directly on the open floor; beyond it the nearest win.",
    ).tag(config=True)
    min_call_seconds = Float(
        3.0,
        help=(
            "Seconds an open-floor call is kept once started, whoever comes nearer, while "
            "the two stay near each other (0: the nearest always win at once)."
        ),
    ).tag(config=True)
    ice_servers = List(
        Dict(),
        help=(
            "ICE servers given to browsers as they are, e.g. "
            "[{'urls': ['stun:stun.example.org:3478']}]. None by default: no outside server "
            "is contacted."
        ),
    ).tag(config=True)
    turn_urls = List(
        Unicode(),
        help="TURN server URLs (e.g. 'turn:turn.example.org:3478?transport=udp') that share turn_secret.",
    ).tag(config=True)
    turn_secret = Unicode(
        "",
        help=(
            "The TURN server's shared secret (coturn: static-auth-secret). Each participant gets "
            "credentials of their own, valid for turn_ttl seconds."
        ),
    ).tag(config=True)
    turn_ttl = Int(12 * 3600, help="Seconds the TURN credentials given to a participant stay valid.").tag(
        config=True
    )

    room_media = Bool(
        True,
        help=(
            "Rooms (tables, the stage) have audio, video and screen sharing through the "
            "server's SFU. Off: rooms have chat only."
        ),
    ).tag(config=True)
    sfu_ice_addresses = List(
        Unicode(),
        help=(
            "The addresses the server offers browsers for the rooms' media (its ICE host "
            "candidates), e.g. ['192.0.2.10']. Empty: every address of the machine, except "
            "loopback. Browsers must be able to reach one of them (over UDP) or use TURN."
        ),
    ).tag(config=True)
    sfu_public_address = Unicode(
        "",
        help=(
            "The server's public address when it is behind a 1:1 NAT (a cloud machine "
            "with a public IP mapped to a private one): offered to browsers besides the "
            "addresses it has, like Janus's nat_1_1_mapping."
        ),
    ).tag(config=True)
    sfu_retransmissions_per_second = Int(
        250,
        help=(
            "Packets the SFU sends again at most per second to one participant, answering "
            "their NACKs (all the tracks they receive together)."
        ),
    ).tag(config=True)
    sfu_max_candidates = Int(
        32,
        help="ICE candidates the server takes from one participant's room connection.",
    ).tag(config=True)
    sfu_room_connection_linger = Float(
        5.0,
        help=(
            "Seconds a participant's room connection stays open on the open floor, "
            "carrying nothing, so that stepping off a table and back (or into another "
            "room) reuses it instead of negotiating a new one."
        ),
    ).tag(config=True)
    sfu_allowed_candidate_networks = List(
        Unicode(),
        help=(
            "Networks (e.g. ['10.20.0.0/16', '127.0.0.0/8']) whose addresses browsers may "
            "offer as ICE candidates although they are loopback, link-local or otherwise "
            "special; such candidates are ignored by default, so a participant cannot make "
            "the server send connectivity checks to its own or its neighbours' services."
        ),
    ).tag(config=True)
    max_connections_per_user = Int(
        3,
        help=(
            "Connections one user may have in the classroom at once (tabs, windows); "
            "further ones are refused. 0: no limit."
        ),
    ).tag(config=True)
    max_outbound_bytes = Int(
        4 << 20,
        help=(
            "Bytes that may wait to be sent to one participant whose connection does not "
            "keep up (position updates are merged meanwhile); beyond it the connection is "
            "closed and the page reconnects. 0: no limit."
        ),
    ).tag(config=True)
    chat_retention_days = Float(
        365.0,
        help="Days that class, room and direct messages are kept (0: no age limit).",
    ).tag(config=True)
    chat_retention_messages = Int(
        10000,
        help=(
            "Messages kept of the class channel, of each room and of each direct "
            "conversation; older ones are deleted (0: no limit)."
        ),
    ).tag(config=True)
    room_capacity = Int(
        0,
        help="People allowed in a room whose map entry gives no capacity (0: no limit).",
    ).tag(config=True)
    room_capacities = Dict(
        value_trait=Int(),
        help="Capacities by room id, over the map's, e.g. {'stage': 150, 'table-1': 4} (0: no limit).",
    ).tag(config=True)

    @default("chat_db_path")
    def _default_chat_db_path(self) -> str:
        return str(Path(jupyter_data_dir()) / "classroom" / "chat.sqlite")

    def owner(self) -> str:
        return os.environ.get("JUPYTERHUB_USER") or getpass.getuser()

    def role_of(self, user) -> str:
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

    def server_login(self, user) -> bool:
        """Whether ``user`` logged in with Jupyter's own login (the server's
        token or password), which holds the owner's access to the server."""
        if isinstance(user, str):
            return False
        provider = getattr(self.serverapp, "identity_provider", None)
        return type(provider) in (IdentityProvider, PasswordIdentityProvider)

    def named_by_host(self, user) -> bool:
        """Whether the host's name for ``user`` wins over one they choose."""
        if self.chosen_names == "always":
            return False
        if self.chosen_names == "never":
            return True
        return host_gives_name(user, getattr(self.serverapp, "identity_provider", None))

    def settings_for_core(self) -> ClassroomSettings:
        return ClassroomSettings(
            speed=self.speed,
            walk_burst=self.walk_burst,
            proximity_radius=self.proximity_radius,
            proximity_drop_factor=self.proximity_drop_factor,
            position_rate_hz=self.position_rate_hz,
            max_participants=self.max_participants,
            max_chat_length=self.max_chat_length,
            max_message_bytes=self.max_message_bytes,
            history_size=self.history_size,
            reconnect_grace=self.reconnect_grace,
            max_mesh_degree=self.max_mesh_degree,
            min_call_seconds=self.min_call_seconds,
            room_capacity=self.room_capacity or None,
            room_capacities=dict(self.room_capacities),
        )

    def ice_servers_for(self, identity) -> list[protocol.IceServer]:
        """The configured ICE servers, plus TURN with credentials for this person."""
        servers = [
            protocol.IceServer(
                urls=[s["urls"]] if isinstance(s.get("urls"), str) else list(s.get("urls", [])),
                username=s.get("username"),
                credential=s.get("credential"),
            )
            for s in self.ice_servers
        ]
        if self.turn_urls and self.turn_secret:
            username, password = turn_credentials(
                self.turn_secret, identity.username, time.time(), self.turn_ttl
            )
            servers.append(
                protocol.IceServer(urls=list(self.turn_urls), username=username, credential=password)
            )
        return servers

    def make_service(self, chat_db_path: str) -> ClassroomService:
        """A classroom service from these settings, its chat kept in ``chat_db_path``.

        Raises :class:`MapError` (logged) when the map cannot be used; other
        problems are logged and the setting is left out.
        """
        try:
            cmap = load_map(self.map_path)
        except MapError as e:
            self.log.error("classroom: %s", e)
            raise
        for name in ("instructors", "turn_urls"):
            values = self._list_setting(name)
            setattr(self, name, values or [])
        classroom = Classroom(cmap, self.settings_for_core(), random.Random())
        media, unavailable = self._media_settings() if self.room_media else (None, None)
        store = ChatStore(
            chat_db_path,
            retention_days=self.chat_retention_days,
            retention_messages=self.chat_retention_messages,
        )
        service = ClassroomService(
            classroom,
            store,
            Limits(
                max_message_bytes=self.max_message_bytes,
                messages_per_second=self.max_messages_per_second,
                max_outbound_bytes=self.max_outbound_bytes,
                max_connections_per_user=self.max_connections_per_user,
            ),
            ice_servers=self.ice_servers_for,
            media=media,
            media_unavailable=unavailable,
        )
        try:
            self.map_files: MapFiles | None = MapFiles(self.map_path)
        except (OSError, ValueError) as e:  # it loaded just above: a race with an edit
            self.log.error("classroom: the map %s cannot be drawn: %s", self.map_path, e)
            self.map_files = None
        self.log.info("classroom: map %r, chat history in %s", cmap.name, chat_db_path)
        return service

    def _list_setting(self, name: str) -> list[str] | None:
        """A list setting, read whichever way it was written; None (logged) if unreadable."""
        try:
            return list_setting(name, getattr(self, name))
        except SettingError as e:
            self.log.error("classroom: %s; the setting is ignored", e)
            return None

    def _media_settings(self) -> tuple[SfuSettings | None, str | None]:
        """The SFU's settings, or None and why rooms have no media; problems are logged."""
        reason = None
        try:
            check_aiortc_version()
        except RuntimeError as e:
            reason = str(e)
        addresses = self._list_setting("sfu_ice_addresses")
        usable = []
        for address in addresses or []:
            try:
                ip = ipaddress.ip_address(address)
            except ValueError:
                self.log.error("classroom: sfu_ice_addresses: %r is not an IP address", address)
                continue
            if not is_local_address(str(ip)):
                self.log.error(
                    "classroom: sfu_ice_addresses: %s is not an address of this machine", ip
                )
                continue
            usable.append(str(ip))
        if addresses is None:
            reason = reason or "the server's setting sfu_ice_addresses cannot be read"
        elif addresses and not usable:
            reason = reason or (
                "none of the server's sfu_ice_addresses (" + ", ".join(addresses) + ") "
                "is an address of the server"
            )
        public = self.sfu_public_address.strip()
        if public:
            try:
                public = str(ipaddress.ip_address(public))
            except ValueError:
                self.log.error("classroom: sfu_public_address %r is not an IP address; ignored", public)
                public = ""
        networks = []
        for text in self._list_setting("sfu_allowed_candidate_networks") or []:
            try:
                networks.append(ipaddress.ip_network(text, strict=False))
            except ValueError:
                self.log.error(
                    "classroom: sfu_allowed_candidate_networks: %r is not a network "
                    "(e.g. 10.0.0.0/8); ignored",
                    text,
                )
        if reason is not None:
            self.log.error("classroom: rooms have chat only: %s", reason)
            return None, reason
        if usable:
            announce_host_addresses(usable)
        settings = SfuSettings(
            public_address=public,
            retransmits=RetransmitLimits(per_second=self.sfu_retransmissions_per_second),
            max_candidates=self.sfu_max_candidates,
            allowed_candidate_networks=tuple(networks),
            linger=self.sfu_room_connection_linger,
        )
        return settings, None



class ClassroomApp(ClassroomConfig, ExtensionApp):
    """A virtual classroom beside the notebooks."""

    name = "jupyter_classroom"
    description = "A virtual classroom inside JupyterLab."

    #: None on a hub single-user server that uses the hub's classroom.
    service: ClassroomService | None = None

    hub_service_url = Unicode(
        help=(
            "On a JupyterHub single-user server: the URL path of the hub's classroom "
            "service (e.g. /services/classroom/). The page then joins the hub's shared "
            "classroom and this server starts no classroom of its own. Default: the "
            "environment variable JUPYTER_CLASSROOM_HUB_SERVICE_URL, else none."
        ),
    ).tag(config=True)

    @default("hub_service_url")
    def _default_hub_service_url(self) -> str:
        return os.environ.get("JUPYTER_CLASSROOM_HUB_SERVICE_URL", "")

    def initialize_settings(self) -> None:
        # The classroom's modules log under "jupyter_classroom": show that in
        # the server's log, as jupyter_server does for tornado's loggers.
        server_log = getattr(self.serverapp, "log", None) or self.log
        package_log = logging.getLogger("jupyter_classroom")
        package_log.parent = server_log
        package_log.setLevel(server_log.level)
        if self.hub_service_url:
            self.service = None
            self.log.info("classroom: the page joins the hub's classroom at %s", self.hub_service_url)
            return
        self.service = self.make_service(self.chat_db_path)

    def initialize_handlers(self) -> None:
        self.handlers.append(
            (r"/classroom/config", ClassroomConfigHandler, {"hub_service_url": self.hub_service_url})
        )
        if self.service is None:
            return
        self.handlers.append(
            (
                r"/classroom/ws",
                ClassroomWebSocketHandler,
                {"service": self.service, "role_of": self.role_of, "named_by_host": self.named_by_host},
            )
        )
        files = {"files": getattr(self, "map_files", None)}
        self.handlers.append((r"/classroom/map", ClassroomMapHandler, files))
        self.handlers.append((r"/classroom/map/files/(.+)", ClassroomMapImageHandler, files))

    async def _start_jupyter_server_extension(self, serverapp) -> None:  # type: ignore[override]
        await super()._start_jupyter_server_extension(serverapp)
        service = getattr(self, "service", None)
        if service is not None:  # None when loading failed (a bad map), already logged
            service.start()
            if self.tune_garbage_collection:
                self._collector = memory.collect_when_quiet(service.quiet_for, service.clock)
            if timing():
                memory.log_collections()

    async def stop_extension(self) -> None:
        await memory.stop_collecting(getattr(self, "_collector", None))
        service = getattr(self, "service", None)
        if service is not None:
            await service.close()
