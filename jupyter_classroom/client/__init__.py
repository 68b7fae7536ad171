"""The classroom from Python, in a notebook.

::

    from jupyter_classroom import Classroom
    c = Classroom()          # this server's classroom, as the notebook's user
    c.roster                 # who is here (a DataFrame when pandas is installed)
    c.hands                  # raised hands, in the order raised
    c.announce("Quiz at 3pm")
    c.breakouts(3, minutes=10)
    c.end_breakouts()
    c.summon()               # every student to the stage
    c.mute_all()
    c.broadcast(True)        # speak to everyone (from your classroom tab's media)
    c.send(protocol.Mute())  # any instructor's command, as the protocol's message

:class:`Classroom` connects to the classroom's WebSocket like a browser does
and keeps a mirror of the classroom from the messages the server sends. The
kernel already runs an asyncio loop (the one executing the cell), so the
connection runs on a loop of its own in a background thread and every method
waits for the server's answer there.

Where it connects, first match wins:

1. ``Classroom(url=..., token=...)``: a Jupyter server's URL (its
   ``classroom/ws`` is used) or a ``ws://``/``wss://`` classroom socket URL;
2. the environment variables ``JUPYTER_CLASSROOM_URL`` and
   ``JUPYTER_CLASSROOM_TOKEN`` (on JupyterHub the token defaults to
   ``JUPYTERHUB_API_TOKEN``, the notebook user's own);
3. on a JupyterHub single-user server set up for the hub's classroom service
   (``JUPYTER_CLASSROOM_HUB_SERVICE_URL`` in its environment, which kernels
   inherit): that service, with the server's own hub token
   (``JUPYTERHUB_API_TOKEN``, which needs the scopes docs/hub.md's
   ``c.Spawner.server_token_scopes`` gives it). The service is reached at
   the hub's public address when the environment gives it
   (``JUPYTERHUB_PUBLIC_HUB_URL``, set when the hub's ``public_url`` is), else
   at the address the hub's API gives for it (``GET {JUPYTERHUB_API_URL}/
   services/classroom``). The classroom is the only one the user is in, or
   the one named by ``Classroom(classroom="physics")``;
4. the Jupyter server this kernel runs under: the server that started the
   kernel process (its info file in Jupyter's runtime directory), or else the
   running server whose root directory holds the kernel's working directory.

Every instructor's command raises :class:`ClassroomForbidden` for a student,
:class:`ClassroomRefused` for anything else the server refuses (with its
stable ``code``), and :class:`ClassroomUnreachable` when no classroom answers.

The package has three parts: :mod:`.discovery` (where the classroom is),
:mod:`.connection` (the socket and the mirror, on a thread of their own) and
:mod:`.facade` (:class:`Classroom`, whose commands are protocol messages sent
through :meth:`Classroom.send`).
"""

from .connection import Connection
from .discovery import DEFAULT_TIMEOUT, find_hub_classroom, find_server, redact, socket_url
from .errors import ClassroomForbidden, ClassroomRefused, ClassroomUnreachable
from .facade import ROSTER_COLUMNS, Classroom
from .invitations import Invitation

__all__ = [
    "DEFAULT_TIMEOUT",
    "ROSTER_COLUMNS",
    "Classroom",
    "ClassroomForbidden",
    "ClassroomRefused",
    "ClassroomUnreachable",
    "Connection",
    "Invitation",
    "find_hub_classroom",
    "find_server",
    "redact",
    "socket_url",
]
