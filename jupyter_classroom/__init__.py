"""jupyterlab-classroom: a virtual classroom inside JupyterLab."""

try:
    from ._version import __version__
except ImportError:  # running from a source tree that was never built
    __version__ = "0.0.0.dev0"


def _jupyter_labextension_paths() -> list[dict[str, str]]:
    return [{"src": "labextension", "dest": "jupyterlab-classroom"}]


def _jupyter_server_extension_points() -> list[dict[str, object]]:
    from .app import ClassroomApp

    return [{"module": "jupyter_classroom", "app": ClassroomApp}]
