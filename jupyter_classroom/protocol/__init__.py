"""The classroom wire protocol: the single source of truth for both sides.

* :mod:`.messages` — the client and server messages (the module to edit when
  the protocol changes), deriving their families from base classes;
* :mod:`.records` — the records inside them, named choices and bounds;
* :mod:`.errors` — error codes, :class:`ProtocolError` and close codes;
* :mod:`.frames` — the header of the binary media frames of ``classroom/media``;
* :mod:`.schema` — one description of every message type, built once from
  those dataclasses;
* :mod:`.codec` — the decoder that refuses bad client frames, driven by that
  description, and the encoder;
* :mod:`.codegen` — the JSON Schema and the front end's TypeScript types,
  from the same description (``python -m jupyter_classroom.protocol``).

Everything is re-exported here: ``from jupyter_classroom import protocol``
then ``protocol.Move``, ``protocol.decode_client``, ``protocol.ErrorCode``.
"""

from .codec import (
    MAX_CONTAINERS as MAX_CONTAINERS,
)
from .codec import (
    MAX_DEPTH as MAX_DEPTH,
)
from .codec import (
    SPEC as SPEC,
)
from .codec import (
    decode_client as decode_client,
)
from .codec import (
    encode as encode,
)
from .codec import (
    error as error,
)
from .codec import (
    parse as parse,
)
from .codec import (
    to_dict as to_dict,
)
from .codec import (
    validate as validate,
)
from .codegen import json_schema as json_schema
from .codegen import typescript as typescript
from .errors import *  # noqa: F403 (the error and close codes are this package's API)
from .frames import *  # noqa: F403 (the media frames' header)
from .messages import *  # noqa: F403 (the messages are this package's API)
from .records import *  # noqa: F403 (and the records)
from .schema import MAX_SAFE_NUMBER as MAX_SAFE_NUMBER

__all__ = [name for name in dir() if not name.startswith("_")]
