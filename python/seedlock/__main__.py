"""``python -m seedlock`` is the ``seedlock`` command."""

import sys

from .cli import main

sys.exit(main())
