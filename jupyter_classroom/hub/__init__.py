"""The classroom as a JupyterHub service (``jupyter-classroom-hub``)."""

from .app import ClassroomHub, main

__all__ = ["ClassroomHub", "main"]
