"""jupyterlab-classroom: a virtual classroom inside JupyterLab."""

from typing import TYPE_CHECKING

if TYPE_CHECKING:  # what __getattr__ below gives, for type checkers
    from .client import Classroom as Classroom
    from .client import ClassroomForbidden as ClassroomForbidden
    from .client import ClassroomRefused as ClassroomRefused
    from .client import ClassroomUnreachable as ClassroomUnreachable

try:
    from ._version import __version__
except ImportError:  # running from a source tree that was never built
    __version__ = "0.0.0.dev0"

#: The notebook API (:mod:`jupyter_classroom.client`), imported on first use
#: so that loading the server extension does not import it.
_CLIENT_NAMES = ("Classroom", "ClassroomForbidden", "ClassroomRefused", "ClassroomUnreachable")


def __getattr__(name: str) -> object:
    if name in _CLIENT_NAMES:
        from . import client

        return getattr(client, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def _jupyter_labextension_paths() -> list[dict[str, str]]:
    return [{"src": "labextension", "dest": "jupyterlab-classroom"}]


def _jupyter_server_extension_points() -> list[dict[str, object]]:
    from .app import ClassroomApp

    return [{"module": "jupyter_classroom", "app": ClassroomApp}]
