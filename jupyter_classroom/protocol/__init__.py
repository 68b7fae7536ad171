"""The classroom wire protocol: the single source of truth for both sides.

* :mod:`.messages` — the message dataclasses, error codes and close codes
  (the module to edit when the protocol changes);
* :mod:`.schema` — one description of every message type, built once from
  those dataclasses;
* :mod:`.codec` — the decoder that refuses bad client frames, driven by that
  description, and the encoder;
* :mod:`.codegen` — the JSON Schema and the front end's TypeScript types,
  from the same description (``python -m jupyter_classroom.protocol``).

Everything is re-exported here: ``from jupyter_classroom import protocol``
then ``protocol.Move``, ``protocol.decode_client``, ``protocol.ErrorCode``.
"""

from .codec import MAX_CONTAINERS, MAX_DEPTH, SPEC, decode_client, encode, error, parse, to_dict, validate
from .codegen import json_schema, typescript
from .messages import *  # noqa: F403 (the messages are this package's API)
from .messages import ProtocolError
from .schema import MAX_SAFE_NUMBER

__all__ = [name for name in dir() if not name.startswith("_")]
