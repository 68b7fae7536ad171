"""Demo classmates: simulated participants the server runs so that an empty
classroom (someone trying a Binder link alone) shows how it works.

Started by the ``demo_participants`` setting (``jupyter classroom demo``);
see :mod:`.classmates` for what they do and when they leave.
"""

from .classmates import DemoClassmate, DemoClassmates, clamp_count
from .script import MAX_DEMO_PARTICIPANTS

__all__ = ["MAX_DEMO_PARTICIPANTS", "DemoClassmate", "DemoClassmates", "clamp_count"]
