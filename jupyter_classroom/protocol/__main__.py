"""``python -m jupyter_classroom.protocol``: see :mod:`.codegen`."""

import sys

from .codegen import main

sys.exit(main())
