"""The classroom as a live panel in a notebook (ipywidgets).

``Classroom().widget()`` (or just ``c`` at the end of a cell) shows who is
here, in which room, with raised hands in order, and buttons for the
instructor's powers. The view is this package's own labextension
(``jupyterlab-classroom``), registered with JupyterLab's widget manager; its
buttons send client protocol messages (``{"message": {...}}``) over the comm,
which are validated here and sent with :meth:`Classroom.send`, so the server
enforces every power as it does for any other call.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

import ipywidgets
from traitlets import Dict, List, Unicode

from . import protocol
from .client import Classroom, ClassroomRefused, ClassroomUnreachable

log = logging.getLogger(__name__)

#: The labextension that renders the widget (its npm package name).
NPM_NAME = "jupyterlab-classroom"


def _npm_version() -> str:
    """The built labextension's version, as a semver range for the widget manager."""
    package = Path(__file__).parent / "labextension" / "package.json"
    try:
        return "^" + json.loads(package.read_text())["version"]
    except (OSError, ValueError, KeyError):
        return "*"


NPM_VERSION = _npm_version()

#: Who is here, as the panel shows them.
PERSON_FIELDS = ("id", "user", "name", "role", "room", "hand", "mic", "camera", "screen", "status")


class ClassroomWidget(ipywidgets.DOMWidget):
    """A live roster with rooms and hands, and the instructor's controls."""

    _model_name = Unicode("ClassroomWidgetModel").tag(sync=True)
    _view_name = Unicode("ClassroomWidgetView").tag(sync=True)
    _model_module = Unicode(NPM_NAME).tag(sync=True)
    _view_module = Unicode(NPM_NAME).tag(sync=True)
    _model_module_version = Unicode(NPM_VERSION).tag(sync=True)
    _view_module_version = Unicode(NPM_VERSION).tag(sync=True)

    #: Everyone in the classroom (the notebook's connection observes: it is not one).
    people = List(Dict()).tag(sync=True)
    #: The map's rooms: id, name, kind, capacity.
    rooms = List(Dict()).tag(sync=True)
    #: The class state (locks, hands, locked rooms, announcement, breakout, broadcast).
    state = Dict().tag(sync=True)
    #: The notebook user's role: the controls are for ``instructor``.
    role = Unicode("student").tag(sync=True)
    #: The last refusal, in words ("" when the last command went through).
    error = Unicode("").tag(sync=True)

    def __init__(self, classroom: Classroom, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.classroom = classroom
        self._refresh()
        classroom.watch(self._refresh)
        self.on_msg(self._on_msg)

    def close(self) -> None:
        self.classroom.unwatch(self._refresh)
        super().close()

    def _refresh(self) -> None:
        conn = self.classroom._live()
        with conn.lock:
            people = [
                {k: p.get(k) for k in PERSON_FIELDS}
                for pid, p in conn.participants.items()
                if pid != conn.you
            ]
            rooms = [{k: r.get(k) for k in ("id", "name", "kind", "capacity")} for r in conn.rooms]
            state = json.loads(json.dumps(conn.state))
            me = conn.own()
        people.sort(key=lambda p: (p["role"] != "instructor", str(p["name"]).lower()))
        with self.hold_sync():
            self.people = people
            self.rooms = rooms
            self.state = state
            self.role = me.get("role", "student")

    # -- the view's buttons ---------------------------------------------------------------

    def _on_msg(self, _: Any, content: Any, buffers: list[Any]) -> None:
        """Run ``{"message": <client protocol message>}`` from the view as this
        notebook's connection; a refusal is kept in :attr:`error`."""
        if not isinstance(content, dict) or "message" not in content:
            self.error = "The classroom widget expects {'message': <a client message>}."
            return
        try:
            message = protocol.validate(content["message"])
        except protocol.ProtocolError as e:
            self.error = f"Not a classroom command: {e.message}"
            return
        try:
            self.classroom.send(message)
        except (ClassroomRefused, ClassroomUnreachable) as e:
            self.error = str(e)
        else:
            self.error = ""
