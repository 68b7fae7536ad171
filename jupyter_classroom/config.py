"""The classroom's configuration, shared by its hosts.

Both hosts, the jupyter-server extension (:class:`jupyter_classroom.app.ClassroomApp`)
and the JupyterHub service (:class:`jupyter_classroom.hub.ClassroomHub`),
configure a classroom the same way: :class:`ClassroomConfig` holds the
settings and builds the service from them. This module imports neither host.

The core's settings are declared once, as the fields of
:class:`~jupyter_classroom.classroom.ClassroomSettings` (each with its help
text); their traitlets are made from those fields here, and read back into
the dataclass by :func:`settings_from`.
"""

from __future__ import annotations

import ast
import dataclasses
import ipaddress
import json
import logging
import os
import random
import socket
import time
import typing
from pathlib import Path
from typing import Any

from traitlets import Bool, Dict, Enum, Float, HasTraits, Int, List, TraitType, Unicode, validate
from traitlets.config import LoggingConfigurable
from traitlets.traitlets import MetaHasTraits

from . import protocol
from .classroom import Classroom, ClassroomMap, ClassroomSettings, Identity, MapError
from .server.mapfiles import MapFiles
from .server.service import ClassroomService, Limits
from .sfu import (
    LoudestSettings,
    RetransmitLimits,
    SfuSettings,
    announce_host_addresses,
    check_aiortc_version,
)
from .storage import ChatStore
from .turn import turn_credentials

DEFAULT_MAP = Path(__file__).parent / "maps" / "classroom.json"

log = logging.getLogger(__name__)


class SettingError(ValueError):
    """A setting's value cannot be used."""


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
            if not isinstance(parsed, (list, tuple)) or not all(
                isinstance(v, str) for v in parsed
            ):
                raise SettingError(
                    f"ClassroomApp.{name}: {item!r} is not a list of strings, e.g. ['a', 'b']"
                )
            out.extend(v.strip() for v in parsed if v.strip())
        else:
            out.extend(
                part.strip().strip("'\"") for part in text.split(",") if part.strip().strip("'\"")
            )
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


# -- settings declared as dataclass fields -------------------------------------------------


def configurable_fields(settings: type[Any]) -> list[dataclasses.Field[Any]]:
    """The fields of a settings dataclass that people configure (those with help)."""
    return [f for f in dataclasses.fields(settings) if "help" in f.metadata]


def _trait(kind: Any, default: Any, help: str) -> TraitType[Any, Any]:
    """The traitlet for a field of type ``kind``."""
    origin, args = typing.get_origin(kind), typing.get_args(kind)
    if kind is float:
        return Float(default, help=help)
    if kind is bool:
        return Bool(default, help=help)
    if kind is int:
        return Int(default, help=help)
    if kind is str:
        return Unicode(default, help=help)
    if origin is dict and args == (str, int):
        return Dict(default_value=dict(default), value_trait=Int(), help=help)
    if origin is list and args == (str,):
        return List(Unicode(), default_value=list(default), help=help)
    if origin is typing.Literal:
        return Enum(list(args), default_value=default, help=help)
    raise TypeError(f"no traitlet for a setting of type {kind!r}")


def traits_of(settings: type[Any]) -> dict[str, TraitType[Any, Any]]:
    """A configurable traitlet for each configurable field of ``settings``,
    with the field's default and help."""
    hints = typing.get_type_hints(settings)
    traits: dict[str, TraitType[Any, Any]] = {}
    for f in configurable_fields(settings):
        kind = hints[f.name]
        default = f.default_factory() if callable(f.default_factory) else f.default
        if f.metadata.get("zero_is_none"):
            # Configured as a number: 0 is "no limit", the core's None.
            kind = next(a for a in typing.get_args(kind) if a is not type(None))
            default = 0 if default is None else default
        traits[f.name] = _trait(kind, default, f.metadata["help"]).tag(config=True)
    return traits


def settings_from(settings: type[Any], config: HasTraits, **extra: Any) -> Any:
    """An instance of the dataclass ``settings`` from the traits of ``config``
    (made by :func:`traits_of`); ``extra`` gives the core's own fields."""
    values: dict[str, Any] = {}
    for f in configurable_fields(settings):
        value = getattr(config, f.name)
        if f.metadata.get("zero_is_none") and not value:
            value = None
        elif isinstance(value, (dict, list)):
            value = type(value)(value)
        values[f.name] = value
    return settings(**values, **extra)


#: The configurable class holding the core's settings, made from their
#: dataclass so that each is written once.
#: (Typed Any: its traits exist only once it is made.)
CoreSettings: Any = MetaHasTraits(
    "ClassroomCoreSettings",
    (LoggingConfigurable,),
    {
        "__doc__": "The classroom core's settings (see ClassroomSettings).",
        "__module__": __name__,
        **traits_of(ClassroomSettings),
    },
)

#: The list settings, read whichever way they were written (:func:`list_setting`).
LIST_SETTINGS = ("instructors", "turn_urls", "sfu_ice_addresses", "sfu_allowed_candidate_networks")


@dataclasses.dataclass
class ServiceParts:
    """What a host serves a classroom with: built by :meth:`ClassroomConfig.build_service`."""

    service: ClassroomService
    #: The map's files, as the map handlers serve them (None: it cannot be drawn).
    map_files: MapFiles | None


class ClassroomConfig(CoreSettings):
    """The classroom's settings shared by the hosts, and the service built from them."""

    map_path = Unicode(
        str(DEFAULT_MAP),
        help="A Tiled JSON map with object layers 'walls', 'rooms' and 'spawn'.",
    ).tag(config=True)
    tune_garbage_collection = Bool(
        True,
        help=(
            "Once started, leave the objects alive then out of Python's garbage collection "
            "(gc.freeze), and run its full collections at quiet moments of the class (no one "
            "walking for a second, or after ten minutes at most) rather than whenever Python "
            "would: each stalls every notebook and position, for 35-50 ms in a class of 500."
        ),
    ).tag(config=True)
    max_messages_per_second = Float(
        30.0, help="Messages per second per connection, with bursts of twice that."
    ).tag(config=True)
    instructors = List(Unicode(), help="Usernames that have the instructor role.").tag(config=True)
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
        help=(
            "TURN server URLs (e.g. 'turn:turn.example.org:3478?transport=udp') "
            "that share turn_secret."
        ),
    ).tag(config=True)
    turn_secret = Unicode(
        "",
        help=(
            "The TURN server's shared secret (coturn: static-auth-secret). Each participant gets "
            "credentials of their own, valid for turn_ttl seconds."
        ),
    ).tag(config=True)
    turn_ttl = Int(
        12 * 3600, help="Seconds the TURN credentials given to a participant stay valid."
    ).tag(config=True)
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
    sfu_loudest_voices = Int(
        3,
        help=(
            "Voices the SFU forwards at once in a room: the loudest few (by the audio "
            "levels browsers put in their packets, with hysteresis), plus anyone given "
            "the floor; the others' packets are not sent. 0 forwards every voice."
        ),
    ).tag(config=True)
    sfu_congestion_control = Bool(
        True,
        help=(
            "Stop sending a video to a participant whose link loses packets or whose "
            "bandwidth estimate is below what they are sent, and send it again, from a "
            "key frame, once their link has been good for a while; their audio is never "
            "stopped."
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

    #: List settings that could not be read (logged; left empty).
    unreadable: set[str]

    @validate(*LIST_SETTINGS)
    def _read_list(self, proposal: Any) -> list[str]:
        name = proposal["trait"].name
        unreadable: set[str] = self.__dict__.setdefault("unreadable", set())
        try:
            values = list_setting(name, proposal["value"])
        except SettingError as e:
            self.log.error("classroom: %s; the setting is ignored", e)
            unreadable.add(name)
            return []
        unreadable.discard(name)
        return values

    def core_settings(self) -> ClassroomSettings:
        """The core's settings, as configured."""
        return typing.cast(ClassroomSettings, settings_from(ClassroomSettings, self))

    def limits(self) -> Limits:
        return Limits(
            max_message_bytes=self.max_message_bytes,
            messages_per_second=self.max_messages_per_second,
            max_outbound_bytes=self.max_outbound_bytes,
            max_connections_per_user=self.max_connections_per_user,
        )

    def ice_servers_for(self, identity: Identity) -> list[protocol.IceServer]:
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
                protocol.IceServer(
                    urls=list(self.turn_urls), username=username, credential=password
                )
            )
        return servers

    def build_service(self, chat_db_path: str) -> ServiceParts:
        """A classroom service from these settings, its chat kept in ``chat_db_path``.

        Raises :class:`MapError` (logged) when the map cannot be used; other
        problems are logged and the setting is left out.
        """
        try:
            cmap = load_map(self.map_path)
        except MapError as e:
            self.log.error("classroom: %s", e)
            raise
        classroom = Classroom(cmap, self.core_settings(), random.Random())
        media, unavailable = self.media_settings() if self.room_media else (None, None)
        store = ChatStore(
            chat_db_path,
            retention_days=self.chat_retention_days,
            retention_messages=self.chat_retention_messages,
        )
        service = ClassroomService(
            classroom,
            store,
            self.limits(),
            ice_servers=self.ice_servers_for,
            media=media,
            media_unavailable=unavailable,
        )
        map_files: MapFiles | None
        try:
            map_files = MapFiles(self.map_path)
        except (OSError, ValueError) as e:  # it loaded just above: a race with an edit
            self.log.error("classroom: the map %s cannot be drawn: %s", self.map_path, e)
            map_files = None
        self.log.info("classroom: map %r, chat history in %s", cmap.name, chat_db_path)
        return ServiceParts(service=service, map_files=map_files)

    def media_settings(self) -> tuple[SfuSettings | None, str | None]:
        """The SFU's settings, or None and why rooms have no media; problems are logged."""
        reason = None
        try:
            check_aiortc_version()
        except RuntimeError as e:
            reason = str(e)
        unreadable = self.__dict__.get("unreadable", set())
        addresses = list(self.sfu_ice_addresses)
        usable = []
        for address in addresses:
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
        if "sfu_ice_addresses" in unreadable:
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
                self.log.error(
                    "classroom: sfu_public_address %r is not an IP address; ignored", public
                )
                public = ""
        networks = []
        for text in self.sfu_allowed_candidate_networks:
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
            loudest=LoudestSettings(count=max(0, self.sfu_loudest_voices)),
            congestion=self.sfu_congestion_control,
        )
        return settings, None
