"""``python -m seedlock`` is the ``seedlock`` command (``python/bin/seedlock``; a test keeps them alike)."""

import sys

if sys.argv[1:2] == ["run"]:
    # `seedlock run` starts before every wrapped command: try the path that imports almost nothing.
    from ._launch_fast import launch

    launch(sys.argv[2:])  # returns only when the full path must take the command

from .cli import main

sys.exit(main())
