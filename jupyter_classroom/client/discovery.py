"""Where the notebook's classroom is: a server's or socket's URL, the hub's
classroom service, or the Jupyter server this kernel runs under (the order
is in :mod:`jupyter_classroom.client`'s documentation)."""

from __future__ import annotations

import json
import os
import urllib.error
import urllib.parse
import urllib.request
from typing import Any

from .errors import ClassroomUnreachable

#: Seconds to wait for the server to answer.
DEFAULT_TIMEOUT = 10.0


def socket_url(url: str, token: str | None) -> str:
    """The classroom socket's URL from a server's or a socket's URL."""
    parts = urllib.parse.urlsplit(url)
    scheme = {"http": "ws", "https": "wss"}.get(parts.scheme, parts.scheme)
    if scheme not in ("ws", "wss"):
        raise ClassroomUnreachable(f"Not a web address: {url!r}.")
    path = parts.path
    if scheme == parts.scheme:  # already the socket
        pass
    elif not path.rstrip("/").endswith("classroom/ws"):
        path = path.rstrip("/") + "/classroom/ws"
    query = urllib.parse.parse_qsl(parts.query)
    if token:
        query.append(("token", token))
    return urllib.parse.urlunsplit((scheme, parts.netloc, path, urllib.parse.urlencode(query), ""))


def _under(path: str, root: str) -> bool:
    try:
        return os.path.commonpath(
            [os.path.realpath(path), os.path.realpath(root)]
        ) == os.path.realpath(root)
    except ValueError:
        return False


def _get_json(url: str, token: str, timeout: float) -> Any:
    """``GET url`` with a hub token; the JSON answer, else :class:`ClassroomUnreachable`."""
    request = urllib.request.Request(
        url, headers={"Authorization": f"token {token}", "Accept": "application/json"}
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return json.loads(response.read())
    except urllib.error.HTTPError as e:
        try:
            answer = json.loads(e.read())
            reason = answer.get("message") or answer.get("code") or e.reason
        except (ValueError, AttributeError, OSError):
            reason = e.reason
        raise ClassroomUnreachable(f"{url} answered {e.code}: {reason}") from None
    except (OSError, ValueError) as e:
        raise ClassroomUnreachable(f"Cannot reach {url}: {e}") from None


#: What the hub must put in a single-user server's token for ``Classroom()``.
_SERVER_TOKEN_HINT = (
    "The notebook uses its server's hub token (JUPYTERHUB_API_TOKEN): the hub's "
    "administrator gives it the classroom's scopes with c.Spawner.server_token_scopes "
    "(see the jupyterhub_config.py in docs/hub.md), and the server must be restarted after a change."
)


def _hub_service_base(service_path: str, token: str, timeout: float) -> str:
    """The URL of the hub's classroom service (ending in ``/``), as this kernel reaches it."""
    if urllib.parse.urlsplit(service_path).scheme in ("http", "https"):
        return service_path.rstrip("/") + "/"
    public = os.environ.get("JUPYTERHUB_PUBLIC_HUB_URL") or os.environ.get("JUPYTERHUB_PUBLIC_URL")
    if public:
        # The path is absolute (base_url included): it replaces the public URL's.
        return urllib.parse.urljoin(public, service_path.rstrip("/") + "/")
    api = os.environ.get("JUPYTERHUB_API_URL")
    if not api:
        raise ClassroomUnreachable(
            "This server is set up for the hub's classroom, but neither JUPYTERHUB_API_URL nor "
            "JUPYTERHUB_PUBLIC_HUB_URL says where the hub is: pass Classroom(url=..., token=...)."
        )
    segments = [part for part in urllib.parse.urlsplit(service_path).path.split("/") if part]
    if "services" not in segments[:-1]:
        raise ClassroomUnreachable(
            f"JUPYTER_CLASSROOM_HUB_SERVICE_URL={service_path!r} names no hub service "
            "(expected a path like /services/classroom/)."
        )
    name = segments[segments.index("services") + 1]
    try:
        model = _get_json(f"{api.rstrip('/')}/services/{urllib.parse.quote(name)}", token, timeout)
    except ClassroomUnreachable as e:
        raise ClassroomUnreachable(f"{e}. {_SERVER_TOKEN_HINT}") from None
    if not isinstance(model, dict) or not model.get("url"):
        raise ClassroomUnreachable(
            f"The hub did not say where its service {name!r} listens: the server's token needs "
            f"read:services!service={name}. " + _SERVER_TOKEN_HINT
        )
    prefix = model.get("prefix") or urllib.parse.urlsplit(service_path).path
    return model["url"].rstrip("/") + "/" + prefix.strip("/") + "/"


def find_hub_classroom(
    classroom: str | None = None, timeout: float = DEFAULT_TIMEOUT
) -> tuple[str, str] | None:
    """On a hub single-user server set up for the classroom service: the socket
    URL of the user's classroom there (``classroom`` names one) and the token;
    None elsewhere. Raises :class:`ClassroomUnreachable`."""
    service_path = os.environ.get("JUPYTER_CLASSROOM_HUB_SERVICE_URL")
    token = os.environ.get("JUPYTER_CLASSROOM_TOKEN") or os.environ.get("JUPYTERHUB_API_TOKEN")
    if not service_path or not token:
        return None
    base = _hub_service_base(service_path, token, timeout)
    try:
        listing = _get_json(base + "api/classrooms", token, timeout)
    except ClassroomUnreachable as e:
        raise ClassroomUnreachable(f"{e}. {_SERVER_TOKEN_HINT}") from None
    rooms = listing.get("classrooms", []) if isinstance(listing, dict) else []
    names = ", ".join(repr(room["name"]) for room in rooms)
    user = listing.get("user", "you") if isinstance(listing, dict) else "you"
    if classroom is not None:
        chosen = [room for room in rooms if classroom in (room["name"], room.get("title"))]
        if not chosen:
            raise ClassroomUnreachable(
                f"{user} is not in a classroom {classroom!r} on this hub"
                + (f"; {user}'s classrooms: {names}." if rooms else ".")
            )
    elif len(rooms) > 1:
        raise ClassroomUnreachable(
            f"{user} is in several classrooms on this hub ({names}): name one, "
            f"e.g. Classroom(classroom={rooms[0]['name']!r})."
        )
    else:
        chosen = rooms
    if not chosen:
        raise ClassroomUnreachable(
            f"{user} is in no classroom on this hub: ask an instructor to add you to one."
        )
    socket = urllib.parse.urlsplit(base + chosen[0]["ws_path"])
    scheme = {"http": "ws", "https": "wss"}.get(socket.scheme, socket.scheme)
    return urllib.parse.urlunsplit(socket._replace(scheme=scheme)), token


def find_server(classroom: str | None = None) -> tuple[str, str | None]:
    """The URL and token of the classroom for this process (see the module's
    documentation); raises :class:`ClassroomUnreachable`."""
    url = os.environ.get("JUPYTER_CLASSROOM_URL")
    if url:
        token = os.environ.get("JUPYTER_CLASSROOM_TOKEN") or os.environ.get("JUPYTERHUB_API_TOKEN")
        return url, token
    on_hub = find_hub_classroom(classroom)
    if on_hub is not None:
        return on_hub
    try:
        from jupyter_server.serverapp import list_running_servers
    except ImportError:  # a kernel without jupyter_server installed
        servers: list[dict[str, Any]] = []
    else:
        servers = list(list_running_servers())
    parent = os.getppid()
    mine = [s for s in servers if s.get("pid") == parent]
    if not mine:
        cwd = os.getcwd()
        mine = [s for s in servers if s.get("root_dir") and _under(cwd, s["root_dir"])]
        # The innermost root is the likeliest.
        mine.sort(key=lambda s: len(s["root_dir"]), reverse=True)
    if not mine:
        raise ClassroomUnreachable(
            "No Jupyter server with a classroom was found for this kernel: run the notebook "
            "in JupyterLab with the classroom extension, or pass Classroom(url=..., token=...)."
        )
    server = mine[0]
    if not server.get("token") and server.get("password"):
        raise ClassroomUnreachable(
            "The Jupyter server uses a password, not a token: pass Classroom(url=..., token=...) "
            "with a token the server accepts."
        )
    return server["url"], server.get("token") or None


def redact(url: str) -> str:
    """``url`` with its token (if any) hidden, for messages a person reads."""
    parts = urllib.parse.urlsplit(url)
    query = [(k, "…" if k == "token" else v) for k, v in urllib.parse.parse_qsl(parts.query)]
    return urllib.parse.urlunsplit(parts._replace(query=urllib.parse.urlencode(query)))
